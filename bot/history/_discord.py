"""`/progression import`: a server's past read back from Discord's history, page by page, into the import pipeline.

One import runs per server. Each page of 100 messages is written with the channel's cursor in one transaction, so a
restart resumes where the last page ended and nothing is written twice; discord.py's HTTP client waits out 429s.
Progress is shown by editing the command's reply, at most every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import discord

from bot.clock import Clock
from bot.domain.history import PastMessage
from bot.history._importer import ChannelImport, Importer, Summary
from bot.posting import alert_hosts
from bot.storage import ImportState, Storage

log = logging.getLogger(__name__)

PAGE = 100  # Discord's most per history request
PROGRESS_EVERY = 3.0  # real seconds between two edits of the progress reply
BAR = 16  # characters in the progress bar

# Edit the command's reply with this text (fails quietly once the interaction has expired).
Show = Callable[[str], Awaitable[None]]


@dataclass
class Progress:
    """What the progress reply says: messages read, chats found, and how far through the time span each channel is."""

    channels: tuple[int, ...]
    since: datetime
    now: datetime
    started: float  # monotonic seconds
    messages: int = 0
    chats: int = 0
    reached: dict[int, datetime] = field(default_factory=dict)  # channel → the time of the newest message read there

    def share(self) -> float:
        """How far through: the average, over the channels, of the time covered (a finished channel counts whole)."""
        span = max((self.now - self.since).total_seconds(), 1.0)
        parts = [min(max((self.reached[c] - self.since).total_seconds() / span, 0.0), 1.0) if c in self.reached else 0.0
                 for c in self.channels]
        return sum(parts) / len(parts) if parts else 1.0

    def text(self, names: str) -> str:
        """"Importing #chat, #help: `█████░░░` 47% · 9,400 messages read · 12 chats found · about 40 s left"."""
        share = self.share()
        filled = round(share * BAR)
        elapsed = time.monotonic() - self.started
        left = f" · about {_duration(elapsed / share - elapsed)} left" if 0.02 < share < 1 else ""
        return (f"Importing {names}: `{'█' * filled}{'░' * (BAR - filled)}` {share:.0%} · {self.messages:,} "
                f"message{'s' if self.messages != 1 else ''} read · {self.chats:,} chat{'s' if self.chats != 1 else ''}"
                f" found{left}")


def _duration(seconds: float) -> str:
    """"40 s", "3 min", "2 h"."""
    if seconds < 90:
        return f"{max(round(seconds), 1)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"


def past(message: discord.Message, clock: Clock) -> PastMessage:
    """A message read back from Discord, as the pipeline reads it (in bot time)."""
    channel = message.channel
    return PastMessage(
        message_id=message.id, channel_id=channel.id,
        parent_id=channel.parent_id if isinstance(channel, discord.Thread) else None,
        author_id=message.author.id, author_name=message.author.display_name, author_is_bot=message.author.bot,
        content=message.content, created_at=clock.from_real(message.created_at),
        edited_at=clock.from_real(message.edited_at) if message.edited_at else None,
        reply_to=message.reference.message_id if message.reference else None,
        mentions=tuple(user.id for user in message.mentions), mention_everyone=message.mention_everyone,
        system=message.is_system())


class DiscordImports:
    """Runs and resumes `/progression import`s."""

    def __init__(self, client: discord.Client, storage: Storage, clock: Clock, *, default_zone: str,
                 progress_every: float = PROGRESS_EVERY) -> None:
        self._client = client
        self._storage = storage
        self._clock = clock
        self._default_zone = default_zone
        self.progress_every = progress_every  # real seconds between two edits of the progress reply
        self._tasks: dict[int, asyncio.Task[None]] = {}

    async def start(self, guild_id: int, channels: list[int], *, since: datetime | None, by: int,
                    show: Show) -> bool:
        """Begin an import in the background; False if one is already running in the server."""
        state = await self._storage.imports.begin(guild_id, channels, since=since, by=by, at=self._clock())
        if state is None:
            return False
        self._launch(state, show)
        return True

    async def resume(self) -> None:
        """Carry on every import a stop interrupted; their summaries go to the moderator channel."""
        for state in await self._storage.imports.running():
            if state.guild_id not in self._tasks:
                log.info("Resuming the import of server %d", state.guild_id)
                self._launch(state, None)

    def _launch(self, state: ImportState, show: Show | None) -> None:
        task = asyncio.create_task(self._run(state, show), name=f"import:{state.guild_id}")
        self._tasks[state.guild_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(state.guild_id, None))

    async def close(self) -> None:
        """Stop the running imports (they resume at the next start)."""
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait(self, guild_id: int) -> None:
        """Wait for the server's running import, if any, to end (the tests and the demo)."""
        task = self._tasks.get(guild_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, state: ImportState, show: Show | None) -> None:
        guild = self._client.get_guild(state.guild_id)
        names = ", ".join(f"<#{c}>" for c in state.channels)
        # Without a start, the span runs from the oldest message read (until one is read: from the oldest channel).
        since = state.since or min(self._clock.from_real(discord.utils.snowflake_time(c)) for c in state.channels)
        progress = Progress(state.channels, since, self._clock(), time.monotonic(), state.messages, state.chats)
        open_start = state.since is None
        try:
            if guild is None:
                raise LookupError("the bot is no longer in the server")
            importer = await Importer.start(self._storage, state.guild_id, default_zone=self._default_zone)
            shown = 0.0
            for channel_id in state.channels:
                channel = guild.get_channel(channel_id)
                if not isinstance(channel, discord.TextChannel):
                    log.warning("Import in server %d: channel %d is gone or not a text channel", guild.id, channel_id)
                    continue
                feed = importer.channel(channel.id)
                after: discord.Object | None = None  # from the channel's first message
                if channel.id in state.cursors:
                    after = discord.Object(state.cursors[channel.id])
                elif not open_start:
                    after = discord.Object(discord.utils.time_snowflake(self._clock.to_real(since)))
                page: list[discord.Message] = []
                async for message in channel.history(limit=None, after=after, oldest_first=True):
                    if open_start and not page:
                        progress.since = min(progress.since, self._clock.from_real(message.created_at))
                    page.append(message)
                    if len(page) == PAGE:
                        await self._write(importer, feed, page, progress)
                        page = []
                        if show is not None and time.monotonic() - shown >= self.progress_every:
                            shown = time.monotonic()
                            await show(progress.text(names))
                await self._write(importer, feed, page, progress, last=True)
                progress.reached[channel.id] = progress.now
            summary = await importer.finish(self._clock())
            await self._storage.imports.end(state.guild_id, at=self._clock())
            await self._tell(state.guild_id, show, _summary(summary, progress, names))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # told to whoever started it; the row says failed, so it is not resumed
            log.exception("The import of server %d failed", state.guild_id)
            await self._storage.imports.end(state.guild_id, at=self._clock(), error=str(error) or type(error).__name__)
            await self._tell(state.guild_id, show, f"The import stopped: {error}. What was read so far is kept; "
                                                   "run `/progression import` again to carry on.")

    async def _write(self, importer: Importer, feed: ChannelImport, page: list[discord.Message], progress: Progress,
                     *, last: bool = False) -> None:
        """One page into the pipeline, with the channel's cursor, in one transaction."""
        before = importer.summary.chats
        async with self._storage.transaction():
            await feed.add(past(message, self._clock) for message in page)
            if last:
                await feed.end()
            await feed.flush()
            await importer.save_posters()
            cursor = feed.newest if last else feed.cursor
            if cursor is not None:
                await self._storage.imports.advance(importer.guild_id, feed.channel_id, cursor, messages=len(page),
                                                    chats=importer.summary.chats - before, at=self._clock())
        progress.messages += len(page)
        progress.chats += importer.summary.chats - before
        if page:
            progress.reached[feed.channel_id] = self._clock.from_real(page[-1].created_at)

    async def _tell(self, guild_id: int, show: Show | None, text: str) -> None:
        """The end of an import: in the command's reply, or (after a restart) in the moderator channel."""
        if show is not None:
            await show(text)
        else:
            await alert_hosts(self._storage, self._client, guild_id, text)


def _summary(summary: Summary, progress: Progress, names: str) -> str:
    """The last word of an import."""
    months = f"; months closed: {', '.join(summary.months)}" if summary.months else ""
    return (f"Import of {names} finished: {progress.messages:,} messages read, {progress.chats:,} chats found, "
            f"{summary.members:,} members seen posting ({summary.new_members:,} no longer here){months}. "
            "`/report progression` now covers them.")
