"""Who posted before the bot came: a server's chat channels read back once, when the bot first sees the server (and
a chat channel configured later, when it is first used), so its regulars are not greeted as first-timers."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.locks import Locks
from bot.places import counted_channels

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)

#: How far back a channel is read, and how many of its messages at most: enough to know a server's regulars.
READ_BACK_DAYS = 90
READ_BACK_MESSAGES = 5_000
PAGE = 100  # Discord's largest page of channel history
#: When a read-back cut short by Discord (a 5xx, a dropped connection) is tried again.
RETRY_READ_BACK = timedelta(minutes=5)


@dataclass
class ChannelCursor:
    """How far one channel's read-back got: read next the messages before `before` and after `after` (ids)."""

    before: int
    after: int
    read: int = 0
    state: str = "reading"  # 'reading', 'done', or 'skipped' (the bot cannot read it)


def key(guild_id: int) -> str:
    """The server's read-back cursor in bot_meta: JSON, channel id → ChannelCursor."""
    return f"readback:{guild_id}"


class ReadBack:
    """Reads a server's chat channels back, newest first, page by page, under the job `readback:<server>`.

    Each page's authors (members, not bots) are recorded in storage.prior_posters in the same transaction as the
    cursor moving past them, so a restart half-way resumes where the last page ended and reads nothing twice.
    """

    def __init__(self, bot: Heartbeat, notify: Callable[[], Awaitable[None]]) -> None:
        self.bot = bot
        self._notify = notify
        self._locks = Locks()

    async def restore(self) -> None:
        """Resume every read-back a stop cut short."""
        for guild in self.bot.guilds:
            cursors = await self._cursors(guild.id)
            if any(cursor.state == "reading" for cursor in cursors.values()):
                self._schedule(guild.id)

    async def begin(self, guild_id: int) -> None:
        """The bot sees this server for the first time: read back its chat channels (configured, each series',
        and those opted in for progression)."""
        await self.add(guild_id, await counted_channels(self.bot.storage, guild_id))

    async def add(self, guild_id: int, channel_ids: Iterable[int]) -> None:
        """Read these channels back, those not read yet (or skipped as unreadable then): up to now, in the
        background."""
        # Discord ids carry real time, whatever the bot's clock says: the read covers what was said before now.
        now = discord.utils.utcnow()
        before = discord.utils.time_snowflake(now, high=True)
        after = discord.utils.time_snowflake(now - timedelta(days=READ_BACK_DAYS))
        async with self._locks(("cursor", guild_id)):
            cursors = await self._cursors(guild_id)
            added = [channel_id for channel_id in dict.fromkeys(channel_ids)
                     if channel_id not in cursors or cursors[channel_id].state == "skipped"]
            if not added:
                return
            for channel_id in added:
                cursors[channel_id] = ChannelCursor(before=before, after=after)
            await self._save(guild_id, cursors)
        log.info("Reading back who posted in %d channel(s) of server %d", len(added), guild_id)
        self._schedule(guild_id)

    def _schedule(self, guild_id: int) -> None:
        self.bot.jobs.at(key(guild_id), self.bot.clock(), self.read, guild_id)

    async def read(self, guild_id: int) -> None:
        """Read every channel of the server still to read, one page at a time, to its end."""
        async with self._locks(("read", guild_id)):  # a second run waits, then finds nothing left to read
            while not self.bot.jobs.stopping and (channel_id := await self._next(guild_id)) is not None:
                try:
                    await self._page(guild_id, channel_id)
                except (discord.Forbidden, discord.NotFound) as exc:
                    await self._skip(guild_id, channel_id, f"Discord refused it ({exc.text or exc.status})")
                except Exception as exc:  # Discord failing for now (5xx after retries, a dropped connection)
                    log.warning("Reading back channel %d of server %d failed (%s); trying again in %s",
                                channel_id, guild_id, exc, RETRY_READ_BACK)
                    self.bot.jobs.at(key(guild_id), self.bot.clock() + RETRY_READ_BACK, self.read, guild_id)
                    return
                await self._notify()
        if await self._cursors(guild_id) and await self._next(guild_id) is None:
            log.info("Read back server %d: %d member(s) had posted before", guild_id,
                     await self.bot.storage.prior_posters.count(guild_id))

    async def _next(self, guild_id: int) -> int | None:
        cursors = await self._cursors(guild_id)
        return next((channel_id for channel_id, cursor in cursors.items() if cursor.state == "reading"), None)

    async def _page(self, guild_id: int, channel_id: int) -> None:
        """Read the channel's next page back and record its authors with the cursor moved past them."""
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread) or channel.guild.id != guild_id:
            await self._skip(guild_id, channel_id, "it is not a text channel I can see")
            return
        allowed = channel.permissions_for(channel.guild.me)
        if not (allowed.view_channel and allowed.read_message_history):
            await self._skip(guild_id, channel_id, "I lack View Channel or Read Message History there")
            return
        cursor = (await self._cursors(guild_id))[channel_id]
        page = [message async for message in channel.history(limit=PAGE, before=discord.Object(cursor.before))]
        kept = [message for message in page if message.id > cursor.after][:READ_BACK_MESSAGES - cursor.read]
        posted: dict[int, datetime] = {}
        for message in kept:
            if not (message.author.bot or message.webhook_id or message.is_system()):  # members' own words
                at = self.bot.clock.from_real(message.created_at)
                posted[message.author.id] = max(at, posted.get(message.author.id, at))
        read = cursor.read + len(kept)
        finished = len(page) < PAGE or len(kept) < len(page) or read >= READ_BACK_MESSAGES
        moved = ChannelCursor(before=min((m.id for m in page), default=cursor.before), after=cursor.after, read=read,
                              state="done" if finished else "reading")
        storage = self.bot.storage
        async with self._locks(("cursor", guild_id)), storage.transaction():
            await storage.prior_posters.record(guild_id, posted)
            await self._update(guild_id, channel_id, moved)
        if finished:
            log.info("Read back %d message(s) of channel %d in server %d", read, channel_id, guild_id)

    async def _skip(self, guild_id: int, channel_id: int, why: str) -> None:
        """Leave a channel the bot cannot read (the others are read on); configuring it again tries it again."""
        log.warning("Not reading back channel %d of server %d: %s", channel_id, guild_id, why)
        async with self._locks(("cursor", guild_id)):
            cursors = await self._cursors(guild_id)
            cursors[channel_id].state = "skipped"
            await self._save(guild_id, cursors)

    async def _update(self, guild_id: int, channel_id: int, cursor: ChannelCursor) -> None:
        cursors = await self._cursors(guild_id)
        cursors[channel_id] = cursor
        await self._save(guild_id, cursors)

    async def _cursors(self, guild_id: int) -> dict[int, ChannelCursor]:
        stored = await self.bot.storage.meta.get(key(guild_id))
        if stored is None:
            return {}
        return {int(channel_id): ChannelCursor(**fields) for channel_id, fields in json.loads(stored).items()}

    async def _save(self, guild_id: int, cursors: dict[int, ChannelCursor]) -> None:
        await self.bot.storage.meta.set(key(guild_id), json.dumps(
            {str(channel_id): asdict(cursor) for channel_id, cursor in cursors.items()}))
