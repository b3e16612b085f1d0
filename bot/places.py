"""Where a server's chats are held, and where helping and thanking count besides them."""

from __future__ import annotations

from bot.storage import Storage


async def chat_channels(storage: Storage, guild_id: int) -> list[int]:
    """A server's chat channels: the configured one and every series', once each."""
    config = await storage.config.get(guild_id)
    channels = [config.chat_channel_id] if config.chat_channel_id is not None else []
    channels += [series.channel_id for series in await storage.series.all(guild_id)]
    return list(dict.fromkeys(channels))


async def counted_channels(storage: Storage, guild_id: int) -> list[int]:
    """Where helping and thanking count: the chat channels, and the channels opted in for progression."""
    return list(dict.fromkeys([*await chat_channels(storage, guild_id),
                               *await storage.progression.channels(guild_id)]))
