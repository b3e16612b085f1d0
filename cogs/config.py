"""`/config`: where Heartbeat posts, who hosts and moderates, the server's time zone, and a health check."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import check_admin
from bot.choices import zone_choices
from bot.client import Heartbeat
from bot.domain.errors import UserError
from bot.domain.privacy import RETENTION_DAYS, RETENTION_DEFAULT, check_retention, retention_of
from bot.domain.schedule import parse_zone
from bot.permissions import CHANNEL_NEEDS, GUILD_NEEDS, missing, ping_problem
from bot.storage import GuildConfig

ChannelKind = Literal["chat", "welcome", "moderator"]
RoleKind = Literal["host", "moderator", "helper", "notify"]
Setting = Literal["chat channel", "welcome channel", "moderator channel", "host role", "moderator role",
                  "helper role", "notify role", "timezone"]

ROLE_PURPOSE = {
    "host": "runs chats (besides members with Manage Events)",
    "moderator": "sees newcomer reports (besides members with Moderate Members or Manage Server)",
    "helper": "marks the members who greet first-time chatters",
    "notify": "is for members who want chat announcements",
}


def _column(setting: str) -> str:
    """'chat channel' → 'chat_channel_id'; 'timezone' stays."""
    return "timezone" if setting == "timezone" else setting.replace(" ", "_") + "_id"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Config(commands.GroupCog, group_name="config", group_description="Set up Heartbeat for this server"):
    """Admin commands; every one is checked on the server side by interaction_check."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await check_admin(interaction)

    async def _save(self, interaction: discord.Interaction, changes: dict[str, int | str | None]) -> GuildConfig:
        assert interaction.guild_id is not None
        return await self.bot.storage.config.update(interaction.guild_id, changes,
                                                    updated_by=interaction.user.id, now=self.bot.clock())

    @app_commands.command(name="channel", description="Choose the channel for chats, welcomes or moderator reports")
    @app_commands.describe(kind="What the channel is for", channel="The text channel to use")
    async def channel(self, interaction: discord.Interaction, kind: ChannelKind,
                      channel: discord.TextChannel) -> None:
        await self._save(interaction, {f"{kind}_channel_id": channel.id})
        lacking = missing(channel.permissions_for(channel.guild.me), CHANNEL_NEEDS[kind])
        note = (f"\nI still lack {', '.join(lacking)} in {channel.mention}: grant them there or I can't post."
                if lacking else "")
        await interaction.response.send_message(f"The {kind} channel is now {channel.mention}.{note}",
                                                ephemeral=True)
        if kind == "chat":  # who already posts there is no first-timer in its first chat
            await self.bot.newcomers.read_back(channel.guild.id, [channel.id])

    @app_commands.command(name="role", description="Choose the host, moderator, helper or notify role")
    @app_commands.describe(kind="What the role is for", role="The role to use")
    async def role(self, interaction: discord.Interaction, kind: RoleKind, role: discord.Role) -> None:
        if role.is_default():
            raise UserError("Pick a specific role: @everyone would give every member that role's powers.")
        if kind == "notify" and (role.managed or not role.is_assignable()):
            raise UserError(f"I can't hand out {role.name}: move my role above it, or pick a role I can assign.")
        await self._save(interaction, {f"{kind}_role_id": role.id})
        problem = ping_problem(kind, role, role.guild.me)
        await interaction.response.send_message(
            f"The {kind} role is now {role.mention}: it {ROLE_PURPOSE[kind]}." + (f"\n{problem}" if problem else ""),
            ephemeral=True)

    @app_commands.command(name="timezone", description="Set the server's default time zone for new chats")
    @app_commands.describe(zone="An IANA time zone such as America/New_York or Europe/London")
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        name = parse_zone(zone).key
        await self._save(interaction, {"timezone": name})
        await interaction.response.send_message(f"The server's time zone is now {name}.", ephemeral=True)

    timezone.autocomplete("zone")(zone_choices)

    @app_commands.command(name="retention", description="How long message text is kept (counts are kept)")
    @app_commands.describe(days=f"Days to keep chat messages, first messages and transcripts "
                                f"({RETENTION_DAYS.start}-{RETENTION_DAYS.stop - 1}; {RETENTION_DEFAULT} by default)")
    async def retention(self, interaction: discord.Interaction, days: int) -> None:
        assert interaction.guild_id is not None
        check_retention(days)
        await self.bot.storage.config.set_retention(interaction.guild_id, days, updated_by=interaction.user.id,
                                                    now=self.bot.clock())
        await interaction.response.send_message(
            f"Message text is now kept {days} days: each night older chat messages, first messages and transcripts "
            "are blanked (counts and monthly figures stay).", ephemeral=True)

    @app_commands.command(name="clear", description="Unset one setting")
    @app_commands.describe(setting="The setting to unset")
    async def clear(self, interaction: discord.Interaction, setting: Setting) -> None:
        await self._save(interaction, {_column(setting): None})
        await interaction.response.send_message(f"The {setting} is no longer set.", ephemeral=True)

    @app_commands.command(name="status", description="Show Heartbeat's configuration and anything that needs fixing")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        config = await self.bot.storage.config.get(interaction.guild.id)
        await interaction.response.send_message(embed=status_embed(interaction.guild, config, self.bot),
                                                ephemeral=True)


def status_embed(guild: discord.Guild, config: GuildConfig, bot: Heartbeat) -> discord.Embed:
    """Each setting with its value, then every problem found, each with what to do."""
    problems: list[str] = []
    lines: list[str] = []
    for kind, needs in CHANNEL_NEEDS.items():
        channel_id = getattr(config, f"{kind}_channel_id")
        channel = guild.get_channel(channel_id) if channel_id else None
        if channel_id is None:
            lines.append(f"**{kind.title()} channel:** not set")
            problems.append(f"Set the {kind} channel with `/config channel kind:{kind}`.")
        elif channel is None:
            lines.append(f"**{kind.title()} channel:** deleted")
            problems.append(f"The {kind} channel no longer exists: choose another with `/config channel`.")
        else:
            lines.append(f"**{kind.title()} channel:** {channel.mention}")
            lacking = missing(channel.permissions_for(guild.me), needs)
            if lacking:
                problems.append(f"In {channel.mention} I lack: {', '.join(lacking)}.")
    for kind in ROLE_PURPOSE:
        role_id = getattr(config, f"{kind}_role_id")
        role = guild.get_role(role_id) if role_id else None
        shown = role.mention if role else ("deleted" if role_id else "not set")
        lines.append(f"**{kind.title()} role:** {shown}")
        if role_id and role is None:
            problems.append(f"The {kind} role was deleted: choose another with `/config role kind:{kind}`.")
        if kind == "notify" and role is not None and not role.is_assignable():
            problems.append(f"I can't assign {role.mention}: move my role above it.")
        if role is not None and (problem := ping_problem(kind, role, guild.me)):
            problems.append(problem)
    zone = config.timezone or bot.settings.defaults.timezone
    lines.append(f"**Time zone:** {zone}{'' if config.timezone else ' (default)'}")
    lines.append(f"**Message text kept:** {retention_of(config.retention_days)} days"
                 f"{'' if config.retention_days else ' (default)'}")
    lacking = missing(guild.me.guild_permissions, GUILD_NEEDS)
    if lacking:
        problems.append(f"Server-wide I lack: {', '.join(lacking)}.")
    latency = bot.latency * 1000
    health = f"Gateway latency {latency:.0f} ms." if latency == latency and latency != float("inf") else ""
    embed = discord.Embed(title="Heartbeat status", description="\n".join(lines))
    embed.add_field(name="Needs attention" if problems else "Health",
                    value="\n".join(f"• {p}" for p in problems) if problems else f"All set. {health}".strip(),
                    inline=False)
    return embed


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Config(bot))
