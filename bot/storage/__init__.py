"""The only package with SQL: one shared database and, per aggregate, its rows and queries.

Callers say what they mean through one attribute per aggregate: `storage.sessions.start(...)`,
`storage.posts.pending()`, `storage.series.find(guild_id, name)`, `storage.members.record_join(...)`.
Writes are serialised on one connection; reads outside a transaction use a reader connection and see
committed data only (see bot/storage/_database.py).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import aiosqlite

from bot.storage._database import READ_WAIT, Database
from bot.storage._migrate import MIGRATIONS_DIR, MigrationError, SchemaTooNewError
from bot.storage.activity import ActivityQueries, NewcomerChat
from bot.storage.config import ConfigQueries, GuildConfig, MetaQueries
from bot.storage.greetings import GreetingQueries
from bot.storage.members import Member, MemberQueries
from bot.storage.messages import MessageQueries, StoredMessage
from bot.storage.newcomers import Newcomer, NewcomerQueries, NewcomerReview
from bot.storage.posts import PostQueries, ScheduledPost
from bot.storage.series import DuplicateName, Series, SeriesQueries
from bot.storage.sessions import ChatSession, SessionQueries
from bot.storage.transcripts import Transcript, TranscriptQueries
from bot.storage.welcomes import WelcomeConfig, WelcomeQueries

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
    "DuplicateName",
    "MigrationError",
    "SchemaTooNewError",
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
        self.messages = MessageQueries(db)
        self.activity = ActivityQueries(db)
        self.transcripts = TranscriptQueries(db)
        self.welcomes = WelcomeQueries(db)
        self.newcomers = NewcomerQueries(db)
        self.greetings = GreetingQueries(db)

    @classmethod
    async def open(cls, path: Path | str, *, migrations_dir: Path | None = None,
                   read_wait: float = READ_WAIT) -> Storage:
        """Open (creating folders as needed) and migrate the database at `path`, which may be ":memory:".

        A read made outside a transaction first lets the transactions already requested finish, for at most
        `read_wait` seconds; after that it reads around them and sees only what is committed.
        """
        return cls(await Database.open(path, migrations_dir=migrations_dir, read_wait=read_wait))

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

    def transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        """Run the block as one BEGIN IMMEDIATE ... COMMIT, rolling back and re-raising on any exception.

        Transactions are serialised. Inside one, the aggregates' methods may be called freely (their reads
        see the block's own writes), and a nested transaction() becomes a savepoint that rolls back only its
        own block. Keep blocks short: other tasks' writes wait for them, and their reads for read_wait at most.
        """
        return self._db.transaction()

    async def schema_version(self) -> int:
        """Return the database's schema version (PRAGMA user_version)."""
        return await self._db.schema_version()

    # --- TEMPORARY compatibility shim -----------------------------------------------------------------
    # Callers still being restructured use the old flat names (storage.get_session(...)). Once every
    # caller says storage.<aggregate>.<name>, delete _OLD_NAMES, __getattr__ and the two tests marked
    # TEMPORARY in tests/test_storage.py together.

    #: TEMPORARY: old flat name -> (aggregate attribute, new name).
    _OLD_NAMES: ClassVar[dict[str, tuple[str, str]]] = {
        "get_guild_config": ("config", "get"),
        "update_guild_config": ("config", "update"),
        "get_meta": ("meta", "get"),
        "set_meta": ("meta", "set"),
        "record_member_join": ("members", "record_join"),
        "record_member_leave": ("members", "record_leave"),
        "get_member": ("members", "get"),
        "recent_joins": ("members", "recent_joins"),
        "join_times": ("members", "join_times"),
        "count_members": ("members", "count"),
        "create_series": ("series", "create"),
        "get_series": ("series", "get"),
        "find_series": ("series", "find"),
        "list_series": ("series", "all"),
        "update_series": ("series", "update"),
        "delete_series": ("series", "delete"),
        "session_for": ("sessions", "at"),
        "create_adhoc_session": ("sessions", "create_adhoc"),
        "get_session": ("sessions", "get"),
        "delete_session": ("sessions", "delete"),
        "skipped_starts": ("sessions", "skipped_starts"),
        "future_sessions": ("sessions", "future"),
        "sessions_with_status": ("sessions", "with_status"),
        "session_in_channel": ("sessions", "in_channel"),
        "set_session_status": ("sessions", "set_status"),
        "start_session": ("sessions", "start"),
        "update_session_times": ("sessions", "set_times"),
        "shift_session": ("sessions", "shift"),
        "finish_session": ("sessions", "finish"),
        "set_session_event": ("sessions", "set_event"),
        "sessions_with_events": ("sessions", "with_events"),
        "questions": ("sessions", "questions"),
        "change_questions": ("sessions", "change_questions"),
        "replace_questions": ("sessions", "replace_questions"),
        "add_posts": ("posts", "add"),
        "get_post": ("posts", "get"),
        "session_posts": ("posts", "of_session"),
        "pending_posts": ("posts", "pending"),
        "post_for_message": ("posts", "for_message"),
        "set_post_due": ("posts", "set_due"),
        "begin_attempt": ("posts", "begin_attempt"),
        "post_sent": ("posts", "sent"),
        "set_post_thread": ("posts", "set_thread"),
        "post_not_sent": ("posts", "not_sent"),
        "plan_questions": ("posts", "plan_questions"),
        "plan_reminders": ("posts", "plan_reminders"),
        "save_message": ("messages", "save"),
        "get_message": ("messages", "get"),
        "delete_message": ("messages", "delete"),
        "add_reaction": ("messages", "add_reaction"),
        "session_messages": ("messages", "of_session"),
        "newest_message_id": ("messages", "newest_id"),
        "last_answer_at": ("messages", "last_answer_at"),
        "record_checkin": ("activity", "record_checkin"),
        "checked_in": ("activity", "checked_in"),
        "first_timers": ("activity", "first_timers"),
        "greetings_by": ("activity", "greetings_by"),
        "chats_of": ("activity", "chats_of"),
        "save_transcript": ("transcripts", "save"),
        "get_transcript": ("transcripts", "get"),
        "transcribed_sessions": ("transcripts", "sessions"),
        "get_welcome_config": ("welcomes", "config"),
        "update_welcome_config": ("welcomes", "update_config"),
        "set_arrival": ("welcomes", "set_arrival"),
        "welcomed_in": ("welcomes", "welcomed_in"),
        "count_held": ("welcomes", "count_held"),
        "waiting_welcomes": ("welcomes", "waiting"),
        "guilds_with_waiting_welcomes": ("welcomes", "guilds_waiting"),
        "mark_welcomed": ("welcomes", "mark"),
        "get_newcomer": ("newcomers", "get"),
        "newcomers_since": ("newcomers", "since"),
        "note_first_message": ("newcomers", "note_first_message"),
        "flag_newcomer": ("newcomers", "flag"),
        "record_greeting": ("newcomers", "record_greeting"),
        "review_newcomer": ("newcomers", "review"),
        "latest_reviews": ("newcomers", "latest_reviews"),
        "add_chat_greeting": ("greetings", "add"),
        "waiting_greetings": ("greetings", "waiting"),
        "last_greeting_at": ("greetings", "last_at"),
        "sessions_with_waiting_greetings": ("greetings", "sessions_waiting"),
        "mark_greeted": ("greetings", "mark"),
        # Not a public name: tests read raw rows through it. It reads committed data; the public
        # transaction() shows the same rows.
        "_reading": ("_db", "reading"),
    }

    def __getattr__(self, name: str) -> Any:
        """TEMPORARY: resolve an old flat name to the new bound method (only called for missing attributes)."""
        try:
            aggregate, new_name = Storage._OLD_NAMES[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None
        return getattr(getattr(self, aggregate), new_name)
