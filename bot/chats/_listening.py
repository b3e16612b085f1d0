"""Listening: nothing said in a chat is lost, whatever the gateway or the process does.

Each chat channel and question thread has a checkpoint (storage.checkpoints): the newest message id up to which
every message in it is recorded. It moves forward only when that is known:

- a read-back records the channel's history after the checkpoint, oldest first, then moves the checkpoint to the
  newest message it read;
- a live message moves it only in a channel that is *contiguous*: read back since this gateway session began,
  with no disconnect since. From the moment a channel's read-back begins its live messages are recorded one at a
  time, in the order the gateway delivered them, so when one is recorded every earlier one has been (those that
  came before the read-back began are in the history it reads).

Messages and checkpoints go through the ingest (`_ingest.py`), which commits a checkpoint in the same
transaction as the messages handed in before it, never earlier.

Events from before a new gateway session (READY) may never arrive, so at READY, and whenever the socket drops,
no channel is contiguous until it has been read back. Reading back is idempotent (a message recorded twice is
one row), so a crash at any point costs only reading again from the last committed checkpoint.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict

import discord

from bot.chats._capture import Capture
from bot.chats._ingest import Ingest
from bot.locks import Locks
from bot.storage import Storage

log = logging.getLogger(__name__)

# Commit a long read-back's progress every so many messages (one page of history), so a crash keeps most of it.
PROGRESS_EVERY = 100
# Chat channels and threads listened to at once; forgetting one only means reading it back again, never a loss.
MAX_LISTENED = 1000


class Listening:
    """Records live chat messages, reads back what was missed, and keeps each channel's checkpoint."""

    def __init__(self, storage: Storage, client: discord.Client, capture: Capture, ingest: Ingest) -> None:
        self._storage = storage
        self._client = client
        self._capture = capture
        self._ingest = ingest
        self._order = Locks()  # per listened channel: live messages recorded one at a time, in the order they came
        self._connections = itertools.count(1)
        self._connection: int | None = None  # the gateway connection events are flowing on; None while down
        # The chat channels and threads read back (or being read back) on this connection: contiguous or not yet.
        self._listened: OrderedDict[int, bool] = OrderedDict()

    # -- the gateway ----------------------------------------------------------------------------------

    def connected(self) -> None:
        """A new gateway session (READY): what was said before it may never be delivered, so nothing is contiguous."""
        self._connection = next(self._connections)
        self._listened.clear()

    def resumed(self) -> None:
        """The session resumed (every missed event replayed): read-backs from now on may make channels contiguous."""
        self._connection = next(self._connections)

    def disconnected(self) -> None:
        """The socket dropped: nothing is contiguous (a RESUME costs only a longer read-back next time)."""
        self._connection = None
        self._listened.clear()

    def lost(self) -> None:
        """Messages were handed in but never stored: no channel is contiguous until it is read back again."""
        for channel_id in self._listened:
            self._listened[channel_id] = False

    # -- live -----------------------------------------------------------------------------------------

    async def heard(self, message: discord.Message) -> None:
        """Record a live message; in a contiguous channel, its checkpoint moves up to it."""
        channel_id = message.channel.id
        if channel_id not in self._listened:  # not a chat being listened to: there is no checkpoint to keep
            await self._capture.record(message)
            return
        async with self._order(channel_id):
            try:
                recorded = await self._capture.record(message)
            except BaseException:
                if channel_id in self._listened:  # it may be missing: the next read-back reads it again
                    self._listened[channel_id] = False
                raise
            if recorded and self._listened.get(channel_id):
                self._ingest.advance(channel_id, message.id)

    # -- reading back ---------------------------------------------------------------------------------

    async def catch_up(self) -> None:
        """Read back every chat still taking messages, its channel and its questions' threads (at every READY)."""
        for session in await self._storage.sessions.with_status("running") \
                + await self._storage.sessions.with_status("ended"):
            if await self._storage.sessions.in_channel(session.channel_id) != session:
                continue
            for post in await self._storage.posts.of_session(session.id):
                if post.kind == "opening" and post.message_id is not None:
                    await self.listen(session.channel_id, post.message_id)
                elif post.thread_id is not None:
                    await self.listen(post.thread_id, post.thread_id)

    async def listen(self, channel_id: int, start: int) -> None:
        """Read a chat channel or thread back from its checkpoint (or from message `start`, where its chat began).

        Called at READY, and when a chat opens or a question's thread is made: once it has read to the end
        with the gateway connected throughout, live messages keep the checkpoint moving.
        """
        connection = self._connection
        channel = self._client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        self._listen_to(channel_id)  # from here on its live messages keep their order
        after = max(start, await self._storage.checkpoints.get(channel_id) or 0)
        newest, count, complete = after, 0, True
        try:
            async for message in channel.history(limit=None, after=discord.Object(after), oldest_first=True):
                await self._capture.record(message)
                newest, count = message.id, count + 1
                if count % PROGRESS_EVERY == 0:
                    self._ingest.advance(channel_id, newest)
        except Exception as exc:  # refused (a permission), a dropped connection, a message that would not record
            log.warning("Could not read back #%s (%d): %s", channel, channel_id, exc,
                        exc_info=not isinstance(exc, discord.HTTPException))
            complete = False  # what was read is kept; the rest is read at the next READY
        self._ingest.advance(channel_id, newest)
        if complete and connection is not None and connection == self._connection and channel_id in self._listened:
            self._listened[channel_id] = True
        if count:
            log.info("Read back %d message(s) in #%s (%d)", count, channel, channel_id)

    def _listen_to(self, channel_id: int) -> None:
        """Note a channel as listened to (not contiguous until read back); past the cap, forget the longest listened."""
        self._listened.setdefault(channel_id, False)
        self._listened.move_to_end(channel_id)
        while len(self._listened) > MAX_LISTENED:
            self._listened.popitem(last=False)
