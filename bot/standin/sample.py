"""A sample server for the stand-in: the GetReal community, with named members, channels and roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.standin.model import (
    PERM_ADMINISTRATOR,
    PERM_MANAGE_EVENTS,
    PERM_MODERATE_MEMBERS,
    PERM_SEND_MESSAGES,
    PERM_VIEW_CHANNEL,
    Channel,
    Guild,
    Overwrite,
    Role,
    User,
)
from bot.standin.server import StandIn

MEMBER_NAMES = (
    "Priya", "Marcus", "Lena", "Tomás", "Aisha", "Jonah", "Mei", "Rafael", "Grace", "Kwame", "Sofia", "Dmitri",
    "Hana", "Oliver", "Fatima", "Noah", "Ines", "Yusuf", "Chloe", "Arjun", "Beatriz", "Emeka", "Freya", "Luis",
    "Nadia", "Owen", "Sakura", "Tariq", "Uma", "Viktor",
)


@dataclass
class SampleServer:
    """Handles on everything in the sample server, for scenes and tests."""

    standin: StandIn
    guild: Guild
    admin: User
    host: User
    moderator: User
    helper: User
    members: list[User]
    roles: dict[str, Role] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)

    def member(self, name: str) -> User:
        """A sample member by name."""
        return next(u for u in [self.admin, self.host, self.moderator, self.helper, *self.members] if u.name == name)


def build_sample(standin: StandIn, *, now: datetime | None = None) -> SampleServer:
    """Create the GetReal server in the stand-in (before the bot connects)."""
    now = now or datetime.now(UTC)
    admin = standin.add_user("Ana", account_age=timedelta(days=2000))
    guild = standin.add_guild("GetReal Community", owner=admin)
    roles = {
        "heartbeat": standin.add_role(guild, "Heartbeat", (1 << 28) | PERM_MANAGE_EVENTS | PERM_VIEW_CHANNEL
                                      | PERM_SEND_MESSAGES | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6)
                                      # No Mention Everyone, as the invite URL asks (bot/permissions.py).
                                      | (1 << 35) | (1 << 38)),
        "admins": standin.add_role(guild, "Admins", PERM_ADMINISTRATOR),
        "moderators": standin.add_role(guild, "Moderators", PERM_MODERATE_MEMBERS),
        "hosts": standin.add_role(guild, "Chat Hosts"),
        "helpers": standin.add_role(guild, "Helpers", mentionable=True),
        "notify": standin.add_role(guild, "Chat Pings", mentionable=True),
    }
    # Discord puts a bot's own role above the roles created after it; keep the notify role assignable.
    roles["heartbeat"].position = 10
    guild.members[standin.bot_user.id].roles.append(roles["heartbeat"].id)
    mods_only = [Overwrite(guild.id, 0, deny=PERM_VIEW_CHANNEL),
                 Overwrite(roles["moderators"].id, 0, allow=PERM_VIEW_CHANNEL),
                 Overwrite(roles["heartbeat"].id, 0, allow=PERM_VIEW_CHANNEL)]
    channels = {
        "general": standin.add_channel(guild, "general"),
        "chat": standin.add_channel(guild, "getreal-chat"),
        "welcome": standin.add_channel(guild, "welcome"),
        "mod-log": standin.add_channel(guild, "mod-log", overwrites=mods_only),
        "rules": standin.add_channel(guild, "rules", overwrites=[Overwrite(guild.id, 0, deny=PERM_SEND_MESSAGES)]),
    }
    host = standin.add_user("Jess", account_age=timedelta(days=1500))
    moderator = standin.add_user("Sam", account_age=timedelta(days=1200))
    helper = standin.add_user("Riley", account_age=timedelta(days=900))
    standin.add_member(guild, admin, roles=[roles["admins"]], joined_at=now - timedelta(days=700))
    standin.add_member(guild, host, roles=[roles["hosts"]], joined_at=now - timedelta(days=600))
    standin.add_member(guild, moderator, roles=[roles["moderators"]], joined_at=now - timedelta(days=500))
    standin.add_member(guild, helper, roles=[roles["helpers"]], joined_at=now - timedelta(days=300))
    members = []
    for index, name in enumerate(MEMBER_NAMES):
        user = standin.add_user(name, account_age=timedelta(days=200 + 37 * index))
        standin.add_member(guild, user, joined_at=now - timedelta(days=5 + 9 * index))
        members.append(user)
    return SampleServer(standin=standin, guild=guild, admin=admin, host=host, moderator=moderator, helper=helper,
                        members=members, roles=roles, channels=channels)
