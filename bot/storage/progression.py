"""How a server measures progression (progression_config), the channels it opts in (progression_channel) and the
leaders its moderators name (progression_named)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.progression import Thresholds
from bot.storage._database import Queries, to_text


@dataclass(frozen=True)
class ProgressionConfig:
    """A server's thresholds and recognition; the defaults until an admin changes them."""

    guild_id: int
    thresholds: Thresholds = Thresholds()
    role_id: int | None = None  # granted on reaching helper or leader (None: off)
    congratulate: bool = False


class ProgressionQueries(Queries):
    """A server's progression settings, opted-in channels and named leaders: storage.progression."""

    async def config(self, guild_id: int) -> ProgressionConfig:
        """The server's progression settings (the defaults if none were saved)."""
        row = await self._db.fetchone("SELECT thresholds, role_id, congratulate FROM progression_config "
                                      "WHERE guild_id = ?", (guild_id,))
        if row is None:
            return ProgressionConfig(guild_id)
        return ProgressionConfig(guild_id, Thresholds.from_json(row[0]), row[1], bool(row[2]))

    async def save_config(self, config: ProgressionConfig, *, by: int, at: datetime) -> None:
        """Store a server's progression settings whole (validate them first: nothing here checks)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO progression_config (guild_id, thresholds, role_id, congratulate, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET thresholds = excluded.thresholds, "
                "role_id = excluded.role_id, congratulate = excluded.congratulate, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (config.guild_id, config.thresholds.changes_json(), config.role_id, int(config.congratulate),
                 to_text(at, "at"), by))

    async def channels(self, guild_id: int) -> list[int]:
        """The channels a server opted in, besides its chat channels, in the order they were added."""
        return await self._db.ids("SELECT channel_id FROM progression_channel WHERE guild_id = ? ORDER BY added_at, "
                                  "channel_id", (guild_id,))

    async def add_channel(self, guild_id: int, channel_id: int, *, by: int, at: datetime) -> bool:
        """Opt a channel in; False if it already was."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO progression_channel (guild_id, channel_id, added_by, added_at) "
                "VALUES (?, ?, ?, ?)", (guild_id, channel_id, by, to_text(at, "at")))
            return cursor.rowcount == 1

    async def remove_channel(self, guild_id: int, channel_id: int) -> bool:
        """Opt a channel out again; False if it was not opted in."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM progression_channel WHERE guild_id = ? AND channel_id = ?",
                                        (guild_id, channel_id))
            return cursor.rowcount == 1

    async def named(self, guild_id: int) -> list[int]:
        """The members a server's moderators named leaders."""
        return await self._db.ids("SELECT user_id FROM progression_named WHERE guild_id = ? ORDER BY user_id",
                                  (guild_id,))

    async def name(self, guild_id: int, user_id: int, *, by: int, at: datetime) -> bool:
        """Name a member a leader; False if they already were."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO progression_named (guild_id, user_id, named_by, named_at) VALUES (?, ?, ?, ?)",
                (guild_id, user_id, by, to_text(at, "at")))
            return cursor.rowcount == 1

    async def unname(self, guild_id: int, user_id: int) -> bool:
        """Take back a member's naming as a leader; False if they were not named."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM progression_named WHERE guild_id = ? AND user_id = ?",
                                        (guild_id, user_id))
            return cursor.rowcount == 1
