"""Members as the bot saw them join and leave each server, or found them there (the members table)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage._database import Queries, from_text, required, to_text

log = logging.getLogger(__name__)

# Rows written per transaction when a whole member list is recorded, so other writes are not held up for long.
_BATCH = 500


@dataclass(frozen=True)
class Member:
    """A member as the bot saw them join (and perhaps leave) one server.

    join_count is how many joins the bot saw: 0 for a member who was there before it first saw the server.
    """

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


@dataclass(frozen=True)
class ListedMember:
    """A member as Discord lists them now: who, their name, when their account was made and when they joined."""

    user_id: int
    display_name: str
    account_created_at: datetime
    joined_at: datetime


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

    async def record_existing(self, guild_id: int, members: Sequence[ListedMember]) -> int:
        """Record members who were in the server before the bot first saw it; return how many were new.

        They get join_count 0 (the bot saw no join), so they stay out of the joins report and burst counts.
        Members already recorded are left as they are. Written a few hundred rows per transaction.
        """
        added = 0
        for start in range(0, len(members), _BATCH):
            rows = [(guild_id, m.user_id, m.display_name, to_text(m.account_created_at, "account_created_at"),
                     to_text(m.joined_at, "joined_at"), to_text(m.joined_at, "joined_at"))
                    for m in members[start:start + _BATCH]]
            async with self._db.transaction() as conn:
                before = conn.total_changes
                await conn.executemany(
                    "INSERT INTO members (guild_id, user_id, display_name, account_created_at, first_joined_at, "
                    "last_joined_at, left_at, join_count) VALUES (?, ?, ?, ?, ?, ?, NULL, 0) "
                    "ON CONFLICT (guild_id, user_id) DO NOTHING", rows)
                added += conn.total_changes - before
        return added

    async def remember_name(self, guild_id: int, member: ListedMember) -> None:
        """Keep the name a member shows now, so reports made without Discord (the CLI, files) can name them.

        A member not recorded yet (someone who greets or reviews without the bot having seen them join) is recorded
        as there before, join_count 0, like `record_existing`; a recorded one only has their name refreshed.
        """
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO members (guild_id, user_id, display_name, account_created_at, first_joined_at, "
                "last_joined_at, left_at, join_count) VALUES (?, ?, ?, ?, ?, ?, NULL, 0) "
                "ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = excluded.display_name",
                (guild_id, member.user_id, member.display_name,
                 to_text(member.account_created_at, "account_created_at"), to_text(member.joined_at, "joined_at"),
                 to_text(member.joined_at, "joined_at")))

    async def record_leaves(self, guild_id: int, user_ids: Sequence[int], left_at: datetime) -> int:
        """Record that these members left (noticed at `left_at`); return how many leaves were recorded.

        As with record_leave, a member unknown, already gone, or whose last join is after `left_at` is unchanged.
        """
        left_text = to_text(left_at, "left_at")
        async with self._db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "UPDATE members SET left_at = ? WHERE guild_id = ? AND user_id = ? AND left_at IS NULL "
                "AND last_joined_at <= ?", [(left_text, guild_id, user_id, left_text) for user_id in user_ids])
            return conn.total_changes - before

    async def presence(self, guild_id: int) -> dict[int, bool]:
        """Every member recorded in a server, mapped to whether they are present: one query for the whole list."""
        rows = await self._db.fetchall("SELECT user_id, left_at IS NULL FROM members WHERE guild_id = ?",
                                       (guild_id,))
        return {row[0]: bool(row[1]) for row in rows}

    async def present(self, guild_id: int, start: datetime, end: datetime) -> list[Member]:
        """A server's members at some moment from `start` to `end`: joined before the end, there at the start."""
        rows = await self._db.fetchall(
            "SELECT * FROM members WHERE guild_id = ? AND first_joined_at < ? AND (left_at IS NULL OR left_at >= ?) "
            "ORDER BY user_id", (guild_id, to_text(end, "end"), to_text(start, "start")))
        return [Member._from_row(row) for row in rows]

    async def earliest_join(self, guild_id: int) -> datetime | None:
        """The earliest join the bot saw in a server (members there before it aside); None if it saw none."""
        row = await self._db.fetchone(
            "SELECT MIN(first_joined_at) FROM members WHERE guild_id = ? AND join_count > 0", (guild_id,))
        return None if row is None else from_text(row[0])

    async def get(self, guild_id: int, user_id: int) -> Member | None:
        """Return what is recorded about a member of a server, or None if the bot never recorded them."""
        row = await self._db.fetchone("SELECT * FROM members WHERE guild_id = ? AND user_id = ?",
                                      (guild_id, user_id))
        return None if row is None else Member._from_row(row)

    async def recent_joins(self, guild_id: int, *, since: datetime) -> list[Member]:
        """Members whose latest join the bot saw at or after `since`, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM members WHERE guild_id = ? AND last_joined_at >= ? AND join_count > 0 "
            "ORDER BY last_joined_at DESC",
            (guild_id, to_text(since, "since")))
        return [Member._from_row(row) for row in rows]

    async def join_times(self, guild_id: int, *, since: datetime) -> list[datetime]:
        """When members joined (their latest join the bot saw) at or after `since`."""
        rows = await self._db.fetchall(
            "SELECT last_joined_at FROM members WHERE guild_id = ? AND last_joined_at >= ? AND join_count > 0",
            (guild_id, to_text(since, "since")))
        return [required(from_text(row[0])) for row in rows]

    async def count(self, guild_id: int, *, include_departed: bool = False) -> int:
        """Count a server's members who are present now (or everyone ever seen, with include_departed)."""
        sql = "SELECT COUNT(*) FROM members WHERE guild_id = ?"
        if not include_departed:
            sql += " AND left_at IS NULL"
        row = await self._db.fetchone(sql, (guild_id,))
        return 0 if row is None else int(row[0])

    async def guilds(self) -> list[int]:
        """The servers whose members the bot has recorded, in id order."""
        # One index lookup per server (the next id above the last), rather than reading every member.
        return await self._db.ids(
            "WITH RECURSIVE server(id) AS (SELECT MIN(guild_id) FROM members UNION ALL "
            "SELECT (SELECT MIN(guild_id) FROM members WHERE guild_id > server.id) FROM server "
            "WHERE server.id IS NOT NULL) SELECT id FROM server WHERE id IS NOT NULL")
