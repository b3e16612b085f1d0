"""APScheduler, held in memory and rebuilt from the database at every start: the database is the truth."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger(__name__)


class Jobs:
    """Stable job ids, replace_existing, coalesce and a deliberate misfire grace: restarts neither repeat nor drop."""

    def __init__(self, *, misfire_grace_seconds: int) -> None:
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace_seconds},
        )

    def start(self) -> None:
        """Start the scheduler on the running event loop."""
        if not self.scheduler.running:
            self.scheduler.start()

    def shutdown(self) -> None:
        """Stop without waiting for running jobs; anything they had not recorded is reconciled at next start."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def at(self, job_id: str, when: datetime, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run func(*args) once at `when` (an aware instant), replacing any job with the same id."""
        self.scheduler.add_job(func, DateTrigger(run_date=when), args=args, id=job_id, replace_existing=True)

    def cancel(self, job_id: str) -> None:
        """Forget a job if it exists."""
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)
