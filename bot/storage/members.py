"""Members as the bot saw them join and leave each server (the members table)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage._database import Queries, from_text, required, to_text

log = logging.getLogger(__name__)


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
            account_created_at=required(from_text(row["account_created_at"])),
            first_joined_at=required(from_text(row["first_joined_at"])),
            last_joined_at=required(from_text(row["last_joined_at"])),
            left_at=from_text(row["left_at"]),
            join_count=row["join_count"],
        )


class MemberQueries(Queries):
    """Joins, leaves and head counts: storage.members."""

    async def record_join(
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
        created_text = to_text(account_created_at, "account_created_at")
        joined_text = to_text(joined_at, "joined_at")
        async with self._db.transaction() as conn:
            existing = await self.get(guild_id, user_id)
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
            member = await self.get(guild_id, user_id)
        assert member is not None, "member row missing right after writing it"
        return member

    async def record_leave(self, guild_id: int, user_id: int, left_at: datetime) -> bool:
        """Record that a member left; return False if unknown or the leave predates their last join."""
        left_text = to_text(left_at, "left_at")
        async with self._db.transaction() as conn:
            # The last_joined_at guard drops a stale leave event that arrives after a newer rejoin.
            cursor = await conn.execute(
                "UPDATE members SET left_at = ? WHERE guild_id = ? AND user_id = ? AND last_joined_at <= ?",
                (left_text, guild_id, user_id, left_text),
            )
            changed = cursor.rowcount > 0
            await cursor.close()
        return changed

    async def get(self, guild_id: int, user_id: int) -> Member | None:
        """Return what is recorded about a member of a server, or None if they were never seen joining."""
        row = await self._db.fetchone("SELECT * FROM members WHERE guild_id = ? AND user_id = ?",
                                      (guild_id, user_id))
        return None if row is None else Member._from_row(row)

    async def recent_joins(self, guild_id: int, *, since: datetime) -> list[Member]:
        """Members whose latest join is at or after `since`, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM members WHERE guild_id = ? AND last_joined_at >= ? ORDER BY last_joined_at DESC",
            (guild_id, to_text(since, "since")))
        return [Member._from_row(row) for row in rows]

    async def join_times(self, guild_id: int, *, since: datetime) -> list[datetime]:
        """When members joined (their latest join) at or after `since`."""
        rows = await self._db.fetchall(
            "SELECT last_joined_at FROM members WHERE guild_id = ? AND last_joined_at >= ?",
            (guild_id, to_text(since, "since")))
        return [required(from_text(row[0])) for row in rows]

    async def count(self, guild_id: int, *, include_departed: bool = False) -> int:
        """Count a server's members who are present now (or everyone ever seen, with include_departed)."""
        sql = "SELECT COUNT(*) FROM members WHERE guild_id = ?"
        if not include_departed:
            sql += " AND left_at IS NULL"
        row = await self._db.fetchone(sql, (guild_id,))
        return 0 if row is None else int(row[0])
