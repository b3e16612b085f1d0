"""The Discord permissions Heartbeat needs, in one place: the invite URL and `/config status` both read them."""

from __future__ import annotations

import discord

# What each configured channel must allow the bot, and why.
CHANNEL_NEEDS: dict[str, discord.Permissions] = {
    # Chat posts, question threads, transcripts attached as files, and reading back history after a restart.
    "chat": discord.Permissions(view_channel=True, send_messages=True, embed_links=True, attach_files=True,
                                read_message_history=True, create_public_threads=True,
                                send_messages_in_threads=True),
    "welcome": discord.Permissions(view_channel=True, send_messages=True, embed_links=True),
    # Newcomer reports go here with a CSV attached.
    "moderator": discord.Permissions(view_channel=True, send_messages=True, embed_links=True, attach_files=True),
}

# Server-wide: Discord scheduled events for each session, the opt-in notify role, and the role a server grants on
# reaching helper or leader (/progression settings).
GUILD_NEEDS = discord.Permissions(manage_events=True, manage_roles=True)


def required_permissions() -> discord.Permissions:
    """Everything the bot's features need: the union of the lists above."""
    value = GUILD_NEEDS.value
    for needs in CHANNEL_NEEDS.values():
        value |= needs.value
    return discord.Permissions(value)


def invite_url(client_id: int) -> str:
    """The OAuth2 URL that adds the bot with the `bot` and `applications.commands` scopes."""
    return discord.utils.oauth_url(client_id, permissions=required_permissions(),
                                   scopes=("bot", "applications.commands"))


# The roles the bot pings, and what the ping is for.
PINGED_ROLES: dict[str, str] = {"notify": "chat reminders", "helper": "greetings for first-time chatters",
                                "host": "alerts"}


def ping_problem(kind: str, role: discord.Role, me: discord.Member) -> str | None:
    """Why the bot's pings of this role would notify nobody, and what to change; None if they notify."""
    # Discord drops a role ping unless the role is mentionable or the sender has Mention Everyone.
    if kind not in PINGED_ROLES or role.mentionable or me.guild_permissions.mention_everyone:
        return None
    return (f"{role.mention} is not mentionable and I lack Mention Everyone, so my {PINGED_ROLES[kind]} won't notify "
            f"it: turn on “Allow anyone to @mention this role” in Server Settings › Roles › {role.name}, "
            "or give my role Mention Everyone.")


def display_name(permission: str) -> str:
    """'manage_events' → 'Manage Events', as Discord's settings show it."""
    return permission.replace("_", " ").title()


def missing(have: discord.Permissions, need: discord.Permissions) -> list[str]:
    """Names of the permissions in `need` that `have` lacks, in Discord's wording."""
    return [display_name(name) for name, wanted in need if wanted and not getattr(have, name)]
