"""Monthly rollups (progression_close, progression_month): every member's stage and figures, month by month.

Reports read these, never the raw ledger, so their cost follows members and months, not messages.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.domain.progression import MonthRow, Thresholds
from bot.storage._database import Queries, from_text, required, to_text

_COLUMNS = ("month, user_id, name, stage, previous, reasons, below, joined_at, first_answer_at, chats, answers, "
            "replies, helpful, helped, thanks, checkins, hosted, helper_months")


@dataclass(frozen=True)
class MonthClose:
    """A server's month as written: closed for good, or provisional while it runs, and the thresholds it used."""

    guild_id: int
    month: str  # 'YYYY-MM' in `timezone`
    provisional: bool
    timezone: str
    thresholds: Thresholds
    closed_at: datetime


def _row(row: aiosqlite.Row) -> MonthRow:
    """A MonthRow from a progression_month row (selected as _COLUMNS)."""
    return MonthRow(month=row[0], user_id=row[1], name=row[2], stage=row[3], previous=row[4], reasons=row[5],
                    below=bool(row[6]), joined_at=from_text(row[7]), first_answer_at=from_text(row[8]),
                    chats=row[9], answers=row[10], replies=row[11], helpful=row[12], helped=row[13], thanks=row[14],
                    checkins=row[15], hosted=row[16], helper_months=row[17])


class MonthQueries(Queries):
    """Closed and provisional months: storage.months."""

    async def write(self, close: MonthClose, rows: list[MonthRow]) -> bool:
        """Write a month's rows in one transaction; False (and nothing written) if that month is already closed.

        A provisional month is replaced whole each time; a closed one is written once and never again.
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute("SELECT provisional FROM progression_close WHERE guild_id = ? AND month = ?",
                                        (close.guild_id, close.month))
            found = await cursor.fetchone()
            if found is not None and not found[0]:
                return False
            await conn.execute("DELETE FROM progression_month WHERE guild_id = ? AND month = ?",
                               (close.guild_id, close.month))
            await conn.execute(
                "INSERT OR REPLACE INTO progression_close (guild_id, month, provisional, timezone, thresholds, "
                "closed_at) VALUES (?, ?, ?, ?, ?, ?)",
                (close.guild_id, close.month, int(close.provisional), close.timezone, close.thresholds.to_json(),
                 to_text(close.closed_at, "closed_at")))
            await conn.executemany(
                f"INSERT INTO progression_month (guild_id, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(close.guild_id, r.month, r.user_id, r.name, r.stage, r.previous, r.reasons, int(r.below),
                  None if r.joined_at is None else to_text(r.joined_at, "joined_at"),
                  None if r.first_answer_at is None else to_text(r.first_answer_at, "first_answer_at"),
                  r.chats, r.answers, r.replies, r.helpful, r.helped, r.thanks, r.checkins, r.hosted, r.helper_months)
                 for r in rows])
            return True

    async def rewrite(self, close: MonthClose, rows: list[MonthRow]) -> None:
        """Replace a closed month's rows whole, keeping it closed (with `close`'s thresholds and time).

        Only an import rewrites a closed month: messages brought in from before the bot came change what the
        month held, so it is judged again, by the thresholds it was judged by. Everything else uses `write`.
        """
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM progression_close WHERE guild_id = ? AND month = ?",
                               (close.guild_id, close.month))
            await self.write(close, rows)

    async def closes(self, guild_id: int) -> list[MonthClose]:
        """Every month written for a server, oldest first (the running one last, provisional)."""
        rows = await self._db.fetchall(
            "SELECT month, provisional, timezone, thresholds, closed_at FROM progression_close WHERE guild_id = ? "
            "ORDER BY month", (guild_id,))
        return [MonthClose(guild_id, row[0], bool(row[1]), row[2], Thresholds.from_json(row[3]),
                           required(from_text(row[4]))) for row in rows]

    async def rows(self, guild_id: int, first: str, last: str) -> list[MonthRow]:
        """Every member's row for the months from `first` to `last` ('YYYY-MM', both included), by month and member."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM progression_month WHERE guild_id = ? AND month BETWEEN ? AND ? "
            "ORDER BY month, user_id", (guild_id, first, last))
        return [_row(row) for row in rows]

    async def of_member(self, guild_id: int, user_id: int) -> list[MonthRow]:
        """One member's months, oldest first."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM progression_month INDEXED BY progression_month_member "
            "WHERE guild_id = ? AND user_id = ? ORDER BY month",
            (guild_id, user_id))
        return [_row(row) for row in rows]

    async def latest(self, guild_id: int, user_ids: Collection[int], *, before: str) -> dict[int, MonthRow]:
        """Each of a few members' latest row of a month before `before` ('YYYY-MM'), in one read."""
        if not user_ids:
            return {}
        listed = ", ".join("?" for _ in user_ids)
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM progression_month INDEXED BY progression_month_member WHERE guild_id = ? "
            f"AND user_id IN ({listed}) AND month < ? ORDER BY user_id, month", (guild_id, *user_ids, before))
        return {row.user_id: row for row in map(_row, rows)}  # the last of each member's months wins
