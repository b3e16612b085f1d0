"""Progression: closing each month of a server (every member's stage and figures, written once) and keeping the
running month's provisional rows fresh.

A month closes at its end in the server's time zone; one that ended while the bot was down is closed at the next
start, from the same ledger, so it comes out the same. Closed months are never rewritten here (only an import of
past messages closes one again, by its own thresholds: `bot.history`): a later change of thresholds applies from
the running month on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import standing
from bot.changes import Changes
from bot.clock import Clock
from bot.domain import progression as domain
from bot.jobs import Jobs
from bot.locks import Locks
from bot.progression._months import judge_month
from bot.progression._recognition import Recognition
from bot.storage import MonthClose, Storage

__all__ = ["Progression", "Recognition", "judge_month"]

log = logging.getLogger(__name__)

REFRESH_EVERY = timedelta(days=1)  # the running month's provisional rows (reports read them)

# A member's stage moved at a close or a refresh: (server, member, stage before, stage now).
Moved = Callable[[int, int, str, str], Awaitable[None]]


class Progression:
    """Closes months and refreshes the running one, per server, on the bot's clock."""

    def __init__(self, storage: Storage, clock: Clock, jobs: Jobs, *, default_zone: str,
                 flush: Callable[[], Awaitable[None]], moved: Moved | None = None) -> None:
        self._storage = storage
        self._clock = clock
        self._jobs = jobs
        self._default_zone = default_zone
        self._flush = flush  # the ledger rows still in memory are committed before a month is judged
        self._moved = moved
        self._locks = Locks()
        self._changes = Changes()
        self.wait_for = self._changes.wait_for  # the demo and tests wait for a month's close on this

    async def zone(self, guild_id: int) -> ZoneInfo:
        """The server's time zone."""
        return await standing.zone_of(self._storage, guild_id, self._default_zone)

    async def catch_up(self, guild_ids: list[int]) -> None:
        """Close the months that ended while the bot was away, refresh the running one if it is a day old, and set
        the next close (a READY after a reconnect costs a big server nothing more)."""
        for guild_id in guild_ids:
            await self.close_due(guild_id, refresh=False)

    async def close_due(self, guild_id: int, *, refresh: bool = True) -> list[str]:
        """Close every month of the server that has ended and is not closed yet, oldest first; refresh the running
        one (without `refresh`, only if a month closed or its rows are a day old); set the job for the next month's
        end or refresh. Returns the months closed."""
        async with self._locks(guild_id):
            await self._flush()
            zone = await self.zone(guild_id)
            now = self._clock()
            current = domain.month_of(now, zone)
            closes = await self._storage.months.closes(guild_id)
            closed_months = [close.month for close in closes if not close.provisional]
            first = domain.next_month(closed_months[-1]) if closed_months else await self._first_month(guild_id, zone)
            closed = domain.months_between(first, domain.previous_month(current))
            for month in closed:
                await self._write(guild_id, month, zone, now, provisional=False)
            running = next((c.closed_at for c in closes if c.month == current and c.provisional), None)
            if refresh or closed or running is None or now - running >= REFRESH_EVERY:
                await self._write(guild_id, current, zone, now, provisional=True)
                running = now
            month_end = domain.month_bounds(current, zone)[1]
            self._jobs.at(f"progression:{guild_id}", min(month_end, running + REFRESH_EVERY), self.close_due, guild_id)
        if closed:
            log.info("Closed %s for server %d", ", ".join(closed), guild_id)
        await self._changes.notify()
        return closed

    async def _first_month(self, guild_id: int, zone: ZoneInfo) -> str:
        """The first month to close: the one in which the bot first saw the server."""
        seen = await self._storage.meta.get(f"first_seen:{guild_id}")
        return domain.month_of(datetime.fromisoformat(seen) if seen else self._clock(), zone)

    async def _write(self, guild_id: int, month: str, zone: ZoneInfo, now: datetime, *, provisional: bool) -> None:
        """Judge every member of the server at the month's end (or now, for the running month) and write the rows."""
        config = await self._storage.progression.config(guild_id)
        t = config.thresholds
        rows = await judge_month(self._storage, guild_id, month, zone, now, t)
        # Recognition is off until a server sets a role or congratulations: then nobody's move needs telling.
        moved = self._moved if config.role_id is not None or config.congratulate else None
        # Told once per move: against this month's provisional rows if written, else the month before's stage.
        earlier = {row.user_id: row.stage for row in await self._storage.months.rows(guild_id, month, month)} \
            if moved is not None else {}
        written = await self._storage.months.write(
            MonthClose(guild_id, month, provisional, zone.key, t, now), rows)
        if written and moved is not None:
            for row in rows:
                was = earlier.get(row.user_id, row.previous or "lurker")
                if was != row.stage:
                    await moved(guild_id, row.user_id, was, row.stage)
