"""The database every aggregate shares: the writer and reader connections, transactions and migrations.

Times are stored as ISO-8601 text of aware UTC datetimes, always with microseconds, so that text order is
time order and SQL comparisons on them are correct. Column names that appear in f-strings come only from
constants in this package; every value goes through a `?` parameter.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage._migrate import MIGRATIONS_DIR, Migration, apply_migrations, discover_migrations
from bot.storage._migrate import schema_version as _schema_version

log = logging.getLogger(__name__)

#: How long (seconds) a read waits, by default, for its turn behind transactions before reading around them.
READ_WAIT = 0.5


def to_text(moment: datetime, what: str) -> str:
    """Return `moment` as UTC ISO text with microseconds; naive datetimes are refused, not guessed at."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (got naive {moment!r}).")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str | None) -> datetime | None:
    """Parse stored ISO text back into an aware UTC datetime (None stays None)."""
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def required(moment: datetime | None) -> datetime:
    """Narrow a NOT NULL column's parsed value for the type checker."""
    assert moment is not None, "NOT NULL column was NULL"
    return moment


def _prepare(path: Path | str, migrations_dir: Path) -> tuple[Path | str, list[Migration]]:
    """Create the database's folder and read the migrations (blocking file work, run in a thread)."""
    migrations = discover_migrations(migrations_dir)
    if str(path) == ":memory:":
        return path, migrations
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, migrations


async def _connect(path: Path | str) -> aiosqlite.Connection:
    """Open a connection that returns Rows and leaves every transaction to us."""
    # isolation_level=None: no implicit BEGINs from the sqlite3 module; transactions are explicit here.
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    # First, so that even switching to WAL waits rather than fails if another process (a backup, a report
    # run) holds a lock. Readers need it too: a WAL reader can meet SQLITE_BUSY while the log is recovered.
    await conn.execute("PRAGMA busy_timeout=5000")
    return conn


class _Reader:
    """One read-only connection to a WAL database, opened on first need and lent to one task at a time."""

    def __init__(self, path: Path | str) -> None:
        """Open nothing yet."""
        self._path = path
        self._turn = asyncio.Lock()
        self._conn: aiosqlite.Connection | None = None
        self._closed = False

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[aiosqlite.Connection]:
        """Yield the reader for the block, after the blocks that asked for it earlier."""
        async with self._turn:
            if self._closed:
                raise RuntimeError("Storage is closed.")
            if self._conn is None:
                self._conn = await _connect(self._path)
                # A guard, not a need: a reader that wrote would bypass the write lock and BEGIN IMMEDIATE.
                await self._conn.execute("PRAGMA query_only=ON")
            yield self._conn

    async def close(self) -> None:
        """Wait for the read in progress to finish, then close the reader."""
        async with self._turn:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()


class Database:
    """One connection for transactions and the reads queued with them, plus a reader to go around a long one."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | str, *, wal: bool,
                 read_wait: float = READ_WAIT) -> None:
        """Wrap an open, migrated connection; use Database.open rather than calling this directly."""
        self._conn: aiosqlite.Connection | None = conn
        self.path = path
        # One first-come, first-served queue for transactions and for reads made outside one, because callers
        # rely on its order: a task that saw a write's effect elsewhere (the welcome the bot has just posted,
        # say) reads the row back, and a task polling for a row sees it only once its writer is done. A read
        # whose turn comes runs on the writer, which has no transaction open then. A read that has waited
        # read_wait for a transaction still running goes around it on the read-only reader instead: WAL gives
        # that connection a snapshot of the committed rows. (Running every read on the reader keeps no more
        # order and costs more: its page cache goes stale at every commit.) Without WAL (a ":memory:"
        # database cannot be shared between connections) reads wait their turn however long it takes.
        self._lock = asyncio.Lock()
        self._reader = _Reader(path) if wal else None
        self._read_wait = read_wait
        # The task inside transaction(): it reads on the writer (its own uncommitted rows included) and may
        # nest (as savepoints) without deadlocking on the lock.
        self._owner: asyncio.Task[Any] | None = None
        self._savepoints = 0
        # Moves at every commit that may change rows callers keep in memory (see transaction's ledger_only).
        self.generation = 0

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | None = None,
                   read_wait: float = READ_WAIT) -> Database:
        """Open (creating folders as needed) and migrate the database at `path`, which may be ":memory:"."""
        # File work happens in a thread so opening never blocks the event loop.
        path, migrations = await asyncio.to_thread(_prepare, path, migrations_dir or MIGRATIONS_DIR)
        in_memory = str(path) == ":memory:"
        conn = await _connect(path)
        try:
            async with conn.execute("PRAGMA journal_mode=WAL") as cursor:
                row = await cursor.fetchone()
            mode = str(row[0]).lower() if row is not None else "?"
            if not in_memory and mode != "wal":
                log.warning("SQLite refused WAL mode for %s (journal_mode=%s)", path, mode)
            await conn.execute("PRAGMA foreign_keys=ON")
            version = await apply_migrations(conn, migrations)
        except BaseException:
            await conn.close()
            raise
        log.info("Opened database %s at schema version %d", path, version)
        return cls(conn, path, wal=mode == "wal" and not in_memory, read_wait=read_wait)

    async def close(self) -> None:
        """Wait for the running transaction and reads to finish, then close every connection; safe twice."""
        if self._conn is None:
            return
        if self._owns_transaction():
            raise RuntimeError("Storage.close() was called inside a transaction; close it after the block.")
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()
        if self._reader is not None:
            await self._reader.close()
        log.info("Closed database %s", self.path)

    async def backup(self, target: Path) -> None:
        """Copy the database into a new file at `target` with SQLite's online backup (safe while the bot writes)."""
        destination = sqlite3.connect(target, check_same_thread=False)  # filled on aiosqlite's thread
        try:
            async with self._lock:
                await self._connection().backup(destination)
        finally:
            destination.close()

    @property
    def closed(self) -> bool:
        """True once close() has begun."""
        return self._conn is None

    def _connection(self) -> aiosqlite.Connection:
        """Return the writer connection, or raise a clear error after close()."""
        if self._conn is None:
            raise RuntimeError("Storage is closed.")
        return self._conn

    def _owns_transaction(self) -> bool:
        """True if the current task is inside this database's transaction()."""
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self, *, ledger_only: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one BEGIN IMMEDIATE ... COMMIT, rolling back and re-raising on any exception.

        `ledger_only` says the block writes only chat messages, their ledger rows and listening checkpoints,
        which nothing keeps in memory, so `generation` stays where it is and callers' caches stay valid.

        Transactions are serialised. Inside one, the storage methods may be called freely (their reads see
        the block's own writes), and a nested transaction() becomes a savepoint that rolls back only its own
        block. Keep blocks short: other tasks' writes wait for them, and their reads for read_wait at most.
        """
        if self._owns_transaction():
            async with self._savepoint() as conn:
                yield conn
            return
        async with self._lock:
            conn = self._connection()
            # IMMEDIATE takes the write lock up front, so a later write in the block cannot hit SQLITE_BUSY
            # half-way through (a deferred transaction cannot wait for a lock upgrade).
            await conn.execute("BEGIN IMMEDIATE")
            self._owner = asyncio.current_task()
            try:
                yield conn
                await conn.execute("COMMIT")
                if not ledger_only:
                    self.generation += 1
            except BaseException:
                # rollback() is a no-op if SQLite already ended the transaction (e.g. after SQLITE_FULL).
                await conn.rollback()
                raise
            finally:
                self._owner = None

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[aiosqlite.Connection]:
        """A nested transaction: release on success, roll back to the savepoint on an exception."""
        conn = self._connection()
        self._savepoints += 1
        name = f"heartbeat_{self._savepoints}"
        await conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
            await conn.execute(f"RELEASE {name}")
        except BaseException:
            await conn.execute(f"ROLLBACK TO {name}")
            await conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._savepoints -= 1

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """Yield a connection that shows committed rows (and this task's own, inside its transaction)."""
        conn = self._connection()
        if self._owns_transaction():
            yield conn
        elif await self._take_turn():
            try:
                yield self._connection()
            finally:
                self._lock.release()
        else:
            assert self._reader is not None, "without a reader a read waits for its turn"
            async with self._reader.lend() as reader:
                yield reader

    async def _take_turn(self) -> bool:
        """Queue behind the transactions asked for earlier; False once read_wait has passed, if there is a reader."""
        if self._reader is None:
            await self._lock.acquire()
            return True
        try:
            async with asyncio.timeout(self._read_wait):
                await self._lock.acquire()
        except TimeoutError:
            return False
        return True

    async def fetchone(self, sql: str, parameters: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        """Run one read query and return its first row."""
        async with self.reading() as conn, conn.execute(sql, parameters) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        """Run one read query and return all its rows."""
        async with self.reading() as conn, conn.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def ids(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[int]:
        """Run a query whose rows are one id each, and return the ids in order."""
        return [int(row[0]) for row in await self.fetchall(sql, parameters)]

    async def schema_version(self) -> int:
        """Return the database's schema version (PRAGMA user_version)."""
        async with self.reading() as conn:
            return await _schema_version(conn)


class Queries:
    """Base of the per-aggregate query classes, which all share one Database."""

    def __init__(self, db: Database) -> None:
        """Query `db`."""
        self._db = db
