"""A chat series: its name and hashtag, its weekly slot, and which of its sessions come next."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from bot.domain.errors import UserError
from bot.domain.questions import MAX_TOPIC_LENGTH
from bot.domain.running import parse_reminders
from bot.domain.schedule import (
    WeeklySlot,
    known_zone,
    local_start,
    occurrences,
    parse_duration,
    parse_local_time,
    parse_weekday,
    parse_zone,
)
from bot.domain.text import excerpt, require_visible
from bot.domain.timeline import ChatPlan, parse_first_question, validate_plan

T = TypeVar("T")

MAX_NAME_LENGTH = 50
HASHTAG = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,49}")
# How far ahead a host may skip or plan a session.
PLANNING_HORIZON = timedelta(days=366)


def _one_line(text: str, what: str, limit: int, when_empty: str) -> str:
    """Host text on one line (runs of whitespace become one space) of 1 to `limit` characters."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UserError(when_empty)
    if len(cleaned) > limit:
        raise UserError(f"That {what} is {len(cleaned)} characters; keep it to {limit} or fewer.")
    return require_visible(cleaned, what)


def clean_name(text: str) -> str:
    """A series name: 1-50 characters on one line."""
    return _one_line(text, "name", MAX_NAME_LENGTH, "Give the series a name, such as GetRealChat.")


def clean_hashtag(text: str) -> str:
    """A hashtag without its '#': a letter, then letters, digits or underscores (2-50 in all)."""
    tag = text.strip().lstrip("#")
    if not HASHTAG.fullmatch(tag):
        raise UserError(f"'{excerpt(text)}' is not a usable hashtag: use letters, digits and underscores, "
                        "starting with a letter, such as #GetRealChat.")
    return tag


def upcoming_sessions(slot: WeeklySlot, after: datetime, count: int,
                      skipped: Collection[datetime] = ()) -> list[datetime]:
    """The next `count` session starts after `after`, leaving out skipped ones."""
    skipped_set = set(skipped)
    found: list[datetime] = []
    cursor = after
    while len(found) < count:
        batch = occurrences(slot, cursor, count + len(skipped_set))
        found.extend(start for start in batch if start not in skipped_set)
        cursor = batch[-1]
    return found[:count]


def session_on(slot: WeeklySlot, on: date, now: datetime) -> datetime:
    """The start of the series' session on a local date, which must be in the future and within a year."""
    # Judged on the date first: the start of a date near year 9999 cannot even be computed in UTC.
    if on > (now + PLANNING_HORIZON).date() + timedelta(days=1):
        raise UserError(f"{on.isoformat()} is more than a year away: pick a nearer date.")
    start = local_start(slot, on)
    if start <= now:
        raise UserError(f"{on.isoformat()} is in the past: pick a date still to come.")
    if start - now > PLANNING_HORIZON:
        raise UserError(f"{on.isoformat()} is more than a year away: pick a nearer date.")
    return start


def clean_topic(text: str) -> str:
    """A session topic: one line of at most MAX_TOPIC_LENGTH characters."""
    return _one_line(text, "topic", MAX_TOPIC_LENGTH,
                     "The topic is empty: give a few words, such as 'Starting over in a new city'.")


def local_day(moment: datetime, zone: str) -> date:
    """The calendar date of an instant in a zone: the date hosts and members call a session by."""
    return moment.astimezone(known_zone(zone)).date()


def parse_date(text: str) -> date:
    """A calendar date written as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"'{excerpt(text)}' is not a date: write it as YYYY-MM-DD, such as 2026-12-01.") from None


@dataclass(frozen=True)
class SeriesSpec:
    """Everything a host gave `/chat create`, validated."""

    name: str
    hashtag: str
    slot: WeeklySlot
    plan: ChatPlan


def build_spec(*, name: str, hashtag: str, weekday: str, local_time: str, zone: str, duration: str,
               spacing: str, first_question: str, pacing: str) -> SeriesSpec:
    """Validate a host's raw input; the first problem found is raised as a UserError naming the option."""
    slot = WeeklySlot(weekday=option("weekday", parse_weekday, weekday),
                      local_time=option("time", parse_local_time, local_time),
                      zone=option("zone", parse_zone, zone).key)
    plan = validate_plan(duration=option("duration", parse_duration, duration),
                         spacing=option("spacing", parse_duration, spacing),
                         first_question=first_question, pacing=pacing)
    return SeriesSpec(name=clean_name(name), hashtag=clean_hashtag(hashtag), slot=slot, plan=plan)


@dataclass(frozen=True)
class SeriesEdit:
    """The options a host gave `/chat edit`, each already valid on its own; None leaves a value as it is stored."""

    name: str | None = None
    hashtag: str | None = None
    channel_id: int | None = None
    weekday: int | None = None
    local_time: time | None = None
    zone: str | None = None
    duration: timedelta | None = None
    spacing: timedelta | None = None
    first_question: timedelta | None = None
    pacing: str | None = None
    reminders: tuple[timedelta, ...] | None = None
    use_threads: bool | None = None
    most_answers: bool | None = None

    def applied_to(self, current: SeriesSpec) -> SeriesSpec:
        """The series as it would be with these options over `current`; a plan they break is a UserError.

        Judged on the combination, so a spacing that fitted the chat as the host saw it is refused if the chat
        has meanwhile become too short for it.
        """
        slot = WeeklySlot(weekday=_given(self.weekday, current.slot.weekday),
                          local_time=_given(self.local_time, current.slot.local_time),
                          zone=_given(self.zone, current.slot.zone))
        plan = ChatPlan(duration=_given(self.duration, current.plan.duration),
                        spacing=_given(self.spacing, current.plan.spacing),
                        first_question=_given(self.first_question, current.plan.first_question),
                        pacing=_given(self.pacing, current.plan.pacing))
        return SeriesSpec(name=_given(self.name, current.name), hashtag=_given(self.hashtag, current.hashtag),
                          slot=slot, plan=plan)


def _given(value: T | None, current: T) -> T:
    """An option's value if the host gave it, else the stored one."""
    return current if value is None else value


def parse_edit(*, name: str | None = None, hashtag: str | None = None, channel_id: int | None = None,
               weekday: str | None = None, local_time: str | None = None, zone: str | None = None,
               duration: str | None = None, spacing: str | None = None, first_question: str | None = None,
               pacing: str | None = None, reminders: str | None = None,
               use_threads: bool | None = None, most_answers: bool | None = None) -> SeriesEdit:
    """Validate each option a host gave `/chat edit` on its own (None: not given), naming the one that is wrong."""
    def parsed(what: str, parse: Callable[[str], T], text: str | None) -> T | None:
        return None if text is None else option(what, parse, text)

    return SeriesEdit(
        name=None if name is None else clean_name(name), hashtag=None if hashtag is None else clean_hashtag(hashtag),
        channel_id=channel_id, weekday=parsed("weekday", parse_weekday, weekday),
        local_time=parsed("time", parse_local_time, local_time),
        zone=parsed("zone", lambda text: parse_zone(text).key, zone),
        duration=parsed("duration", parse_duration, duration), spacing=parsed("spacing", parse_duration, spacing),
        first_question=parsed("first_question", parse_first_question, first_question),
        pacing=parsed("pacing", _pacing, pacing), reminders=parsed("reminders", parse_reminders, reminders),
        use_threads=use_threads, most_answers=most_answers)


def _pacing(text: str) -> str:
    """A pacing name, fixed or adaptive."""
    return ChatPlan(pacing=text).pacing


def option(option: str, parse: Callable[[str], T], text: str) -> T:
    """Parse one option, naming it in the error so the host knows which value to fix."""
    try:
        return parse(text)
    except UserError as error:
        raise UserError(f"{option}: {error}") from None


def moved_starts(old: WeeklySlot, new: WeeklySlot, starts: list[datetime]) -> list[datetime]:
    """Where sessions go when a series changes its weekly slot: the same Monday-to-Sunday week, new day and time."""
    moved = []
    for start in starts:
        local_day = start.astimezone(old.tz).date()
        moved.append(local_start(new, local_day + timedelta(days=new.weekday - old.weekday)))
    return moved
