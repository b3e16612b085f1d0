"""Posts the bot makes on a schedule (scheduled_post), each under a stable key so it goes out at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.running import PlannedPost
from bot.storage._database import Queries, from_text, required, to_text


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
                   due_at=required(from_text(row["due_at"])), status=row["status"], message_id=row["message_id"],
                   attempts=row["attempts"], last_error=row["last_error"], posted_at=from_text(row["posted_at"]),
                   question_number=row["question_number"], thread_id=row["thread_id"])


class PostQueries(Queries):
    """Scheduled posts and their attempts: storage.posts."""

    async def add(self, session_id: int, channel_id: int, posts: list[PlannedPost]) -> None:
        """Schedule posts; a key that exists already is left as it is (adding twice never posts twice)."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO scheduled_post (key, session_id, kind, channel_id, due_at, question_number) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                [(post.key, session_id, post.kind, channel_id, to_text(post.due_at, "due_at"), post.question_number)
                 for post in posts])

    async def get(self, key: str) -> ScheduledPost | None:
        """One scheduled post by key."""
        row = await self._db.fetchone("SELECT * FROM scheduled_post WHERE key = ?", (key,))
        return None if row is None else ScheduledPost._from_row(row)

    async def of_session(self, session_id: int) -> list[ScheduledPost]:
        """A session's scheduled posts, by due time."""
        rows = await self._db.fetchall("SELECT * FROM scheduled_post WHERE session_id = ? ORDER BY due_at, key",
                                       (session_id,))
        return [ScheduledPost._from_row(row) for row in rows]

    async def pending(self) -> list[ScheduledPost]:
        """Every post still to make, soonest first: what the jobs are rebuilt from at start."""
        rows = await self._db.fetchall("SELECT * FROM scheduled_post WHERE status = 'pending' ORDER BY due_at, key")
        return [ScheduledPost._from_row(row) for row in rows]

    async def for_message(self, message_id: int) -> ScheduledPost | None:
        """The scheduled post that became this Discord message (or started this thread), if any."""
        row = await self._db.fetchone("SELECT * FROM scheduled_post WHERE message_id = ? OR thread_id = ?",
                                      (message_id, message_id))
        return None if row is None else ScheduledPost._from_row(row)

    async def set_due(self, key: str, due_at: datetime) -> None:
        """Move a pending post to a new time."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET due_at = ? WHERE key = ? AND status = 'pending'",
                               (to_text(due_at, "due_at"), key))

    async def begin_attempt(self, key: str) -> ScheduledPost | None:
        """Count one more attempt at a pending post and return it; None if it is no longer pending.

        The count is committed before the post is sent, so after a crash a non-zero count says
        "this may have gone out already: look in the channel before sending again".
        """
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET attempts = attempts + 1 WHERE key = ? AND status = 'pending'",
                               (key,))
            post = await self.get(key)
        return post if post is not None and post.status == "pending" else None

    async def sent(self, key: str, message_id: int, posted_at: datetime) -> None:
        """Record that a post went out as this message."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET status = 'posted', message_id = ?, posted_at = ?, "
                               "last_error = NULL WHERE key = ?", (message_id, to_text(posted_at, "posted_at"), key))

    async def set_thread(self, key: str, thread_id: int) -> None:
        """Record the thread opened on a question post, where its answers go."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET thread_id = ? WHERE key = ?", (thread_id, key))

    async def not_sent(self, key: str, error: str, *, status: str = "pending") -> None:
        """Record why a post did not go out: still pending (to retry), failed (gave up) or skipped."""
        if status not in ("pending", "failed", "skipped"):
            raise ValueError(f"not a status for an unsent post: {status!r}")
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET status = ?, last_error = ? WHERE key = ? "
                               "AND status = 'pending'", (status, error[:500], key))

    async def try_again(self, key: str) -> None:
        """Make a post that failed for good pending again, with fresh retries.

        Its attempt count restarts at 1, not 0: a post tried before may have gone out after all, and a non-zero
        count makes delivery look for it in the channel before sending.
        """
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE scheduled_post SET status = 'pending', attempts = 1 "
                               "WHERE key = ? AND status = 'failed'", (key,))

    async def plan_questions(self, session_id: int, channel_id: int, wanted: list[PlannedPost]) -> None:
        """Make the session's unposted questions exactly `wanted`: re-time, add, and skip what no longer fits."""
        async with self._db.transaction() as conn:
            keys = [post.key for post in wanted]
            marks = ", ".join("?" for _ in keys) or "''"
            await conn.execute(
                f"UPDATE scheduled_post SET status = 'skipped', last_error = 'no longer fits in the chat' "
                f"WHERE session_id = ? AND kind = 'question' AND status = 'pending' AND key NOT IN ({marks})",
                (session_id, *keys))
            for post in wanted:
                await conn.execute("UPDATE scheduled_post SET due_at = ? WHERE key = ? AND status = 'pending'",
                                   (to_text(post.due_at, "due_at"), post.key))
                await conn.execute(
                    "INSERT INTO scheduled_post (key, session_id, kind, channel_id, due_at, question_number) "
                    "VALUES (?, ?, 'question', ?, ?, ?) ON CONFLICT (key) DO UPDATE SET status = 'pending', "
                    "due_at = excluded.due_at, last_error = NULL WHERE status = 'skipped'",
                    (post.key, session_id, channel_id, to_text(post.due_at, "due_at"), post.question_number))

    async def plan_reminders(self, series_id: int, channel_id: int, session_id: int | None,
                             wanted: list[PlannedPost]) -> None:
        """Make the series' unsent reminders exactly `wanted` (for its next session): re-time, add, skip the rest."""
        async with self._db.transaction() as conn:
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
                    (post.key, session_id, channel_id, to_text(post.due_at, "due_at")))
