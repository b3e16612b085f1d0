"""The table of post kinds: what each keyed post says, whether it may still go out, and what follows it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.chats._promotion import ScheduledEvents
from bot.chats._transcripts import Transcripts, transcript_post
from bot.chats._views import CheckIn, NotifyMe
from bot.clock import Clock
from bot.domain import running
from bot.domain.series import upcoming_sessions
from bot.plans import session_plan, slot_of
from bot.storage import ChatSession, ScheduledPost, Storage

log = logging.getLogger(__name__)

Rendered = tuple[str, dict[str, Any]]  # the content, and what goes with it (view, files, allowed mentions)
Render = Callable[[ScheduledPost, ChatSession], Awaitable[Rendered]]
Ready = Callable[[ScheduledPost, ChatSession, datetime], Awaitable[bool]]
Sent = Callable[[ChatSession, ScheduledPost, discord.Message, datetime], Awaitable[None]]
Dropped = Callable[[ChatSession, ScheduledPost, datetime], Awaitable[None]]
# What the chat and the newcomer desk are told: greet(session_id), post_report(guild_id, why).
Greet = Callable[[int], Awaitable[None]]
PostReport = Callable[[int, str], Awaitable[None]]
# A chat channel or question thread opened: read it back from where its chat began (channel_id, start_id), then
# listen live. Listening's `listen`.
Listen = Callable[[int, int], Awaitable[None]]


async def _always(post: ScheduledPost, session: ChatSession, now: datetime) -> bool:
    return True


async def _nothing_sent(session: ChatSession, post: ScheduledPost, message: discord.Message, now: datetime) -> None:
    return None


async def _nothing_dropped(session: ChatSession, post: ScheduledPost, now: datetime) -> None:
    return None


@dataclass(frozen=True)
class PostKind:
    """How delivery treats one kind of post.

    `render` may raise LookupError when what the post would say is gone (it is then skipped, not retried).
    `ready` decides, just before posting, whether the post still goes out (and may record why not). A kind that is
    `stale_if_late` and was never tried is skipped, and the hosts told, once it is overdue past the grace period.
    `sent` follows the post (also when it is found already posted); `dropped` follows giving up on it.
    """

    render: Render
    ready: Ready = _always
    stale_if_late: bool = False
    sent: Sent = _nothing_sent
    dropped: Dropped = _nothing_dropped


class PostKinds:
    """Each kind's text and rules, from the collaborators they need; `table()` is what delivery looks kinds up in."""

    def __init__(self, storage: Storage, clock: Clock, *, grace: timedelta, events: ScheduledEvents,
                 transcripts: Transcripts, greet: Greet, post_report: PostReport, after_question: Dropped,
                 listen: Listen) -> None:
        self._storage = storage
        self._clock = clock
        self._grace = grace
        self._events = events
        self._transcripts = transcripts
        self._greet = greet
        self._post_report = post_report
        self._after_question = after_question
        self._listen = listen

    def table(self) -> dict[str, PostKind]:
        """Every post kind (see bot.domain.running.KINDS) and how it is made."""
        return {
            "announcement": PostKind(render=self._announcement, ready=self._timely),
            "opening": PostKind(render=self._opening, stale_if_late=True, sent=self._opened),
            "question": PostKind(render=self._question, ready=self._chat_on, stale_if_late=True,
                                 sent=self._question_sent, dropped=self._after_question),
            "closing": PostKind(render=self._closing, ready=self._close),
            "recap": PostKind(render=self._recap, sent=self._report_newcomers),
        }

    # -- announcement (a reminder before the session) -------------------------------------------------

    async def _timely(self, post: ScheduledPost, session: ChatSession, now: datetime) -> bool:
        """A reminder is only worth sending on time, for a session still to come."""
        if session.status == "planned" and not running.is_too_late(post.due_at, now, self._grace):
            return True
        await self._storage.posts.not_sent(post.key, "no longer timely", status="skipped")
        return False

    async def _announcement(self, post: ScheduledPost, session: ChatSession) -> Rendered:
        config = await self._storage.config.get(session.guild_id)
        content = running.announcement_text(session.hashtag, session.starts_at, session.topic, session.guest,
                                            session.channel_id, config.notify_role_id)
        if not config.notify_role_id:
            return content, {}
        view = discord.ui.View(timeout=None)
        view.add_item(NotifyMe(session.guild_id))
        return content, {"view": view,
                         "allowed_mentions": discord.AllowedMentions(roles=[discord.Object(config.notify_role_id)])}

    # -- opening --------------------------------------------------------------------------------------

    async def _opening(self, post: ScheduledPost, session: ChatSession) -> Rendered:
        plan = session_plan(session)
        content = running.opening_text(session.hashtag, session.topic, session.guest, plan.duration,
                                       len(await self._storage.sessions.questions(session.id)))
        view = discord.ui.View(timeout=None)
        view.add_item(CheckIn(session.id))
        return content, {"view": view}

    async def _opened(self, session: ChatSession, post: ScheduledPost, message: discord.Message,
                      now: datetime) -> None:
        """The chat's channel is heard from its opening post on."""
        await self._listen(session.channel_id, message.id)

    # -- questions ------------------------------------------------------------------------------------

    async def _chat_on(self, post: ScheduledPost, session: ChatSession, now: datetime) -> bool:
        """Questions wait while the chat is held, and are not asked once it is over."""
        return session.held_at is None and session.status == "running"

    async def _question(self, post: ScheduledPost, session: ChatSession) -> Rendered:
        questions = await self._storage.sessions.questions(session.id)
        number = post.question_number or 0
        if not 1 <= number <= len(questions):
            raise LookupError(f"Q{number} was removed before it was asked")
        return running.question_text(session.hashtag, number, questions[number - 1]), {}

    async def _question_sent(self, session: ChatSession, post: ScheduledPost, message: discord.Message,
                             now: datetime) -> None:
        await self._open_thread(session, post, message)
        await self._after_question(session, post, now)

    async def _open_thread(self, session: ChatSession, post: ScheduledPost, message: discord.Message) -> None:
        """Series that answer in threads get a thread on each question (best effort: answers by A1: still count)."""
        series = await self._storage.series.get(session.series_id) if session.series_id else None
        if series is None or not series.use_threads or post.thread_id is not None:
            return
        try:
            thread = await message.create_thread(name=f"Q{post.question_number} · #{session.hashtag}"[:100])
        except discord.HTTPException as exc:
            log.warning("Could not open a thread on %s: %s", post.key, exc)
            return
        await self._storage.posts.set_thread(post.key, thread.id)
        await self._listen(thread.id, thread.id)  # heard from its creation on

    # -- closing --------------------------------------------------------------------------------------

    async def _close(self, post: ScheduledPost, session: ChatSession, now: datetime) -> bool:
        """The chat ends as its closing post goes out."""
        # First-timers still waiting for their greeting get it now, while the chat is still open.
        await self._greet(session.id)
        await self._storage.sessions.finish(session.id, now)
        await self._events.move(session, "end")
        return True

    async def _closing(self, post: ScheduledPost, session: ChatSession) -> Rendered:
        next_start, next_topic = await self._next_session(session)
        return running.closing_text(session.hashtag, next_start, next_topic), {}

    async def _next_session(self, session: ChatSession) -> tuple[datetime | None, str | None]:
        """When the series meets next, and on what topic (nothing for an ad hoc chat or a paused series)."""
        if session.series_id is None:
            return None, None
        series = await self._storage.series.get(session.series_id)
        if series is None or series.paused:
            return None, None
        skipped = await self._storage.sessions.skipped_starts(series.id)
        for start in upcoming_sessions(slot_of(series), self._clock(), 2, skipped):
            upcoming = await self._storage.sessions.at(series, start)
            if upcoming.status == "planned":
                return start, upcoming.topic
        return None, None

    # -- recap ----------------------------------------------------------------------------------------

    async def _recap(self, post: ScheduledPost, session: ChatSession) -> Rendered:
        transcript = await self._transcripts.build(session)
        # The recap text goes out even when a transcript is too big to attach.
        content, files = transcript_post(session, transcript, transcript.recap)
        return content, {"files": files}

    async def _report_newcomers(self, session: ChatSession, post: ScheduledPost, message: discord.Message,
                                now: datetime) -> None:
        await self._post_report(session.guild_id, f"After #{session.hashtag}")
