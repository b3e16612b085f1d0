"""The stand-in's world: users, guilds, channels, roles and messages, and their Discord JSON shapes."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Gateway intent bits (https://discord.com/developers/docs/topics/gateway#gateway-intents).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
PRIVILEGED_INTENTS = {INTENT_GUILD_MEMBERS: "GUILD_MEMBERS", 1 << 8: "GUILD_PRESENCES",
                      INTENT_MESSAGE_CONTENT: "MESSAGE_CONTENT"}

# Permission bits used by the stand-in's own checks.
PERM_ADMINISTRATOR = 1 << 3
PERM_MANAGE_GUILD = 1 << 5
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_MENTION_EVERYONE = 1 << 17
PERM_MODERATE_MEMBERS = 1 << 40
PERM_MANAGE_EVENTS = 1 << 33
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_DEFAULT = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 6) | (1 << 14) | (1 << 15) | (1 << 31) | (1 << 38)

_counter = itertools.count(1)


def snowflake(at: datetime | None = None) -> int:
    """A Discord-style id whose top bits encode a creation time, unique within the process."""
    at = at or datetime.now(UTC)
    ms = int(at.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) % (1 << 22))


def iso(at: datetime) -> str:
    """Discord's timestamp format."""
    return at.astimezone(UTC).isoformat()


@dataclass
class User:
    """A Discord account (a simulated member, an admin or the bot itself)."""

    id: int
    name: str
    bot: bool = False

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.name.lower().replace(" ", "_"), "global_name": self.name,
                "discriminator": "0", "avatar": None, "bot": self.bot, "public_flags": 0}


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int = 0
    position: int = 1
    mentionable: bool = False

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "name": self.name, "permissions": str(self.permissions),
                "position": self.position, "color": 0, "colors": {"primary_color": 0}, "hoist": False,
                "managed": False, "mentionable": self.mentionable, "flags": 0}


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class Channel:
    """A text channel, a thread (type 11) or a DM (type 1)."""

    id: int
    name: str
    guild_id: int | None
    type: int = 0
    position: int = 0
    parent_id: int | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: User | None = None
    owner_id: int | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "name": self.name,
                                "position": self.position, "nsfw": False, "topic": None,
                                "rate_limit_per_user": 0, "last_message_id": None,
                                "parent_id": str(self.parent_id) if self.parent_id else None,
                                "permission_overwrites": [o.payload() for o in self.overwrites]}
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.type in (10, 11, 12):
            data["owner_id"] = str(self.owner_id) if self.owner_id else None
            data["thread_metadata"] = {"archived": False, "auto_archive_duration": 1440,
                                       "archive_timestamp": iso(datetime.now(UTC)), "locked": False}
            data["message_count"] = 0
            data["member_count"] = 1
        if self.recipient is not None:
            data["recipients"] = [self.recipient.payload()]
        return data


@dataclass
class Member:
    """A user's membership of a guild."""

    user: User
    roles: list[int] = field(default_factory=list)
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    nick: str | None = None

    def payload(self, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"user": self.user.payload(), "roles": [str(r) for r in self.roles],
                                "joined_at": iso(self.joined_at), "nick": self.nick, "deaf": False,
                                "mute": False, "flags": 0, "pending": False, "avatar": None}
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Guild:
    """A server: roles, channels, members, and its scheduled events."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, dict[str, Any]] = field(default_factory=dict)

    def permissions_of(self, user_id: int, channel_id: int | None = None) -> int:
        """Discord's permission resolution: base role permissions, then channel overwrites."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        role_ids = [self.id] + (member.roles if member else [])
        base = 0
        for role_id in role_ids:
            role = self.roles.get(role_id)
            if role:
                base |= role.permissions
        if base & PERM_ADMINISTRATOR:
            return ALL_PERMISSIONS
        channel = self.channels.get(channel_id) if channel_id else None
        if channel and channel.parent_id and channel.type in (10, 11, 12):
            channel = self.channels.get(channel.parent_id, channel)
        if channel is None:
            return base
        for ow in channel.overwrites:
            if ow.type == 0 and ow.id == self.id:
                base = (base & ~ow.deny) | ow.allow
        allow = deny = 0
        for ow in channel.overwrites:
            if ow.type == 0 and ow.id != self.id and ow.id in role_ids:
                allow |= ow.allow
                deny |= ow.deny
        base = (base & ~deny) | allow
        for ow in channel.overwrites:
            if ow.type == 1 and ow.id == user_id:
                base = (base & ~ow.deny) | ow.allow
        return base

    def payload(self, listed: list[Member] | None = None) -> dict[str, Any]:
        """The guild as GUILD_CREATE carries it, listing `listed` members (default: all of them)."""
        # member_count equal to len(members) marks the guild as chunked, so the client does not ask (op 8).
        return {"id": str(self.id), "name": self.name, "owner_id": str(self.owner_id), "icon": None,
                "unavailable": False, "large": False, "member_count": len(self.members),
                "roles": [r.payload() for r in self.roles.values()],
                "channels": [c.payload() for c in self.channels.values() if c.type != 11],
                "threads": [c.payload() for c in self.channels.values() if c.type == 11],
                "members": [m.payload() for m in (self.members.values() if listed is None else listed)],
                "guild_scheduled_events": list(self.scheduled_events.values()),
                "emojis": [], "stickers": [], "voice_states": [], "presences": [], "stage_instances": [],
                "features": [], "verification_level": 0, "default_message_notifications": 1,
                "explicit_content_filter": 0, "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0,
                "preferred_locale": "en-US", "system_channel_id": None, "joined_at": iso(datetime.now(UTC))}


@dataclass
class Message:
    """A message the stand-in holds, with who it actually pinged."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str
    created_at: datetime
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    reference_id: int | None = None
    flags: int = 0
    edited_at: datetime | None = None
    interaction_id: int | None = None
    webhook_id: int | None = None
    pinged_users: set[int] = field(default_factory=set)
    pinged_roles: set[int] = field(default_factory=set)
    pinged_everyone: bool = False
    reactions: dict[str, set[int]] = field(default_factory=dict)
    deleted: bool = False
    nonce: str | None = None

    @property
    def text(self) -> str:
        """Content plus embed titles and descriptions: what a reader sees."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f.get('name', '')}\n{f.get('value', '')}" for f in embed.get("fields", [])]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def custom_ids(self) -> list[str]:
        """Every component custom_id on the message, in order."""
        found: list[str] = []
        for row in self.components:
            for component in row.get("components", []):
                if "custom_id" in component:
                    found.append(component["custom_id"])
        return found

    def payload(self, *, include_content: bool = True, referenced: Message | None = None,
                member: Member | None = None) -> dict[str, Any]:
        content_visible = include_content
        data: dict[str, Any] = {
            "id": str(self.id), "channel_id": str(self.channel_id), "author": self.author.payload(),
            "content": self.content if content_visible else "",
            "embeds": self.embeds if content_visible else [],
            "components": self.components if content_visible else [],
            "attachments": self.attachments if content_visible else [],
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False, "mention_everyone": self.pinged_everyone,
            "mentions": [{"id": str(u), "username": str(u), "discriminator": "0", "avatar": None}
                         for u in sorted(self.pinged_users)],
            "mention_roles": [str(r) for r in sorted(self.pinged_roles)],
            "pinned": False, "type": 19 if self.reference_id else 0, "flags": self.flags,
            "reactions": [{"emoji": {"id": None, "name": e}, "count": len(us), "me": False,
                           "count_details": {"burst": 0, "normal": len(us)}, "burst_colors": [],
                           "me_burst": False, "burst_me": False, "burst_count": 0}
                          for e, us in self.reactions.items() if us],
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if member is not None:
            member_data = member.payload()
            member_data.pop("user")
            data["member"] = member_data
        if self.webhook_id:
            data["webhook_id"] = str(self.webhook_id)
        if self.reference_id:
            data["message_reference"] = {"message_id": str(self.reference_id), "channel_id": str(self.channel_id),
                                         **({"guild_id": str(self.guild_id)} if self.guild_id else {})}
            data["referenced_message"] = referenced.payload() if referenced else None
        return data


USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


def resolve_pings(content: str, allowed: dict[str, Any] | None, guild: Guild | None, author_id: int,
                  replied_author: int | None, channel_id: int | None = None) -> tuple[set[int], set[int], bool]:
    """Who a message really pings: Discord's allowed_mentions rules, then the author's Mention Everyone.

    A role ping notifies only if the role is mentionable or the author has Mention Everyone in the channel
    (its overwrites count); @everyone and @here need Mention Everyone too.
    """
    users_in_text = {int(u) for u in USER_MENTION.findall(content)}
    roles_in_text = {int(r) for r in ROLE_MENTION.findall(content)}
    everyone_in_text = "@everyone" in content or "@here" in content
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        allowed_users: set[int] = set()
        allowed_roles: set[int] = set()
        replied = True
    else:
        parse = set(allowed.get("parse", []))
        allowed_users = {int(u) for u in allowed.get("users", [])}
        allowed_roles = {int(r) for r in allowed.get("roles", [])}
        replied = bool(allowed.get("replied_user", True))
    users = users_in_text if "users" in parse else users_in_text & allowed_users
    roles = roles_in_text if "roles" in parse else roles_in_text & allowed_roles
    author_perms = guild.permissions_of(author_id, channel_id) if guild else 0
    if guild is not None and not author_perms & PERM_MENTION_EVERYONE:
        roles = {r for r in roles if guild.roles.get(r) and guild.roles[r].mentionable}
    everyone = everyone_in_text and "everyone" in parse and bool(author_perms & PERM_MENTION_EVERYONE)
    if replied_author is not None and replied:
        users = users | {replied_author}
    return users, roles, everyone


def account_created(age: timedelta, now: datetime | None = None) -> int:
    """A user id whose snowflake says the account was created `age` ago."""
    return snowflake((now or datetime.now(UTC)) - age)
