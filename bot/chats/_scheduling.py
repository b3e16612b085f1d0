"""Scheduling: series become sessions and sessions become jobs, rebuilt from the database at the first READY."""

from __future__ import annotations

from datetime import datetime, timedelta

import discord

from bot.chats._delivery import Alert, Delivery
from bot.chats._pacing import Pacing
from bot.chats._promotion import Promotion
from bot.chats._session import LiveSession
from bot.clock import Clock
from bot.domain import running
from bot.domain.errors import UserError
from bot.domain.series import upcoming_sessions
from bot.jobs import Jobs
from bot.locks import Locks
from bot.plans import plan_of, slot_of
from bot.storage import ChatSession, Series, Storage


class Scheduling:
    """Keeps one start job per series for its next session, and rebuilds every job from the database at start."""

    def __init__(self, storage: Storage, clock: Clock, jobs: Jobs, *, grace: timedelta, locks: Locks, alert: Alert,
                 delivery: Delivery, pacing: Pacing, promotion: Promotion, live: LiveSession) -> None:
        self._storage = storage
        self._clock = clock
        self._jobs = jobs
        self._grace = grace
        self._locks = locks  # per session, shared with delivery and the live session
        self._series_locks = Locks()
        self._alert = alert
        self._delivery = delivery
        self._pacing = pacing
        self._promotion = promotion
        self._live = live

    # -- start-up -------------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Rebuild every job from the database (once per process, at the first READY)."""
        for post in await self._storage.posts.pending():
            self._delivery.schedule(post.key, post.due_at)
        for session in await self._storage.sessions.with_status("running"):
            if session.pacing == "adaptive":
                await self._pacing.schedule(session)
        for series in await self._storage.series.all():
            await self.schedule_series(series.id, look_back=True)

    # -- weekly sessions ------------------------------------------------------------------------------

    async def schedule_series(self, series_id: int, *, look_back: bool = False) -> None:
        """Set (or clear) the job that starts a series' next session; call after any change to the series.

        Only at start-up does it look back over the grace period, for a session due while the bot was down;
        a series created or moved to a time just past waits for next week rather than starting at once.
        """
        # One at a time per series: two overlapping runs could each create a scheduled event for one session.
        async with self._series_locks(series_id):
            await self._schedule_series(series_id, look_back)

    async def _schedule_series(self, series_id: int, look_back: bool) -> None:
        job = f"series:{series_id}:start"
        series = await self._storage.series.get(series_id)
        upcoming = None
        if series is not None and not series.paused:
            upcoming = await self._next_planned(series, look_back)
        if upcoming is None:
            self._jobs.cancel(job)
        else:
            self._jobs.at(job, upcoming.starts_at, self.start_scheduled, upcoming.id)
        if series is not None:
            await self._promotion.promote(series, upcoming)

    async def _next_planned(self, series: Series, look_back: bool) -> ChatSession | None:
        """The series' next session still planned (missed ones skipped first), among its next three."""
        now = self._clock()
        await self._skip_missed(series, now)
        skipped = await self._storage.sessions.skipped_starts(series.id)
        since = now - self._grace if look_back else now
        for start in upcoming_sessions(slot_of(series), since, 3, skipped):
            session = await self._storage.sessions.at(series, start)
            if session.status == "planned":
                return session
        return None

    async def retire_series(self, series: Series) -> None:
        """Before a series is deleted: take down its reminders, its start job and its planned sessions' events."""
        self._jobs.cancel(f"series:{series.id}:start")
        await self._promotion.promote(series, None)

    async def _skip_missed(self, series: Series, now: datetime) -> None:
        """Sessions whose start passed beyond the grace period while the bot was away: skip them and say so."""
        for session in await self._storage.sessions.future(series.id, now - timedelta(days=8)):
            if session.status == "planned" and running.is_too_late(session.starts_at, now, self._grace):
                await self._storage.sessions.set_status(session.id, "skipped")
                await self._alert(session.guild_id, running.skipped_text(
                    f"the #{session.hashtag} session due {discord.utils.format_dt(session.starts_at, 'F')}",
                    session.channel_id, now - session.starts_at) + " A host can run it now with `/chat start`.")

    async def start_scheduled(self, session_id: int) -> None:
        """The weekly trigger: start a planned session at its time (unless paused, skipped or too late)."""
        async with self._locks(session_id):
            await self._start_scheduled(session_id)

    async def _start_scheduled(self, session_id: int) -> None:
        session = await self._storage.sessions.get(session_id)
        if session is None or session.status != "planned" or session.series_id is None:
            return
        series = await self._storage.series.get(session.series_id)
        if series is None or series.paused:
            return
        problem = None
        try:
            if not running.is_too_late(session.starts_at, self._clock(), self._grace):
                # Late by a little (a restart): the chat keeps its published timeline; what is due goes out now.
                await self._live.start(session, plan_of(series), started_by=None, at=session.starts_at)
        except UserError as exc:  # another chat is still running in the channel (or a host started this one)
            current = await self._storage.sessions.get(session.id)
            if current is not None and current.status == "planned":
                await self._storage.sessions.set_status(session.id, "skipped")
                problem = exc
        finally:
            await self.schedule_series(series.id)  # a missed one is skipped and the hosts told; then the next
        if problem is not None:
            await self._alert(session.guild_id, f"The #{session.hashtag} session due "
                              f"{discord.utils.format_dt(session.starts_at, 'F')} did not start: {problem}")
