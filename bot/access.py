"""Server-side checks for admin, host and moderator commands (Discord's default_permissions only hide them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.domain.access import MemberAccess, is_admin, is_host, is_moderator
from bot.storage import GuildConfig

if TYPE_CHECKING:
    from bot.client import Heartbeat


class AccessDenied(app_commands.CheckFailure):
    """The member lacks the standing a command needs; the message says what would grant it."""


def member_access(interaction: discord.Interaction) -> MemberAccess:
    """The member's server-wide permissions and roles (a channel override must not make someone a host)."""
    if not isinstance(interaction.user, discord.Member):
        raise AccessDenied("This command works only inside a server.")
    perms = interaction.user.guild_permissions
    roles = interaction.user.roles
    return MemberAccess(administrator=perms.administrator, manage_guild=perms.manage_guild,
                        manage_events=perms.manage_events, moderate_members=perms.moderate_members,
                        role_ids=frozenset(role.id for role in roles))


async def _config(interaction: discord.Interaction) -> GuildConfig:
    bot: Heartbeat = interaction.client  # type: ignore[assignment]
    if interaction.guild_id is None:
        raise AccessDenied("This command works only inside a server.")
    return await bot.storage.config.get(interaction.guild_id)


async def check_admin(interaction: discord.Interaction) -> bool:
    """Only members who can manage the server change its configuration."""
    if interaction.guild_id is None:
        raise AccessDenied("This command works only inside a server.")
    if not is_admin(member_access(interaction)):
        raise AccessDenied("Only members with the Manage Server permission can change Heartbeat's configuration.")
    return True


async def check_host(interaction: discord.Interaction) -> bool:
    """Hosts: Manage Events, or the configured host role."""
    config = await _config(interaction)
    if not is_host(member_access(interaction), config.host_role_id):
        raise AccessDenied("Only hosts can do that: ask an admin for the host role or the Manage Events permission.")
    return True


async def check_moderator(interaction: discord.Interaction) -> bool:
    """Moderators: Moderate Members or Manage Server, or the configured moderator role."""
    config = await _config(interaction)
    if not is_moderator(member_access(interaction), config.moderator_role_id):
        raise AccessDenied("Only moderators can do that: ask an admin for the moderator role.")
    return True


admin_only = app_commands.check(check_admin)
host_only = app_commands.check(check_host)
moderator_only = app_commands.check(check_moderator)
