"""The activity ledger (activity): who checked in, posted, answered, hosted or greeted, chat by chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage._database import Queries, from_text, required, to_text


@dataclass(frozen=True)
class NewcomerChat:
    """A chat a member took part in (posted or checked in), and whether they answered or hosted."""

    session_id: int
    hashtag: str
    timezone: str
    started_at: datetime
    answered: bool
    hosted: bool


class ActivityQueries(Queries):
    """Check-ins and what the ledger says about members' part in chats: storage.activity."""

    async def record_checkin(self, guild_id: int, session_id: int, user_id: int, at: datetime) -> bool:
        """Record that a member pressed "I'm here"; False if they already had."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO activity (guild_id, user_id, kind, session_id, occurred_at) "
                "VALUES (?, ?, 'checkin', ?, ?)", (guild_id, user_id, session_id, to_text(at, "at")))
            return cursor.rowcount == 1

    async def checked_in(self, session_id: int) -> list[int]:
        """Who pressed "I'm here" in a session, in the order they did."""
        return await self._db.ids("SELECT user_id FROM activity WHERE session_id = ? AND kind = 'checkin' "
                                  "ORDER BY occurred_at", (session_id,))

    async def first_timers(self, session_id: int, user_id: int | None = None) -> list[int]:
        """Who posted here having never posted in or checked in to an earlier chat of the server, nor been seen
        posting there before the bot came (prior_poster), or just `user_id` if they did."""
        # Each poster is judged once (not once per message they posted: a regular has thousands in a busy chat).
        only, parameters = ("", (session_id, session_id)) if user_id is None \
            else (" AND user_id = ?", (session_id, user_id, session_id))
        sql = (f"SELECT u.user_id FROM (SELECT DISTINCT user_id FROM activity WHERE kind = 'message' "
               f"AND session_id = ?{only}) u JOIN chat_session s ON s.id = ? WHERE NOT EXISTS ("
               "  SELECT 1 FROM activity b JOIN chat_session t ON t.id = b.session_id "
               "  WHERE b.guild_id = s.guild_id AND b.user_id = u.user_id AND b.kind IN ('message', 'checkin') "
               "  AND b.session_id != s.id AND t.started_at < s.started_at) AND NOT EXISTS ("
               "  SELECT 1 FROM prior_poster p WHERE p.guild_id = s.guild_id AND p.user_id = u.user_id) "
               "ORDER BY u.user_id")
        return await self._db.ids(sql, parameters)

    async def greetings_by(self, guild_id: int, user_id: int) -> list[int]:
        """Whom a member greeted in their first week (their greeting helpful acts), oldest first."""
        return await self._db.ids("SELECT target_user_id FROM activity WHERE guild_id = ? AND user_id = ? "
                                  "AND kind = 'greeting' ORDER BY occurred_at", (guild_id, user_id))

    async def chats_of(self, guild_id: int, user_id: int) -> list[NewcomerChat]:
        """The chats a member posted in or checked in to, oldest first, with whether they answered or hosted."""
        rows = await self._db.fetchall(
            "SELECT s.id, s.hashtag, s.timezone, COALESCE(s.started_at, s.starts_at) AS started, "
            "MAX(a.kind = 'answer') AS answered, MAX(a.kind = 'hosted') AS hosted "
            "FROM activity a JOIN chat_session s ON s.id = a.session_id "
            "WHERE a.guild_id = ? AND a.user_id = ? AND a.kind IN ('message', 'checkin', 'answer', 'hosted') "
            "GROUP BY s.id ORDER BY started", (guild_id, user_id))
        return [NewcomerChat(row[0], row[1], row[2], required(from_text(row[3])), bool(row[4]), bool(row[5]))
                for row in rows]

    async def chats_of_newcomers(self, guild_id: int, *, since: datetime,
                                 only: int | None = None) -> dict[int, list[NewcomerChat]]:
        """chats_of for every member who (last) joined at or after `since` (or just `only`), by member, in one query."""
        # join_count > 0 as in storage.newcomers.for_report: the members_joins index finds the joins since `since`.
        # CROSS JOIN keeps members the outer loop: left to choose, SQLite reads the server's whole ledger in
        # member order to save the GROUP BY a sort.
        sql = ("SELECT a.user_id, s.id, s.hashtag, s.timezone, COALESCE(s.started_at, s.starts_at) AS started, "
               "MAX(a.kind = 'answer') AS answered, MAX(a.kind = 'hosted') AS hosted "
               "FROM members m CROSS JOIN activity a ON a.guild_id = m.guild_id AND a.user_id = m.user_id "
               "JOIN chat_session s ON s.id = a.session_id "
               "WHERE m.guild_id = ? AND m.join_count > 0 AND m.last_joined_at >= ? "
               "AND a.kind IN ('message', 'checkin', 'answer', 'hosted')")
        parameters: tuple[object, ...] = (guild_id, to_text(since, "since"))
        if only is not None:
            sql, parameters = sql + " AND m.user_id = ?", (*parameters, only)
        rows = await self._db.fetchall(sql + " GROUP BY a.user_id, s.id ORDER BY a.user_id, started, s.id", parameters)
        chats: dict[int, list[NewcomerChat]] = {}
        for row in rows:
            chats.setdefault(row[0], []).append(
                NewcomerChat(row[1], row[2], row[3], required(from_text(row[4])), bool(row[5]), bool(row[6])))
        return chats
