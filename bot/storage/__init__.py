"""The only module with SQL: one aiosqlite connection, serialised transactions and typed queries.

Times are stored as ISO-8601 text of aware UTC datetimes, always with microseconds, so that text
order is time order and SQL comparisons on them are correct. Column names that appear in f-strings
come only from constants in this module; every value goes through a `?` parameter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import aiosqlite

from bot.domain.running import PlannedPost
from bot.storage._migrate import (
    MIGRATIONS_DIR,
    Migration,
    MigrationError,
    SchemaTooNewError,
    apply_migrations,
    discover_migrations,
)
from bot.storage._migrate import schema_version as _schema_version

__all__ = [
    "ChatSession",
    "ScheduledPost",
    "StoredMessage",
    "Transcript",
    "GuildConfig",
    "Series",
    "Member",
    "Newcomer",
    "NewcomerChat",
    "NewcomerReview",
    "WelcomeConfig",
    "MigrationError",
    "SchemaTooNewError",
    "Storage",
    "MIGRATIONS_DIR",
]

log = logging.getLogger(__name__)


def _to_text(moment: datetime, what: str) -> str:
    """Return `moment` as UTC ISO text with microseconds; naive datetimes are refused, not guessed at."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (got naive {moment!r}).")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _from_text(text: str | None) -> datetime | None:
    """Parse stored ISO text back into an aware UTC datetime (None stays None)."""
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


class DuplicateName(ValueError):
    """A series with that name already exists in the server."""


@dataclass(frozen=True)
class GuildConfig:
    """A server's settings; every field is None until an admin sets it."""

    #: The columns admins may change through update_guild_config, in display order.
    SETTABLE: ClassVar[tuple[str, ...]] = (
        "chat_channel_id",
        "welcome_channel_id",
        "moderator_channel_id",
        "host_role_id",
        "moderator_role_id",
        "helper_role_id",
        "notify_role_id",
        "timezone",
    )

    guild_id: int
    chat_channel_id: int | None = None
    welcome_channel_id: int | None = None
    moderator_channel_id: int | None = None
    host_role_id: int | None = None
    moderator_role_id: int | None = None
    helper_role_id: int | None = None
    notify_role_id: int | None = None
    timezone: str | None = None
    updated_at: datetime | None = None
    updated_by: int | None = None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> GuildConfig:
        """Build a GuildConfig from a guild_config row."""
        values: dict[str, Any] = {name: row[name] for name in ("guild_id", *cls.SETTABLE, "updated_by")}
        return cls(**values, updated_at=_from_text(row["updated_at"]))


@dataclass(frozen=True)
class Member:
    """A member as the bot saw them join (and perhaps leave) one server."""

    guild_id: int
    user_id: int
    display_name: str
    account_created_at: datetime
    first_joined_at: datetime
    last_joined_at: datetime
    left_at: datetime | None
    join_count: int

    @property
    def present(self) -> bool:
        """True while the member is in the server (no leave recorded since their last join)."""
        return self.left_at is None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> Member:
        """Build a Member from a members row."""
        return cls(
            guild_id=row["guild_id"],
            user_id=row["user_id"],
            display_name=row["display_name"],
            account_created_at=_required(_from_text(row["account_created_at"])),
            first_joined_at=_required(_from_text(row["first_joined_at"])),
            last_joined_at=_required(_from_text(row["last_joined_at"])),
            left_at=_from_text(row["left_at"]),
            join_count=row["join_count"],
        )


@dataclass(frozen=True)
class Series:
    """A weekly chat series as stored; durations in whole seconds."""

    id: int
    guild_id: int
    name: str
    hashtag: str
    channel_id: int
    weekday: int
    local_time: time
    timezone: str
    duration_seconds: int
    spacing_seconds: int
    first_question_seconds: int
    pacing: str
    use_threads: bool
    paused: bool
    created_by: int
    created_at: datetime
    #: How long before each session a reminder goes out, in seconds, longest first.
    reminders: tuple[int, ...] = (86400, 3600)

    #: Columns a host may change with update_series.
    EDITABLE: ClassVar[tuple[str, ...]] = (
        "name", "hashtag", "channel_id", "weekday", "local_time", "timezone", "duration_seconds",
        "spacing_seconds", "first_question_seconds", "pacing", "use_threads", "paused", "reminders",
    )

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> Series:
        """Build a Series from a chat_series row."""
        return cls(
            id=row["id"], guild_id=row["guild_id"], name=row["name"], hashtag=row["hashtag"],
            channel_id=row["channel_id"], weekday=row["weekday"], local_time=time.fromisoformat(row["local_time"]),
            timezone=row["timezone"], duration_seconds=row["duration_seconds"],
            spacing_seconds=row["spacing_seconds"], first_question_seconds=row["first_question_seconds"],
            pacing=row["pacing"], use_threads=bool(row["use_threads"]), paused=bool(row["paused"]),
            created_by=row["created_by"], created_at=_required(_from_text(row["created_at"])),
            reminders=tuple(int(part) for part in row["reminders"].split(",") if part),
        )


@dataclass(frozen=True)
class ChatSession:
    """One occurrence of a series (or an ad hoc chat)."""

    id: int
    series_id: int | None
    guild_id: int
    channel_id: int
    series_name: str
    hashtag: str
    timezone: str
    starts_at: datetime
    topic: str | None
    guest: str | None
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    event_id: int | None
    started_by: int | None = None
    ends_at: datetime | None = None
    held_at: datetime | None = None
    duration_seconds: int | None = None
    spacing_seconds: int | None = None
    pacing: str | None = None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> ChatSession:
        """Build a ChatSession from a chat_session row."""
        return cls(
            id=row["id"], series_id=row["series_id"], guild_id=row["guild_id"], channel_id=row["channel_id"],
            series_name=row["series_name"], hashtag=row["hashtag"], timezone=row["timezone"],
            starts_at=_required(_from_text(row["starts_at"])), topic=row["topic"], guest=row["guest"],
            status=row["status"], started_at=_from_text(row["started_at"]), ended_at=_from_text(row["ended_at"]),
            event_id=row["event_id"], started_by=row["started_by"], ends_at=_from_text(row["ends_at"]),
            held_at=_from_text(row["held_at"]), duration_seconds=row["duration_seconds"],
            spacing_seconds=row["spacing_seconds"], pacing=row["pacing"],
        )


@dataclass(frozen=True)
class ScheduledPost:
    """A post the bot makes on a schedule (opening, question, closing, recap), under a stable key."""

    key: str
    session_id: int | None
    kind: str
    channel_id: int
    due_at: datetime
    status: str
    message_id: int | None
    attempts: int
    last_error: str | None
    posted_at: datetime | None
    question_number: int | None
    thread_id: int | None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> ScheduledPost:
        """Build a ScheduledPost from a scheduled_post row."""
        return cls(key=row["key"], session_id=row["session_id"], kind=row["kind"], channel_id=row["channel_id"],
                   due_at=_required(_from_text(row["due_at"])), status=row["status"], message_id=row["message_id"],
                   attempts=row["attempts"], last_error=row["last_error"], posted_at=_from_text(row["posted_at"]),
                   question_number=row["question_number"], thread_id=row["thread_id"])


@dataclass(frozen=True)
class StoredMessage:
    """A member's message in a running chat, as kept for the transcript and the activity ledger."""

    message_id: int
    session_id: int
    author_id: int
    author_name: str
    content: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    reply_to_author_id: int | None
    question_number: int | None
    reactions: int

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> StoredMessage:
        """Build a StoredMessage from a chat_message row."""
        return cls(message_id=row["message_id"], session_id=row["session_id"], author_id=row["author_id"],
                   author_name=row["author_name"], content=row["content"],
                   created_at=_required(_from_text(row["created_at"])), edited_at=_from_text(row["edited_at"]),
                   deleted=bool(row["deleted"]), reply_to_author_id=row["reply_to_author_id"],
                   question_number=row["question_number"], reactions=row["reactions"])


@dataclass(frozen=True)
class Transcript:
    """A finished session's recap and transcripts."""

    session_id: int
    recap: str
    markdown: str
    html: str
    created_at: datetime


@dataclass(frozen=True)
class WelcomeConfig:
    """How a server welcomes people (template None means the built-in one), and its welcome desk's state."""

    guild_id: int
    template: str | None = None
    dm: bool = False
    ping_helpers: bool = True
    burst_since: datetime | None = None
    last_welcome_at: datetime | None = None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> WelcomeConfig:
        """Build a WelcomeConfig from a welcome_config row."""
        return cls(guild_id=row["guild_id"], template=row["template"], dm=bool(row["dm"]),
                   ping_helpers=bool(row["ping_helpers"]), burst_since=_from_text(row["burst_since"]),
                   last_welcome_at=_from_text(row["last_welcome_at"]))


@dataclass(frozen=True)
class Newcomer:
    """A member's first steps in a server: their welcome, first message, flags and who greeted them."""

    guild_id: int
    user_id: int
    welcome: str
    welcomed_at: datetime | None
    first_message_id: int | None
    first_channel_id: int | None
    first_message_at: datetime | None
    first_message_text: str | None
    link_in_first: bool
    mass_mentions: bool
    repeated_text: bool
    greeted_by: int | None
    greeted_at: datetime | None
    greeting_message_id: int | None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> Newcomer:
        """Build a Newcomer from a newcomer row."""
        return cls(guild_id=row["guild_id"], user_id=row["user_id"], welcome=row["welcome"],
                   welcomed_at=_from_text(row["welcomed_at"]), first_message_id=row["first_message_id"],
                   first_channel_id=row["first_channel_id"], first_message_at=_from_text(row["first_message_at"]),
                   first_message_text=row["first_message_text"], link_in_first=bool(row["link_in_first"]),
                   mass_mentions=bool(row["mass_mentions"]), repeated_text=bool(row["repeated_text"]),
                   greeted_by=row["greeted_by"], greeted_at=_from_text(row["greeted_at"]),
                   greeting_message_id=row["greeting_message_id"])


@dataclass(frozen=True)
class NewcomerReview:
    """A moderator's latest review of a newcomer."""

    status: str
    reviewer_id: int
    reviewed_at: datetime


@dataclass(frozen=True)
class NewcomerChat:
    """A chat a member took part in (posted or checked in), and whether they answered or hosted."""

    session_id: int
    hashtag: str
    timezone: str
    started_at: datetime
    answered: bool
    hosted: bool


def _required(moment: datetime | None) -> datetime:
    """Narrow a NOT NULL column's parsed value for the type checker."""
    assert moment is not None, "NOT NULL column was NULL"
    return moment


def _check_config_value(key: str, value: int | str | None) -> None:
    """Reject a value of the wrong type for a guild_config column before it reaches the database."""
    if value is None:
        return
    if key == "timezone":
        if not isinstance(value, str) or not value:
            raise TypeError(f"timezone must be a non-empty string or None (got {value!r}).")
    elif not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise TypeError(f"{key} must be a positive integer Discord ID or None (got {value!r}).")


def _prepare(path: Path | str, migrations_dir: Path) -> tuple[Path | str, list[Migration]]:
    """Create the database's folder and read the migrations (blocking file work, run in a thread)."""
    migrations = discover_migrations(migrations_dir)
    if str(path) == ":memory:":
        return path, migrations
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, migrations


class Storage:
    """One aiosqlite connection with serialised transactions; open it with `await Storage.open(path)`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path | str) -> None:
        """Wrap an open, migrated connection; use Storage.open rather than calling this directly."""
        self._conn: aiosqlite.Connection | None = conn
        self.path = path
        # One lock for writes and reads alike: on a shared connection a read during another
        # coroutine's transaction would otherwise see that transaction's uncommitted rows.
        self._lock = asyncio.Lock()
        # The task inside transaction(): it may read and nest (as savepoints) without deadlocking on the lock.
        self._owner: asyncio.Task[Any] | None = None
        self._savepoints = 0

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | None = None) -> Storage:
        """Open (creating folders as needed) and migrate the database at `path`, which may be ":memory:"."""
        # File work happens in a thread so opening never blocks the event loop.
        path, migrations = await asyncio.to_thread(_prepare, path, migrations_dir or MIGRATIONS_DIR)
        in_memory = str(path) == ":memory:"
        # isolation_level=None: no implicit BEGINs from the sqlite3 module; transactions are explicit here.
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            # First, so that even switching to WAL waits rather than fails if another process (a backup,
            # a report run) holds a lock.
            await conn.execute("PRAGMA busy_timeout=5000")
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
        return cls(conn, path)

    async def close(self) -> None:
        """Wait for any running transaction to finish, then close the connection; safe to call twice."""
        if self._conn is None:
            return
        if self._owner is not None and self._owner is asyncio.current_task():
            raise RuntimeError("Storage.close() was called inside a transaction; close it after the block.")
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()
                log.info("Closed database %s", self.path)

    async def __aenter__(self) -> Storage:
        """Allow `async with await Storage.open(...) as storage:`."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close on leaving the block."""
        await self.close()

    @property
    def closed(self) -> bool:
        """True once close() has run."""
        return self._conn is None

    def _connection(self) -> aiosqlite.Connection:
        """Return the open connection, or raise a clear error after close()."""
        if self._conn is None:
            raise RuntimeError("Storage is closed.")
        return self._conn

    def _owns_transaction(self) -> bool:
        """True if the current task is inside this Storage's transaction()."""
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one BEGIN IMMEDIATE ... COMMIT, rolling back and re-raising on any exception.

        Transactions are serialised. Inside one, this Storage's methods may be called freely, and a
        nested transaction() becomes a savepoint that rolls back only its own block. Keep blocks short:
        other coroutines' reads wait for them.
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
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """Yield the connection for reads, waiting for other tasks' transactions to finish first."""
        if self._owns_transaction():
            yield self._connection()
            return
        async with self._lock:
            yield self._connection()

    async def _fetchone(self, sql: str, parameters: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        """Run one read query and return its first row."""
        async with self._reading() as conn, conn.execute(sql, parameters) as cursor:
            return await cursor.fetchone()

    async def _ids(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[int]:
        """Run a query whose rows are one id each, and return the ids in order."""
        async with self._reading() as conn, conn.execute(sql, parameters) as cursor:
            rows = await cursor.fetchall()
        return [int(row[0]) for row in rows]

    async def schema_version(self) -> int:
        """Return the database's schema version (PRAGMA user_version)."""
        async with self._reading() as conn:
            return await _schema_version(conn)

    # --- guild_config -------------------------------------------------------------------------------

    async def get_guild_config(self, guild_id: int) -> GuildConfig:
        """Return a server's configuration; a server never configured gets an all-None GuildConfig."""
        row = await self._fetchone("SELECT * FROM guild_config WHERE guild_id = ?", (guild_id,))
        return GuildConfig(guild_id=guild_id) if row is None else GuildConfig._from_row(row)

    async def update_guild_config(
        self,
        guild_id: int,
        changes: Mapping[str, int | str | None],
        *,
        updated_by: int,
        now: datetime,
    ) -> GuildConfig:
        """Set the given SETTABLE fields (None clears one) and return the whole new configuration.

        Unknown keys raise ValueError and wrong types raise TypeError before anything is written.
        """
        unknown = sorted(set(changes) - set(GuildConfig.SETTABLE))
        if unknown:
            raise ValueError(
                f"Unknown guild config field(s) {', '.join(unknown)}; allowed: {', '.join(GuildConfig.SETTABLE)}."
            )
        for key, value in changes.items():
            _check_config_value(key, value)
        updated_at = _to_text(now, "now")
        if not changes:
            return await self.get_guild_config(guild_id)
        # Keep SETTABLE's order so the statement text is stable; names are validated against SETTABLE above.
        columns = [name for name in GuildConfig.SETTABLE if name in changes]
        insert_columns = ", ".join(["guild_id", *columns, "updated_at", "updated_by"])
        placeholders = ", ".join("?" for _ in range(len(columns) + 3))
        assignments = ", ".join(f"{name} = excluded.{name}" for name in [*columns, "updated_at", "updated_by"])
        sql = (
            f"INSERT INTO guild_config ({insert_columns}) VALUES ({placeholders}) "
            f"ON CONFLICT (guild_id) DO UPDATE SET {assignments}"
        )
        parameters = (guild_id, *(changes[name] for name in columns), updated_at, updated_by)
        async with self.transaction() as conn:
            await conn.execute(sql, parameters)
            config = await self.get_guild_config(guild_id)
        log.info("Guild %s config changed by %s: %s", guild_id, updated_by, ", ".join(columns))
        return config

    # --- bot_meta -----------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """Return a bot_meta value, or None if it was never set."""
        row = await self._fetchone("SELECT value FROM bot_meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set_meta(self, key: str, value: str) -> None:
        """Set (insert or replace) a bot_meta value."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # --- members ------------------------------------------------------------------------------------

    async def record_member_join(
        self,
        guild_id: int,
        user_id: int,
        display_name: str,
        account_created_at: datetime,
        joined_at: datetime,
    ) -> Member:
        """Record a join and return the member: new members start at join_count 1, a rejoin adds one.

        A join at or before the last recorded one (a replayed gateway event) only refreshes the
        display name, so replays never inflate join_count.
        """
        created_text = _to_text(account_created_at, "account_created_at")
        joined_text = _to_text(joined_at, "joined_at")
        async with self.transaction() as conn:
            existing = await self.get_member(guild_id, user_id)
            if existing is None:
                await conn.execute(
                    "INSERT INTO members (guild_id, user_id, display_name, account_created_at, "
                    "first_joined_at, last_joined_at, left_at, join_count) "
                    "VALUES (?, ?, ?, ?, ?, ?, NULL, 1)",
                    (guild_id, user_id, display_name, created_text, joined_text, joined_text),
                )
            elif joined_at > existing.last_joined_at:
                await conn.execute(
                    "UPDATE members SET display_name = ?, last_joined_at = ?, left_at = NULL, "
                    "join_count = join_count + 1 WHERE guild_id = ? AND user_id = ?",
                    (display_name, joined_text, guild_id, user_id),
                )
            else:
                log.debug("Ignoring replayed join of %s in guild %s", user_id, guild_id)
                await conn.execute(
                    "UPDATE members SET display_name = ? WHERE guild_id = ? AND user_id = ?",
                    (display_name, guild_id, user_id),
                )
            member = await self.get_member(guild_id, user_id)
        return _required_member(member)

    async def record_member_leave(self, guild_id: int, user_id: int, left_at: datetime) -> bool:
        """Record that a member left; return False if unknown or the leave predates their last join."""
        left_text = _to_text(left_at, "left_at")
        async with self.transaction() as conn:
            # The last_joined_at guard drops a stale leave event that arrives after a newer rejoin.
            cursor = await conn.execute(
                "UPDATE members SET left_at = ? WHERE guild_id = ? AND user_id = ? AND last_joined_at <= ?",
                (left_text, guild_id, user_id, left_text),
            )
            changed = cursor.rowcount > 0
            await cursor.close()
        return changed

    async def get_member(self, guild_id: int, user_id: int) -> Member | None:
        """Return what is recorded about a member of a server, or None if they were never seen joining."""
        row = await self._fetchone("SELECT * FROM members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        return None if row is None else Member._from_row(row)

    async def recent_joins(self, guild_id: int, *, since: datetime) -> list[Member]:
        """Members whose latest join is at or after `since`, newest first."""
        async with self._reading() as conn:
            cursor = await conn.execute(
                "SELECT * FROM members WHERE guild_id = ? AND last_joined_at >= ? ORDER BY last_joined_at DESC",
                (guild_id, _to_text(since, "since")),
            )
            rows = await cursor.fetchall()
            await cursor.close()
        return [Member._from_row(row) for row in rows]

    # --- chat series ----------------------------------------------------------------------------------

    async def create_series(self, *, guild_id: int, name: str, hashtag: str, channel_id: int, weekday: int,
                            local_time: time, timezone: str, duration_seconds: int, spacing_seconds: int,
                            first_question_seconds: int, pacing: str, created_by: int, now: datetime,
                            reminders: tuple[int, ...] = (86400, 3600), use_threads: bool = False) -> Series:
        """Store a new series; a name already used in the server (any case) raises DuplicateName."""
        async with self.transaction() as conn:
            if await self.find_series(guild_id, name) is not None:
                raise DuplicateName(name)
            cursor = await conn.execute(
                "INSERT INTO chat_series (guild_id, name, hashtag, channel_id, weekday, local_time, timezone, "
                "duration_seconds, spacing_seconds, first_question_seconds, pacing, created_by, created_at, reminders, "
                "use_threads) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, name, hashtag, channel_id, weekday, local_time.strftime("%H:%M"), timezone,
                 duration_seconds, spacing_seconds, first_question_seconds, pacing, created_by,
                 _to_text(now, "now"), ",".join(map(str, reminders)), int(use_threads)),
            )
            series_id = cursor.lastrowid
            await cursor.close()
            series = await self.get_series(int(series_id or 0))
        assert series is not None
        return series

    async def get_series(self, series_id: int) -> Series | None:
        """One series by id."""
        row = await self._fetchone("SELECT * FROM chat_series WHERE id = ?", (series_id,))
        return None if row is None else Series._from_row(row)

    async def find_series(self, guild_id: int, name: str) -> Series | None:
        """A server's series by name, ignoring case."""
        row = await self._fetchone("SELECT * FROM chat_series WHERE guild_id = ? AND name = ? COLLATE NOCASE",
                                   (guild_id, name))
        return None if row is None else Series._from_row(row)

    async def list_series(self, guild_id: int | None = None) -> list[Series]:
        """A server's series (every server's, if guild_id is None), by name."""
        sql = "SELECT * FROM chat_series" + (" WHERE guild_id = ?" if guild_id is not None else "")
        async with self._reading() as conn, conn.execute(sql + " ORDER BY name COLLATE NOCASE",
                                                         (guild_id,) if guild_id is not None else ()) as cursor:
            rows = await cursor.fetchall()
        return [Series._from_row(row) for row in rows]

    async def update_series(self, series_id: int, changes: Mapping[str, Any], *,
                            moved: Mapping[int, datetime] | None = None) -> Series:
        """Change EDITABLE fields of a series and return it; a clashing new name raises DuplicateName.

        Its planned and skipped sessions follow: `moved` gives each one's new start (when the weekly slot
        changed), and they take the series' new channel, name, hashtag and zone, keeping their questions.
        """
        unknown = sorted(set(changes) - set(Series.EDITABLE))
        if unknown:
            raise ValueError(f"Unknown series field(s): {', '.join(unknown)}")
        values = {k: (v.strftime("%H:%M") if isinstance(v, time) else ",".join(map(str, v)) if isinstance(v, tuple)
                      else v) for k, v in changes.items()}
        async with self.transaction() as conn:
            current = await self.get_series(series_id)
            if current is None:
                raise KeyError(series_id)
            if "name" in values:
                clash = await self.find_series(current.guild_id, values["name"])
                if clash is not None and clash.id != series_id:
                    raise DuplicateName(values["name"])
            if values:
                # Column names come from Series.EDITABLE, checked above.
                assignments = ", ".join(f"{name} = ?" for name in values)
                await conn.execute(f"UPDATE chat_series SET {assignments} WHERE id = ?", (*values.values(), series_id))
            series = await self.get_series(series_id)
            assert series is not None
            for session_id, starts_at in (moved or {}).items():
                await conn.execute("UPDATE chat_session SET starts_at = ? WHERE id = ? AND series_id = ?",
                                   (_to_text(starts_at, "starts_at"), session_id, series_id))
            await conn.execute(
                "UPDATE chat_session SET channel_id = ?, series_name = ?, hashtag = ?, timezone = ? "
                "WHERE series_id = ? AND status IN ('planned', 'skipped')",
                (series.channel_id, series.name, series.hashtag, series.timezone, series_id))
        return series

    async def delete_series(self, series_id: int) -> None:
        """Delete a series and its planned sessions; sessions that ran stay, as history."""
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM chat_session WHERE series_id = ? AND status IN ('planned', 'skipped')",
                               (series_id,))
            await conn.execute("DELETE FROM chat_series WHERE id = ?", (series_id,))

    # --- chat sessions ------------------------------------------------------------------------------

    async def session_for(self, series: Series, starts_at: datetime) -> ChatSession:
        """The series' session starting at `starts_at`, created (planned) if it does not exist yet."""
        start = _to_text(starts_at, "starts_at")
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO chat_session (series_id, guild_id, channel_id, series_name, hashtag, timezone, "
                "starts_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, starts_at) DO NOTHING",
                (series.id, series.guild_id, series.channel_id, series.name, series.hashtag, series.timezone, start),
            )
            row = await self._fetchone("SELECT * FROM chat_session WHERE series_id = ? AND starts_at = ?",
                                       (series.id, start))
        assert row is not None
        return ChatSession._from_row(row)

    async def get_session(self, session_id: int) -> ChatSession | None:
        """One session by id."""
        row = await self._fetchone("SELECT * FROM chat_session WHERE id = ?", (session_id,))
        return None if row is None else ChatSession._from_row(row)

    async def skipped_starts(self, series_id: int) -> list[datetime]:
        """Start times of the series' sessions marked skipped."""
        async with self._reading() as conn, conn.execute(
                "SELECT starts_at FROM chat_session WHERE series_id = ? AND status = 'skipped'",
                (series_id,)) as cursor:
            rows = await cursor.fetchall()
        return [_required(_from_text(row[0])) for row in rows]

    async def set_session_status(self, session_id: int, status: str) -> None:
        """Mark a session planned, skipped, running or ended."""
        async with self.transaction() as conn:
            await conn.execute("UPDATE chat_session SET status = ? WHERE id = ?", (status, session_id))

    async def future_sessions(self, series_id: int, after: datetime) -> list[ChatSession]:
        """The series' planned or skipped sessions starting after `after`, soonest first."""
        async with self._reading() as conn, conn.execute(
                "SELECT * FROM chat_session WHERE series_id = ? AND status IN ('planned', 'skipped') "
                "AND starts_at > ? ORDER BY starts_at", (series_id, _to_text(after, "after"))) as cursor:
            rows = await cursor.fetchall()
        return [ChatSession._from_row(row) for row in rows]

    # --- questions ----------------------------------------------------------------------------------

    async def questions(self, session_id: int) -> list[str]:
        """A session's questions, Q1 first."""
        async with self._reading() as conn, conn.execute(
                "SELECT text FROM question WHERE session_id = ? ORDER BY number", (session_id,)) as cursor:
            rows = await cursor.fetchall()
        return [str(row[0]) for row in rows]

    async def change_questions(self, session_id: int,
                               change: Callable[[list[str]], list[str]]) -> list[str]:
        """Read, change and store a session's questions in one transaction, so concurrent edits never clash."""
        async with self.transaction():
            updated = change(await self.questions(session_id))
            await self.replace_questions(session_id, updated)
        return updated

    async def replace_questions(self, session_id: int, questions: list[str], *, topic: str | None = None,
                                guest: str | None = None) -> None:
        """Store a session's whole question list (and a new topic or guest, if given) all-or-nothing."""
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM question WHERE session_id = ?", (session_id,))
            await conn.executemany("INSERT INTO question (session_id, number, text) VALUES (?, ?, ?)",
                                   [(session_id, number, text) for number, text in enumerate(questions, 1)])
            if topic is not None or guest is not None:
                await conn.execute("UPDATE chat_session SET topic = COALESCE(?, topic), guest = COALESCE(?, guest) "
                                   "WHERE id = ?", (topic, guest, session_id))

    # --- running chats -------------------------------------------------------------------------------

    async def create_adhoc_session(self, *, guild_id: int, channel_id: int, name: str, hashtag: str, timezone: str,
                                   starts_at: datetime, topic: str | None) -> ChatSession:
        """A planned session outside any series (an ad hoc chat started by a host)."""
        async with self.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO chat_session (series_id, guild_id, channel_id, series_name, hashtag, timezone, starts_at, "
                "topic) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, name, hashtag, timezone, _to_text(starts_at, "starts_at"), topic))
            session_id = int(cursor.lastrowid or 0)
            await cursor.close()
            session = await self.get_session(session_id)
        assert session is not None
        return session

    async def delete_session(self, session_id: int) -> None:
        """Delete a session that never ran (an ad hoc chat that could not start)."""
        async with self.transaction() as conn:
            await conn.execute("DELETE FROM chat_session WHERE id = ? AND status = 'planned'", (session_id,))

    async def start_session(self, session_id: int, *, started_at: datetime, started_by: int | None,
                            channel_id: int, duration_seconds: int, spacing_seconds: int, pacing: str,
                            posts: list[PlannedPost]) -> ChatSession | None:
        """Mark a planned session running and schedule its posts in one step; None if it was not planned."""
        ends_at = started_at + timedelta(seconds=duration_seconds)
        async with self.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE chat_session SET status = 'running', started_at = ?, started_by = ?, ends_at = ?, "
                "channel_id = ?, duration_seconds = ?, spacing_seconds = ?, pacing = ? "
                "WHERE id = ? AND status = 'planned'",
                (_to_text(started_at, "started_at"), started_by, _to_text(ends_at, "ends_at"), channel_id,
                 duration_seconds, spacing_seconds, pacing, session_id))
            if cursor.rowcount != 1:
                return None
            await self.add_posts(session_id, channel_id, posts)
            session = await self.get_session(session_id)
            assert session is not None
            if started_by is not None:
                await conn.execute(
                    "INSERT OR IGNORE INTO activity (guild_id, user_id, kind, session_id, occurred_at) "
                    "VALUES (?, ?, 'hosted', ?, ?)", (session.guild_id, started_by, session_id,
                                                     _to_text(started_at, "started_at")))
        return session

    async def sessions_with_status(self, status: str) -> list[ChatSession]:
        """Every session in a status (e.g. all running chats, to rebuild their jobs at start), oldest first."""
        async with self._reading() as conn, conn.execute(
                "SELECT * FROM chat_session WHERE status = ? ORDER BY starts_at", (status,)) as cursor:
            rows = await cursor.fetchall()
        return [ChatSession._from_row(row) for row in rows]

    async def session_in_channel(self, channel_id: int) -> ChatSession | None:
        """The chat taking messages in a channel: running, or ended with its recap still to come."""
        row = await self._fetchone(
            "SELECT s.* FROM chat_session s WHERE s.channel_id = ? AND (s.status = 'running' OR (s.status = 'ended' "
            "AND EXISTS (SELECT 1 FROM scheduled_post p WHERE p.session_id = s.id AND p.kind = 'recap' "
            "AND p.status = 'pending'))) ORDER BY s.started_at DESC LIMIT 1", (channel_id,))
        return None if row is None else ChatSession._from_row(row)

    async def update_session_times(self, session_id: int, **times: datetime | None) -> None:
        """Set ends_at, held_at or ended_at (None clears held_at)."""
        unknown = sorted(set(times) - {"ends_at", "held_at", "ended_at"})
        if unknown:
            raise ValueError(f"Unknown session time(s): {', '.join(unknown)}")
        values = {k: None if v is None else _to_text(v, k) for k, v in times.items()}
        async with self.transaction() as conn:
            assignments = ", ".join(f"{name} = ?" for name in values)  # names checked above
            await conn.execute(f"UPDATE chat_session SET {assignments} WHERE id = ?", (*values.values(), session_id))

    async def finish_session(self, session_id: int, ended_at: datetime) -> None:
        """Mark a session ended; questions not yet posted are skipped, never posted after the close."""
        async with self.transaction() as conn:
            await conn.execute("UPDATE chat_session SET status = 'ended', ended_at = ?, held_at = NULL "
                               "WHERE id = ? AND status = 'running'", (_to_text(ended_at, "ended_at"), session_id))
            await conn.execute("UPDATE scheduled_post SET status = 'skipped', last_error = 'the chat ended first' "
                               "WHERE session_id = ? AND kind = 'question' AND status = 'pending'", (session_id,))

    # --- scheduled posts ----------------------------------------------------------------------------

    async def add_posts(self, session_id: int, channel_id: int, posts: list[PlannedPost]) -> None:
        """Schedule posts; a key that exists already is left as it is (adding twice never posts twice)."""
        async with self.transaction() as conn:
            await conn.executemany(
                "INSERT INTO scheduled_post (key, session_id, kind, channel_id, due_at, question_number) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                [(post.key, session_id, post.kind, channel_id, _to_text(post.due_at, "due_at"), post.question_number)
                 for post in posts])

    async def get_post(self, key: str) -> ScheduledPost | None:
        """One scheduled post by key."""
        row = await self._fetchone("SELECT * FROM scheduled_post WHERE key = ?", (key,))
        return None if row is None else ScheduledPost._from_row(row)

    async def session_posts(self, session_id: int) -> list[ScheduledPost]:
        """A session's scheduled posts, by due time."""
        async with self._reading() as conn, conn.execute(
                "SELECT * FROM scheduled_post WHERE session_id = ? ORDER BY due_at, key", (session_id,)) as cursor:
            rows = await cursor.fetchall()
        return [ScheduledPost._from_row(row) for row in rows]

    async def pending_posts(self) -> list[ScheduledPost]:
        """Every post still to make, soonest first: what the jobs are rebuilt from at start."""
        async with self._reading() as conn, conn.execute(
                "SELECT * FROM scheduled_post WHERE status = 'pending' ORDER BY due_at, key") as cursor:
            rows = await cursor.fetchall()
        return [ScheduledPost._from_row(row) for row in rows]

    async def post_for_message(self, message_id: int) -> ScheduledPost | None:
        """The scheduled post that became this Discord message (or started this thread), if any."""
        row = await self._fetchone("SELECT * FROM scheduled_post WHERE message_id = ? OR thread_id = ?",
                                   (message_id, message_id))
        return None if row is None else ScheduledPost._from_row(row)

    async def set_post_due(self, key: str, due_at: datetime) -> None:
        """Move a pending post to a new time."""
        async with self.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET due_at = ? WHERE key = ? AND status = 'pending'",
                               (_to_text(due_at, "due_at"), key))

    async def begin_attempt(self, key: str) -> ScheduledPost | None:
        """Count one more attempt at a pending post and return it; None if it is no longer pending.

        The count is committed before the post is sent, so after a crash a non-zero count says
        "this may have gone out already: look in the channel before sending again".
        """
        async with self.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET attempts = attempts + 1 WHERE key = ? AND status = 'pending'",
                               (key,))
            post = await self.get_post(key)
        return post if post is not None and post.status == "pending" else None

    async def post_sent(self, key: str, message_id: int, posted_at: datetime) -> None:
        """Record that a post went out as this message."""
        async with self.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET status = 'posted', message_id = ?, posted_at = ?, "
                               "last_error = NULL WHERE key = ?", (message_id, _to_text(posted_at, "posted_at"), key))

    async def set_post_thread(self, key: str, thread_id: int) -> None:
        """Record the thread opened on a question post, where its answers go."""
        async with self.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET thread_id = ? WHERE key = ?", (thread_id, key))

    async def post_not_sent(self, key: str, error: str, *, status: str = "pending") -> None:
        """Record why a post did not go out: still pending (to retry), failed (gave up) or skipped."""
        if status not in ("pending", "failed", "skipped"):
            raise ValueError(f"not a status for an unsent post: {status!r}")
        async with self.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET status = ?, last_error = ? WHERE key = ? "
                               "AND status = 'pending'", (status, error[:500], key))

    async def plan_questions(self, session_id: int, channel_id: int, wanted: list[PlannedPost]) -> None:
        """Make the session's unposted questions exactly `wanted`: re-time, add, and skip what no longer fits."""
        async with self.transaction() as conn:
            keys = [post.key for post in wanted]
            marks = ", ".join("?" for _ in keys) or "''"
            await conn.execute(
                f"UPDATE scheduled_post SET status = 'skipped', last_error = 'no longer fits in the chat' "
                f"WHERE session_id = ? AND kind = 'question' AND status = 'pending' AND key NOT IN ({marks})",
                (session_id, *keys))
            for post in wanted:
                await conn.execute("UPDATE scheduled_post SET due_at = ? WHERE key = ? AND status = 'pending'",
                                   (_to_text(post.due_at, "due_at"), post.key))
                await conn.execute(
                    "INSERT INTO scheduled_post (key, session_id, kind, channel_id, due_at, question_number) "
                    "VALUES (?, ?, 'question', ?, ?, ?) ON CONFLICT (key) DO UPDATE SET status = 'pending', "
                    "due_at = excluded.due_at, last_error = NULL WHERE status = 'skipped'",
                    (post.key, session_id, channel_id, _to_text(post.due_at, "due_at"), post.question_number))

    async def shift_session(self, session_id: int, by: timedelta) -> None:
        """Move a running session's end and every post it has still to make by the same amount."""
        async with self.transaction() as conn:
            for post in await self.session_posts(session_id):
                if post.status == "pending":
                    await conn.execute("UPDATE scheduled_post SET due_at = ? WHERE key = ?",
                                       (_to_text(post.due_at + by, "due_at"), post.key))
            session = await self.get_session(session_id)
            if session is not None and session.ends_at is not None:
                await conn.execute("UPDATE chat_session SET ends_at = ? WHERE id = ?",
                                   (_to_text(session.ends_at + by, "ends_at"), session_id))

    async def plan_reminders(self, series_id: int, channel_id: int, session_id: int | None,
                             wanted: list[PlannedPost]) -> None:
        """Make the series' unsent reminders exactly `wanted` (for its next session): re-time, add, skip the rest."""
        async with self.transaction() as conn:
            keys = [post.key for post in wanted]
            marks = ", ".join("?" for _ in keys) or "''"
            await conn.execute(
                f"UPDATE scheduled_post SET status = 'skipped', last_error = 'the session moved, was skipped or "
                f"the series paused' WHERE kind = 'announcement' AND status = 'pending' AND key NOT IN ({marks}) "
                f"AND session_id IN (SELECT id FROM chat_session WHERE series_id = ?)", (*keys, series_id))
            if session_id is None:
                return
            for post in wanted:
                await conn.execute(
                    "INSERT INTO scheduled_post (key, session_id, kind, channel_id, due_at) "
                    "VALUES (?, ?, 'announcement', ?, ?) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, "
                    "channel_id = excluded.channel_id, status = 'pending', last_error = NULL "
                    "WHERE status IN ('pending', 'skipped')",
                    (post.key, session_id, channel_id, _to_text(post.due_at, "due_at")))

    async def set_session_event(self, session_id: int, event_id: int | None) -> None:
        """Remember (or forget) the Discord scheduled event that advertises a session."""
        async with self.transaction() as conn:
            await conn.execute("UPDATE chat_session SET event_id = ? WHERE id = ?", (event_id, session_id))

    async def sessions_with_events(self, series_id: int) -> list[ChatSession]:
        """A series' sessions that still have a Discord scheduled event."""
        async with self._reading() as conn, conn.execute(
                "SELECT * FROM chat_session WHERE series_id = ? AND event_id IS NOT NULL ORDER BY starts_at",
                (series_id,)) as cursor:
            rows = await cursor.fetchall()
        return [ChatSession._from_row(row) for row in rows]

    async def last_answer_at(self, session_id: int, question_number: int) -> datetime | None:
        """When the latest answer to a question came in (adaptive pacing waits for answers to die down)."""
        row = await self._fetchone("SELECT MAX(created_at) FROM chat_message WHERE session_id = ? "
                                   "AND question_number = ? AND deleted = 0", (session_id, question_number))
        return None if row is None else _from_text(row[0])

    # --- what was said in a chat -------------------------------------------------------------------

    async def save_message(self, guild_id: int, message: StoredMessage) -> None:
        """Store or re-store (after an edit) a chat message, and rewrite its rows in the activity ledger."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO chat_message (message_id, session_id, author_id, author_name, content, created_at, "
                "edited_at, deleted, reply_to_author_id, question_number, reactions) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET "
                "author_name = excluded.author_name, content = excluded.content, edited_at = excluded.edited_at, "
                "reply_to_author_id = excluded.reply_to_author_id, question_number = excluded.question_number",
                (message.message_id, message.session_id, message.author_id, message.author_name, message.content,
                 _to_text(message.created_at, "created_at"),
                 None if message.edited_at is None else _to_text(message.edited_at, "edited_at"),
                 message.reply_to_author_id, message.question_number, message.reactions))
            # Only what the message itself counts as: a greeting credited for it stays.
            await conn.execute("DELETE FROM activity WHERE message_id = ? AND kind IN ('message', 'answer', 'reply')",
                               (message.message_id,))
            rows: list[tuple[str, int | None, int | None]] = [("message", None, None)]
            if message.question_number is not None:
                rows.append(("answer", message.question_number, None))
            if message.reply_to_author_id is not None and message.reply_to_author_id != message.author_id:
                rows.append(("reply", None, message.reply_to_author_id))
            await conn.executemany(
                "INSERT INTO activity (guild_id, user_id, kind, session_id, question_number, message_id, "
                "target_user_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(guild_id, message.author_id, kind, message.session_id, number, message.message_id, target,
                  _to_text(message.created_at, "created_at")) for kind, number, target in rows])

    async def get_message(self, message_id: int) -> StoredMessage | None:
        """One stored chat message (deleted ones included)."""
        row = await self._fetchone("SELECT * FROM chat_message WHERE message_id = ?", (message_id,))
        return None if row is None else StoredMessage._from_row(row)

    async def delete_message(self, message_id: int) -> bool:
        """Mark a chat message deleted and take it out of the activity ledger; False if it was not stored."""
        async with self.transaction() as conn:
            cursor = await conn.execute("UPDATE chat_message SET deleted = 1 WHERE message_id = ?", (message_id,))
            found = cursor.rowcount == 1
            # As for an edit, a greeting credited for the message stays: the newcomer was greeted.
            await conn.execute("DELETE FROM activity WHERE message_id = ? AND kind IN ('message', 'answer', 'reply')",
                               (message_id,))
        return found

    async def add_reaction(self, message_id: int, delta: int) -> None:
        """Count a reaction added (+1) or removed (-1) on a chat message."""
        async with self.transaction() as conn:
            await conn.execute("UPDATE chat_message SET reactions = MAX(0, reactions + ?) WHERE message_id = ?",
                               (delta, message_id))

    async def session_messages(self, session_id: int) -> list[StoredMessage]:
        """A session's messages that were not deleted, oldest first."""
        async with self._reading() as conn, conn.execute(
                "SELECT * FROM chat_message WHERE session_id = ? AND deleted = 0 ORDER BY created_at, message_id",
                (session_id,)) as cursor:
            rows = await cursor.fetchall()
        return [StoredMessage._from_row(row) for row in rows]

    async def newest_message_id(self, session_id: int) -> int | None:
        """The id of the newest message stored for a session (where reading history back resumes)."""
        row = await self._fetchone("SELECT MAX(message_id) FROM chat_message WHERE session_id = ?", (session_id,))
        return None if row is None else row[0]

    async def record_checkin(self, guild_id: int, session_id: int, user_id: int, at: datetime) -> bool:
        """Record that a member pressed "I'm here"; False if they already had."""
        async with self.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO activity (guild_id, user_id, kind, session_id, occurred_at) "
                "VALUES (?, ?, 'checkin', ?, ?)", (guild_id, user_id, session_id, _to_text(at, "at")))
            return cursor.rowcount == 1

    async def checked_in(self, session_id: int) -> list[int]:
        """Who pressed "I'm here" in a session, in the order they did."""
        return await self._ids("SELECT user_id FROM activity WHERE session_id = ? AND kind = 'checkin' "
                               "ORDER BY occurred_at", (session_id,))

    async def first_timers(self, session_id: int, user_id: int | None = None) -> list[int]:
        """Who posted in this session and had never posted in or checked in to an earlier chat in the server
        (only `user_id`, if given)."""
        sql = ("SELECT DISTINCT a.user_id FROM activity a JOIN chat_session s ON s.id = a.session_id "
               "WHERE a.session_id = ? AND a.kind = 'message' AND NOT EXISTS ("
               "  SELECT 1 FROM activity b JOIN chat_session t ON t.id = b.session_id "
               "  WHERE b.guild_id = a.guild_id AND b.user_id = a.user_id AND b.kind IN ('message', 'checkin') "
               "  AND b.session_id != a.session_id AND t.started_at < s.started_at)")
        parameters: tuple[int, ...] = (session_id,)
        if user_id is not None:
            sql, parameters = sql + " AND a.user_id = ?", (session_id, user_id)
        return await self._ids(sql, parameters)

    # --- transcripts --------------------------------------------------------------------------------

    async def save_transcript(self, transcript: Transcript) -> None:
        """Keep a finished session's recap and transcripts (replacing an earlier copy)."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO transcript (session_id, recap, markdown, html, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (session_id) DO UPDATE SET recap = excluded.recap, markdown = excluded.markdown, "
                "html = excluded.html, created_at = excluded.created_at",
                (transcript.session_id, transcript.recap, transcript.markdown, transcript.html,
                 _to_text(transcript.created_at, "created_at")))

    async def get_transcript(self, session_id: int) -> Transcript | None:
        """A session's stored recap and transcripts."""
        row = await self._fetchone("SELECT * FROM transcript WHERE session_id = ?", (session_id,))
        if row is None:
            return None
        return Transcript(session_id=row["session_id"], recap=row["recap"], markdown=row["markdown"],
                          html=row["html"], created_at=_required(_from_text(row["created_at"])))

    async def transcribed_sessions(self, guild_id: int | None = None) -> list[ChatSession]:
        """Sessions that have a transcript (in one server, if given), newest first."""
        sql = "SELECT s.* FROM chat_session s JOIN transcript t ON t.session_id = s.id"
        if guild_id is not None:
            sql += " WHERE s.guild_id = ?"
        async with self._reading() as conn, conn.execute(
                sql + " ORDER BY s.started_at DESC", () if guild_id is None else (guild_id,)) as cursor:
            rows = await cursor.fetchall()
        return [ChatSession._from_row(row) for row in rows]

    # --- welcomes ------------------------------------------------------------------------------------

    async def get_welcome_config(self, guild_id: int) -> WelcomeConfig:
        """A server's welcome settings and desk state (the built-in welcome if never set)."""
        row = await self._fetchone("SELECT * FROM welcome_config WHERE guild_id = ?", (guild_id,))
        return WelcomeConfig(guild_id=guild_id) if row is None else WelcomeConfig._from_row(row)

    async def update_welcome_config(self, guild_id: int, *, updated_by: int | None = None, now: datetime | None = None,
                                    **changes: Any) -> WelcomeConfig:
        """Change template, dm, ping_helpers, burst_since or last_welcome_at (times aware, None clears)."""
        allowed = {"template", "dm", "ping_helpers", "burst_since", "last_welcome_at"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise ValueError(f"Not welcome settings: {', '.join(unknown)}")
        values = {key: _to_text(value, key) if isinstance(value, datetime) else value
                  for key, value in changes.items()}
        if updated_by is not None and now is not None:
            values.update(updated_by=updated_by, updated_at=_to_text(now, "now"))
        async with self.transaction() as conn:
            await conn.execute("INSERT OR IGNORE INTO welcome_config (guild_id) VALUES (?)", (guild_id,))
            if values:
                assignments = ", ".join(f"{column} = ?" for column in values)
                await conn.execute(f"UPDATE welcome_config SET {assignments} WHERE guild_id = ?",
                                   (*values.values(), guild_id))
            return await self.get_welcome_config(guild_id)

    async def set_arrival(self, guild_id: int, user_id: int, welcome: str) -> None:
        """Record what a join gets (waiting, held, repeat); a newcomer's first steps are kept across rejoins."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO newcomer (guild_id, user_id, welcome) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, user_id) DO UPDATE SET welcome = excluded.welcome",
                (guild_id, user_id, welcome))

    async def welcomed_in(self, guild_id: int, message_id: int) -> list[int]:
        """The members a welcome post welcomed (replying to it greets them)."""
        return await self._ids("SELECT user_id FROM newcomer WHERE guild_id = ? AND welcome_message_id = ?",
                               (guild_id, message_id))

    async def get_newcomer(self, guild_id: int, user_id: int) -> Newcomer | None:
        """A member's first steps, if the bot saw them join."""
        row = await self._fetchone("SELECT * FROM newcomer WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
        return None if row is None else Newcomer._from_row(row)

    async def join_times(self, guild_id: int, *, since: datetime) -> list[datetime]:
        """When members joined (their latest join) at or after `since`."""
        async with self._reading() as conn, conn.execute(
                "SELECT last_joined_at FROM members WHERE guild_id = ? AND last_joined_at >= ?",
                (guild_id, _to_text(since, "since"))) as cursor:
            rows = await cursor.fetchall()
        return [_required(_from_text(row[0])) for row in rows]

    async def count_held(self, guild_id: int, *, since: datetime) -> int:
        """Joins since `since` whose accounts were too new to welcome publicly."""
        row = await self._fetchone(
            "SELECT COUNT(*) FROM newcomer n JOIN members m USING (guild_id, user_id) "
            "WHERE n.guild_id = ? AND n.welcome = 'held' AND m.last_joined_at >= ?",
            (guild_id, _to_text(since, "since")))
        return 0 if row is None else int(row[0])

    async def waiting_welcomes(self, guild_id: int) -> list[Member]:
        """Members still in the server whose welcome has not gone out, in the order they joined."""
        async with self._reading() as conn, conn.execute(
                "SELECT m.* FROM members m JOIN newcomer n USING (guild_id, user_id) "
                "WHERE m.guild_id = ? AND n.welcome = 'waiting' AND m.left_at IS NULL "
                "ORDER BY m.last_joined_at, m.user_id", (guild_id,)) as cursor:
            rows = await cursor.fetchall()
        return [Member._from_row(row) for row in rows]

    async def guilds_with_waiting_welcomes(self) -> list[int]:
        """Servers whose welcome desk has someone waiting (rebuilt into jobs at start-up)."""
        return await self._ids("SELECT DISTINCT guild_id FROM newcomer WHERE welcome = 'waiting'")

    async def mark_welcomed(self, guild_id: int, user_ids: list[int], *, status: str, at: datetime,
                            message_id: int | None) -> None:
        """Close the waiting welcomes of these members (welcomed, or missed)."""
        async with self.transaction() as conn:
            await conn.executemany(
                "UPDATE newcomer SET welcome = ?, welcomed_at = ?, welcome_message_id = ? "
                "WHERE guild_id = ? AND user_id = ? AND welcome = 'waiting'",
                [(status, _to_text(at, "at") if status == "welcomed" else None, message_id, guild_id, user_id)
                 for user_id in user_ids])

    # --- newcomers' first steps -------------------------------------------------------------------------

    async def note_first_message(self, guild_id: int, user_id: int, *, message_id: int, channel_id: int,
                                 at: datetime, text: str, link: bool) -> bool:
        """Keep a newcomer's first message; False if one is already kept."""
        async with self.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE newcomer SET first_message_id = ?, first_channel_id = ?, first_message_at = ?, "
                "first_message_text = ?, link_in_first = ? WHERE guild_id = ? AND user_id = ? "
                "AND first_message_id IS NULL",
                (message_id, channel_id, _to_text(at, "at"), text, int(link), guild_id, user_id))
            return cursor.rowcount == 1

    async def flag_newcomer(self, guild_id: int, user_id: int, flag: str) -> None:
        """Set a behaviour flag: mass_mentions or repeated_text."""
        if flag not in ("mass_mentions", "repeated_text"):
            raise ValueError(f"Not a newcomer flag: {flag}")
        async with self.transaction() as conn:
            await conn.execute(f"UPDATE newcomer SET {flag} = 1 WHERE guild_id = ? AND user_id = ?",
                               (guild_id, user_id))

    async def record_greeting(self, guild_id: int, newcomer_id: int, greeter_id: int, *, at: datetime,
                              message_id: int, session_id: int | None) -> bool:
        """The first human greeting of a newcomer, credited to the greeter as a helpful act; False if not the first."""
        async with self.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE newcomer SET greeted_by = ?, greeted_at = ?, greeting_message_id = ? "
                "WHERE guild_id = ? AND user_id = ? AND greeted_by IS NULL",
                (greeter_id, _to_text(at, "at"), message_id, guild_id, newcomer_id))
            if cursor.rowcount != 1:
                return False
            await conn.execute(
                "INSERT OR IGNORE INTO activity (guild_id, user_id, kind, session_id, message_id, target_user_id, "
                "occurred_at) VALUES (?, ?, 'greeting', ?, ?, ?, ?)",
                (guild_id, greeter_id, session_id, message_id, newcomer_id, _to_text(at, "at")))
            return True

    async def greetings_by(self, guild_id: int, user_id: int) -> list[int]:
        """Whom a member greeted in their first week (their greeting helpful acts), oldest first."""
        return await self._ids("SELECT target_user_id FROM activity WHERE guild_id = ? AND user_id = ? "
                               "AND kind = 'greeting' ORDER BY occurred_at", (guild_id, user_id))

    async def review_newcomer(self, guild_id: int, user_id: int, status: str, *, reviewer_id: int,
                              at: datetime) -> None:
        """Record a moderator's review (reviewed, follow_up, watch); earlier reviews are kept as history."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO newcomer_review (guild_id, user_id, status, reviewer_id, reviewed_at) "
                "VALUES (?, ?, ?, ?, ?)", (guild_id, user_id, status, reviewer_id, _to_text(at, "at")))

    async def latest_reviews(self, guild_id: int) -> dict[int, NewcomerReview]:
        """Each reviewed newcomer's latest review."""
        async with self._reading() as conn, conn.execute(
                "SELECT user_id, status, reviewer_id, reviewed_at FROM newcomer_review r WHERE guild_id = ? "
                "AND id = (SELECT MAX(id) FROM newcomer_review WHERE guild_id = r.guild_id AND user_id = r.user_id)",
                (guild_id,)) as cursor:
            rows = await cursor.fetchall()
        return {int(row[0]): NewcomerReview(row[1], row[2], _required(_from_text(row[3]))) for row in rows}

    async def newcomers_since(self, guild_id: int, since: datetime) -> list[tuple[Member, Newcomer]]:
        """Members who (last) joined at or after `since`, with their first steps."""
        async with self._reading() as conn, conn.execute(
                "SELECT m.*, n.welcome, n.welcomed_at, n.first_message_id, n.first_channel_id, n.first_message_at, "
                "n.first_message_text, n.link_in_first, n.mass_mentions, n.repeated_text, n.greeted_by, "
                "n.greeted_at, n.greeting_message_id FROM members m JOIN newcomer n USING (guild_id, user_id) "
                "WHERE m.guild_id = ? AND m.last_joined_at >= ? ORDER BY m.last_joined_at DESC",
                (guild_id, _to_text(since, "since"))) as cursor:
            rows = await cursor.fetchall()
        return [(Member._from_row(row), Newcomer._from_row(row)) for row in rows]

    async def chats_of(self, guild_id: int, user_id: int) -> list[NewcomerChat]:
        """The chats a member posted in or checked in to, oldest first, with whether they answered or hosted."""
        async with self._reading() as conn, conn.execute(
                "SELECT s.id, s.hashtag, s.timezone, COALESCE(s.started_at, s.starts_at) AS started, "
                "MAX(a.kind = 'answer') AS answered, MAX(a.kind = 'hosted') AS hosted "
                "FROM activity a JOIN chat_session s ON s.id = a.session_id "
                "WHERE a.guild_id = ? AND a.user_id = ? AND a.kind IN ('message', 'checkin', 'answer', 'hosted') "
                "GROUP BY s.id ORDER BY started", (guild_id, user_id)) as cursor:
            rows = await cursor.fetchall()
        return [NewcomerChat(row[0], row[1], row[2], _required(_from_text(row[3])), bool(row[4]), bool(row[5]))
                for row in rows]

    # --- first-time chatters ---------------------------------------------------------------------------

    async def add_chat_greeting(self, session_id: int, user_id: int, *, message_id: int, at: datetime) -> bool:
        """Queue a first-time chatter for the next batched greeting; False if already queued or greeted."""
        async with self.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO chat_greeting (session_id, user_id, first_message_id, first_at) "
                "VALUES (?, ?, ?, ?)", (session_id, user_id, message_id, _to_text(at, "at")))
            return cursor.rowcount == 1

    async def waiting_greetings(self, session_id: int) -> list[tuple[int, datetime]]:
        """First-time chatters not yet greeted, with when they first posted, in that order."""
        async with self._reading() as conn, conn.execute(
                "SELECT user_id, first_at FROM chat_greeting WHERE session_id = ? AND status = 'waiting' "
                "ORDER BY first_at, user_id", (session_id,)) as cursor:
            rows = await cursor.fetchall()
        return [(int(row[0]), _required(_from_text(row[1]))) for row in rows]

    async def last_greeting_at(self, session_id: int) -> datetime | None:
        """When the session's last greeting post went out."""
        row = await self._fetchone("SELECT MAX(greeted_at) FROM chat_greeting WHERE session_id = ? "
                                   "AND status = 'greeted'", (session_id,))
        return None if row is None else _from_text(row[0])

    async def sessions_with_waiting_greetings(self) -> list[int]:
        """Sessions with first-time chatters still to greet (rebuilt into jobs at start-up)."""
        return await self._ids("SELECT DISTINCT session_id FROM chat_greeting WHERE status = 'waiting'")

    async def mark_greeted(self, session_id: int, user_ids: list[int], *, status: str, at: datetime,
                           message_id: int | None) -> None:
        """Close waiting greetings: greeted (in message_id) or missed (the chat ended first)."""
        async with self.transaction() as conn:
            await conn.executemany(
                "UPDATE chat_greeting SET status = ?, greeted_at = ?, message_id = ? "
                "WHERE session_id = ? AND user_id = ? AND status = 'waiting'",
                [(status, _to_text(at, "at"), message_id, session_id, user_id) for user_id in user_ids])

    async def count_members(self, guild_id: int, *, include_departed: bool = False) -> int:
        """Count a server's members who are present now (or everyone ever seen, with include_departed)."""
        sql = "SELECT COUNT(*) FROM members WHERE guild_id = ?"
        if not include_departed:
            sql += " AND left_at IS NULL"
        row = await self._fetchone(sql, (guild_id,))
        return 0 if row is None else int(row[0])


def _required_member(member: Member | None) -> Member:
    """Narrow the member just written for the type checker."""
    assert member is not None, "member row missing right after writing it"
    return member
