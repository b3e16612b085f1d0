"""The bot's database as an outsider sees it: opened read-only with `sqlite3`, committed rows only.

What the bot stored is judged only from its SQLite file, never from its internals, so the benchmarks measure
whatever the bot does, however it writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class QuestionPost:
    """A question's scheduled post as the database shows it."""

    number: int
    due_at: datetime
    status: str
    message_id: int | None


class Stored:
    """The bot's database file opened read-only, as an outsider: what is committed, nothing else."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self._conn: sqlite3.Connection | None = None

    def __enter__(self) -> Stored:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        # A connection is reopened after an error: the bot may have been killed mid-write, or not created it yet.
        for attempt in range(2):
            try:
                if self._conn is None:
                    self._conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5,
                                                 check_same_thread=False)
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error:
                self.close()
                if attempt:
                    raise
        return []

    def count(self) -> int:
        """Member messages stored (every row of chat_message is one)."""
        return int(self._query("SELECT COUNT(*) FROM chat_message")[0][0])

    def ids_from(self, lowest: int) -> list[int]:
        """Stored message ids from `lowest` up (ids grow with time, so this stays small while the bot keeps up)."""
        return [int(row[0]) for row in self._query(
            "SELECT message_id FROM chat_message WHERE message_id >= ?", (lowest,))]

    def among(self, ids: list[int]) -> list[int]:
        """Those of `ids` that are stored."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [int(row[0]) for row in self._query(
            f"SELECT message_id FROM chat_message WHERE message_id IN ({marks})", tuple(ids))]

    def running_session(self) -> int | None:
        """The id of the running chat session, if any."""
        rows = self._query("SELECT id FROM chat_session WHERE status = 'running' ORDER BY id DESC LIMIT 1")
        return int(rows[0][0]) if rows else None

    def questions(self, session_id: int) -> list[QuestionPost]:
        """A session's question posts, first to last."""
        rows = self._query("SELECT question_number, due_at, status, message_id FROM scheduled_post "
                           "WHERE session_id = ? AND kind = 'question' ORDER BY due_at", (session_id,))
        return [QuestionPost(int(n), datetime.fromisoformat(str(due)), str(status),
                             None if message is None else int(message))
                for n, due, status, message in rows]


GAP_CHECK = 500  # unseen messages below the highest seen one, looked up in each poll


class CommitWatch:
    """Notes when each sent message first shows up committed in the database, polling it read-only in a thread.

    A thread, so the poll keeps its rhythm while the event loop is busy sending: sqlite3 lets go of the GIL while
    it reads. The moment a row is seen is at most one poll interval (plus a read) after its commit. Ids grow in the
    order messages are sent, so each poll reads the rows above the highest id seen so far, plus the unseen ones
    below it (at most GAP_CHECK of them): little more than what was committed since the last poll.
    """

    def __init__(self, database: Path, order: list[int], sent_at: dict[int, float], interval: float = 0.005) -> None:
        self._stored = Stored(database)
        self._order, self._sent_at = order, sent_at
        self._interval = interval
        self.seen_at: dict[int, float] = {}
        self._front = 0  # index in `order` (messages in the order sent) of the oldest one not seen yet
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="commit-watch", daemon=True)

    def __enter__(self) -> CommitWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._stored.close()

    def _run(self) -> None:
        order, seen = self._order, self.seen_at
        highest = 0
        while not self._stop.wait(self._interval):
            while self._front < len(order) and order[self._front] in seen:
                self._front += 1
            if self._front == len(order):
                continue
            # Rows above the highest seen, and the few not seen below it (committed out of order, or not yet).
            behind: list[int] = []
            for message_id in itertools.islice(order, self._front, None):
                if message_id >= highest or len(behind) == GAP_CHECK:
                    break
                if message_id not in seen:
                    behind.append(message_id)
            with contextlib.suppress(sqlite3.Error):
                found = self._stored.ids_from(max(highest + 1, order[self._front])) + self._stored.among(behind)
                now = time.monotonic()
                for message_id in found:
                    seen.setdefault(message_id, now)
                    highest = max(highest, message_id)

    def all_seen(self, ids: list[int]) -> bool:
        """Whether every one of `ids` has been seen committed."""
        return all(i in self.seen_at for i in ids)

    def latencies_ms(self, ids: list[int]) -> list[float]:
        """Send-to-seen milliseconds of those of `ids` that were seen."""
        sent_at = self._sent_at
        return [(self.seen_at[i] - sent_at[i]) * 1000 for i in ids if i in self.seen_at]

    async def wait(self, ids: list[int], *, stall: float, timeout: float) -> bool:
        """Wait until all of `ids` are seen (True), or none is seen for `stall` s, or `timeout` s pass (False)."""
        started = changed = time.monotonic()
        pending = list(ids)
        while pending:
            now = time.monotonic()
            still = [i for i in pending if i not in self.seen_at]
            if len(still) != len(pending):
                changed = now
            pending = still
            if pending and (now - changed > stall or now - started > timeout):
                return False
            await asyncio.sleep(0.01)
        return True


@dataclass(frozen=True)
class Settled:
    """The stored count once it settled (or the wait ended), how long that took, and whether the bot was still busy."""

    count: int
    seconds: float
    still_busy: bool


async def settle(database: Path, expected: int, *, cpu: Callable[[], float], timeout: float,
                 quiet_for: float = 3.0) -> Settled:
    """Wait until `expected` messages are stored, or the count stops growing while the bot idles, or `timeout` passes.

    Idle: under 5% of a core over the last `quiet_for` s. A bot deep in a backlog may store nothing for a while
    and still be working its way towards storing more, so a flat count alone does not mean it has finished.
    """
    started = changed = time.monotonic()
    count = -1
    samples: deque[tuple[float, float]] = deque()
    with Stored(database) as stored:
        while True:
            with contextlib.suppress(sqlite3.Error):
                now_count = stored.count()
                if now_count != count:
                    count, changed = now_count, time.monotonic()
            now, used = time.monotonic(), cpu()
            samples.append((now, used))
            while samples[0][0] < now - quiet_for:
                samples.popleft()
            idle = math.isnan(used) or used - samples[0][1] < 0.05 * quiet_for
            if count >= expected or (now - changed > quiet_for and idle):
                return Settled(count, now - started, False)
            if now - started > timeout:
                return Settled(count, now - started, True)
            await asyncio.sleep(0.05)
