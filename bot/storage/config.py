"""Each server's settings (guild_config) and the bot's own key-value notes (bot_meta)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import aiosqlite

from bot.storage._database import Queries, from_text, to_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuildConfig:
    """A server's settings; every field is None until an admin sets it."""

    #: The columns admins may change through storage.config.update, in display order.
    SETTABLE: ClassVar[tuple[str, ...]] = (
        "chat_channel_id",
        "welcome_channel_id",
        "moderator_channel_id",
        "host_role_id",
        "moderator_role_id",
        "helper_role_id",
        "notify_role_id",
        "timezone",
    )

    guild_id: int
    chat_channel_id: int | None = None
    welcome_channel_id: int | None = None
    moderator_channel_id: int | None = None
    host_role_id: int | None = None
    moderator_role_id: int | None = None
    helper_role_id: int | None = None
    notify_role_id: int | None = None
    timezone: str | None = None
    updated_at: datetime | None = None
    updated_by: int | None = None
    retention_days: int | None = None  # how long message text is kept; None: the default (bot/domain/privacy.py)

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> GuildConfig:
        """Build a GuildConfig from a guild_config row."""
        values: dict[str, Any] = {name: row[name] for name in ("guild_id", *cls.SETTABLE, "updated_by",
                                                               "retention_days")}
        return cls(**values, updated_at=from_text(row["updated_at"]))


def _check_config_value(key: str, value: int | str | None) -> None:
    """Reject a value of the wrong type for a guild_config column before it reaches the database."""
    if value is None:
        return
    if key == "timezone":
        if not isinstance(value, str) or not value:
            raise TypeError(f"timezone must be a non-empty string or None (got {value!r}).")
    elif not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise TypeError(f"{key} must be a positive integer Discord ID or None (got {value!r}).")


class ConfigQueries(Queries):
    """Servers' settings: storage.config."""

    async def get(self, guild_id: int) -> GuildConfig:
        """Return a server's configuration; a server never configured gets an all-None GuildConfig."""
        row = await self._db.fetchone("SELECT * FROM guild_config WHERE guild_id = ?", (guild_id,))
        return GuildConfig(guild_id=guild_id) if row is None else GuildConfig._from_row(row)

    async def update(
        self,
        guild_id: int,
        changes: Mapping[str, int | str | None],
        *,
        updated_by: int,
        now: datetime,
    ) -> GuildConfig:
        """Set the given SETTABLE fields (None clears one) and return the whole new configuration.

        Unknown keys raise ValueError and wrong types raise TypeError before anything is written.
        """
        unknown = sorted(set(changes) - set(GuildConfig.SETTABLE))
        if unknown:
            raise ValueError(
                f"Unknown guild config field(s) {', '.join(unknown)}; allowed: {', '.join(GuildConfig.SETTABLE)}."
            )
        for key, value in changes.items():
            _check_config_value(key, value)
        updated_at = to_text(now, "now")
        if not changes:
            return await self.get(guild_id)
        # Keep SETTABLE's order so the statement text is stable; names are validated against SETTABLE above.
        columns = [name for name in GuildConfig.SETTABLE if name in changes]
        insert_columns = ", ".join(["guild_id", *columns, "updated_at", "updated_by"])
        placeholders = ", ".join("?" for _ in range(len(columns) + 3))
        assignments = ", ".join(f"{name} = excluded.{name}" for name in [*columns, "updated_at", "updated_by"])
        sql = (
            f"INSERT INTO guild_config ({insert_columns}) VALUES ({placeholders}) "
            f"ON CONFLICT (guild_id) DO UPDATE SET {assignments}"
        )
        parameters = (guild_id, *(changes[name] for name in columns), updated_at, updated_by)
        async with self._db.transaction() as conn:
            await conn.execute(sql, parameters)
            config = await self.get(guild_id)
        log.info("Guild %s config changed by %s: %s", guild_id, updated_by, ", ".join(columns))
        return config


    async def set_retention(self, guild_id: int, days: int | None, *, updated_by: int, now: datetime) -> GuildConfig:
        """Keep a server's message text `days` days (None: the default); validated by the caller."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_config (guild_id, retention_days, updated_at, updated_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET retention_days = excluded.retention_days, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (guild_id, days, to_text(now, "now"), updated_by))
            config = await self.get(guild_id)
        log.info("Guild %s keeps message text %s days (set by %s)", guild_id, days or "the default", updated_by)
        return config


class MetaQueries(Queries):
    """The bot's own notes, one text value per key: storage.meta."""

    async def get(self, key: str) -> str | None:
        """Return a bot_meta value, or None if it was never set."""
        row = await self._db.fetchone("SELECT value FROM bot_meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set(self, key: str, value: str) -> None:
        """Set (insert or replace) a bot_meta value."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
