"""Chat sessions (chat_session) and their questions (question): planned, skipped, running, ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.domain.running import PlannedPost
from bot.storage._database import Database, Queries, from_text, required, to_text
from bot.storage.posts import PostQueries
from bot.storage.series import Series


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
            starts_at=required(from_text(row["starts_at"])), topic=row["topic"], guest=row["guest"],
            status=row["status"], started_at=from_text(row["started_at"]), ended_at=from_text(row["ended_at"]),
            event_id=row["event_id"], started_by=row["started_by"], ends_at=from_text(row["ends_at"]),
            held_at=from_text(row["held_at"]), duration_seconds=row["duration_seconds"],
            spacing_seconds=row["spacing_seconds"], pacing=row["pacing"],
        )


class ChannelBusy(Exception):
    """A session could not start: another chat (`running`, the one started last) is running in its channel."""

    def __init__(self, running: ChatSession) -> None:
        super().__init__(f"session {running.id} is running in channel {running.channel_id}")
        self.running = running


class SessionQueries(Queries):
    """Sessions, their lifecycle and their questions: storage.sessions."""

    def __init__(self, db: Database, posts: PostQueries) -> None:
        """Query `db`; starting and shifting a session also schedule and move its `posts`."""
        super().__init__(db)
        self._posts = posts

    async def at(self, series: Series, starts_at: datetime) -> ChatSession:
        """The series' session starting at `starts_at`, created (planned) if it does not exist yet."""
        start = to_text(starts_at, "starts_at")
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO chat_session (series_id, guild_id, channel_id, series_name, hashtag, timezone, "
                "starts_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, starts_at) DO NOTHING",
                (series.id, series.guild_id, series.channel_id, series.name, series.hashtag, series.timezone, start),
            )
            row = await self._db.fetchone("SELECT * FROM chat_session WHERE series_id = ? AND starts_at = ?",
                                          (series.id, start))
        assert row is not None
        return ChatSession._from_row(row)

    async def create_adhoc(self, *, guild_id: int, channel_id: int, name: str, hashtag: str, timezone: str,
                           starts_at: datetime, topic: str | None) -> ChatSession:
        """A planned session outside any series (an ad hoc chat started by a host)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO chat_session (series_id, guild_id, channel_id, series_name, hashtag, timezone, starts_at, "
                "topic) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, channel_id, name, hashtag, timezone, to_text(starts_at, "starts_at"), topic))
            session_id = int(cursor.lastrowid or 0)
            await cursor.close()
            session = await self.get(session_id)
        assert session is not None
        return session

    async def get(self, session_id: int) -> ChatSession | None:
        """One session by id."""
        row = await self._db.fetchone("SELECT * FROM chat_session WHERE id = ?", (session_id,))
        return None if row is None else ChatSession._from_row(row)

    async def delete(self, session_id: int) -> None:
        """Delete a session that never ran (an ad hoc chat that could not start)."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM chat_session WHERE id = ? AND status = 'planned'", (session_id,))

    async def skipped_starts(self, series_id: int) -> list[datetime]:
        """Start times of the series' sessions marked skipped."""
        rows = await self._db.fetchall(
            "SELECT starts_at FROM chat_session WHERE series_id = ? AND status = 'skipped'", (series_id,))
        return [required(from_text(row[0])) for row in rows]

    async def future(self, series_id: int, after: datetime) -> list[ChatSession]:
        """The series' planned or skipped sessions starting after `after`, soonest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM chat_session WHERE series_id = ? AND status IN ('planned', 'skipped') "
            "AND starts_at > ? ORDER BY starts_at", (series_id, to_text(after, "after")))
        return [ChatSession._from_row(row) for row in rows]

    async def with_status(self, status: str) -> list[ChatSession]:
        """Every session in a status (e.g. all running chats, to rebuild their jobs at start), oldest first."""
        rows = await self._db.fetchall("SELECT * FROM chat_session WHERE status = ? ORDER BY starts_at", (status,))
        return [ChatSession._from_row(row) for row in rows]

    async def in_channel(self, channel_id: int) -> ChatSession | None:
        """The chat taking messages in a channel: running, or ended with its recap still to come."""
        row = await self._db.fetchone(
            "SELECT s.* FROM chat_session s WHERE s.channel_id = ? AND (s.status = 'running' OR (s.status = 'ended' "
            "AND EXISTS (SELECT 1 FROM scheduled_post p WHERE p.session_id = s.id AND p.kind = 'recap' "
            "AND p.status = 'pending'))) ORDER BY s.started_at DESC LIMIT 1", (channel_id,))
        return None if row is None else ChatSession._from_row(row)

    async def set_status(self, session_id: int, status: str) -> None:
        """Mark a session planned, skipped, running or ended."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE chat_session SET status = ? WHERE id = ?", (status, session_id))

    async def start(self, session_id: int, *, started_at: datetime, started_by: int | None, duration_seconds: int,
                    spacing_seconds: int, pacing: str, posts: list[PlannedPost],
                    topic: str | None = None) -> ChatSession | None:
        """Mark a planned session running (under a new topic, if given) and schedule its posts, in one step.

        None if it was not planned. Its channel runs one chat at a time: if another is running there, nothing is
        written and ChannelBusy says which, so of two chats started in one channel at once exactly one starts.
        """
        ends_at = started_at + timedelta(seconds=duration_seconds)
        async with self._db.transaction() as conn:
            session = await self.get(session_id)
            if session is None or session.status != "planned":
                return None
            busy = await self._db.fetchone(
                "SELECT * FROM chat_session WHERE channel_id = ? AND status = 'running' "
                "ORDER BY started_at DESC, id DESC LIMIT 1", (session.channel_id,))
            if busy is not None:
                raise ChannelBusy(ChatSession._from_row(busy))
            await conn.execute(
                "UPDATE chat_session SET status = 'running', started_at = ?, started_by = ?, ends_at = ?, "
                "duration_seconds = ?, spacing_seconds = ?, pacing = ?, topic = COALESCE(?, topic) WHERE id = ?",
                (to_text(started_at, "started_at"), started_by, to_text(ends_at, "ends_at"), duration_seconds,
                 spacing_seconds, pacing, topic, session_id))
            await self._posts.add(session_id, session.channel_id, posts)
            if started_by is not None:
                await conn.execute(
                    "INSERT OR IGNORE INTO activity (guild_id, user_id, kind, session_id, occurred_at) "
                    "VALUES (?, ?, 'hosted', ?, ?)",
                    (session.guild_id, started_by, session_id, to_text(started_at, "started_at")))
            started = await self.get(session_id)
        assert started is not None
        return started

    async def set_times(self, session_id: int, **times: datetime | None) -> None:
        """Set ends_at, held_at or ended_at (None clears held_at)."""
        unknown = sorted(set(times) - {"ends_at", "held_at", "ended_at"})
        if unknown:
            raise ValueError(f"Unknown session time(s): {', '.join(unknown)}")
        values = {k: None if v is None else to_text(v, k) for k, v in times.items()}
        async with self._db.transaction() as conn:
            assignments = ", ".join(f"{name} = ?" for name in values)  # names checked above
            await conn.execute(f"UPDATE chat_session SET {assignments} WHERE id = ?", (*values.values(), session_id))

    async def shift(self, session_id: int, by: timedelta) -> None:
        """Move a running session's end and every post it has still to make by the same amount."""
        async with self._db.transaction() as conn:
            for post in await self._posts.of_session(session_id):
                if post.status == "pending":
                    await conn.execute("UPDATE scheduled_post SET due_at = ? WHERE key = ?",
                                       (to_text(post.due_at + by, "due_at"), post.key))
            session = await self.get(session_id)
            if session is not None and session.ends_at is not None:
                await conn.execute("UPDATE chat_session SET ends_at = ? WHERE id = ?",
                                   (to_text(session.ends_at + by, "ends_at"), session_id))

    async def finish(self, session_id: int, ended_at: datetime) -> None:
        """Mark a session ended; questions not yet posted are skipped, never posted after the close."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE chat_session SET status = 'ended', ended_at = ?, held_at = NULL "
                               "WHERE id = ? AND status = 'running'", (to_text(ended_at, "ended_at"), session_id))
            await conn.execute("UPDATE scheduled_post SET status = 'skipped', last_error = 'the chat ended first' "
                               "WHERE session_id = ? AND kind = 'question' AND status = 'pending'", (session_id,))

    async def set_event(self, session_id: int, event_id: int | None) -> None:
        """Remember (or forget) the Discord scheduled event that advertises a session."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE chat_session SET event_id = ? WHERE id = ?", (event_id, session_id))

    async def with_events(self, series_id: int) -> list[ChatSession]:
        """A series' sessions that still have a Discord scheduled event."""
        rows = await self._db.fetchall(
            "SELECT * FROM chat_session WHERE series_id = ? AND event_id IS NOT NULL ORDER BY starts_at", (series_id,))
        return [ChatSession._from_row(row) for row in rows]

    async def questions(self, session_id: int) -> list[str]:
        """A session's questions, Q1 first."""
        rows = await self._db.fetchall("SELECT text FROM question WHERE session_id = ? ORDER BY number",
                                       (session_id,))
        return [str(row[0]) for row in rows]

    async def change_questions(self, session_id: int, change: Callable[[list[str]], list[str]]) -> list[str]:
        """Read, change and store a session's questions in one transaction, so concurrent edits never clash."""
        async with self._db.transaction():
            updated = change(await self.questions(session_id))
            await self.replace_questions(session_id, updated)
        return updated

    async def replace_questions(self, session_id: int, questions: list[str], *, topic: str | None = None,
                                guest: str | None = None) -> None:
        """Store a session's whole question list (and a new topic or guest, if given) all-or-nothing."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM question WHERE session_id = ?", (session_id,))
            await conn.executemany("INSERT INTO question (session_id, number, text) VALUES (?, ?, ?)",
                                   [(session_id, number, text) for number, text in enumerate(questions, 1)])
            if topic is not None or guest is not None:
                await conn.execute("UPDATE chat_session SET topic = COALESCE(?, topic), guest = COALESCE(?, guest) "
                                   "WHERE id = ?", (topic, guest, session_id))
