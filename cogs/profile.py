"""`/profile`: a member's journey from lurker to leader, seen by them (and by moderators), shared only by them."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import member_access
from bot.client import Heartbeat
from bot.domain.access import is_moderator
from bot.domain.errors import UserError
from bot.domain.profile import profile_parts
from bot.domain.progression import month_of
from bot.errors import answering
from bot.standing import standing

QUIET = discord.AllowedMentions.none()


async def profile_embed(bot: Heartbeat, guild_id: int, member: discord.Member | discord.User) -> discord.Embed:
    """The member's profile as it stands now."""
    zone = await bot.progression.zone(guild_id)
    now = bot.clock()
    parts = profile_parts(await standing(bot.storage, guild_id, member.id, now, zone), member.display_name,
                          month_of(now, zone))
    embed = discord.Embed(title=parts.title, description=parts.description)
    for name, value in parts.fields:
        embed.add_field(name=name, value=value, inline=False)
    return embed


class Share(discord.ui.DynamicItem[discord.ui.Button[Any]],
            template=r"profile-share:(?P<guild>[0-9]+):(?P<user>[0-9]+)"):
    """Posts a profile in the channel for all to see; only the member it belongs to may press it (also after a
    restart: the id carries whose it is)."""

    def __init__(self, guild_id: int, user_id: int) -> None:
        super().__init__(discord.ui.Button(label="Share", emoji="📣", style=discord.ButtonStyle.secondary,
                                           custom_id=f"profile-share:{guild_id}:{user_id}"))
        self.guild_id, self.user_id = guild_id, user_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> Share:
        return cls(int(match["guild"]), int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await answering(interaction, lambda: self._pressed(interaction))

    async def _pressed(self, interaction: discord.Interaction) -> None:
        # Checked here, not only by who saw the button: a forged or copied id must not post someone else's profile.
        if interaction.guild_id != self.guild_id or interaction.user.id != self.user_id:
            raise UserError("Only the member whose profile this is can share it.")
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        embed = await profile_embed(bot, self.guild_id, interaction.user)
        await interaction.response.send_message(embed=embed, allowed_mentions=QUIET)


@app_commands.guild_only()
class Profile(commands.Cog):
    """Open to every member for their own profile; someone else's is for moderators (checked here, server-side)."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot

    @app_commands.command(name="profile", description="Your journey here month by month, and what the next stage needs")
    @app_commands.describe(member="Moderators: whose profile to see (default: yours)")
    async def profile(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        assert interaction.guild_id is not None
        own = member is None or member.id == interaction.user.id
        target = interaction.user if member is None else member
        if not own:
            config = await self.bot.storage.config.get(interaction.guild_id)
            if not is_moderator(member_access(interaction), config.moderator_role_id):
                raise UserError("You can see your own profile; only moderators can see someone else's.")
            if target.bot:
                raise UserError(f"{target.display_name} is a bot: bots have no profile.")
        embed = await profile_embed(self.bot, interaction.guild_id, target)
        view = discord.ui.View(timeout=None)
        if own:  # the Share button goes only to the member whose profile it is
            view.add_item(Share(interaction.guild_id, target.id))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True, allowed_mentions=QUIET)


async def setup(bot: Heartbeat) -> None:
    bot.add_dynamic_items(Share)
    await bot.add_cog(Profile(bot))
