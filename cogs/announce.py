"""`/announce`: a host posts to the chat channel through Heartbeat, and nobody is pinged by it."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import host_only
from bot.client import Heartbeat
from bot.domain.errors import UserError
from bot.domain.text import clean_announcement


class Announce(commands.Cog):
    """Host command; the bot's allowed_mentions keep user text from pinging @everyone, @here or roles."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot

    @app_commands.command(name="announce", description="Post an announcement in the chat channel as Heartbeat")
    @app_commands.describe(text="What to post (mentions in it will not ping anyone)")
    @app_commands.guild_only()
    # No default permissions: a member who is a host through the host role must see it; host_only guards it.
    @host_only
    async def announce(self, interaction: discord.Interaction, text: str) -> None:
        assert interaction.guild is not None
        text = clean_announcement(text)
        config = await self.bot.storage.config.get(interaction.guild.id)
        channel = interaction.guild.get_channel(config.chat_channel_id) if config.chat_channel_id else None
        if not isinstance(channel, discord.TextChannel):
            raise UserError("No chat channel is set: an admin can choose one with `/config channel kind:chat`.")
        await interaction.response.defer(ephemeral=True)
        message = await channel.send(text)
        await interaction.followup.send(f"Posted: {message.jump_url}", ephemeral=True)


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Announce(bot))
