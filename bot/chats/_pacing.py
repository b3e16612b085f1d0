"""Pacing: under adaptive pacing, the next question goes out once answers to the last one die down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.chats._delivery import Delivery
from bot.clock import Clock
from bot.domain.running import PlannedPost, post_key
from bot.domain.timeline import next_question_due
from bot.jobs import Jobs
from bot.plans import session_plan
from bot.storage import ChatSession, ScheduledPost, Storage


class Pacing:
    """Plans each adaptive chat's next question as the last one goes out, and asks it when the room goes quiet."""

    def __init__(self, storage: Storage, clock: Clock, jobs: Jobs, *, delivery: Delivery,
                 flush: Callable[[], Awaitable[None]]) -> None:
        self._storage = storage
        self._clock = clock
        self._jobs = jobs
        self._delivery = delivery
        self._flush = flush  # the latest answers may still be on their way to the database

    async def schedule(self, session: ChatSession) -> None:
        """Adaptive pacing: look again when the next question could be due (answers may push it later)."""
        due = await self._due(session)
        if due is not None:
            self._jobs.at(f"pace:{session.id}", due, self._pace, session.id)

    async def after_question(self, session: ChatSession, post: ScheduledPost, now: datetime) -> None:
        """Adaptive pacing schedules the question after this one (fixed pacing has them all already)."""
        fresh = await self._storage.sessions.get(session.id) or session
        if fresh.pacing != "adaptive" or post.question_number is None:
            return
        plan = session_plan(fresh)
        following = post.question_number + 1
        if following <= len(await self._storage.sessions.questions(session.id)) and fresh.ends_at \
                and now + plan.min_spacing < fresh.ends_at:
            due = min(now + plan.max_spacing, fresh.ends_at - timedelta(seconds=1))
            await self._storage.posts.plan_questions(session.id, session.channel_id, [
                PlannedPost(post_key(session.id, "question", following), "question", due, following)])
            self._delivery.schedule(post_key(session.id, "question", following), due)
            await self.schedule(fresh)

    async def _due(self, session: ChatSession) -> datetime | None:
        """When the next waiting question is due, judged from the last one asked and its answers."""
        posts = await self._storage.posts.of_session(session.id)
        asked = [p for p in posts if p.kind == "question" and p.status == "posted" and p.posted_at]
        waiting = [p for p in posts if p.kind == "question" and p.status == "pending"]
        if not asked or not waiting:
            return None
        last = asked[-1]
        assert last.posted_at is not None and last.question_number is not None
        await self._flush()
        return next_question_due(session_plan(session), last_question_at=last.posted_at,
                                 last_answer_at=await self._storage.messages.last_answer_at(session.id,
                                                                                            last.question_number),
                                 now=self._clock())

    async def _pace(self, session_id: int) -> None:
        session = await self._storage.sessions.get(session_id)
        if session is None or session.status != "running" or session.held_at is not None:
            return
        due = await self._due(session)
        if due is None:
            return
        if due > self._clock():
            self._jobs.at(f"pace:{session.id}", due, self._pace, session.id)
            return
        waiting = [p for p in await self._storage.posts.of_session(session_id)
                   if p.kind == "question" and p.status == "pending"]
        await self._storage.posts.set_due(waiting[0].key, self._clock())
        await self._delivery.run_post(waiting[0].key)
