"""Progression: the stage a member has reached (lurker → participant → regular → helper → leader) and why.

One definition of a stage for the whole bot: the month close, /profile, the newcomer report and recognition all
call `judge`. The numbers are a server's `Thresholds` (defaults from the README's stage table).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from bot.domain.errors import UserError

STAGES = ("lurker", "participant", "regular", "helper", "leader")
DEFAULT_THANKS_EMOJI = ("🙏", "❤️", "💯")


def rank(stage: str) -> int:
    """A stage's place in the order, lurker 0 to leader 4."""
    return STAGES.index(stage)


@dataclass(frozen=True)
class Thresholds:
    """A server's numbers for each stage; every one is configurable (`/progression settings`)."""

    window_days: int = 90  # the figures count what happened in the last window_days
    participant_answers: int = 1  # answers (in at least one chat)
    regular_chats: int = 4  # chats answered in …
    regular_months: int = 2  # … spread over this many calendar months
    helper_acts: int = 5  # helpful acts …
    helper_people: int = 3  # … towards this many different people …
    helper_thanked_by: int = 2  # … and thanked by this many different people
    leader_helper_months: int = 3  # consecutive months as a helper make a leader
    keep_percent: int = 75  # a stage is lost after a month below this share of its requirements
    thanks_emoji: tuple[str, ...] = DEFAULT_THANKS_EMOJI
    thanks_words: tuple[str, ...] = ()  # a server's own words of thanks, besides the built-in ones

    def to_json(self) -> str:
        """Every threshold, as JSON (kept with each closed month)."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    def changes_json(self) -> str:
        """Only what differs from the defaults, as JSON (a server's stored settings)."""
        default = Thresholds()
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self)
                           if getattr(self, f.name) != getattr(default, f.name)}, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Thresholds:
        """Thresholds from stored JSON; keys not given (or not known any more) keep their defaults."""
        data: dict[str, Any] = json.loads(text) if text else {}
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)

    def changed(self, **changes: Any) -> Thresholds:
        """These thresholds with `changes` applied, validated; raises UserError saying what to fix."""
        for name, value in changes.items():
            if name in ("thanks_emoji", "thanks_words"):
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise UserError(f"{name} must be a whole number.")
            low, high = LIMITS[name]
            if not low <= value <= high:
                raise UserError(f"{name} must be between {low} and {high} (you gave {value}).")
        new = replace(self, **changes)
        if new.regular_months > math.ceil(new.window_days / 28):
            raise UserError(f"regular_months ({new.regular_months}) cannot be met in a window of "
                            f"{new.window_days} days; lower it or lengthen window_days.")
        if new.helper_people > new.helper_acts:
            raise UserError(f"helper_people ({new.helper_people}) cannot exceed helper_acts ({new.helper_acts}): "
                            "each person helped needs an act of their own.")
        return new


# The range each number may take: below zero means nothing, and past these a stage could never be reached.
LIMITS = {
    "window_days": (28, 366),
    "participant_answers": (1, 100),
    "regular_chats": (1, 100),
    "regular_months": (1, 12),
    "helper_acts": (1, 1000),
    "helper_people": (1, 100),
    "helper_thanked_by": (0, 100),
    "leader_helper_months": (1, 24),
    "keep_percent": (1, 100),
}


@dataclass(frozen=True)
class Figures:
    """What a member did in the window that ends at the instant judged."""

    answers: int = 0
    chats_answered: int = 0  # different chats they answered in
    months_answered: int = 0  # different calendar months (server time) of those chats
    helpful_acts: int = 0
    people_helped: int = 0
    thanked_by: int = 0  # different people who thanked them
    hosted: int = 0  # chats hosted or co-hosted


@dataclass(frozen=True)
class Prior:
    """What the last closed month said: the stage then, whether it was already held loosely, the helper streak."""

    stage: str = "lurker"
    below: bool = False  # under keep_percent of that stage's requirements at that month's end
    helper_months: int = 0  # consecutive closed months, up to that one, at helper or above
    named: bool = False  # named a leader by a moderator (now)


@dataclass(frozen=True)
class Verdict:
    """A member's stage, why, and whether they hold it only loosely (under keep_percent of its requirements)."""

    stage: str
    reasons: str
    below: bool
    helper_months: int  # consecutive months at helper or above, this one included


def _scaled(need: int, percent: int) -> int:
    """A requirement at `percent` (rounded up, so 75% of 1 is still 1)."""
    return math.ceil(need * percent / 100)


def _meets(stage: str, f: Figures, t: Thresholds, percent: int = 100) -> bool:
    """Whether the figures meet a stage's requirements (below leader) at `percent` of each number."""
    if stage == "lurker":
        return True
    if f.answers < _scaled(t.participant_answers, percent):
        return False
    if stage == "participant":
        return True
    if f.chats_answered < _scaled(t.regular_chats, percent) or f.months_answered < _scaled(t.regular_months, percent):
        return False
    if stage == "regular":
        return True
    return (f.helpful_acts >= _scaled(t.helper_acts, percent) and f.people_helped >= _scaled(t.helper_people, percent)
            and f.thanked_by >= _scaled(t.helper_thanked_by, percent))


def _highest(f: Figures, t: Thresholds, percent: int = 100) -> str:
    """The highest stage below leader whose requirements the figures meet."""
    return next(s for s in reversed(STAGES[:4]) if _meets(s, f, t, percent))


def judge(f: Figures, t: Thresholds, prior: Prior) -> Verdict:
    """The member's stage given their window's figures and the last closed month.

    Promotion is immediate. A stage is lost only when the member was under keep_percent of its requirements at
    the end of the last closed month and still is now: a whole month below, so nobody flip-flops week to week.
    """
    met = _highest(f, t)
    loosely = _highest(f, t, t.keep_percent)
    held = STAGES[min(rank(prior.stage), 3)]  # leader is judged on its own below
    if rank(met) >= rank(held) or not (prior.below and rank(loosely) < rank(held)):
        stage = STAGES[max(rank(met), rank(held))]
    else:
        stage = STAGES[max(rank(met), rank(loosely))]
    # The streak counts months in which the helper requirements were met in full, not merely kept.
    helper_months = prior.helper_months + 1 if met == "helper" else 0
    leader_why = _leader_why(f, t, prior, stage, helper_months)
    held_loosely = rank(met) < min(rank(stage), 3)
    if leader_why:
        stage = "leader"
    below = rank(loosely) < min(rank(stage), 3) and not (prior.named or f.hosted)
    return Verdict(stage, _reasons(stage, f, t, met, leader_why, held_loosely=held_loosely and stage != "leader"),
                   below, helper_months)


def _leader_why(f: Figures, t: Thresholds, prior: Prior, stage: str, helper_months: int) -> str:
    """Why the member is a leader ("" if not): named, hosting, or a helper streak (kept while they keep helping)."""
    if prior.named:
        return "named by a moderator"
    if f.hosted:
        return f"hosted or co-hosted {_plural(f.hosted, 'chat')}"
    if helper_months >= t.leader_helper_months:
        return f"a helper {helper_months} months in a row"
    if prior.stage == "leader" and rank(stage) >= rank("helper"):
        return "a leader who still helps"
    return ""


def _reasons(stage: str, f: Figures, t: Thresholds, met: str, leader_why: str, *, held_loosely: bool) -> str:
    """"regular: answered in 5 chats over 3 months; helper needs 2 more helpful acts" and the like."""
    if stage == "leader":
        why = leader_why
    elif stage == "lurker":
        why = "has not answered a question yet"
    elif stage == "participant":
        why = f"answered {_plural(f.answers, 'question')}"
    elif stage == "regular":
        why = f"answered in {_plural(f.chats_answered, 'chat')} over {_plural(f.months_answered, 'month')}"
    else:
        why = (f"{_plural(f.helpful_acts, 'helpful act')} towards {_plural(f.people_helped, 'person', 'people')}, "
               f"thanked by {_plural(f.thanked_by, 'person', 'people')}")
    if held_loosely:
        why += f" (kept: a stage is lost only after a whole month under {t.keep_percent}% of its requirements)"
    text = f"{stage}: {why}"
    if stage != "leader":
        nxt = STAGES[rank(stage) + 1] if rank(met) >= rank(stage) else stage
        missing = needs(nxt, f, t)
        if missing:
            text += f"; {nxt} needs {missing}"
    return text


def needs(stage: str, f: Figures, t: Thresholds) -> str:
    """What the figures still lack for a stage, in words ("" if nothing)."""
    if stage == "leader":
        return (f"hosting a chat, or being a helper {t.leader_helper_months} months in a row, or being named by a "
                "moderator")
    gaps: list[str] = []
    if rank(stage) >= rank("participant") and f.answers < t.participant_answers:
        gaps.append(f"{_plural(t.participant_answers - f.answers, 'more answer')}")
    if rank(stage) >= rank("regular"):
        if f.chats_answered < t.regular_chats:
            gaps.append(f"answers in {_plural(t.regular_chats - f.chats_answered, 'more chat')}")
        if f.months_answered < t.regular_months:
            gaps.append(f"answers in {_plural(t.regular_months - f.months_answered, 'more calendar month')}")
    if rank(stage) >= rank("helper"):
        if f.helpful_acts < t.helper_acts:
            gaps.append(f"{_plural(t.helper_acts - f.helpful_acts, 'more helpful act')}")
        if f.people_helped < t.helper_people:
            gaps.append(f"helping {_plural(t.helper_people - f.people_helped, 'more person', 'more people')}")
        if f.thanked_by < t.helper_thanked_by:
            gaps.append(f"thanks from {_plural(t.helper_thanked_by - f.thanked_by, 'more person', 'more people')}")
    return ", ".join(gaps)


def _plural(n: int, one: str, many: str | None = None) -> str:
    """"1 chat", "3 chats"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


# -- months ---------------------------------------------------------------------------------------------

def month_of(at: datetime, zone: tzinfo) -> str:
    """The calendar month ('YYYY-MM') an instant falls in, in the server's time zone."""
    local = at.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def month_bounds(month: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first instant of a month and of the next one, in the server's time zone (aware)."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return start, end


def next_month(month: str) -> str:
    """The month after 'YYYY-MM'."""
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def previous_month(month: str) -> str:
    """The month before 'YYYY-MM'."""
    year, number = (int(part) for part in month.split("-"))
    return f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (empty if first is after last)."""
    months: list[str] = []
    while first <= last:
        months.append(first)
        first = next_month(first)
    return months


def parse_month(text: str) -> str:
    """'YYYY-MM' checked; raises UserError otherwise."""
    try:
        parsed = date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise UserError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-03.") from None
    return f"{parsed.year:04d}-{parsed.month:02d}"


def window_start(end: datetime, t: Thresholds) -> datetime:
    """Where the window ending at `end` begins."""
    return end - timedelta(days=t.window_days)


# -- the month rows the reports read ------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthRow:
    """A member's month as closed (or provisional): the stage at its end, why, and the month's own figures."""

    month: str
    user_id: int
    name: str
    stage: str
    previous: str | None  # the stage at the end of the month before (None: not a member then)
    reasons: str
    below: bool
    joined_at: datetime | None
    first_answer_at: datetime | None
    chats: int = 0
    answers: int = 0
    replies: int = 0
    helpful: int = 0
    helped: int = 0
    thanks: int = 0
    checkins: int = 0
    hosted: int = 0
    helper_months: int = 0  # consecutive months, this one included, meeting the helper requirements in full


def prior_of(row: MonthRow | None, *, named: bool) -> Prior:
    """What a member's last closed month says for judging the next instant (a lurker with no history if none)."""
    if row is None:
        return Prior(named=named)
    return Prior(stage=row.stage, below=row.below, helper_months=row.helper_months, named=named)


@dataclass(frozen=True)
class Tally:
    """One member's counts over a stretch of time: a month's own figures, or the window a stage is judged on."""

    answers: int = 0
    chats_answered: int = 0  # different chats answered in
    months_answered: int = 0  # different calendar months (server time) answered in
    chats: int = 0  # different chats attended: posted, answered or checked in
    replies: int = 0
    checkins: int = 0
    hosted: int = 0  # different chats hosted
    helpful: int = 0  # helpful acts: different (message, person) pairs, greetings of newcomers included
    helped: int = 0  # different people helped
    thanks: int = 0  # thanks received: different (message, giver) pairs
    thanked_by: int = 0  # different people who thanked them
    first_answer_at: datetime | None = None  # their first answer in the stretch

    def figures(self) -> Figures:
        """The figures a stage is judged on."""
        return Figures(answers=self.answers, chats_answered=self.chats_answered,
                       months_answered=self.months_answered, helpful_acts=self.helpful, people_helped=self.helped,
                       thanked_by=self.thanked_by, hosted=self.hosted)


@dataclass(frozen=True)
class Someone:
    """A member listed in a month: present at some moment of it, or active in it."""

    user_id: int
    name: str
    joined_at: datetime | None  # None: there before the bot came, so no cohort


def month_rows(month: str, people: list[Someone], window: dict[int, Figures], own: dict[int, Tally],
               before: dict[int, MonthRow], named: set[int], t: Thresholds) -> list[MonthRow]:
    """Every listed member's row for a month: the stage judged at its end, and the month's own figures."""
    rows: list[MonthRow] = []
    for person in people:
        last = before.get(person.user_id)
        verdict = judge(window.get(person.user_id, Figures()), t,
                        prior_of(last, named=person.user_id in named))
        figures = own.get(person.user_id, Tally())
        first_answer = last.first_answer_at if last is not None and last.first_answer_at else figures.first_answer_at
        rows.append(MonthRow(
            month=month, user_id=person.user_id, name=person.name, stage=verdict.stage,
            previous=last.stage if last is not None else None, reasons=verdict.reasons, below=verdict.below,
            joined_at=person.joined_at, first_answer_at=first_answer, chats=figures.chats, answers=figures.answers,
            replies=figures.replies, helpful=figures.helpful, helped=figures.helped, thanks=figures.thanks,
            checkins=figures.checkins, hosted=figures.hosted, helper_months=verdict.helper_months))
    return rows


@dataclass(frozen=True)
class Standing:
    """A member's progression now: the live verdict, their months, and the totals /profile shows."""

    verdict: Verdict
    figures: Figures  # the window that ends now
    thresholds: Thresholds
    months: list[MonthRow]  # closed months and the provisional current one, oldest first
    chats_attended: int
    answers: int
    helpful_acts: int
    thanks_received: int
    streak: int  # the server's latest chats answered in, in a row
    next_stage: str | None
    next_needs: str


def standing(figures: Figures, t: Thresholds, months: list[MonthRow], current: str, *, named: bool,
             streak: int) -> Standing:
    """A member's standing now, from the window's figures and their months (the current month's row left out of
    the prior, since it is provisional)."""
    closed = [row for row in months if row.month < current]
    verdict = judge(figures, t, prior_of(closed[-1] if closed else None, named=named))
    next_stage = None if verdict.stage == "leader" else STAGES[rank(verdict.stage) + 1]
    return Standing(
        verdict=verdict, figures=figures, thresholds=t, months=months,
        chats_attended=sum(row.chats for row in months), answers=sum(row.answers for row in months),
        helpful_acts=sum(row.helpful for row in months), thanks_received=sum(row.thanks for row in months),
        streak=streak, next_stage=next_stage, next_needs=needs(next_stage, figures, t) if next_stage else "")


def month_starts(start: datetime, end: datetime, zone: tzinfo) -> list[datetime]:
    """The instants after `start` and up to `end` where a calendar month begins in the server's time zone."""
    starts: list[datetime] = []
    month = next_month(month_of(start, zone))
    while (moment := month_bounds(month, zone)[0]) <= end:
        starts.append(moment)
        month = next_month(month)
    return starts
