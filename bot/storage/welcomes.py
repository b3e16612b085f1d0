"""The welcome desk: each server's welcome settings and state (welcome_config), and who waits for a welcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage._database import Queries, from_text, to_text
from bot.storage.members import Member


@dataclass(frozen=True)
class WelcomeConfig:
    """How a server welcomes people (template None means the built-in one), and its welcome desk's state."""

    guild_id: int
    template: str | None = None
    dm: bool = False
    ping_helpers: bool = True
    burst_since: datetime | None = None
    last_welcome_at: datetime | None = None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> WelcomeConfig:
        """Build a WelcomeConfig from a welcome_config row."""
        return cls(guild_id=row["guild_id"], template=row["template"], dm=bool(row["dm"]),
                   ping_helpers=bool(row["ping_helpers"]), burst_since=from_text(row["burst_since"]),
                   last_welcome_at=from_text(row["last_welcome_at"]))


class WelcomeQueries(Queries):
    """Welcome settings and the members waiting for their welcome: storage.welcomes."""

    async def config(self, guild_id: int) -> WelcomeConfig:
        """A server's welcome settings and desk state (the built-in welcome if never set)."""
        row = await self._db.fetchone("SELECT * FROM welcome_config WHERE guild_id = ?", (guild_id,))
        return WelcomeConfig(guild_id=guild_id) if row is None else WelcomeConfig._from_row(row)

    async def update_config(self, guild_id: int, *, updated_by: int | None = None, now: datetime | None = None,
                            **changes: Any) -> WelcomeConfig:
        """Change template, dm, ping_helpers, burst_since or last_welcome_at (times aware, None clears)."""
        allowed = {"template", "dm", "ping_helpers", "burst_since", "last_welcome_at"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise ValueError(f"Not welcome settings: {', '.join(unknown)}")
        values = {key: to_text(value, key) if isinstance(value, datetime) else value
                  for key, value in changes.items()}
        if updated_by is not None and now is not None:
            values.update(updated_by=updated_by, updated_at=to_text(now, "now"))
        async with self._db.transaction() as conn:
            await conn.execute("INSERT OR IGNORE INTO welcome_config (guild_id) VALUES (?)", (guild_id,))
            if values:
                # Column names come from `allowed` (checked above) and the two audit columns.
                assignments = ", ".join(f"{column} = ?" for column in values)
                await conn.execute(f"UPDATE welcome_config SET {assignments} WHERE guild_id = ?",
                                   (*values.values(), guild_id))
            return await self.config(guild_id)

    async def set_arrival(self, guild_id: int, user_id: int, welcome: str) -> None:
        """Record what a join gets (waiting, held, repeat); a newcomer's first steps are kept across rejoins."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO newcomer (guild_id, user_id, welcome) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, user_id) DO UPDATE SET welcome = excluded.welcome",
                (guild_id, user_id, welcome))

    async def welcomed_in(self, guild_id: int, message_id: int) -> list[int]:
        """The members a welcome post welcomed (replying to it greets them)."""
        return await self._db.ids("SELECT user_id FROM newcomer WHERE guild_id = ? AND welcome_message_id = ?",
                                  (guild_id, message_id))

    async def count_held(self, guild_id: int, *, since: datetime) -> int:
        """Joins since `since` whose accounts were too new to welcome publicly."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM newcomer n JOIN members m USING (guild_id, user_id) "
            "WHERE n.guild_id = ? AND n.welcome = 'held' AND m.last_joined_at >= ?",
            (guild_id, to_text(since, "since")))
        return 0 if row is None else int(row[0])

    async def waiting(self, guild_id: int) -> list[Member]:
        """Members still in the server whose welcome has not gone out, in the order they joined."""
        rows = await self._db.fetchall(
            "SELECT m.* FROM members m JOIN newcomer n USING (guild_id, user_id) "
            "WHERE m.guild_id = ? AND n.welcome = 'waiting' AND m.left_at IS NULL "
            "ORDER BY m.last_joined_at, m.user_id", (guild_id,))
        return [Member._from_row(row) for row in rows]

    async def guilds_waiting(self) -> list[int]:
        """Servers whose welcome desk has someone waiting (rebuilt into jobs at start-up)."""
        return await self._db.ids("SELECT DISTINCT guild_id FROM newcomer WHERE welcome = 'waiting'")

    async def mark(self, guild_id: int, user_ids: list[int], *, status: str, at: datetime,
                   message_id: int | None) -> None:
        """Close the waiting welcomes of these members (welcomed, or missed)."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE newcomer SET welcome = ?, welcomed_at = ?, welcome_message_id = ? "
                "WHERE guild_id = ? AND user_id = ? AND welcome = 'waiting'",
                [(status, to_text(at, "at") if status == "welcomed" else None, message_id, guild_id, user_id)
                 for user_id in user_ids])
