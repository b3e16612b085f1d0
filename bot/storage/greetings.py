"""First-time chatters queued for the bot's batched greeting in a running chat (chat_greeting)."""

from __future__ import annotations

from datetime import datetime

from bot.storage._database import Queries, from_text, required, to_text


class GreetingQueries(Queries):
    """The queue of first-time chatters to greet, per session: storage.greetings."""

    async def add(self, session_id: int, user_id: int, *, message_id: int, at: datetime) -> bool:
        """Queue a first-time chatter for the next batched greeting; False if already queued or greeted."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO chat_greeting (session_id, user_id, first_message_id, first_at) "
                "VALUES (?, ?, ?, ?)", (session_id, user_id, message_id, to_text(at, "at")))
            return cursor.rowcount == 1

    async def waiting(self, session_id: int) -> list[tuple[int, datetime]]:
        """First-time chatters not yet greeted, with when they first posted, in that order."""
        rows = await self._db.fetchall(
            "SELECT user_id, first_at FROM chat_greeting WHERE session_id = ? AND status = 'waiting' "
            "ORDER BY first_at, user_id", (session_id,))
        return [(int(row[0]), required(from_text(row[1]))) for row in rows]

    async def last_at(self, session_id: int) -> datetime | None:
        """When the session's last greeting post went out."""
        row = await self._db.fetchone("SELECT MAX(greeted_at) FROM chat_greeting WHERE session_id = ? "
                                      "AND status = 'greeted'", (session_id,))
        return None if row is None else from_text(row[0])

    async def sessions_waiting(self) -> list[int]:
        """Sessions with first-time chatters still to greet (rebuilt into jobs at start-up)."""
        return await self._db.ids("SELECT DISTINCT session_id FROM chat_greeting WHERE status = 'waiting'")

    async def mark(self, session_id: int, user_ids: list[int], *, status: str, at: datetime,
                   message_id: int | None) -> None:
        """Close waiting greetings: greeted (in message_id) or missed (the chat ended first)."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE chat_greeting SET status = ?, greeted_at = ?, message_id = ? "
                "WHERE session_id = ? AND user_id = ? AND status = 'waiting'",
                [(status, to_text(at, "at"), message_id, session_id, user_id) for user_id in user_ids])
