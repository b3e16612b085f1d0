"""Members' control of their data: who opted out (read cheaply on the per-message path), exports, forgetting, and the
nightly purge of old message text (a row-first job: its due time comes from the last purge stored in bot_meta).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot import standing
from bot.clock import Clock
from bot.domain import privacy as domain
from bot.domain.uploads import Fitted, Upload, fit_uploads
from bot.jobs import Jobs
from bot.memo import Memo
from bot.storage import Storage

log = logging.getLogger(__name__)

SERVERS_KEPT = 1000  # servers whose opt-outs are kept in memory
PURGE_RETRY = timedelta(hours=1)  # a purge the database refused is tried again


def purged_key(guild_id: int) -> str:
    """The bot_meta key holding when a server's text was last purged."""
    return f"purged:{guild_id}"


class Privacy:
    """Opt-outs, exports, forgets and purges for every server; one per bot.

    `flush` commits the chat messages still in memory (a forget must see them); `rebuild` builds a chat's stored
    transcript again from its rows, inside the forget's transaction.
    """

    def __init__(self, storage: Storage, clock: Clock, jobs: Jobs, *, default_zone: str,
                 flush: Callable[[], Awaitable[None]], rebuild: Callable[[int], Awaitable[bool]]) -> None:
        self._storage = storage
        self._clock = clock
        self._jobs = jobs
        self._default_zone = default_zone
        self._flush = flush
        self._rebuild = rebuild
        # Asked for every message, reaction and check-in: read once per change of the database, not per message.
        self._withheld: Memo[frozenset[int]] = Memo(lambda: storage.generation, SERVERS_KEPT)

    async def withheld(self, guild_id: int | None) -> frozenset[int]:
        """The members of a server who opted out of being recorded (nobody, outside a server)."""
        if guild_id is None:
            return frozenset()
        return await self._withheld.get(guild_id, lambda: self._storage.privacy.opted_out(guild_id))

    async def export(self, guild_id: int, user_id: int) -> Fitted:
        """Everything stored about a member in a server, as JSON files within Discord's upload limits."""
        await self._flush()
        sections = {name: domain.export_rows(rows)
                    for name, rows in (await self._storage.privacy.export(guild_id, user_id)).items()}
        files = domain.export_files(guild_id, user_id, self._clock(), sections)
        return fit_uploads([Upload(name, data) for name, data in files])

    async def opt_out(self, guild_id: int, user_id: int, *, erase: bool) -> tuple[bool, dict[str, int] | None]:
        """Stop recording a member from now on; with `erase`, forget what was stored too (the opt-out stays).

        Returns whether they were newly opted out, and what was erased (None when kept).
        """
        fresh = await self._storage.privacy.opt_out(guild_id, user_id, at=self._clock())
        log.info("Member %s of guild %s opted out of being recorded (erase: %s)", user_id, guild_id, erase)
        if not erase:
            return fresh, None
        return fresh, await self.forget(guild_id, user_id, keep_optout=True)

    async def opt_in(self, guild_id: int, user_id: int) -> bool:
        """Record a member again from now on; False if they had not opted out."""
        return await self._storage.privacy.opt_in(guild_id, user_id)

    async def forget(self, guild_id: int, user_id: int, *, keep_optout: bool = False) -> dict[str, int]:
        """Erase a member from a server's records and anonymise them in its stored transcripts, in one transaction;
        return the counts per kind."""
        await self._flush()  # their latest messages may still be on their way to the database
        storage = self._storage
        async with storage.transaction():
            sessions = await storage.privacy.sessions_naming(guild_id, user_id)
            counts = await storage.privacy.forget(guild_id, user_id, at=self._clock(), keep_optout=keep_optout)
            rebuilt = 0
            for session_id in sessions:
                if not await storage.privacy.purged_transcript(session_id):
                    rebuilt += await self._rebuild(session_id)
            counts["transcripts"] = rebuilt
        log.info("A member of guild %s was forgotten", guild_id)  # never whom: the audit does not say either
        return counts

    async def retention(self, guild_id: int) -> int:
        """How many days a server keeps message text."""
        return domain.retention_of((await self._storage.config.get(guild_id)).retention_days)

    async def purgeable(self, guild_id: int) -> domain.PurgeCounts:
        """What a purge of the server would blank now."""
        return await self._storage.privacy.purgeable(guild_id, domain.purge_cutoff(self._clock(),
                                                                                   await self.retention(guild_id)))

    async def purge(self, guild_id: int) -> domain.PurgeCounts:
        """Blank the server's message text older than its retention now, and note when."""
        now = self._clock()
        days = await self.retention(guild_id)
        counts = await self._storage.privacy.purge(guild_id, domain.purge_cutoff(now, days), at=now, days=days)
        await self._storage.meta.set(purged_key(guild_id), now.isoformat())
        log.info("Purged guild %s: %s", guild_id, counts.describe(days))
        return counts

    async def restore(self, guild_ids: list[int]) -> None:
        """Set each server's nightly purge from when it last ran (at start)."""
        for guild_id in guild_ids:
            await self.schedule(guild_id)

    async def schedule(self, guild_id: int) -> datetime:
        """Ask for the server's next purge (job `purge:<server>`), due from the last one stored."""
        last = await self._storage.meta.get(purged_key(guild_id))
        zone = await standing.zone_of(self._storage, guild_id, self._default_zone)
        due = domain.next_purge(datetime.fromisoformat(last) if last else None, self._clock(), zone)
        self._jobs.at(f"purge:{guild_id}", due, self.nightly, guild_id)
        return due

    async def nightly(self, guild_id: int) -> None:
        """The job: purge the server, then ask for the next night."""
        try:
            await self.purge(guild_id)
        except Exception:
            log.exception("The nightly purge of guild %s failed; trying again in %s", guild_id, PURGE_RETRY)
            self._jobs.at(f"purge:{guild_id}", self._clock() + PURGE_RETRY, self.nightly, guild_id)
            return
        await self.schedule(guild_id)
