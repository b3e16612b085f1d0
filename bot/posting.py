"""What every service that posts to Discord shares: nonces, jump links, error sentences and host alerts."""

from __future__ import annotations

import hashlib
import logging

import discord

from bot.storage import Storage

log = logging.getLogger(__name__)


def nonce(key: str) -> str:
    """Discord's nonce (25 characters at most) for a keyed post: the same key always gives the same nonce."""
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """The link that opens a message in Discord."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def describe_error(exc: Exception) -> str:
    """One line for hosts: what Discord said, without a traceback."""
    if isinstance(exc, discord.Forbidden):
        return "the bot is missing a permission there (Discord said 403 Missing Permissions)"
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {exc.status}: {exc.text or exc.response.reason}"
    return str(exc) or type(exc).__name__


async def alert_hosts(storage: Storage, client: discord.Client, guild_id: int, text: str) -> None:
    """Tell the hosts (and moderators) in the moderator channel; log it if there is none."""
    config = await storage.config.get(guild_id)
    channel = client.get_channel(config.moderator_channel_id) if config.moderator_channel_id else None
    log.warning("Alert for server %d: %s", guild_id, text)
    if not isinstance(channel, discord.TextChannel):
        return
    mentions = discord.AllowedMentions.none()
    if config.host_role_id:
        text = f"<@&{config.host_role_id}> {text}"
        mentions = discord.AllowedMentions(roles=[discord.Object(config.host_role_id)])
    try:
        await channel.send(text[:2000], allowed_mentions=mentions)
    except discord.HTTPException as exc:
        log.error("Could not alert the moderator channel of server %d: %s", guild_id, exc)


async def alert_moderators(storage: Storage, client: discord.Client, guild_id: int,
                           text: str) -> discord.Message | None:
    """Tell the moderators in the moderator channel, pinging the moderator role (not the hosts: a raid is theirs
    to handle); the post, to edit as things go on, or None if there is no channel or it was refused."""
    config = await storage.config.get(guild_id)
    channel = client.get_channel(config.moderator_channel_id) if config.moderator_channel_id else None
    log.warning("Moderator alert for server %d: %s", guild_id, text)
    if not isinstance(channel, discord.TextChannel):
        return None
    mentions = discord.AllowedMentions.none()
    if config.moderator_role_id:
        text = f"<@&{config.moderator_role_id}> {text}"
        mentions = discord.AllowedMentions(roles=[discord.Object(config.moderator_role_id)])
    try:
        return await channel.send(text[:2000], allowed_mentions=mentions)
    except discord.HTTPException as exc:
        log.error("Could not alert the moderator channel of server %d: %s", guild_id, exc)
        return None


async def edit_alert(storage: Storage, client: discord.Client, guild_id: int, channel_id: int, message_id: int,
                     text: str) -> None:
    """Bring an alert `alert_moderators` posted up to date (the role is not pinged again: edits never ping)."""
    config = await storage.config.get(guild_id)
    channel = client.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel):
        return
    if config.moderator_role_id:
        text = f"<@&{config.moderator_role_id}> {text}"
    try:
        await channel.get_partial_message(message_id).edit(content=text[:2000],
                                                           allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.warning("Could not update the alert %d in server %d: %s", message_id, guild_id, exc)
