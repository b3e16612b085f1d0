"""Weekly chat series (the chat_series table); editing one carries its not-yet-run sessions along."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, ClassVar

import aiosqlite

from bot.storage._database import Queries, from_text, required, to_text


class DuplicateName(ValueError):
    """A series with that name already exists in the server."""


@dataclass(frozen=True)
class Series:
    """A weekly chat series as stored; durations in whole seconds."""

    id: int
    guild_id: int
    name: str
    hashtag: str
    channel_id: int
    weekday: int
    local_time: time
    timezone: str
    duration_seconds: int
    spacing_seconds: int
    first_question_seconds: int
    pacing: str
    use_threads: bool
    paused: bool
    created_by: int
    created_at: datetime
    #: How long before each session a reminder goes out, in seconds, longest first.
    reminders: tuple[int, ...] = (86400, 3600)
    #: Whether the recap lists the members with the most answers (a host may turn it off for a gentler recap).
    most_answers: bool = True

    #: Columns a host may change with storage.series.update.
    EDITABLE: ClassVar[tuple[str, ...]] = (
        "name", "hashtag", "channel_id", "weekday", "local_time", "timezone", "duration_seconds",
        "spacing_seconds", "first_question_seconds", "pacing", "use_threads", "paused", "reminders", "most_answers",
    )

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> Series:
        """Build a Series from a chat_series row."""
        return cls(
            id=row["id"], guild_id=row["guild_id"], name=row["name"], hashtag=row["hashtag"],
            channel_id=row["channel_id"], weekday=row["weekday"], local_time=time.fromisoformat(row["local_time"]),
            timezone=row["timezone"], duration_seconds=row["duration_seconds"],
            spacing_seconds=row["spacing_seconds"], first_question_seconds=row["first_question_seconds"],
            pacing=row["pacing"], use_threads=bool(row["use_threads"]), paused=bool(row["paused"]),
            created_by=row["created_by"], created_at=required(from_text(row["created_at"])),
            reminders=tuple(int(part) for part in row["reminders"].split(",") if part),
            most_answers=bool(row["most_answers"]),
        )


class SeriesQueries(Queries):
    """Weekly series: storage.series."""

    async def create(self, *, guild_id: int, name: str, hashtag: str, channel_id: int, weekday: int,
                     local_time: time, timezone: str, duration_seconds: int, spacing_seconds: int,
                     first_question_seconds: int, pacing: str, created_by: int, now: datetime,
                     reminders: tuple[int, ...] = (86400, 3600), use_threads: bool = False,
                     most_answers: bool = True) -> Series:
        """Store a new series; a name already used in the server (any case) raises DuplicateName."""
        async with self._db.transaction() as conn:
            if await self.find(guild_id, name) is not None:
                raise DuplicateName(name)
            cursor = await conn.execute(
                "INSERT INTO chat_series (guild_id, name, hashtag, channel_id, weekday, local_time, timezone, "
                "duration_seconds, spacing_seconds, first_question_seconds, pacing, created_by, created_at, reminders, "
                "use_threads, most_answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (guild_id, name, hashtag, channel_id, weekday, local_time.strftime("%H:%M"), timezone,
                 duration_seconds, spacing_seconds, first_question_seconds, pacing, created_by,
                 to_text(now, "now"), ",".join(map(str, reminders)), int(use_threads), int(most_answers)),
            )
            series_id = cursor.lastrowid
            await cursor.close()
            series = await self.get(int(series_id or 0))
        assert series is not None
        return series

    async def get(self, series_id: int) -> Series | None:
        """One series by id."""
        row = await self._db.fetchone("SELECT * FROM chat_series WHERE id = ?", (series_id,))
        return None if row is None else Series._from_row(row)

    async def find(self, guild_id: int, name: str) -> Series | None:
        """A server's series by name, ignoring case."""
        row = await self._db.fetchone("SELECT * FROM chat_series WHERE guild_id = ? AND name = ? COLLATE NOCASE",
                                      (guild_id, name))
        return None if row is None else Series._from_row(row)

    async def all(self, guild_id: int | None = None) -> list[Series]:
        """A server's series (every server's, if guild_id is None), by name."""
        sql = "SELECT * FROM chat_series" + (" WHERE guild_id = ?" if guild_id is not None else "")
        rows = await self._db.fetchall(sql + " ORDER BY name COLLATE NOCASE",
                                       (guild_id,) if guild_id is not None else ())
        return [Series._from_row(row) for row in rows]

    async def update(self, series_id: int, changes: Mapping[str, Any], *,
                     moved: Mapping[int, datetime] | None = None) -> Series:
        """Change EDITABLE fields of a series and return it; a clashing new name raises DuplicateName.

        Its planned and skipped sessions follow: `moved` gives each one's new start (when the weekly slot
        changed), and they take the series' new channel, name, hashtag and zone, keeping their questions.
        """
        unknown = sorted(set(changes) - set(Series.EDITABLE))
        if unknown:
            raise ValueError(f"Unknown series field(s): {', '.join(unknown)}")
        values = {k: (v.strftime("%H:%M") if isinstance(v, time) else ",".join(map(str, v)) if isinstance(v, tuple)
                      else v) for k, v in changes.items()}
        async with self._db.transaction() as conn:
            current = await self.get(series_id)
            if current is None:
                raise KeyError(series_id)
            if "name" in values:
                clash = await self.find(current.guild_id, values["name"])
                if clash is not None and clash.id != series_id:
                    raise DuplicateName(values["name"])
            if values:
                # Column names come from Series.EDITABLE, checked above.
                assignments = ", ".join(f"{name} = ?" for name in values)
                await conn.execute(f"UPDATE chat_series SET {assignments} WHERE id = ?", (*values.values(), series_id))
            series = await self.get(series_id)
            assert series is not None
            for session_id, starts_at in (moved or {}).items():
                await conn.execute("UPDATE chat_session SET starts_at = ? WHERE id = ? AND series_id = ?",
                                   (to_text(starts_at, "starts_at"), session_id, series_id))
            await conn.execute(
                "UPDATE chat_session SET channel_id = ?, series_name = ?, hashtag = ?, timezone = ? "
                "WHERE series_id = ? AND status IN ('planned', 'skipped')",
                (series.channel_id, series.name, series.hashtag, series.timezone, series_id))
        return series

    async def delete(self, series_id: int) -> None:
        """Delete a series and its planned sessions; sessions that ran stay, as history."""
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM chat_session WHERE series_id = ? AND status IN ('planned', 'skipped')",
                               (series_id,))
            await conn.execute("DELETE FROM chat_series WHERE id = ?", (series_id,))
