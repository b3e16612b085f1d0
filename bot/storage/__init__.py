"""The only package with SQL: one shared database and, per aggregate, its rows and queries.

Callers say what they mean through one attribute per aggregate: `storage.sessions.start(...)`,
`storage.posts.pending()`, `storage.series.find(guild_id, name)`, `storage.members.record_join(...)`.
Transactions, and the reads made outside one, take turns on one connection; a read kept waiting by a
transaction held open too long reads around it on a reader connection (see bot/storage/_database.py).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.storage._database import READ_WAIT, Database
from bot.storage._migrate import (
    MIGRATIONS_DIR,
    MigrationError,
    NotHeartbeatError,
    SchemaTooNewError,
    SchemaTooOldError,
    discover_migrations,
    open_read_only,
)
from bot.storage.activity import ActivityQueries, NewcomerChat
from bot.storage.acts import Act, ActQueries, Reaction, ReactionKey
from bot.storage.checkpoints import CheckpointQueries
from bot.storage.config import ConfigQueries, GuildConfig, MetaQueries
from bot.storage.figures import FigureQueries, Tally
from bot.storage.greetings import GreetingQueries
from bot.storage.members import ListedMember, Member, MemberQueries
from bot.storage.messages import MessageQueries, StoredMessage
from bot.storage.months import MonthClose, MonthQueries
from bot.storage.newcomers import Newcomer, NewcomerQueries, NewcomerRecord, NewcomerReview
from bot.storage.posts import PostQueries, ScheduledPost
from bot.storage.progression import ProgressionConfig, ProgressionQueries
from bot.storage.series import DuplicateName, Series, SeriesQueries
from bot.storage.sessions import ChannelBusy, ChatSession, SessionQueries
from bot.storage.transcripts import Transcript, TranscriptForm, TranscriptQueries
from bot.storage.welcomes import WelcomeConfig, WelcomeQueries

__all__ = [
    "Act",
    "Reaction",
    "ReactionKey",
    "ChannelBusy",
    "ChatSession",
    "ScheduledPost",
    "StoredMessage",
    "Transcript",
    "TranscriptForm",
    "GuildConfig",
    "Series",
    "Member",
    "ListedMember",
    "Newcomer",
    "NewcomerChat",
    "NewcomerRecord",
    "NewcomerReview",
    "WelcomeConfig",
    "ProgressionConfig",
    "MonthClose",
    "Tally",
    "DuplicateName",
    "MigrationError",
    "NotHeartbeatError",
    "SchemaTooNewError",
    "SchemaTooOldError",
    "Storage",
    "MIGRATIONS_DIR",
]


class Storage:
    """The database and one query object per aggregate; open it with `await Storage.open(path)`."""

    def __init__(self, db: Database) -> None:
        """Give each aggregate the open, migrated `db`; use Storage.open rather than calling this directly."""
        self._db = db
        self.config = ConfigQueries(db)
        self.meta = MetaQueries(db)
        self.members = MemberQueries(db)
        self.series = SeriesQueries(db)
        self.posts = PostQueries(db)
        self.sessions = SessionQueries(db, self.posts)
        self.acts = ActQueries(db)
        self.messages = MessageQueries(db, self.acts)
        self.checkpoints = CheckpointQueries(db)
        self.activity = ActivityQueries(db)
        self.transcripts = TranscriptQueries(db)
        self.welcomes = WelcomeQueries(db)
        self.newcomers = NewcomerQueries(db)
        self.greetings = GreetingQueries(db)
        self.progression = ProgressionQueries(db)
        self.months = MonthQueries(db)
        self.figures = FigureQueries(db)

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | None = None,
                   read_wait: float = READ_WAIT) -> Storage:
        """Open (creating folders as needed) and migrate the database at `path`, which may be ":memory:".

        A read made outside a transaction waits its turn behind the transactions asked for before it, for
        `read_wait` seconds at most; then it reads around them, seeing only what is committed.
        """
        return cls(await Database.open(path, migrations_dir=migrations_dir, read_wait=read_wait))

    @classmethod
    async def open_read_only(cls, path: Path | str, *, migrations_dir: Path | None = None) -> Storage:
        """Open an existing database at exactly this code's schema to read only: never created, migrated or written.

        Raises NotHeartbeatError, SchemaTooOldError or SchemaTooNewError, whose message says what to do, for a file
        that is not Heartbeat's or is at another schema version.
        """
        migrations = await asyncio.to_thread(discover_migrations, migrations_dir or MIGRATIONS_DIR)
        conn = await open_read_only(path, migrations)
        # No WAL reader: nothing is written here, so reads never wait long for their turn.
        return cls(Database(conn, path, wal=False))

    async def close(self) -> None:
        """Wait for the running transaction and reads to finish, then close every connection; safe twice."""
        await self._db.close()

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
        return self._db.closed

    @property
    def path(self) -> Path | str:
        """Where the database lives (or ":memory:")."""
        return self._db.path

    def transaction(self, *, ledger_only: bool = False) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """Run the block as one BEGIN IMMEDIATE ... COMMIT, rolling back and re-raising on any exception.

        Transactions are serialised. Inside one, the aggregates' methods may be called freely (their reads
        see the block's own writes), and a nested transaction() becomes a savepoint that rolls back only its
        own block. Keep blocks short: other tasks' writes wait for them, and their reads for read_wait at most.
        `ledger_only` (chat messages, their ledger rows, checkpoints: nothing cached) leaves `generation` alone.
        """
        return self._db.transaction(ledger_only=ledger_only)

    @property
    def generation(self) -> int:
        """A number that moves at every commit that may change sessions, posts, members or newcomers.

        A row read while it is N stays true while it is N, so a cache stamped with it needs no other invalidation.
        """
        return self._db.generation

    async def schema_version(self) -> int:
        """Return the database's schema version (PRAGMA user_version)."""
        return await self._db.schema_version()
