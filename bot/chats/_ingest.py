"""Ingest: chat messages, their acts, deletes, reactions and listening checkpoints, written in group commits.

A busy chat brings thousands of messages a second; one transaction (and one fsync) each would make the database
the limit. Capture classifies each message in memory and hands the row here; a single writer task commits
whatever has gathered every FLUSH_EVERY seconds (at once past BATCH rows) in one transaction, and at shutdown.

Nothing is lost by waiting: a checkpoint moves in the same transaction as the messages before it, so what was in
memory when the process died is after the last committed checkpoint, and the next start reads it back from
Discord. When the database refuses writes (a full disk), the rows are kept and retried, and the hosts are told;
rows kept longer than KEEP_FOR, or more than KEEP_AT_MOST, are given up and their channels read back instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot import errors
from bot.storage import Act, Reaction, ReactionKey, Storage, StoredMessage

log = logging.getLogger(__name__)

FLUSH_EVERY = 0.02  # real seconds a row waits for company; well under what a member notices
BATCH = 1000  # rows that are written at once, without waiting
KEEP_FOR = 600.0  # real seconds rows are kept for a database that refuses writes
KEEP_AT_MOST = 50_000
RETRY_FIRST, RETRY_MOST = 0.2, 5.0  # real seconds between tries while the database refuses writes

# (guild id, message) pairs just committed: the newcomer desk judges first posts from committed ledger rows.
Saved = Callable[[list[tuple[int, StoredMessage]]], Awaitable[None]]


@dataclass
class _Batch:
    """Writes gathered for one transaction; later writes to the same row replace or add to earlier ones."""

    saves: dict[int, tuple[int, StoredMessage]] = field(default_factory=dict)  # message id → (guild id, row)
    acts: dict[int, list[Act]] = field(default_factory=dict)  # message id → all its acts (the latest judgement)
    reacted: dict[ReactionKey, Reaction | None] = field(default_factory=dict)  # the latest add (or None: removal)
    deletes: dict[int, None] = field(default_factory=dict)  # message ids, in order
    reactions: dict[int, int] = field(default_factory=dict)  # message id → net change
    checkpoints: dict[int, int] = field(default_factory=dict)  # channel id → newest message id
    rows: int = 0
    since: float | None = None  # when the oldest write arrived (monotonic seconds)
    last: int = 0  # the sequence number of the newest write

    def note(self, sequence: int) -> None:
        """Count one more write."""
        self.rows += 1
        self.last = sequence
        if self.since is None:
            self.since = time.monotonic()

    def absorb(self, later: _Batch) -> None:
        """Add the writes of a batch that arrived after this one."""
        self.saves.update(later.saves)
        self.acts.update(later.acts)
        for key, reaction in later.reacted.items():
            self.reacted.pop(key, None)  # keeps the order in which they last changed
            self.reacted[key] = reaction
        self.deletes.update(later.deletes)
        for message_id, delta in later.reactions.items():
            self.reactions[message_id] = self.reactions.get(message_id, 0) + delta
        for channel_id, message_id in later.checkpoints.items():
            self.checkpoints[channel_id] = max(message_id, self.checkpoints.get(channel_id, 0))
        self.rows += later.rows
        self.last = max(self.last, later.last)
        self.since = self.since if self.since is not None else later.since


class Ingest:
    """Gathers chat writes in memory and commits them in batches from one writer task."""

    def __init__(self, storage: Storage, *, saved: Saved, notify: Callable[[], Awaitable[None]],
                 trouble: Callable[[int | None, str], Awaitable[None]], lost: Callable[[], None]) -> None:
        self._storage = storage
        self._saved = saved
        self._notify = notify
        self._trouble = trouble  # the hosts are told the cause (once an hour at most)
        self._lost = lost  # rows were given up: every channel must be read back again
        self._gathering = _Batch()
        self._writing: _Batch | None = None
        self._sequence = 0  # writes handed in so far
        self._done = 0  # writes committed (or given up) so far
        self._failures = 0  # attempts the database refused so far
        self._failure: BaseException | None = None  # why the latest attempt failed, while it is being retried
        self._wake = asyncio.Event()  # something was handed in
        self._hurry = asyncio.Event()  # a full batch, or someone waiting in flush(): write (or retry) now
        self._progress = asyncio.Condition()
        self._writer: asyncio.Task[None] | None = None

    # -- handing writes in (no waiting) -----------------------------------------------------------------

    def save(self, guild_id: int, message: StoredMessage) -> None:
        """Store (or re-store, after an edit) a chat message and its ledger rows."""
        self._gathering.saves[message.message_id] = (guild_id, message)
        self._handed_in()

    def acts(self, message_id: int, acts: list[Act]) -> None:
        """Store what a message does for others (helpful acts, thanks), replacing what was handed in for it before."""
        self._gathering.acts[message_id] = acts
        self._handed_in()

    def reacted(self, key: ReactionKey, reaction: Reaction | None) -> None:
        """A reaction giver → receiver added (a Reaction) or taken off (None), after those handed in before."""
        reacted = self._gathering.reacted
        reacted.pop(key, None)
        reacted[key] = reaction
        self._handed_in()

    def delete(self, message_id: int) -> None:
        """Mark a message deleted and take it out of the ledger, its acts and the reactions on it too."""
        self._gathering.deletes[message_id] = None
        self._handed_in()

    def react(self, message_id: int, delta: int) -> None:
        """Count a reaction added (+1) or taken off (-1)."""
        self._gathering.reactions[message_id] = self._gathering.reactions.get(message_id, 0) + delta
        self._handed_in()

    def advance(self, channel_id: int, message_id: int) -> None:
        """Move a channel's checkpoint, committed with (never before) the messages handed in before it."""
        checkpoints = self._gathering.checkpoints
        checkpoints[channel_id] = max(message_id, checkpoints.get(channel_id, 0))
        self._handed_in()

    def pending(self, message_id: int) -> StoredMessage | None:
        """A message handed in but not committed yet, if it is one."""
        for batch in (self._gathering, self._writing):
            if batch is not None and message_id in batch.saves:
                return batch.saves[message_id][1]
        return None

    def _handed_in(self) -> None:
        self._sequence += 1
        self._gathering.note(self._sequence)
        if self._gathering.rows >= BATCH:
            self._hurry.set()
        if self._writer is None or self._writer.done():  # started at the first write (and again if it ever died)
            self._writer = asyncio.get_running_loop().create_task(self._write_forever(), name="heartbeat-ingest")
        self._wake.set()

    # -- waiting for the writes ---------------------------------------------------------------------------

    async def flush(self) -> None:
        """Return once everything handed in before the call is committed; raise if the database refuses it."""
        wanted, failures = self._sequence, self._failures
        if self._done >= wanted:
            return
        self._wake.set()
        self._hurry.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= wanted or self._failures > failures)
        if self._done < wanted and self._failure is not None:
            raise self._failure

    async def close(self) -> None:
        """Commit what is still in memory and stop the writer (at shutdown, before the database closes)."""
        try:
            await self.flush()
        finally:
            if self._writer is not None:
                self._writer.cancel()
                await asyncio.gather(self._writer, return_exceptions=True)
                self._writer = None

    # -- the writer ---------------------------------------------------------------------------------------

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            await self._pause(FLUSH_EVERY)  # let a burst gather into one transaction
            self._wake.clear()
            self._hurry.clear()
            batch, self._gathering = self._gathering, _Batch()
            if batch.rows:
                self._writing = batch
                try:
                    await self._write(batch)
                finally:
                    self._writing = None

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less if hurried."""
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that meets its timeout.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._hurry.wait()

    async def _write(self, batch: _Batch) -> None:
        """Commit the batch, retrying while the database refuses writes; give it up if kept too long."""
        wait = RETRY_FIRST
        while True:
            try:
                await self._commit(batch)
            except Exception as error:
                cause = errors.storage_trouble(error)
                if cause is None:
                    await self._one_by_one(batch, error)
                    break
                await self._failed(batch, error, cause)
                if batch.rows > KEEP_AT_MOST or time.monotonic() - (batch.since or 0) > KEEP_FOR:
                    log.error("Gave up %d chat write(s) the database refused for %s; reading their channels back "
                              "from Discord instead", batch.rows, cause)
                    self._lost()
                    break
                self._hurry.clear()
                await self._pause(wait)
                wait = min(wait * 2, RETRY_MOST)
                # Everything that arrived meanwhile goes in the same transaction, in its order.
                batch.absorb(self._gathering)
                self._gathering = _Batch()
            else:
                await self._committed(batch)
                break
        await self._finished(batch)

    async def _commit(self, batch: _Batch) -> None:
        """One transaction: saves and acts, reactions, deletes, counts, then the checkpoints they make safe to move."""
        storage = self._storage
        async with storage.transaction(ledger_only=True):
            await storage.messages.save_all(list(batch.saves.values()))
            await storage.acts.replace(batch.acts)
            await storage.acts.react_all(list(batch.reacted.items()))
            await storage.messages.delete_all(list(batch.deletes))
            await storage.messages.add_reactions(batch.reactions)
            await storage.checkpoints.advance_all(batch.checkpoints)

    async def _one_by_one(self, batch: _Batch, error: Exception) -> None:
        """A batch failed for a reason of its own (a row it cannot store): commit each write alone, keep the rest."""
        log.warning("A batch of %d chat write(s) failed (%s); writing them one at a time", batch.rows, error)
        saves = list(batch.saves.items())
        singles = [_Batch(saves=dict([save])) for save in saves] + [
            _Batch(acts=dict([acts])) for acts in batch.acts.items()] + [
            _Batch(reacted=dict([reacted])) for reacted in batch.reacted.items()] + [
            _Batch(deletes={message_id: None}) for message_id in batch.deletes] + [
            _Batch(reactions={message_id: delta}) for message_id, delta in batch.reactions.items()]
        # The checkpoints go last and only if every write went in: a checkpoint moves only past stored messages.
        failed = False
        for single in [*singles, _Batch(checkpoints=batch.checkpoints)]:
            if failed and single.checkpoints:
                break
            try:
                await self._commit(single)
            except Exception as single_error:
                failed = True
                errors.log_unexpected("recording a chat message", single_error)
        if failed:  # read the channels back instead
            self._lost()
        await self._committed(_Batch(saves=batch.saves))

    async def _committed(self, batch: _Batch) -> None:
        """Tell the newcomer desk about the messages just stored."""
        self._failure = None
        if batch.saves:
            try:
                await self._saved(list(batch.saves.values()))
            except Exception as error:  # the messages are stored; only a first-timer's greeting may wait
                cause = errors.storage_trouble(error)
                if cause is None:
                    errors.log_unexpected("judging first-time chatters", error)
                else:
                    await self._trouble(next(iter(batch.saves.values()))[0], cause)

    async def _failed(self, batch: _Batch, error: Exception, cause: str) -> None:
        """Let flush() callers know, and tell the hosts of a server in the batch."""
        self._failure = error
        self._failures += 1
        async with self._progress:
            self._progress.notify_all()
        guild_id = next(iter(batch.saves.values()))[0] if batch.saves else next(
            (acts[0].guild_id for acts in batch.acts.values() if acts), None)
        await self._trouble(guild_id, cause)

    async def _finished(self, batch: _Batch) -> None:
        self._done = max(self._done, batch.last)
        async with self._progress:
            self._progress.notify_all()
        await self._notify()
