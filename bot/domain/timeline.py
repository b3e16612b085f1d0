"""When a chat's questions go out: the plan (length, spacing, pacing) and the instants it yields.

Twitter-chat convention: one hour, first question about 5 minutes in, then one every 8-10 minutes.
*Fixed* pacing posts Q1..Qn at start + first_question + i * spacing. *Adaptive* pacing posts the next
question once answers to the current one have died down, but never sooner than ``min_spacing`` nor
later than ``max_spacing`` after it.

All arithmetic is done in UTC, so a chat that crosses a daylight-saving change still lasts its real
length; every returned datetime is aware UTC. Nothing here reads the clock: callers pass ``now``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.domain.errors import UserError
from bot.domain.schedule import parse_duration, require_aware
from bot.domain.text import excerpt

UTC = dt.UTC

MIN_CHAT_DURATION = dt.timedelta(minutes=10)
MAX_CHAT_DURATION = dt.timedelta(hours=4)
MIN_SPACING = dt.timedelta(seconds=30)
PACINGS = ("fixed", "adaptive")

DEFAULT_DURATION = dt.timedelta(minutes=60)
DEFAULT_SPACING = dt.timedelta(minutes=10)
DEFAULT_FIRST_QUESTION = dt.timedelta(minutes=5)
DEFAULT_PACING = "fixed"
# Adaptive bounds, when not given, are this fraction of the spacing (clamped to MIN_SPACING..duration).
MIN_SPACING_FACTOR = 0.5
MAX_SPACING_FACTOR = 1.5
# How long no answer must arrive before the room counts as quiet (adaptive pacing).
DEFAULT_QUIET_FOR = dt.timedelta(seconds=90)


def format_duration(td: dt.timedelta) -> str:
    """Format a duration the way users type it: "8m", "1h30m", "1m30s", "2d3h", "0s" (whole seconds)."""
    if td < dt.timedelta(0):
        return "-" + format_duration(-td)
    # Truncate, so a value just under a limit never prints as the limit itself.
    seconds = int(td.total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    parts = [
        f"{amount}{unit}" for amount, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if amount
    ]
    return "".join(parts) or "0s"


def _whole_seconds(td: dt.timedelta) -> dt.timedelta:
    """Round a derived duration to whole seconds, so it prints and stores cleanly."""
    return dt.timedelta(seconds=round(td.total_seconds()))


@dataclass(frozen=True, init=False)
class ChatPlan:
    """How long a chat lasts and how its questions are paced; invalid plans raise UserError.

    ``min_spacing``/``max_spacing`` default to spacing x 0.5 / x 1.5, clamped to 30 s .. duration.
    They are stored, not re-derived: ``dataclasses.replace(plan, spacing=...)`` keeps the old bounds,
    so build a new ChatPlan to change the spacing and get fresh bounds.
    """

    duration: dt.timedelta
    spacing: dt.timedelta
    first_question: dt.timedelta
    pacing: str
    min_spacing: dt.timedelta
    max_spacing: dt.timedelta

    def __init__(
        self,
        duration: dt.timedelta = DEFAULT_DURATION,
        spacing: dt.timedelta = DEFAULT_SPACING,
        first_question: dt.timedelta = DEFAULT_FIRST_QUESTION,
        pacing: str = DEFAULT_PACING,
        min_spacing: dt.timedelta | None = None,
        max_spacing: dt.timedelta | None = None,
    ) -> None:
        """Store the plan, deriving missing adaptive bounds from the spacing, and validate it."""
        if min_spacing is None:
            min_spacing = max(MIN_SPACING, _whole_seconds(spacing * MIN_SPACING_FACTOR))
        if max_spacing is None:
            max_spacing = min(duration, _whole_seconds(spacing * MAX_SPACING_FACTOR))
        values = {
            "duration": duration,
            "spacing": spacing,
            "first_question": first_question,
            "pacing": pacing.strip().lower(),
            "min_spacing": min_spacing,
            "max_spacing": max_spacing,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self._validate()

    def _validate(self) -> None:
        """Raise UserError, in one sentence saying what to change, for the first thing wrong with the plan."""
        length = format_duration(self.duration)
        if self.pacing not in PACINGS:
            raise UserError(f"Pacing must be fixed or adaptive (got '{excerpt(self.pacing)}').")
        if not MIN_CHAT_DURATION <= self.duration <= MAX_CHAT_DURATION:
            raise UserError(f"A chat must last between 10 minutes and 4 hours (got {length}).")
        if self.spacing < MIN_SPACING:
            raise UserError(f"Question spacing must be at least 30 seconds (got {format_duration(self.spacing)}).")
        if self.spacing >= self.duration:
            raise UserError(
                f"Question spacing must be shorter than the chat (got {format_duration(self.spacing)} "
                f"for a {length} chat)."
            )
        if self.first_question < dt.timedelta(0):
            raise UserError(
                f"The first question can't come before the chat starts (got {format_duration(self.first_question)}): "
                "use 0 or more."
            )
        if self.first_question >= self.duration:
            raise UserError(
                f"The first question must come before the chat ends (got {format_duration(self.first_question)} "
                f"for a {length} chat)."
            )
        spacing = format_duration(self.spacing)
        if self.min_spacing < MIN_SPACING:
            raise UserError(
                f"Minimum question spacing must be at least 30 seconds (got {format_duration(self.min_spacing)})."
            )
        if self.min_spacing > self.spacing:
            raise UserError(
                f"Minimum question spacing can't be longer than the question spacing "
                f"(got {format_duration(self.min_spacing)} with spacing {spacing})."
            )
        if self.max_spacing < self.spacing:
            raise UserError(
                f"Maximum question spacing can't be shorter than the question spacing "
                f"(got {format_duration(self.max_spacing)} with spacing {spacing})."
            )
        if self.max_spacing > self.duration:
            raise UserError(
                f"Maximum question spacing can't be longer than the chat "
                f"(got {format_duration(self.max_spacing)} for a {length} chat)."
            )


# "0", "0m", "0 min", "0s": the first question may go out right at the start, which parse_duration
# (for lengths, where zero is a mistake) refuses.
_ZERO = re.compile(r"0+\s*(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)?", re.ASCII)


def _as_duration(value: str | dt.timedelta, *, zero_ok: bool = False) -> dt.timedelta:
    """Parse user text with parse_duration, passing timedeltas through."""
    if isinstance(value, dt.timedelta):
        return value
    if zero_ok and _ZERO.fullmatch(value.strip().lower()):
        return dt.timedelta(0)
    return parse_duration(value)


def parse_first_question(text: str) -> dt.timedelta:
    """When Q1 comes after the start, from user text ("5m", "90s"); unlike a length, it may be 0."""
    return _as_duration(text, zero_ok=True)


def validate_plan(
    *,
    duration: str | dt.timedelta = DEFAULT_DURATION,
    spacing: str | dt.timedelta = DEFAULT_SPACING,
    first_question: str | dt.timedelta = DEFAULT_FIRST_QUESTION,
    pacing: str = DEFAULT_PACING,
    min_spacing: str | dt.timedelta | None = None,
    max_spacing: str | dt.timedelta | None = None,
) -> ChatPlan:
    """Build a ChatPlan from user text ("1h", "8m", "0") or timedeltas, raising UserError for bad input."""
    return ChatPlan(
        duration=_as_duration(duration),
        spacing=_as_duration(spacing),
        first_question=_as_duration(first_question, zero_ok=True),
        pacing=pacing,
        min_spacing=None if min_spacing is None else _as_duration(min_spacing),
        max_spacing=None if max_spacing is None else _as_duration(max_spacing),
    )


def adhoc_plan(duration: dt.timedelta) -> ChatPlan:
    """The plan of an ad hoc chat lasting `duration`: Q1 at the start, then one every 10 minutes or half the chat."""
    # An ad hoc chat has no prepared questions; the spacing only paces the ones a host adds while it runs.
    return validate_plan(duration=duration, spacing=min(DEFAULT_SPACING, duration / 2), first_question="0")


def questions_that_fit(plan: ChatPlan) -> int:
    """Return how many fixed-paced questions start strictly before the chat ends."""
    # ceil((duration - first_question) / spacing), in exact integer timedelta arithmetic.
    return -((plan.first_question - plan.duration) // plan.spacing)


def question_times(plan: ChatPlan, start: dt.datetime, count: int) -> list[dt.datetime]:
    """Return the fixed-pacing UTC instants of Q1..Q`count`, or raise UserError if they run past the end."""
    require_aware("start", start)
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    fit = questions_that_fit(plan)
    if count > fit:
        raise UserError(
            f"Only {fit} question{'' if fit == 1 else 's'} fit in a {format_duration(plan.duration)} chat with Q1 at "
            f"{format_duration(plan.first_question)} and one every {format_duration(plan.spacing)}: "
            f"use {fit} or fewer, space them closer, or make the chat longer."
        )
    first = start.astimezone(UTC) + plan.first_question
    return [first + i * plan.spacing for i in range(count)]


def closing_time(plan: ChatPlan, start: dt.datetime) -> dt.datetime:
    """Return the UTC instant the chat ends (start + duration in real time, even across a DST change)."""
    require_aware("start", start)
    return start.astimezone(UTC) + plan.duration


def next_question_due(
    plan: ChatPlan,
    *,
    last_question_at: dt.datetime,
    last_answer_at: dt.datetime | None,
    now: dt.datetime,
    quiet_for: dt.timedelta = DEFAULT_QUIET_FOR,
) -> dt.datetime:
    """Return when the next question is due (UTC); a result at or before `now` means post it now.

    Fixed pacing: ``last_question_at + spacing``. Adaptive: once no answer has come for ``quiet_for``,
    clamped to ``last_question_at + min_spacing .. + max_spacing``. ``last_answer_at`` is the latest
    answer to the current question (None, or earlier than the question, counts as no answer yet);
    an answer stamped after ``now`` (clock skew) counts as arriving at ``now``.
    """
    require_aware("last_question_at", last_question_at)
    require_aware("now", now)
    if last_answer_at is not None:
        require_aware("last_answer_at", last_answer_at)
    if quiet_for <= dt.timedelta(0):
        raise ValueError(f"quiet_for must be positive, got {quiet_for!r}")
    asked = last_question_at.astimezone(UTC)
    if plan.pacing == "fixed":
        return asked + plan.spacing
    quiet_since = asked
    if last_answer_at is not None:
        quiet_since = max(asked, min(last_answer_at, now).astimezone(UTC))
    due = quiet_since + quiet_for
    return min(max(due, asked + plan.min_spacing), asked + plan.max_spacing)
