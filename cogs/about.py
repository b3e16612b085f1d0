"""`/about`: what Heartbeat is on this server and how to take part; open to every member."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import Heartbeat


class About(commands.Cog):
    """Participant-facing introduction."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot

    @app_commands.command(name="about", description="What Heartbeat does here and how to join the chat")
    @app_commands.guild_only()
    async def about(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        config = await self.bot.storage.config.get(interaction.guild_id)
        where = f"<#{config.chat_channel_id}>" if config.chat_channel_id else "the chat channel (not chosen yet)"
        zone = config.timezone or self.bot.settings.defaults.timezone
        text = (f"**Heartbeat** hosts this server's weekly hashtag chat in {where}.\n"
                "During a chat the host posts numbered questions (**Q1:**, **Q2:** …); answer with **A1:**, "
                "**A2:** … or reply to the question. Reading along is welcome too.\n"
                f"Chat times are set in {zone} and shown to you in your own time zone.")
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(About(bot))
