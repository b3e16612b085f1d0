"""APScheduler, held in memory and rebuilt from the database at every start: the database is the truth.

Jobs are asked for in bot time (see bot.clock) and handed to the scheduler in real time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock

log = logging.getLogger(__name__)


class Jobs:
    """Jobs under stable ids (a new request replaces the old), rebuilt from the database at every start."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        # What is wanted, in bot time, so a moved clock (demo, tests) can re-time every job.
        self._wanted: dict[str, tuple[datetime, Callable[..., Awaitable[Any]], tuple[Any, ...]]] = {}
        self._running: set[asyncio.Task[Any]] = set()
        # Set once shutdown begins: a long job (reading a channel back page by page) stops between steps.
        self.stopping = False
        # Notified whenever a job finishes: what idle() waits on.
        self._finished = asyncio.Condition()
        # No misfire limit: a job that comes due late (a busy loop) still runs, and the chat decides from
        # the database whether an overdue post is still wanted. Several instances may run, because a job
        # may reschedule its own id (a retry) before it returns; the chat serialises its own work per session.
        self.scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 10, "misfire_grace_time": None})

    def start(self) -> None:
        """Start the scheduler on the running event loop."""
        if not self.scheduler.running:
            self.scheduler.start()
            self.clock.listeners.append(self._retime)

    async def shutdown(self, *, drain_seconds: float = 5.0) -> None:
        """Start no more jobs and give running ones a moment to finish (a post being sent gets recorded).

        Anything still unfinished after that is reconciled against the channel at the next start.
        """
        self.stopping = True
        if self._retime in self.clock.listeners:
            self.clock.listeners.remove(self._retime)
        if not self.scheduler.running:
            return
        # Pause first: shutting APScheduler's asyncio executor down cancels the jobs still running.
        self.scheduler.pause()
        if self._running:
            await asyncio.wait(self._running, timeout=drain_seconds)
        self.scheduler.shutdown(wait=False)

    def at(self, job_id: str, when: datetime, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run func(*args) once when the bot clock shows `when`, replacing any job with the same id.

        An instant already past runs at once: whether something overdue should still happen is decided
        by the caller from the database, not by the scheduler's misfire rules.
        """
        self._wanted[job_id] = (when, func, args)
        self._add(job_id)

    def _add(self, job_id: str) -> None:
        when, func, args = self._wanted[job_id]
        real = datetime.now(UTC) if when <= self.clock.now() else self.clock.real_instant(when)
        if real is None:  # a stopped clock: not due until it is moved
            if self.scheduler.get_job(job_id) is not None:
                self.scheduler.remove_job(job_id)
            return
        self.scheduler.add_job(self._run, DateTrigger(run_date=max(real, datetime.now(UTC))),
                               args=(job_id, when), id=job_id, replace_existing=True)

    def _retime(self) -> None:
        for job_id in list(self._wanted):
            self._add(job_id)

    async def _run(self, job_id: str, when: datetime) -> None:
        """Run a job, logging (not silently dropping) anything it raises."""
        wanted = self._wanted.get(job_id)
        if wanted is None or wanted[0] != when:  # cancelled or re-timed since this run was set
            return
        del self._wanted[job_id]
        _, func, args = wanted
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await func(*args)
        except Exception:
            log.exception("Job %s failed", job_id)
        finally:
            self._running.discard(task)
            async with self._finished:
                self._finished.notify_all()

    async def idle(self) -> None:
        """Wait until no job is running and none is due by the bot clock (a moved test or demo clock settles)."""
        def settled() -> bool:
            now = self.clock.now()
            return not self._running and all(when > now for when, _, _ in self._wanted.values())
        async with self._finished:
            await self._finished.wait_for(settled)

    def due(self, job_id: str) -> datetime | None:
        """When a waiting job is due, in bot time (None if there is no such job)."""
        wanted = self._wanted.get(job_id)
        return None if wanted is None else wanted[0]

    def pending(self) -> list[str]:
        """The ids of jobs waiting to run."""
        return sorted(self._wanted)

    def cancel(self, job_id: str) -> None:
        """Forget a job if it exists."""
        self._wanted.pop(job_id, None)
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)
