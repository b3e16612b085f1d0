"""Runs the hour: starts sessions on time, makes each post exactly once, records what people say, and
rebuilds all of it from the database whenever the bot starts.

Every post is a row in scheduled_post under a stable key. A job only ever says "look at this key now";
what happens is decided from the row: posted already (do nothing), due later (wait), too late (skip and
tell the hosts), or post it. The attempt count is committed before sending, and every send carries a
nonce made from the key, so neither a retry nor a crash between sending and recording posts twice.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.changes import Changes
from bot.domain import running
from bot.domain.answers import resolve_answer
from bot.domain.errors import UserError
from bot.domain.recap import (
    ChatMessage,
    ChatQuestion,
    ChatRecord,
    recap_stats,
    recap_text,
    transcript_html,
    transcript_markdown,
)
from bot.domain.running import PlannedPost, post_key
from bot.domain.series import local_day, upcoming_sessions
from bot.domain.timeline import ChatPlan, next_question_due
from bot.plans import plan_of, session_plan, slot_of
from bot.posting import alert_hosts, describe_error, jump_url, nonce
from bot.storage import ChatSession, ScheduledPost, Series, StoredMessage, Transcript

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)

CHECKIN_PREFIX = "checkin:"


class CheckIn(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"checkin:(?P<session>[0-9]+)"):
    """The "I'm here" button on an opening post; its id carries the session, so it works after a restart."""

    def __init__(self, session_id: int) -> None:
        super().__init__(discord.ui.Button(label="I'm here", emoji="👋", style=discord.ButtonStyle.primary,
                                           custom_id=f"{CHECKIN_PREFIX}{session_id}"))
        self.session_id = session_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> CheckIn:
        return cls(int(match["session"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        await interaction.response.send_message(await bot.runner.check_in(self.session_id, interaction.user),
                                                ephemeral=True)


class NotifyMe(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"notify:(?P<guild>[0-9]+)"):
    """The "Notify me" button on a reminder: toggles the server's opt-in notify role, also after a restart."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(discord.ui.Button(label="Notify me", emoji="🔔", style=discord.ButtonStyle.secondary,
                                           custom_id=f"notify:{guild_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> NotifyMe:
        return cls(int(match["guild"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        try:
            text = await bot.runner.toggle_notify(interaction.user)
        except UserError as exc:
            text = str(exc)
        await interaction.response.send_message(text, ephemeral=True)


def transcript_files(session: ChatSession, transcript: Transcript) -> list[discord.File]:
    """A chat's transcripts as attachments, named for the hashtag and the local day it ran."""
    stem = f"{session.hashtag}-{local_day(session.started_at or session.starts_at, session.timezone).isoformat()}"
    return [discord.File(io.BytesIO(transcript.markdown.encode()), filename=f"{stem}.md"),
            discord.File(io.BytesIO(transcript.html.encode()), filename=f"{stem}.html")]


class ChatRunner:
    """Starts, paces, records and closes chats; one per bot."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        self._locks: dict[int, asyncio.Lock] = {}
        self._series_locks: dict[int, asyncio.Lock] = {}
        self._deleted: deque[int] = deque(maxlen=1000)
        # Woken whenever a post or a message is recorded: what the demo and tests wait on.
        self._changes = Changes()
        self._notify = self._changes.notify
        self.wait_for = self._changes.wait_for

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.bot.settings.defaults.misfire_grace_seconds)

    async def _alert(self, guild_id: int, text: str) -> None:
        """Tell the server's hosts something went wrong (see bot/posting.py)."""
        await alert_hosts(self.bot.storage, self.bot, guild_id, text)

    def _lock(self, session_id: int) -> asyncio.Lock:
        return self._locks.setdefault(session_id, asyncio.Lock())

    # -- start-up -------------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Rebuild every job from the database (once per process, at the first READY)."""
        storage = self.bot.storage
        for post in await storage.pending_posts():
            self._schedule(post.key, post.due_at)
        for session in await storage.sessions_with_status("running"):
            if session.pacing == "adaptive":
                await self._schedule_pacing(session)
        for series in await storage.list_series():
            await self.schedule_series(series.id, look_back=True)

    async def catch_up(self) -> None:
        """Read back what was said in live chats while the bot was not connected (at every READY)."""
        storage = self.bot.storage
        for session in await storage.sessions_with_status("running") + await storage.sessions_with_status("ended"):
            if await storage.session_in_channel(session.channel_id) == session:
                await self.read_back(session)

    async def read_back(self, session: ChatSession) -> None:
        """Record messages posted in a live chat while the bot was not connected, so no answer is lost."""
        channel = self.bot.get_channel(session.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        after = await self.bot.storage.newest_message_id(session.id)
        if after is None:
            opening = await self.bot.storage.get_post(post_key(session.id, "opening"))
            after = opening.message_id if opening else None
        if after is None:
            return
        count = 0
        try:
            async for message in channel.history(limit=None, after=discord.Object(after), oldest_first=True):
                await self.capture(message)
                count += 1
        except discord.HTTPException as exc:
            log.warning("Could not read back #%s: %s", channel, exc)
        if count:
            log.info("Read back %d message(s) posted in #%s while the bot was away", count, channel)

    # -- weekly sessions ------------------------------------------------------------------------------

    async def schedule_series(self, series_id: int, *, look_back: bool = False) -> None:
        """Set (or clear) the job that starts a series' next session; call after any change to the series.

        Only at start-up does it look back over the grace period, for a session due while the bot was down;
        a series created or moved to a time just past waits for next week rather than starting at once.
        """
        # One at a time per series: two overlapping runs could each create a scheduled event for one session.
        async with self._series_locks.setdefault(series_id, asyncio.Lock()):
            await self._schedule_series(series_id, look_back)

    async def _schedule_series(self, series_id: int, look_back: bool) -> None:
        job = f"series:{series_id}:start"
        series = await self.bot.storage.get_series(series_id)
        upcoming = None
        if series is not None and not series.paused:
            now = self.bot.clock()
            await self._skip_missed(series, now)
            skipped = await self.bot.storage.skipped_starts(series.id)
            since = now - self.grace if look_back else now
            for start in upcoming_sessions(slot_of(series), since, 3, skipped):
                session = await self.bot.storage.session_for(series, start)
                if session.status == "planned":
                    upcoming = session
                    break
        if upcoming is None:
            self.bot.jobs.cancel(job)
        else:
            self.bot.jobs.at(job, upcoming.starts_at, self.start_scheduled, upcoming.id)
        if series is not None:
            await self._promote(series, upcoming)

    async def _promote(self, series: Series, upcoming: ChatSession | None) -> None:
        """Reminders and a Discord scheduled event for the next session only; none for anything else."""
        wanted = [] if upcoming is None else running.plan_reminders(
            upcoming.id, upcoming.starts_at, tuple(timedelta(seconds=s) for s in series.reminders), self.bot.clock())
        await self.bot.storage.plan_reminders(series.id, series.channel_id, upcoming.id if upcoming else None, wanted)
        for post in wanted:
            self._schedule(post.key, post.due_at)
        for stale in await self.bot.storage.sessions_with_events(series.id):
            if (upcoming is None or stale.id != upcoming.id) and stale.status in ("planned", "skipped"):
                await self._delete_event(stale)
        if upcoming is not None:
            await self._sync_event(series, upcoming)

    async def _sync_event(self, series: Series, session: ChatSession) -> None:
        """Create or update the Discord scheduled event advertising a session (best effort: needs Manage Events)."""
        guild = self.bot.get_guild(series.guild_id)
        if guild is None or session.starts_at <= self.bot.clock():
            return
        channel = guild.get_channel(series.channel_id)
        fields: dict[str, Any] = {
            "name": f"#{series.hashtag}"[:100],
            "description": running.event_description(session.topic, session.guest),
            "start_time": session.starts_at, "end_time": session.starts_at + timedelta(seconds=series.duration_seconds),
            "location": f"#{channel.name}" if channel else series.name}
        try:
            if session.event_id is not None:
                try:
                    event = await guild.fetch_scheduled_event(session.event_id)
                    await event.edit(**fields)
                    return
                except discord.NotFound:
                    pass  # deleted by someone in Discord: make a new one
            event = await guild.create_scheduled_event(entity_type=discord.EntityType.external,
                                                       privacy_level=discord.PrivacyLevel.guild_only, **fields)
            await self.bot.storage.set_session_event(session.id, event.id)
        except discord.HTTPException as exc:
            log.warning("Could not create or update the scheduled event for #%s: %s", series.hashtag, exc)

    async def _delete_event(self, session: ChatSession) -> None:
        guild = self.bot.get_guild(session.guild_id)
        if guild is None or session.event_id is None:
            return
        try:
            event = await guild.fetch_scheduled_event(session.event_id)
            await event.delete()
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            log.warning("Could not delete the scheduled event of session %d: %s", session.id, exc)
            return
        await self.bot.storage.set_session_event(session.id, None)

    async def retire_series(self, series: Series) -> None:
        """Before a series is deleted: take down its reminders, its start job and its planned sessions' events."""
        self.bot.jobs.cancel(f"series:{series.id}:start")
        await self._promote(series, None)

    async def _skip_missed(self, series: Series, now: datetime) -> None:
        """Sessions whose start passed beyond the grace period while the bot was away: skip them and say so."""
        for session in await self.bot.storage.future_sessions(series.id, now - timedelta(days=8)):
            if session.status == "planned" and running.is_too_late(session.starts_at, now, self.grace):
                await self.bot.storage.set_session_status(session.id, "skipped")
                await self._alert(session.guild_id, running.skipped_text(
                    f"the #{session.hashtag} session due {discord.utils.format_dt(session.starts_at, 'F')}",
                    session.channel_id, now - session.starts_at) + " A host can run it now with `/chat start`.")

    async def start_scheduled(self, session_id: int) -> None:
        """The weekly trigger: start a planned session at its time (unless paused, skipped or too late)."""
        async with self._lock(session_id):
            await self._start_scheduled(session_id)

    async def _start_scheduled(self, session_id: int) -> None:
        session = await self.bot.storage.get_session(session_id)
        if session is None or session.status != "planned" or session.series_id is None:
            return
        series = await self.bot.storage.get_series(session.series_id)
        if series is None or series.paused:
            return
        problem = None
        try:
            if not running.is_too_late(session.starts_at, self.bot.clock(), self.grace):
                # Late by a little (a restart): the chat keeps its published timeline; what is due goes out now.
                await self.start(session, plan_of(series), started_by=None, at=session.starts_at)
        except UserError as exc:  # another chat is still running in the channel (or a host started this one)
            current = await self.bot.storage.get_session(session.id)
            if current is not None and current.status == "planned":
                await self.bot.storage.set_session_status(session.id, "skipped")
                problem = exc
        finally:
            await self.schedule_series(series.id)  # a missed one is skipped and the hosts told; then the next
        if problem is not None:
            await self._alert(session.guild_id, f"The #{session.hashtag} session due "
                             f"{discord.utils.format_dt(session.starts_at, 'F')} did not start: {problem}")

    # -- starting and steering ------------------------------------------------------------------------

    async def live_session(self, guild_id: int, channel_id: int | None = None) -> ChatSession:
        """The chat running in a channel (or the server's only running chat), or a UserError."""
        running_now = [s for s in await self.bot.storage.sessions_with_status("running") if s.guild_id == guild_id]
        if channel_id is not None:
            here = [s for s in running_now if s.channel_id == channel_id]
            running_now = here or running_now
        if not running_now:
            raise UserError("No chat is running here: start one with `/chat start`.")
        if len(running_now) > 1:
            raise UserError(f"{len(running_now)} chats are running: run this in the channel of the one you mean.")
        return running_now[0]

    async def start(self, session: ChatSession, plan: ChatPlan, *, started_by: int | None,
                    at: datetime | None = None) -> ChatSession:
        """Start a planned session (timed from `at`, default now): schedule its opening, questions, closing, recap."""
        now = at or self.bot.clock()
        busy = [s for s in await self.bot.storage.sessions_with_status("running") if s.channel_id == session.channel_id]
        if busy:
            raise UserError(f"#{busy[0].hashtag} is already running in <#{session.channel_id}>: "
                            "end it with `/chat end` first.")
        questions = await self.bot.storage.questions(session.id)
        posts = running.plan_posts(plan, session.id, now, len(questions))
        started = await self.bot.storage.start_session(
            session.id, started_at=now, started_by=started_by, channel_id=session.channel_id,
            duration_seconds=int(plan.duration.total_seconds()), spacing_seconds=int(plan.spacing.total_seconds()),
            pacing=plan.pacing, posts=posts)
        if started is None:
            raise UserError("That session has already run or been skipped.")
        log.info("Started #%s (session %d) in channel %d", started.hashtag, started.id, started.channel_id)
        for post in posts:
            self._schedule(post.key, post.due_at)
        if started.series_id is not None:
            await self.schedule_series(started.series_id)
        await self._event_moves(started, "start")
        return started

    async def _event_moves(self, session: ChatSession, step: str) -> None:
        """Mark the session's Discord scheduled event live at the start and over at the close (best effort)."""
        guild = self.bot.get_guild(session.guild_id)
        if guild is None or session.event_id is None:
            return
        try:
            event = await guild.fetch_scheduled_event(session.event_id)
            await (event.start() if step == "start" else event.end())
        except discord.HTTPException as exc:
            log.warning("Could not %s the scheduled event of session %d: %s", step, session.id, exc)

    async def next_question(self, session: ChatSession, text: str | None) -> int:
        """Post the next question now (a new one, if text is given); later ones follow at the usual spacing."""
        if session.held_at is not None:
            raise UserError("The chat is on hold: `/chat continue` first, then `/chat next`.")
        async with self._lock(session.id):
            posted = await self._asked(session.id)
            # After the last question asked, even if one before it was skipped in an outage.
            number = max((p.question_number or 0 for p in posted), default=0) + 1
            if text is not None:
                from bot.domain.questions import insert_question

                await self.bot.storage.change_questions(session.id, lambda qs: insert_question(qs, text, number))
            if number > len(await self.bot.storage.questions(session.id)):
                raise UserError(f"There is no Q{number} yet: give its text with the `text` option.")
            now = self.bot.clock()
            await self.bot.storage.plan_questions(session.id, session.channel_id, await self._question_plan(
                session, number, now, asked_before=[p.question_number or 0 for p in posted]))
        await self._reschedule(session.id)  # the questions after it moved too
        await self.run_post(post_key(session.id, "question", number))
        return number

    async def _asked(self, session_id: int) -> list[ScheduledPost]:
        """A session's questions that went out, in order."""
        return [p for p in await self.bot.storage.session_posts(session_id)
                if p.kind == "question" and p.status == "posted"]

    async def _question_plan(self, session: ChatSession, number: int, due: datetime, *,
                             asked_before: list[int]) -> list[PlannedPost]:
        """Question `number` at `due`, then (fixed pacing) the rest at the spacing while they fit before the end."""
        fresh = await self.bot.storage.get_session(session.id) or session
        plan = session_plan(fresh)
        count = len(await self.bot.storage.questions(session.id))
        assert fresh.ends_at is not None
        wanted = [PlannedPost(post_key(session.id, "question", number), "question", due, number)]
        if plan.pacing == "fixed":
            for later in range(number + 1, count + 1):
                at = due + (later - number) * plan.spacing
                if at >= fresh.ends_at:
                    break
                wanted.append(PlannedPost(post_key(session.id, "question", later), "question", at, later))
        return [post for post in wanted if post.question_number not in asked_before]

    async def hold(self, session: ChatSession) -> None:
        """Stop the question clock (the room is busy, or the host needs a moment)."""
        if session.held_at is not None:
            raise UserError("The chat is already on hold: `/chat continue` carries on.")
        await self.bot.storage.update_session_times(session.id, held_at=self.bot.clock())

    async def carry_on(self, session: ChatSession) -> timedelta:
        """Restart the question clock; the rest of the chat moves later by as long as it was held."""
        async with self._lock(session.id):
            session = await self.bot.storage.get_session(session.id) or session
            if session.held_at is None:
                raise UserError("The chat is not on hold.")
            held_for = self.bot.clock() - session.held_at
            await self.bot.storage.shift_session(session.id, held_for)
            await self.bot.storage.update_session_times(session.id, held_at=None)
        await self._reschedule(session.id)
        return held_for

    async def extend(self, session: ChatSession, by: timedelta) -> datetime:
        """Make the chat longer: the closing and recap move later, and (fixed pacing) more questions may fit."""
        if not timedelta(0) < by <= running.MAX_EXTENSION:
            raise UserError("Extend by between 1 minute and 2 hours, e.g. `15m`.")
        async with self._lock(session.id):
            session = await self.bot.storage.get_session(session.id) or session
            for kind in ("closing", "recap"):
                post = await self.bot.storage.get_post(post_key(session.id, kind))
                if post is not None:
                    await self.bot.storage.set_post_due(post.key, post.due_at + by)
            assert session.ends_at is not None
            await self.bot.storage.update_session_times(session.id, ends_at=session.ends_at + by)
            await self._fill_questions(session)
        await self._reschedule(session.id)
        return session.ends_at + by

    async def end(self, session: ChatSession) -> None:
        """Close the chat now: unasked questions are dropped, the closing post goes out, the recap follows."""
        now = self.bot.clock()
        async with self._lock(session.id):
            await self.bot.storage.set_post_due(post_key(session.id, "closing"), now)
            await self.bot.storage.set_post_due(post_key(session.id, "recap"), now + running.RECAP_DELAY)
            await self.bot.storage.update_session_times(session.id, ends_at=now)
        await self._reschedule(session.id)
        await self.run_post(post_key(session.id, "closing"))

    async def _fill_questions(self, session: ChatSession) -> None:
        """Fixed pacing, after an extension: schedule the prepared questions that now fit before the end."""
        fresh = await self.bot.storage.get_session(session.id) or session
        if fresh.pacing != "fixed" or fresh.ends_at is None:
            return
        scheduled = [p for p in await self.bot.storage.session_posts(session.id)
                     if p.kind == "question" and p.status in ("pending", "posted") and p.question_number]
        if not scheduled:
            return
        last = max(scheduled, key=lambda p: p.question_number or 0)
        assert last.question_number is not None
        at = (last.posted_at or last.due_at) + session_plan(fresh).spacing
        if last.question_number < len(await self.bot.storage.questions(session.id)) and at < fresh.ends_at:
            await self.bot.storage.add_posts(session.id, session.channel_id, await self._question_plan(
                fresh, last.question_number + 1, at, asked_before=[]))

    async def _reschedule(self, session_id: int) -> None:
        for post in await self.bot.storage.session_posts(session_id):
            if post.status == "pending":
                self._schedule(post.key, post.due_at)

    # -- adaptive pacing ------------------------------------------------------------------------------

    async def _schedule_pacing(self, session: ChatSession) -> None:
        """Adaptive pacing: look again when the next question could be due (answers may push it later)."""
        due = await self._adaptive_due(session)
        if due is not None:
            self.bot.jobs.at(f"pace:{session.id}", due, self._pace, session.id)

    async def _adaptive_due(self, session: ChatSession) -> datetime | None:
        posts = await self.bot.storage.session_posts(session.id)
        asked = [p for p in posts if p.kind == "question" and p.status == "posted" and p.posted_at]
        waiting = [p for p in posts if p.kind == "question" and p.status == "pending"]
        if not asked or not waiting:
            return None
        last = asked[-1]
        assert last.posted_at is not None and last.question_number is not None
        return next_question_due(session_plan(session), last_question_at=last.posted_at,
                                 last_answer_at=await self.bot.storage.last_answer_at(session.id,
                                                                                      last.question_number),
                                 now=self.bot.clock())

    async def _pace(self, session_id: int) -> None:
        session = await self.bot.storage.get_session(session_id)
        if session is None or session.status != "running" or session.held_at is not None:
            return
        due = await self._adaptive_due(session)
        if due is None:
            return
        if due > self.bot.clock():
            self.bot.jobs.at(f"pace:{session.id}", due, self._pace, session.id)
            return
        waiting = [p for p in await self.bot.storage.session_posts(session_id)
                   if p.kind == "question" and p.status == "pending"]
        await self.bot.storage.set_post_due(waiting[0].key, self.bot.clock())
        await self.run_post(waiting[0].key)

    # -- posting --------------------------------------------------------------------------------------

    def _schedule(self, key: str, due: datetime) -> None:
        self.bot.jobs.at(f"post:{key}", due, self.run_post, key)

    async def run_post(self, key: str) -> None:
        """Make one scheduled post if, by the database, it is still wanted now; never twice."""
        post = await self.bot.storage.get_post(key)
        if post is None or post.session_id is None:
            return
        async with self._lock(post.session_id):
            await self._run_post(key)
        await self._notify()

    async def _run_post(self, key: str) -> None:
        storage, now = self.bot.storage, self.bot.clock()
        post = await storage.get_post(key)
        session = await storage.get_session(post.session_id) if post and post.session_id else None
        if post is None or session is None or post.status != "pending":
            return
        if post.due_at > now:  # moved later since this job was set
            self._schedule(key, post.due_at)
            return
        if post.kind == "question" and (session.held_at is not None or session.status != "running"):
            return
        if post.kind == "announcement" and (session.status != "planned" or running.is_too_late(
                post.due_at, now, self.grace)):
            # A reminder is only worth sending on time, for a session still to come.
            await storage.post_not_sent(key, "no longer timely", status="skipped")
            return
        if post.kind == "closing":
            # First-timers still waiting for their greeting get it now, while the chat is still open.
            await self.bot.newcomers.greet(session.id)
            await storage.finish_session(session.id, now)
            await self._event_moves(session, "end")
        what = running.describe_post(post.kind, session.hashtag, post.question_number)
        # Only a post never tried is judged stale; one being retried keeps its retries, then alerts.
        if post.kind in ("opening", "question") and not post.attempts \
                and running.is_too_late(post.due_at, now, self.grace):
            await storage.post_not_sent(key, "overdue after an outage", status="skipped")
            await self._alert(session.guild_id, running.skipped_text(what, post.channel_id, now - post.due_at))
            if post.kind == "question":
                await self._after_question(session, post, now)
            return
        try:
            content, extra = await self._render(post, session)
        except LookupError as exc:  # the question was removed after it was scheduled
            await storage.post_not_sent(key, str(exc), status="skipped")
            return
        except Exception as exc:  # never leave a post pending with no job: retry it, then tell the hosts
            log.exception("Could not prepare %s", key)
            attempt = await storage.begin_attempt(key)
            if attempt is not None:
                await self._failed(session, attempt, what, exc)
            return
        channel = self.bot.get_channel(post.channel_id)
        if post.attempts and channel is not None:
            sent = await self._find_sent(channel, post, content)
            if sent is not None:
                log.info("%s was already posted (message %d); recording it, not posting again", key, sent.id)
                await storage.post_sent(key, sent.id, now)
                await self._after_post(session, post, sent, now)
                return
            if post.last_error is None and post.kind in ("opening", "question") \
                    and running.is_too_late(post.due_at, now, self.grace):
                # Interrupted mid-send by a crash, not a retry: after a long outage it is stale like any other.
                await storage.post_not_sent(key, "overdue after an outage", status="skipped")
                await self._alert(session.guild_id, running.skipped_text(what, post.channel_id, now - post.due_at))
                return
        attempt = await storage.begin_attempt(key)
        if attempt is None:
            return
        try:
            if not isinstance(channel, discord.abc.Messageable):
                raise discord.ClientException(f"channel {post.channel_id} is gone or not a text channel")
            message = await channel.send(content, nonce=nonce(key), **extra)
        except Exception as exc:  # HTTP errors, and also aiohttp's disconnects, which are not OSErrors
            await self._failed(session, attempt, what, exc)
            return
        await storage.post_sent(key, message.id, now)
        log.info("Posted %s (%s) as message %d", key, what, message.id)
        await self._after_post(session, post, message, now)

    async def _failed(self, session: ChatSession, post: ScheduledPost, what: str, exc: Exception) -> None:
        """Retry with backoff; after the last try, give up and tell the hosts in the moderator channel."""
        error = describe_error(exc)
        delay = running.retry_delay(post.attempts)
        if delay is not None:
            log.warning("Posting %s failed (try %d): %s; retrying in %s", post.key, post.attempts, error, delay)
            await self.bot.storage.post_not_sent(post.key, error)
            self._schedule(post.key, self.bot.clock() + delay)
            return
        log.error("Posting %s failed %d times; giving up: %s", post.key, post.attempts, error)
        await self.bot.storage.post_not_sent(post.key, error, status="failed")
        await self._alert(session.guild_id, running.alert_text(what, post.channel_id, error, post.attempts))
        if post.kind == "question":
            await self._after_question(session, post, self.bot.clock())

    async def _find_sent(self, channel: Any, post: ScheduledPost, content: str) -> discord.Message | None:
        """A post that went out before a crash but was never recorded: look for it in the channel's recent history."""
        wanted = running.signature(content)
        assert self.bot.user is not None
        try:
            async for message in channel.history(limit=running.RECONCILE_MESSAGES):
                if message.author.id == self.bot.user.id and running.signature(message.content) == wanted \
                        and self.bot.clock.from_real(message.created_at) >= post.due_at - self.grace:
                    return message  # type: ignore[no-any-return]
        except discord.HTTPException as exc:
            log.warning("Could not read #%s to reconcile %s: %s", channel, post.key, exc)
        return None

    async def _after_post(self, session: ChatSession, post: ScheduledPost, message: discord.Message,
                          now: datetime) -> None:
        if post.kind == "question":
            await self._open_thread(session, post, message)
            await self._after_question(session, post, now)
        if post.kind == "recap":
            await self.bot.newcomers.post_report(session.guild_id, f"After #{session.hashtag}")

    async def _open_thread(self, session: ChatSession, post: ScheduledPost, message: discord.Message) -> None:
        """Series that answer in threads get a thread on each question (best effort: answers by A1: still count)."""
        series = await self.bot.storage.get_series(session.series_id) if session.series_id else None
        if series is None or not series.use_threads or post.thread_id is not None:
            return
        try:
            thread = await message.create_thread(name=f"Q{post.question_number} · #{session.hashtag}"[:100])
        except discord.HTTPException as exc:
            log.warning("Could not open a thread on %s: %s", post.key, exc)
            return
        await self.bot.storage.set_post_thread(post.key, thread.id)

    async def _after_question(self, session: ChatSession, post: ScheduledPost, now: datetime) -> None:
        """Adaptive pacing schedules the question after this one (fixed pacing has them all already)."""
        fresh = await self.bot.storage.get_session(session.id) or session
        if fresh.pacing != "adaptive" or post.question_number is None:
            return
        plan = session_plan(fresh)
        following = post.question_number + 1
        if following <= len(await self.bot.storage.questions(session.id)) and fresh.ends_at \
                and now + plan.min_spacing < fresh.ends_at:
            due = min(now + plan.max_spacing, fresh.ends_at - timedelta(seconds=1))
            await self.bot.storage.plan_questions(session.id, session.channel_id, [
                PlannedPost(post_key(session.id, "question", following), "question", due, following)])
            self._schedule(post_key(session.id, "question", following), due)
            await self._schedule_pacing(fresh)

    async def _render(self, post: ScheduledPost, session: ChatSession) -> tuple[str, dict[str, Any]]:
        """What a post says, and what goes with it (the check-in button, the transcript files)."""
        questions = await self.bot.storage.questions(session.id)
        if post.kind == "announcement":
            config = await self.bot.storage.get_guild_config(session.guild_id)
            content = running.announcement_text(session.hashtag, session.starts_at, session.topic, session.guest,
                                                session.channel_id, config.notify_role_id)
            extra: dict[str, Any] = {}
            if config.notify_role_id:
                view = discord.ui.View(timeout=None)
                view.add_item(NotifyMe(session.guild_id))
                extra = {"view": view,
                         "allowed_mentions": discord.AllowedMentions(roles=[discord.Object(config.notify_role_id)])}
            return content, extra
        if post.kind == "opening":
            plan = session_plan(session)
            content = running.opening_text(session.hashtag, session.topic, session.guest, plan.duration,
                                           len(questions))
            view = discord.ui.View(timeout=None)
            view.add_item(CheckIn(session.id))
            return content, {"view": view}
        if post.kind == "question":
            number = post.question_number or 0
            if not 1 <= number <= len(questions):
                raise LookupError(f"Q{number} was removed before it was asked")
            return running.question_text(session.hashtag, number, questions[number - 1]), {}
        if post.kind == "closing":
            next_start, next_topic = await self._next_session(session)
            return running.closing_text(session.hashtag, next_start, next_topic), {}
        transcript = await self.transcript(session)
        return transcript.recap, {"files": transcript_files(session, transcript)}

    async def _next_session(self, session: ChatSession) -> tuple[datetime | None, str | None]:
        if session.series_id is None:
            return None, None
        series = await self.bot.storage.get_series(session.series_id)
        if series is None or series.paused:
            return None, None
        skipped = await self.bot.storage.skipped_starts(series.id)
        for start in upcoming_sessions(slot_of(series), self.bot.clock(), 2, skipped):
            upcoming = await self.bot.storage.session_for(series, start)
            if upcoming.status == "planned":
                return start, upcoming.topic
        return None, None

    # -- the recap ------------------------------------------------------------------------------------

    async def transcript(self, session: ChatSession) -> Transcript:
        """Build, store and return a session's recap and transcripts from what was recorded."""
        storage = self.bot.storage
        posts = {p.question_number: p for p in await storage.session_posts(session.id) if p.kind == "question"}
        questions = [ChatQuestion(n, text, posts[n].posted_at if n in posts else None,
                                  posts[n].message_id if n in posts else None)
                     for n, text in enumerate(await storage.questions(session.id), 1)
                     if n in posts and posts[n].status == "posted"]
        messages = [ChatMessage(message_id=m.message_id, author_id=m.author_id, author_name=m.author_name,
                                content=m.content, created_at=m.created_at, question_number=m.question_number,
                                reply_to_author_id=m.reply_to_author_id, reactions=m.reactions,
                                jump_url=jump_url(session.guild_id, session.channel_id, m.message_id))
                    for m in await storage.session_messages(session.id)]
        checked_in = await storage.checked_in(session.id)
        names = {m.author_id: m.author_name for m in messages}
        guild = self.bot.get_guild(session.guild_id)
        for user_id in checked_in:
            member = guild.get_member(user_id) if guild else None
            names.setdefault(user_id, member.display_name if member else f"member {user_id}")
        record = ChatRecord(series_name=session.series_name, hashtag=session.hashtag, topic=session.topic,
                            guest=session.guest, starts_at=session.started_at or session.starts_at,
                            ended_at=session.ended_at or self.bot.clock(), zone=session.timezone,
                            questions=questions, messages=messages, checked_in=checked_in,
                            first_timers=await storage.first_timers(session.id), names=names)
        transcript = Transcript(session_id=session.id, recap=recap_text(record, recap_stats(record)),
                                markdown=transcript_markdown(record), html=transcript_html(record),
                                created_at=self.bot.clock())
        await storage.save_transcript(transcript)
        return transcript

    # -- what people say ------------------------------------------------------------------------------

    async def capture(self, message: discord.Message) -> None:
        """Record a member's message in a live chat: the transcript line and the activity it counts as."""
        if message.author.bot or message.guild is None:
            return
        # In a series that answers in threads, a message in Q3's thread answers Q3.
        parent_id = getattr(message.channel, "parent_id", None)
        thread_question = None
        if parent_id is not None:
            started_by = await self.bot.storage.post_for_message(message.channel.id)
        session = await self.bot.storage.session_in_channel(parent_id or message.channel.id)
        if session is None or message.id in self._deleted:
            return
        if parent_id is not None and started_by and started_by.kind == "question" \
                and started_by.session_id == session.id:  # last week's thread is not this week's question
            thread_question = started_by.question_number
        posts = [p for p in await self.bot.storage.session_posts(session.id)
                 if p.kind == "question" and p.status == "posted"]
        by_message = {p.message_id: p.question_number for p in posts}
        reply_to_question, reply_to_author = None, None
        reference = message.reference
        if reference is not None and reference.message_id is not None:
            reply_to_question = by_message.get(reference.message_id)
            if reply_to_question is None:
                replied = await self.bot.storage.get_message(reference.message_id)
                if replied is not None:
                    reply_to_author = replied.author_id
                elif isinstance(reference.resolved, discord.Message) and not reference.resolved.author.bot:
                    reply_to_author = reference.resolved.author.id
        if reply_to_author is None:
            mentioned = [user for user in message.mentions if not user.bot and user.id != message.author.id]
            reply_to_author = mentioned[0].id if mentioned else None
        number = resolve_answer(message.content, reply_to_question,
                                [p.question_number for p in posts if p.question_number is not None],
                                thread_question=thread_question)
        await self.bot.storage.save_message(session.guild_id, StoredMessage(
            message_id=message.id, session_id=session.id, author_id=message.author.id,
            author_name=message.author.display_name, content=message.content,
            created_at=self.bot.clock.from_real(message.created_at),
            edited_at=self.bot.clock.from_real(message.edited_at) if message.edited_at else None, deleted=False,
            reply_to_author_id=reply_to_author, question_number=number,
            reactions=sum(reaction.count for reaction in message.reactions)))
        await self.bot.newcomers.first_post(session.id, message.author.id, message.id,
                                            self.bot.clock.from_real(message.created_at))
        await self._notify()

    async def recapture(self, message: discord.Message) -> None:
        """An edited chat message is judged again (it may have become, or stopped being, an answer)."""
        stored = await self.bot.storage.get_message(message.id)
        if stored is None:
            return
        live = await self.bot.storage.session_in_channel(getattr(message.channel, "parent_id", None)
                                                         or message.channel.id)
        # An old message edited during a later chat stays with the chat it was said in.
        if live is not None and live.id == stored.session_id:
            await self.capture(message)

    async def forget(self, message_id: int) -> None:
        """A deleted chat message leaves the transcript and the activity ledger."""
        # Remembered briefly, so a delete that overtakes the message's own recording still wins.
        self._deleted.append(message_id)
        if await self.bot.storage.delete_message(message_id):
            await self._notify()

    async def toggle_notify(self, user: discord.abc.User) -> str:
        """Give or take the server's notify role: members choose to be pinged before chats."""
        if not isinstance(user, discord.Member):
            raise UserError("Use this in the server, not in a direct message.")
        config = await self.bot.storage.get_guild_config(user.guild.id)
        role = user.guild.get_role(config.notify_role_id) if config.notify_role_id else None
        if role is None:
            raise UserError("This server has no notify role yet: an admin can choose one with `/config role`.")
        try:
            if role in user.roles:
                await user.remove_roles(role, reason="Asked to stop chat reminders")
                return f"You will no longer be pinged for chats (removed @{role.name})."
            await user.add_roles(role, reason="Asked for chat reminders")
        except discord.Forbidden:
            raise UserError(f"I can't hand out @{role.name}: an admin must give me Manage Roles and put my role "
                            "above it.") from None
        return f"You will be pinged before each chat (added @{role.name}). Press again or use `/chat notify` to stop."

    async def react(self, message_id: int, delta: int) -> None:
        """Count a reaction added to (or taken off) a chat message, for the recap's most-reacted answers."""
        await self.bot.storage.add_reaction(message_id, delta)
        await self._notify()

    async def check_in(self, session_id: int, user: discord.abc.User) -> str:
        """Record "I'm here" and say so to the member."""
        session = await self.bot.storage.get_session(session_id)
        if session is None or session.status != "running":
            return "This chat has ended; the next one is in `/chat list`. Thanks for coming by!"
        fresh = await self.bot.storage.record_checkin(session.guild_id, session_id, user.id, self.bot.clock())
        await self._notify()
        if not fresh:
            return f"You're already checked in to #{session.hashtag}."
        return f"You're checked in to #{session.hashtag}. Welcome! Answer with A1:, A2: … whenever you like."
