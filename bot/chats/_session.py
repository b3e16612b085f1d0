"""The live session: a chat's lifecycle once started (start, next, hold, continue, extend, end)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.chats._delivery import Delivery
from bot.chats._promotion import ScheduledEvents
from bot.clock import Clock
from bot.domain import running
from bot.domain.errors import UserError
from bot.domain.questions import insert_question
from bot.domain.running import PlannedPost, post_key
from bot.domain.series import upcoming_sessions
from bot.domain.timeline import ChatPlan
from bot.locks import Locks
from bot.plans import plan_of, session_plan, slot_of
from bot.storage import ChannelBusy, ChatSession, ScheduledPost, Series, Storage

log = logging.getLogger(__name__)

# Re-plan a series' next session after a change (series_id). Scheduling's `schedule_series`.
ReplanSeries = Callable[[int], Awaitable[None]]


def _already_running(chat: ChatSession) -> str:
    """Why a chat cannot start: another one holds its channel."""
    return f"#{chat.hashtag} is already running in <#{chat.channel_id}>: end it with `/chat end` first."


class LiveSession:
    """Starts a chat and steers it while it runs; every change is written first, then its posts are rescheduled."""

    def __init__(self, storage: Storage, clock: Clock, *, locks: Locks, delivery: Delivery, events: ScheduledEvents,
                 replan_series: ReplanSeries) -> None:
        self._storage = storage
        self._clock = clock
        self._locks = locks
        self._delivery = delivery
        self._events = events
        self._replan_series = replan_series

    async def current(self, guild_id: int, channel_id: int | None = None) -> ChatSession:
        """The chat a steering command means: the one started last in this channel, else the server's only one."""
        return (await self.running_here(guild_id, channel_id))[0]

    async def running_here(self, guild_id: int, channel_id: int | None = None) -> list[ChatSession]:
        """Every chat running in a channel (else the server's only one), started last first; none is a UserError."""
        running_now = [s for s in await self._storage.sessions.with_status("running") if s.guild_id == guild_id]
        return running.chats_meant(running_now, channel_id)

    async def start(self, session: ChatSession, plan: ChatPlan, *, started_by: int | None,
                    at: datetime | None = None, topic: str | None = None) -> ChatSession:
        """Start a planned session (timed from `at`, default now): schedule its opening, questions, closing, recap.

        Its channel runs one chat at a time, checked as the session is marked running: if another chat got there
        first, even a moment before, this one is a UserError saying which, and nothing of it (the topic included)
        is stored.
        """
        now = at or self._clock()
        questions = await self._storage.sessions.questions(session.id)
        posts = running.plan_posts(plan, session.id, now, len(questions))
        try:
            started = await self._storage.sessions.start(
                session.id, started_at=now, started_by=started_by,
                duration_seconds=int(plan.duration.total_seconds()), spacing_seconds=int(plan.spacing.total_seconds()),
                pacing=plan.pacing, posts=posts, topic=topic)
        except ChannelBusy as busy:
            raise UserError(_already_running(busy.running)) from None
        if started is None:
            latest = await self._storage.sessions.get(session.id)
            if latest is not None and latest.status == "running":  # another host started this very session
                raise UserError(_already_running(latest))
            raise UserError("That session has already run or been skipped.")
        log.info("Started #%s (session %d) in channel %d", started.hashtag, started.id, started.channel_id)
        for post in posts:
            self._delivery.schedule(post.key, post.due_at)
        if started.series_id is not None:
            await self._replan_series(started.series_id)
        await self._events.move(started, "start")
        return started

    async def start_series(self, series: Series, *, topic: str | None, started_by: int) -> ChatSession:
        """Start a series' chat now: tonight's if missed within its hour, else the next, under a new topic if given."""
        session = await self._tonights_or_next(series)
        return await self.start(session, plan_of(series), started_by=started_by, topic=topic)

    async def start_adhoc(self, *, guild_id: int, channel_id: int, hashtag: str, plan: ChatPlan, timezone: str,
                          topic: str | None, started_by: int) -> ChatSession:
        """Start a chat outside any series now; if it cannot start, nothing of it is kept."""
        session = await self._storage.sessions.create_adhoc(
            guild_id=guild_id, channel_id=channel_id, name=hashtag, hashtag=hashtag, timezone=timezone,
            starts_at=self._clock(), topic=topic)
        try:
            return await self.start(session, plan, started_by=started_by)
        except UserError:
            await self._storage.sessions.delete(session.id)  # nothing stored half-way
            raise

    async def next_question(self, session: ChatSession, text: str | None) -> int:
        """Post the next question now (a new one, if text is given); later ones follow at the usual spacing."""
        if session.held_at is not None:
            raise UserError("The chat is on hold: `/chat continue` first, then `/chat next`.")
        async with self._locks(session.id):
            posted = await self._asked(session.id)
            # After the last question asked, even if one before it was skipped in an outage.
            number = max((p.question_number or 0 for p in posted), default=0) + 1
            if text is not None:
                await self._storage.sessions.change_questions(session.id, lambda qs: insert_question(qs, text, number))
            if number > len(await self._storage.sessions.questions(session.id)):
                raise UserError(f"There is no Q{number} yet: give its text with the `text` option.")
            now = self._clock()
            # The host asks for it now: one that failed for good (a permission since fixed) gets a fresh try.
            await self._storage.posts.try_again(post_key(session.id, "question", number))
            await self._storage.posts.plan_questions(session.id, session.channel_id, await self._question_plan(
                session, number, now, asked_before=[p.question_number or 0 for p in posted]))
        await self._reschedule(session.id)  # the questions after it moved too
        key = post_key(session.id, "question", number)
        await self._delivery.run_post(key)
        post = await self._storage.posts.get(key)
        if post is not None and post.status != "posted":
            # The host asked for it now: say it did not go out rather than "Posted" (delivery keeps retrying).
            then = ("I'll keep trying, and tell the hosts if it fails for good." if post.status == "pending"
                    else "Fix that, then run `/chat next` again.")
            raise UserError(f"Q{number} did not go out: {post.last_error or 'Discord did not take it'}. {then}")
        return number

    async def hold(self, session: ChatSession) -> None:
        """Stop the question clock (the room is busy, or the host needs a moment)."""
        if session.held_at is not None:
            raise UserError("The chat is already on hold: `/chat continue` carries on.")
        await self._storage.sessions.set_times(session.id, held_at=self._clock())

    async def carry_on(self, session: ChatSession) -> timedelta:
        """Restart the question clock; the rest of the chat moves later by as long as it was held."""
        async with self._locks(session.id):
            session = await self._storage.sessions.get(session.id) or session
            if session.held_at is None:
                raise UserError("The chat is not on hold.")
            held_for = self._clock() - session.held_at
            await self._storage.sessions.shift(session.id, held_for)
            await self._storage.sessions.set_times(session.id, held_at=None)
        await self._reschedule(session.id)
        moved = await self._storage.sessions.get(session.id)
        if moved is not None and moved.ends_at is not None:
            # The chat ends later by as long as it was held: so does its event, or Discord would complete it early.
            await self._events.move_end(moved, moved.ends_at)
        return held_for

    async def extend(self, session: ChatSession, by: timedelta) -> datetime:
        """Make the chat longer: the closing and recap move later, and (fixed pacing) more questions may fit."""
        if not timedelta(0) < by <= running.MAX_EXTENSION:
            raise UserError("Extend by between 1 minute and 2 hours, e.g. `15m`.")
        async with self._locks(session.id):
            session = await self._storage.sessions.get(session.id) or session
            for kind in ("closing", "recap"):
                post = await self._storage.posts.get(post_key(session.id, kind))
                if post is not None:
                    await self._storage.posts.set_due(post.key, post.due_at + by)
            assert session.ends_at is not None
            await self._storage.sessions.set_times(session.id, ends_at=session.ends_at + by)
            await self._fill_questions(session)
        await self._reschedule(session.id)
        await self._events.move_end(session, session.ends_at + by)
        return session.ends_at + by

    async def end(self, session: ChatSession) -> None:
        """Close the chat now: unasked questions are dropped, the closing post goes out, the recap follows."""
        now = self._clock()
        async with self._locks(session.id):
            await self._storage.posts.set_due(post_key(session.id, "closing"), now)
            await self._storage.posts.set_due(post_key(session.id, "recap"), now + running.RECAP_DELAY)
            await self._storage.sessions.set_times(session.id, ends_at=now)
        await self._reschedule(session.id)
        await self._delivery.run_post(post_key(session.id, "closing"))

    async def _tonights_or_next(self, series: Series) -> ChatSession:
        """A session missed within its own hour (an outage, a busy channel), else the next one to come."""
        now = self._clock()
        recent = await self._storage.sessions.future(series.id, now - timedelta(seconds=series.duration_seconds))
        missed = [s for s in recent if s.starts_at <= now]
        if missed:
            # Skipped by the weekly trigger (blocked or missed), whose alert told the hosts to run it with /chat start.
            if missed[0].status == "skipped":
                await self._storage.sessions.set_status(missed[0].id, "planned")
            return await self._storage.sessions.get(missed[0].id) or missed[0]
        skipped = await self._storage.sessions.skipped_starts(series.id)
        start = upcoming_sessions(slot_of(series), self._clock(), 1, skipped)[0]
        return await self._storage.sessions.at(series, start)

    async def _asked(self, session_id: int) -> list[ScheduledPost]:
        """A session's questions that went out, in order."""
        return [p for p in await self._storage.posts.of_session(session_id)
                if p.kind == "question" and p.status == "posted"]

    async def _question_plan(self, session: ChatSession, number: int, due: datetime, *,
                             asked_before: list[int]) -> list[PlannedPost]:
        """Question `number` at `due`, then (fixed pacing) the rest at the spacing while they fit before the end."""
        fresh = await self._storage.sessions.get(session.id) or session
        plan = session_plan(fresh)
        count = len(await self._storage.sessions.questions(session.id))
        assert fresh.ends_at is not None
        wanted = [PlannedPost(post_key(session.id, "question", number), "question", due, number)]
        if plan.pacing == "fixed":
            for later in range(number + 1, count + 1):
                at = due + (later - number) * plan.spacing
                if at >= fresh.ends_at:
                    break
                wanted.append(PlannedPost(post_key(session.id, "question", later), "question", at, later))
        return [post for post in wanted if post.question_number not in asked_before]

    async def _fill_questions(self, session: ChatSession) -> None:
        """Fixed pacing, after an extension: schedule the prepared questions that now fit before the end."""
        fresh = await self._storage.sessions.get(session.id) or session
        if fresh.pacing != "fixed" or fresh.ends_at is None:
            return
        scheduled = [p for p in await self._storage.posts.of_session(session.id)
                     if p.kind == "question" and p.status in ("pending", "posted") and p.question_number]
        if not scheduled:
            return
        last = max(scheduled, key=lambda p: p.question_number or 0)
        assert last.question_number is not None
        at = (last.posted_at or last.due_at) + session_plan(fresh).spacing
        if last.question_number < len(await self._storage.sessions.questions(session.id)) and at < fresh.ends_at:
            await self._storage.posts.add(session.id, session.channel_id, await self._question_plan(
                fresh, last.question_number + 1, at, asked_before=[]))

    async def _reschedule(self, session_id: int) -> None:
        """Put every pending post of a session back on the job queue at its (possibly moved) time."""
        for post in await self._storage.posts.of_session(session_id):
            if post.status == "pending":
                self._delivery.schedule(post.key, post.due_at)
