"""What Discord refuses for want of permissions: command visibility, per-call permissions, the role hierarchy and DMs.

Each rule follows Discord's API documentation (interactions/application-commands, topics/permissions and the
per-endpoint notes): the stand-in asks `refusal` before it carries out a REST call, and `may_use_command` before it
delivers a slash command, so a bot that works here does not rely on leniency Discord does not show.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.standin.model import (
    PERM_ADMINISTRATOR,
    PERM_SEND_MESSAGES,
    PERM_VIEW_CHANNEL,
    Channel,
    Guild,
)

PERM_EMBED_LINKS = 1 << 14
PERM_ATTACH_FILES = 1 << 15
PERM_READ_MESSAGE_HISTORY = 1 << 16
PERM_MANAGE_ROLES = 1 << 28
PERM_MANAGE_EVENTS = 1 << 33
PERM_CREATE_PUBLIC_THREADS = 1 << 35
PERM_SEND_MESSAGES_IN_THREADS = 1 << 38
THREAD_TYPES = (10, 11, 12)

# Interaction contexts (https://discord.com/developers/docs/interactions/application-commands): 0 a server.
CONTEXT_GUILD = 0

MISSING_PERMISSIONS = (403, "Missing Permissions", 50013)
CANNOT_DM = (403, "Cannot send messages to this user", 50007)


class CommandNotShown(AssertionError):
    """The Discord client would not offer this command to this member here, so nothing is delivered."""


@dataclass(frozen=True)
class Refusal:
    """Discord's answer instead of carrying out a call: a status, a message and a JSON error code."""

    status: int
    message: str
    code: int
    # Some refusals are a plain answer (history without Read Message History is an empty list).
    body: Any = None


@dataclass
class CommandOverride:
    """An admin's Integrations overrides for one command, whatever its default_member_permissions say.

    Role and member ids allowed or denied it; the @everyone role is the guild's id.
    """

    allowed: set[int] = field(default_factory=set)
    denied: set[int] = field(default_factory=set)

    def decides(self, guild: Guild, user_id: int) -> bool | None:
        """The override's answer for a member (True shown, False hidden), or None to follow the defaults.

        As in Discord: a member's own override wins, then their roles' (an allow on any role beats a deny), then
        the @everyone override.
        """
        member = guild.members.get(user_id)
        for ids in ({user_id}, set(member.roles) if member else set(), {guild.id}):
            if ids & self.allowed:
                return True
            if ids & self.denied:
                return False
        return None


def may_use_command(command: dict[str, Any], guild: Guild | None, user_id: int, channel_id: int,
                    override: CommandOverride | None) -> bool:
    """Whether the member's client shows (and lets them run) a top-level command in this channel."""
    if guild is None:
        contexts = command.get("contexts")
        if contexts is not None:
            return any(int(c) != CONTEXT_GUILD for c in contexts)
        return command.get("dm_permission") is not False
    decided = override.decides(guild, user_id) if override is not None else None
    if decided is not None:
        return decided
    needed = command.get("default_member_permissions")
    if needed is None:
        return True
    needed = int(needed)
    have = guild.permissions_of(user_id, channel_id)
    # "0" hides the command from everyone but admins; an Administrator sees every command.
    return bool(have & PERM_ADMINISTRATOR) or (needed != 0 and have & needed == needed)


def top_position(guild: Guild, user_id: int) -> int:
    """The position of a member's highest role (the @everyone role is 0)."""
    member = guild.members.get(user_id)
    return max((guild.roles[r].position for r in (member.roles if member else []) if r in guild.roles), default=0)


def message_needs(channel: Channel, body: dict[str, Any] | None, files: list[tuple[str, bytes]]) -> int:
    """The permissions a bot message with this body needs in the channel."""
    body = body or {}
    needs = PERM_VIEW_CHANNEL | (PERM_SEND_MESSAGES_IN_THREADS if channel.type in THREAD_TYPES else PERM_SEND_MESSAGES)
    if body.get("embeds"):
        needs |= PERM_EMBED_LINKS
    if files or body.get("attachments"):
        needs |= PERM_ATTACH_FILES
    if body.get("message_reference"):
        needs |= PERM_READ_MESSAGE_HISTORY
    return needs


@dataclass
class Gatekeeper:
    """The stand-in's permission rules over its world: which call the bot may make, and who may see a command."""

    guilds: dict[int, Guild]
    channels: dict[int, Channel]
    bot_id: int
    overrides: dict[tuple[int, str], CommandOverride] = field(default_factory=dict)
    dm_refusing: set[int] = field(default_factory=set)

    def bot_permissions(self, guild_id: int, channel_id: int | None = None) -> int:
        """The bot's resolved permissions in a guild (and channel, with its overwrites)."""
        return self.guilds[guild_id].permissions_of(self.bot_id, channel_id)

    def refusal(self, method: str, path: str, body: Any, files: list[tuple[str, bytes]]) -> Refusal | None:
        """Discord's refusal of a REST call for want of a permission (or of a DM), or None to carry it out."""
        for rule_method, pattern, check in _RULES:
            match = pattern.fullmatch(path)
            if match and method == rule_method:
                return check(self, body, files, *match.groups())
        return None

    def _needs_in_channel(self, channel_id: str, needs: int) -> Refusal | None:
        channel = self.channels.get(int(channel_id))
        if channel is None or channel.guild_id is None:
            return None
        have = self.bot_permissions(channel.guild_id, channel.id)
        if not have & PERM_VIEW_CHANNEL:
            return Refusal(403, "Missing Access", 50001)
        return None if have & needs == needs else Refusal(*MISSING_PERMISSIONS)

    def _post_message(self, body: Any, files: list[tuple[str, bytes]], channel_id: str) -> Refusal | None:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            return None
        if channel.guild_id is None:
            if channel.recipient is not None and channel.recipient.id in self.dm_refusing:
                return Refusal(*CANNOT_DM)
            return None
        return self._needs_in_channel(channel_id, message_needs(channel, body, files))

    def _history(self, body: Any, files: Any, channel_id: str) -> Refusal | None:
        # "If the current user is missing READ_MESSAGE_HISTORY, no messages will be returned."
        refused = self._needs_in_channel(channel_id, PERM_READ_MESSAGE_HISTORY)
        if refused is not None and refused.code == MISSING_PERMISSIONS[2]:
            return Refusal(200, "", 0, body=[])
        return refused

    def _fetch(self, body: Any, files: Any, channel_id: str, message_id: str) -> Refusal | None:
        return self._needs_in_channel(channel_id, PERM_READ_MESSAGE_HISTORY)

    def _thread(self, body: Any, files: Any, channel_id: str, message_id: str | None = None) -> Refusal | None:
        return self._needs_in_channel(channel_id, PERM_CREATE_PUBLIC_THREADS)

    def _events(self, body: Any, files: Any, guild_id: str, event_id: str | None = None) -> Refusal | None:
        if int(guild_id) not in self.guilds:
            return None
        have = self.bot_permissions(int(guild_id))
        return None if have & PERM_MANAGE_EVENTS else Refusal(*MISSING_PERMISSIONS)

    def _role(self, body: Any, files: Any, guild_id: str, user_id: str, role_id: str) -> Refusal | None:
        guild = self.guilds.get(int(guild_id))
        role = guild.roles.get(int(role_id)) if guild else None
        if guild is None or role is None:
            return None
        if not self.bot_permissions(guild.id) & PERM_MANAGE_ROLES:
            return Refusal(*MISSING_PERMISSIONS)
        # The hierarchy binds an Administrator too: only the owner is above it.
        if self.bot_id != guild.owner_id and role.position >= top_position(guild, self.bot_id):
            return Refusal(*MISSING_PERMISSIONS)
        return None

    def may_use(self, command: dict[str, Any], guild_id: int | None, user_id: int, channel_id: int) -> bool:
        """Whether a member's client shows this top-level command to them in this channel."""
        guild = self.guilds.get(guild_id) if guild_id else None
        override = self.overrides.get((guild_id, command["name"])) if guild_id else None
        return may_use_command(command, guild, user_id, channel_id, override)


_Check = Callable[..., Refusal | None]
_TABLE: list[tuple[str, str, _Check]] = [
    ("POST", r"channels/(\d+)/messages", Gatekeeper._post_message),
    ("GET", r"channels/(\d+)/messages", Gatekeeper._history),
    ("GET", r"channels/(\d+)/messages/(\d+)", Gatekeeper._fetch),
    ("POST", r"channels/(\d+)/messages/(\d+)/threads", Gatekeeper._thread),
    ("POST", r"channels/(\d+)/threads", Gatekeeper._thread),
    ("POST", r"guilds/(\d+)/scheduled-events", Gatekeeper._events),
    ("PATCH", r"guilds/(\d+)/scheduled-events/(\d+)", Gatekeeper._events),
    ("DELETE", r"guilds/(\d+)/scheduled-events/(\d+)", Gatekeeper._events),
    ("PUT", r"guilds/(\d+)/members/(\d+)/roles/(\d+)", Gatekeeper._role),
    ("DELETE", r"guilds/(\d+)/members/(\d+)/roles/(\d+)", Gatekeeper._role),
]
_RULES = [(method, re.compile(pattern + r"/?"), check) for method, pattern, check in _TABLE]

__all__ = ["CommandNotShown", "CommandOverride", "Gatekeeper", "Refusal"]
