"""Running the hour: which posts a chat makes and when, what they say, and what to do with one that is late.

A started chat becomes a list of keyed posts (opening, Q1..Qn, closing, recap). Keys are stable, so a
restart rebuilds exactly the same list and nothing is posted twice. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.domain.errors import UserError
from bot.domain.schedule import parse_duration
from bot.domain.timeline import ChatPlan, format_duration, question_times, questions_that_fit

# The recap follows the closing post after this long, so late answers still make it in ("within a minute").
RECAP_DELAY = dt.timedelta(seconds=30)
# A post that fails is retried after these delays, then the hosts are told.
RETRY_DELAYS = (dt.timedelta(seconds=5), dt.timedelta(seconds=15), dt.timedelta(seconds=45), dt.timedelta(seconds=90))
# How far back, in the channel, a restart looks for a post that went out but was never recorded.
RECONCILE_MESSAGES = 200
MAX_EXTENSION = dt.timedelta(hours=2)

KINDS = ("announcement", "opening", "question", "closing", "recap")
MAX_REMINDERS = 3


@dataclass(frozen=True)
class PlannedPost:
    """A post to make at `due_at`, under a key unique to its session and purpose."""

    key: str
    kind: str
    due_at: dt.datetime
    question_number: int | None = None


def post_key(session_id: int, kind: str, number: int | None = None) -> str:
    """The stable key of a session's post: "session:12:opening", "session:12:q3", "session:12:announce:3600"."""
    if kind not in KINDS:
        raise ValueError(f"unknown post kind {kind!r}")
    if kind == "question":
        return f"session:{session_id}:q{number}"
    if kind == "announcement":
        return f"session:{session_id}:announce:{number}"
    return f"session:{session_id}:{kind}"


def parse_reminders(text: str) -> tuple[dt.timedelta, ...]:
    """Reminder lead times from host text: "24h, 1h", "2d 30m" or "none"; longest first, at most three."""
    cleaned = text.strip().lower()
    if cleaned in ("none", "off", "no", "0"):
        return ()
    leads = sorted({parse_duration(part) for part in cleaned.replace(",", " ").split()}, reverse=True)
    if not leads:
        raise UserError("Give reminder times like `24h, 1h`, or `none`.")
    if len(leads) > MAX_REMINDERS:
        raise UserError(f"Give at most {MAX_REMINDERS} reminder times (got {len(leads)}).")
    if leads[-1] < dt.timedelta(minutes=5) or leads[0] > dt.timedelta(days=7):
        raise UserError("Reminders must come between 5 minutes and 7 days before the chat.")
    return tuple(leads)


def plan_reminders(session_id: int, starts_at: dt.datetime, leads: tuple[dt.timedelta, ...],
                   now: dt.datetime) -> list[PlannedPost]:
    """The reminders for a session that are still to come (a 24 h reminder is not sent 2 h before)."""
    return [PlannedPost(post_key(session_id, "announcement", int(lead.total_seconds())), "announcement",
                        starts_at - lead) for lead in leads if starts_at - lead > now]


def plan_posts(plan: ChatPlan, session_id: int, started_at: dt.datetime, question_count: int) -> list[PlannedPost]:
    """Every post of a chat started at `started_at`: the opening now, the questions, the closing, the recap.

    Fixed pacing schedules every question on the clock. Adaptive pacing schedules only Q1; each later
    question is scheduled when the one before it goes out (see `timeline.next_question_due`).
    Questions that would come after the end are left out (they can still be posted with /chat next).
    """
    ends = started_at + plan.duration
    count = min(question_count, questions_that_fit(plan)) if plan.pacing == "fixed" else min(question_count, 1)
    posts = [PlannedPost(post_key(session_id, "opening"), "opening", started_at)]
    posts += [PlannedPost(post_key(session_id, "question", n), "question", due, n)
              for n, due in enumerate(question_times(plan, started_at, count), 1)]
    posts += [PlannedPost(post_key(session_id, "closing"), "closing", ends),
              PlannedPost(post_key(session_id, "recap"), "recap", ends + RECAP_DELAY)]
    return posts


class StartedChat(Protocol):
    """What choosing among the running chats needs to know of each."""

    @property
    def id(self) -> int:
        """The session's id (a tie-breaker between chats started at the same instant)."""

    @property
    def channel_id(self) -> int:
        """Where it runs."""

    @property
    def started_at(self) -> dt.datetime | None:
        """When it started."""


Chat = TypeVar("Chat", bound=StartedChat)


def chats_meant(running: Sequence[Chat], channel_id: int | None) -> list[Chat]:
    """The running chats a host's command in `channel_id` means, started last first; none is a UserError.

    Those running in that channel, else the server's only running chat. A channel holds more than one only in a
    database from before starts were one per channel: then the command means all of them (`/chat end` ends
    each; a steering command takes the one started last), so a host is never left unable to end what runs.
    """
    here = [chat for chat in running if chat.channel_id == channel_id]
    if not running:
        raise UserError("No chat is running here: start one with `/chat start`.")
    if not here and len(running) > 1:
        raise UserError(f"{len(running)} chats are running: run this in the channel of the one you mean.")
    return sorted(here or running, key=lambda chat: (chat.started_at or dt.datetime.min.replace(tzinfo=dt.UTC),
                                                     chat.id), reverse=True)


def is_too_late(due_at: dt.datetime, now: dt.datetime, grace: dt.timedelta) -> bool:
    """An overdue post older than the grace period is skipped (and the hosts told), never posted stale."""
    return now - due_at > grace


def retry_delay(attempts: int) -> dt.timedelta | None:
    """How long to wait after the `attempts`-th failed try; None once it is time to give up and alert."""
    return RETRY_DELAYS[attempts - 1] if 1 <= attempts <= len(RETRY_DELAYS) else None


# ---------------------------------------------------------------------------------------------------
# What the posts say. Topic, guest and question text come from hosts; the bot sends everything with
# pings switched off except the ones it names on purpose.


def announcement_text(hashtag: str, starts_at: dt.datetime, topic: str | None, guest: str | None,
                      channel_id: int, notify_role_id: int | None) -> str:
    """A reminder before a chat: when (as a Discord timestamp), the topic and guest, and where."""
    stamp = int(starts_at.timestamp())
    ping = f" <@&{notify_role_id}>" if notify_role_id else ""
    lines = [f"**#{hashtag}** starts <t:{stamp}:R>, <t:{stamp}:F>, in <#{channel_id}>.{ping}"]
    if topic:
        lines.append(f"Topic: **{topic}**")
    if guest:
        lines.append(f"Guest: {guest}")
    if notify_role_id:
        lines.append("Press **Notify me** to get these reminders (press again to stop), or use `/chat notify`.")
    return "\n".join(lines)


# Discord's limits on a scheduled event: name and location 1–100 characters, description up to 1000.
EVENT_NAME_LIMIT = 100
EVENT_LOCATION_LIMIT = 100
EVENT_DESCRIPTION_LIMIT = 1000


def event_name(hashtag: str) -> str:
    """The Discord scheduled event's name: the chat's hashtag."""
    return f"#{hashtag}"[:EVENT_NAME_LIMIT]


def event_location(channel_name: str | None, series_name: str) -> str:
    """Where an external event happens: the channel (clipped to Discord's 100 characters), else the series' name."""
    location = f"#{channel_name}" if channel_name else series_name
    if len(location) > EVENT_LOCATION_LIMIT:
        return location[:EVENT_LOCATION_LIMIT - 1] + "…"
    return location


def event_description(topic: str | None, guest: str | None) -> str:
    """The Discord scheduled event's description."""
    lines = [f"Topic: {topic}" if topic else "", f"Guest: {guest}" if guest else "",
             "A hashtag chat: questions Q1, Q2 … every few minutes; answer with A1:, A2: …"]
    return "\n".join(line for line in lines if line)[:EVENT_DESCRIPTION_LIMIT]


def opening_text(hashtag: str, topic: str | None, guest: str | None, duration: dt.timedelta,
                 question_count: int) -> str:
    """The welcome that opens a chat, with the rules of answering."""
    lines = [f"**Welcome to #{hashtag}!** The chat starts now and runs {format_duration(duration)}."]
    if topic:
        lines.append(f"Topic: **{topic}**")
    if guest:
        lines.append(f"Guest: {guest}")
    asked = f"{question_count} questions" if question_count != 1 else "1 question"
    lines += [
        f"I'll post {asked} here, Q1, Q2 and so on. Answer with **A1:**, **A2:** … or reply to the question.",
        "Reply to each other too: that is the best part. Just reading along? Press **I'm here** so we know you came.",
    ]
    return "\n".join(lines)


def question_text(hashtag: str, number: int, text: str) -> str:
    """A numbered question with the chat's hashtag."""
    return f"**Q{number}:** {text}\n#{hashtag} · answer with **A{number}:**"


def closing_text(hashtag: str, next_start: dt.datetime | None, next_topic: str | None) -> str:
    """Thanks, and when the next chat is (as a Discord timestamp every reader sees in their own zone)."""
    lines = [f"**That's a wrap for #{hashtag}!** Thank you for coming and for every answer."]
    if next_start is None:
        lines.append("The next chat will be announced here.")
    else:
        stamp = int(next_start.timestamp())
        lines.append(f"Next chat: <t:{stamp}:F> (<t:{stamp}:R>)" + (f" — {next_topic}" if next_topic else ""))
    lines.append("The recap and transcript follow in a moment.")
    return "\n".join(lines)


def signature(content: str) -> str:
    """The first line of a post: what a restart looks for in the channel to tell whether it went out."""
    return content.split("\n", 1)[0]


def alert_text(what: str, channel_id: int, error: str, attempts: int) -> str:
    """The moderator-channel alert when a post gave up after retries."""
    tries = "once" if attempts == 1 else f"{attempts} times"
    return (f"⚠️ Heartbeat could not post {what} in <#{channel_id}> (tried {tries}): {error}\n"
            "Check the bot's permissions in that channel (`/config status`), "
            "then post it by hand or with `/chat next`.")


def skipped_text(what: str, channel_id: int, late: dt.timedelta) -> str:
    """The moderator-channel note when an overdue post was skipped after an outage."""
    # Not "offline": a bot far behind a flood skips an overdue post just the same.
    return (f"{what[:1].upper()}{what[1:]} in <#{channel_id}> was {format_duration(late)} overdue (I was offline or "
            "too far behind to post it on time), so it was skipped rather than posted stale.")


def describe_post(kind: str, hashtag: str, question_number: int | None) -> str:
    """A post named for hosts: "Q3 of #GetRealChat", "the opening post of #GetRealChat"."""
    if kind == "question":
        return f"Q{question_number} of #{hashtag}"
    if kind == "announcement":
        return f"a reminder for #{hashtag}"
    return f"the {kind} post of #{hashtag}" if kind != "recap" else f"the recap of #{hashtag}"
