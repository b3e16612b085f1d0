"""Newcomers' first steps (newcomer) and moderators' reviews of them (newcomer_review)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage._database import Queries, from_text, required, to_text
from bot.storage.members import Member

# A newcomer row's columns besides the member's key, to select beside `m.*` (members m JOIN newcomer n).
_FIRST_STEPS = ("n.welcome, n.welcomed_at, n.first_message_id, n.first_channel_id, n.first_message_at, "
                "n.first_message_text, n.link_in_first, n.mass_mentions, n.repeated_text, n.greeted_by, n.greeted_at, "
                "n.greeting_message_id")


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
                   welcomed_at=from_text(row["welcomed_at"]), first_message_id=row["first_message_id"],
                   first_channel_id=row["first_channel_id"], first_message_at=from_text(row["first_message_at"]),
                   first_message_text=row["first_message_text"], link_in_first=bool(row["link_in_first"]),
                   mass_mentions=bool(row["mass_mentions"]), repeated_text=bool(row["repeated_text"]),
                   greeted_by=row["greeted_by"], greeted_at=from_text(row["greeted_at"]),
                   greeting_message_id=row["greeting_message_id"])


@dataclass(frozen=True)
class NewcomerReview:
    """A moderator's latest review of a newcomer."""

    status: str
    reviewer_id: int
    reviewed_at: datetime


@dataclass(frozen=True)
class NewcomerRecord:
    """A newcomer as the report reads them: who they are, their first steps and latest review (None if none).

    greeter_name and reviewer_name are the names stored for whoever greeted and reviewed them (None when the bot
    never recorded that member).
    """

    member: Member
    newcomer: Newcomer
    review: NewcomerReview | None
    greeter_name: str | None
    reviewer_name: str | None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> NewcomerRecord:
        """Build a NewcomerRecord from a row of NewcomerQueries.for_report."""
        review = None if row["review"] is None else \
            NewcomerReview(row["review"], row["reviewer_id"], required(from_text(row["reviewed_at"])))
        return cls(member=Member._from_row(row), newcomer=Newcomer._from_row(row), review=review,
                   greeter_name=row["greeter_name"], reviewer_name=row["reviewer_name"])


class NewcomerQueries(Queries):
    """Newcomers' first message, flags, greeter and reviews: storage.newcomers."""

    async def get(self, guild_id: int, user_id: int) -> Newcomer | None:
        """A member's first steps, if the bot saw them join."""
        row = await self._db.fetchone("SELECT * FROM newcomer WHERE guild_id = ? AND user_id = ?",
                                      (guild_id, user_id))
        return None if row is None else Newcomer._from_row(row)

    async def since(self, guild_id: int, since: datetime) -> list[tuple[Member, Newcomer]]:
        """Members who (last) joined at or after `since`, with their first steps."""
        rows = await self._db.fetchall(
            f"SELECT m.*, {_FIRST_STEPS} FROM members m JOIN newcomer n USING (guild_id, user_id) "
            "WHERE m.guild_id = ? AND m.last_joined_at >= ? ORDER BY m.last_joined_at DESC",
            (guild_id, to_text(since, "since")))
        return [(Member._from_row(row), Newcomer._from_row(row)) for row in rows]

    async def for_report(self, guild_id: int, *, since: datetime, only: int | None = None) -> list[NewcomerRecord]:
        """Members who (last) joined at or after `since` (or just `only`), newest first, as the report reads them.

        One query, however many there are: each comes with their latest review and the stored names of their
        greeter and reviewer.
        """
        # A newcomer row exists only for a join the bot saw, so join_count > 0 leaves no one out; it lets the
        # members_joins index find the joins since `since` instead of reading every member of the server.
        sql = (f"SELECT m.*, {_FIRST_STEPS}, g.display_name AS greeter_name, r.status AS review, r.reviewer_id, "
               "r.reviewed_at, v.display_name AS reviewer_name "
               "FROM members m JOIN newcomer n USING (guild_id, user_id) "
               "LEFT JOIN members g ON g.guild_id = n.guild_id AND g.user_id = n.greeted_by "
               "LEFT JOIN newcomer_review r ON r.id = (SELECT MAX(id) FROM newcomer_review "
               "WHERE guild_id = m.guild_id AND user_id = m.user_id) "
               "LEFT JOIN members v ON v.guild_id = r.guild_id AND v.user_id = r.reviewer_id "
               "WHERE m.guild_id = ? AND m.join_count > 0 AND m.last_joined_at >= ?")
        parameters: tuple[object, ...] = (guild_id, to_text(since, "since"))
        if only is not None:
            sql, parameters = sql + " AND m.user_id = ?", (*parameters, only)
        rows = await self._db.fetchall(sql + " ORDER BY m.last_joined_at DESC, m.user_id", parameters)
        return [NewcomerRecord._from_row(row) for row in rows]

    async def note_first_message(self, guild_id: int, user_id: int, *, message_id: int, channel_id: int,
                                 at: datetime, text: str, link: bool) -> bool:
        """Keep a newcomer's first message; False if one is already kept."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE newcomer SET first_message_id = ?, first_channel_id = ?, first_message_at = ?, "
                "first_message_text = ?, link_in_first = ? WHERE guild_id = ? AND user_id = ? "
                "AND first_message_id IS NULL",
                (message_id, channel_id, to_text(at, "at"), text, int(link), guild_id, user_id))
            return cursor.rowcount == 1

    async def flag(self, guild_id: int, user_id: int, flag: str) -> None:
        """Set a behaviour flag: mass_mentions or repeated_text."""
        if flag not in ("mass_mentions", "repeated_text"):
            raise ValueError(f"Not a newcomer flag: {flag}")
        async with self._db.transaction() as conn:
            await conn.execute(f"UPDATE newcomer SET {flag} = 1 WHERE guild_id = ? AND user_id = ?",
                               (guild_id, user_id))

    async def record_greeting(self, guild_id: int, newcomer_id: int, greeter_id: int, *, at: datetime,
                              message_id: int, session_id: int | None) -> bool:
        """The first human greeting of a newcomer, credited to the greeter as a helpful act; False if not the first."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE newcomer SET greeted_by = ?, greeted_at = ?, greeting_message_id = ? "
                "WHERE guild_id = ? AND user_id = ? AND greeted_by IS NULL",
                (greeter_id, to_text(at, "at"), message_id, guild_id, newcomer_id))
            if cursor.rowcount != 1:
                return False
            await conn.execute(
                "INSERT OR IGNORE INTO activity (guild_id, user_id, kind, session_id, message_id, target_user_id, "
                "occurred_at) VALUES (?, ?, 'greeting', ?, ?, ?, ?)",
                (guild_id, greeter_id, session_id, message_id, newcomer_id, to_text(at, "at")))
            return True

    async def review(self, guild_id: int, user_id: int, status: str, *, reviewer_id: int, at: datetime) -> None:
        """Record a moderator's review (reviewed, follow_up, watch); earlier reviews are kept as history."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO newcomer_review (guild_id, user_id, status, reviewer_id, reviewed_at) "
                "VALUES (?, ?, ?, ?, ?)", (guild_id, user_id, status, reviewer_id, to_text(at, "at")))

    async def latest_reviews(self, guild_id: int) -> dict[int, NewcomerReview]:
        """Each reviewed newcomer's latest review."""
        rows = await self._db.fetchall(
            "SELECT user_id, status, reviewer_id, reviewed_at FROM newcomer_review r WHERE guild_id = ? "
            "AND id = (SELECT MAX(id) FROM newcomer_review WHERE guild_id = r.guild_id AND user_id = r.user_id)",
            (guild_id,))
        return {int(row[0]): NewcomerReview(row[1], row[2], required(from_text(row[3]))) for row in rows}
