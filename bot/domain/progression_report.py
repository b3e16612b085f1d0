"""The progression report: how members moved between stages over a range of closed (and the running) months.

Made only from the monthly rows (`MonthRow`), never from the ledger, so it says what each month's close said.
The renderers (Markdown, CSV, JSON) are in `progression_render.py`.

Definitions the report and the README share:

- **Members per stage**: every member listed in a month counts once, at the stage recorded at its end.
- **Moved up / down**: in the report's last month, a member whose stage ranks above (below) the stage they held
  at the end of the month before (`MonthRow.previous`); members new that month moved neither way.
- **Journey**: a member's stage in the first month of the range they are listed in, then each month their stage
  changed; listed for members who reached a stage above the one they started the range at.
- **Days to a first answer**: the median, over members whose first answer falls in the range's months, of the
  days from joining to that answer (members who joined before the bot saw them, or answered before joining, left
  out).
- **Months from a first answer to helper**: the median, over members who reached helper (or leader) for the
  first time in the range, of calendar months from the month of their first answer to the first month whose
  close shows them at helper or above (same month: 0).
- **Cohorts**: the members who joined in each month of the range (server time). A member reached a stage
  "within N months" if the close of the month they joined, or of one of the N - 1 months after it, shows them at
  that stage or above: someone who joined on 20 January reached it within 1 month if January's close shows it,
  within 2 months if January's or February's does. A cell whose last month lies past the report's last month is
  left empty (not known yet); the running month counts as far as it has gone.
- **Answered once and never came back**: members who joined in the range, answered in exactly one month of it,
  and attended no chat (posted or checked in) in any later month of the range; those whose answer came in the
  report's last month are not counted, having had no chance to come back yet.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import UserError
from bot.domain.progression import (
    STAGES,
    MonthRow,
    Thresholds,
    month_of,
    months_between,
    next_month,
    previous_month,
    rank,
)

REPORT_MONTHS = range(1, 37)  # the report covers 1 to 36 months
DEFAULT_REPORT_MONTHS = 6
COHORT_WITHIN = (1, 2, 3, 6)  # "within N months" columns of the cohort table
COHORT_STAGES = ("participant", "regular", "helper")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class MonthInput:
    """One month as written: whether it is still running (provisional) and every member's row."""

    month: str
    provisional: bool
    rows: tuple[MonthRow, ...]


@dataclass(frozen=True)
class ReportMonth:
    """One month of the report: its members (by stage, then name) and how many were at each stage."""

    month: str
    provisional: bool
    stages: dict[str, int]  # every stage, in STAGES order, zero included
    members: tuple[MonthRow, ...]


@dataclass(frozen=True)
class Move:
    """A member whose stage changed in the last month, and the close's reasons."""

    user_id: int
    name: str
    previous: str
    stage: str
    reasons: str


@dataclass(frozen=True)
class Journey:
    """A progressing member's stage changes: (month, stage) from their first month in the range."""

    user_id: int
    name: str
    steps: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CohortCell:
    """How many of a cohort reached each stage within some months (None: that window is not over yet)."""

    within: int
    reached: dict[str, int] | None


@dataclass(frozen=True)
class Cohort:
    """The members who joined in one month, and how far they got."""

    month: str
    joined: int
    cells: tuple[CohortCell, ...]  # one per COHORT_WITHIN
    by_end: dict[str, int]  # reached each stage by the report's last month


@dataclass(frozen=True)
class Median:
    """A median and how many members it is taken over (value None when there are none)."""

    value: float | None
    members: int


@dataclass(frozen=True)
class ProgressionReport:
    """Everything the progression report shows, for one server and a range of months (oldest first)."""

    guild_id: int
    timezone: str
    thresholds: Thresholds
    months: tuple[ReportMonth, ...]
    moved_up: tuple[Move, ...]
    moved_down: tuple[Move, ...]
    journeys: tuple[Journey, ...]
    days_to_first_answer: Median
    months_to_helper: Median
    cohorts: tuple[Cohort, ...]
    answered_once: tuple[MonthRow, ...] = field(default=())  # each member's row of the month they answered

    @property
    def first(self) -> str:
        return self.months[0].month

    @property
    def last(self) -> str:
        return self.months[-1].month

    def label(self, month: str) -> str:
        """'Jan', or 'Jan 2026' when the report spans more than one year."""
        return month_label(month, with_year=self.first[:4] != self.last[:4])

    def span(self) -> str:
        """'Jan 2026 – Jun 2026', or 'Mar 2026' for one month."""
        first, last = month_label(self.first, with_year=True), month_label(self.last, with_year=True)
        return first if first == last else f"{first} – {last}"


def month_label(month: str, *, with_year: bool) -> str:
    """'2026-01' as 'Jan' or 'Jan 2026'."""
    name = MONTH_NAMES[int(month[5:7]) - 1]
    return f"{name} {month[:4]}" if with_year else name


def months_apart(first: str, last: str) -> int:
    """Calendar months from one 'YYYY-MM' to another (same month: 0)."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7])


def check_months(months: int) -> int:
    """How many months a report covers, checked; raises UserError outside 1-36."""
    if months not in REPORT_MONTHS:
        raise UserError(f"Choose between {REPORT_MONTHS.start} and {REPORT_MONTHS.stop - 1} months "
                        f"(you asked for {months}).")
    return months


def check_range(first: str, last: str) -> None:
    """A from/to range, checked: in order, and no longer than 36 months; raises UserError otherwise."""
    if first > last:
        raise UserError(f"The range starts ({first}) after it ends ({last}): give the earlier month first.")
    span = months_apart(first, last) + 1
    if span not in REPORT_MONTHS:
        raise UserError(f"{first} to {last} spans {span} months; a report covers at most "
                        f"{REPORT_MONTHS.stop - 1}.")


def last_months(recorded: Sequence[str], months: int) -> tuple[str, str]:
    """The first and last month of 'the last N months': N calendar months ending with the latest one recorded."""
    last = max(recorded)
    first = last
    for _ in range(months - 1):
        first = previous_month(first)
    return first, last


def zone_of(name: str) -> tzinfo:
    """The server's time zone by its IANA name (UTC for a name this system does not know)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def build_report(guild_id: int, months: Sequence[MonthInput], *, timezone: str,
                 thresholds: Thresholds) -> ProgressionReport:
    """The report over `months` (any order; at least one), in the server's time zone and current thresholds."""
    if not months:
        raise ValueError("a progression report needs at least one month")
    ordered = sorted(months, key=lambda m: m.month)
    zone = zone_of(timezone)
    report_months = tuple(_report_month(m) for m in ordered)
    by_member = _by_member(ordered)
    latest = ordered[-1].rows
    ups = [Move(r.user_id, r.name, r.previous, r.stage, r.reasons) for r in latest
           if r.previous is not None and rank(r.stage) > rank(r.previous)]
    downs = [Move(r.user_id, r.name, r.previous, r.stage, r.reasons) for r in latest
             if r.previous is not None and rank(r.stage) < rank(r.previous)]
    in_range = {m.month for m in ordered}
    return ProgressionReport(
        guild_id=guild_id, timezone=timezone, thresholds=thresholds, months=report_months,
        moved_up=tuple(sorted(ups, key=_move_order)), moved_down=tuple(sorted(downs, key=_move_order)),
        journeys=tuple(j for j in (_journey(rows) for rows in by_member.values()) if j is not None),
        days_to_first_answer=_days_to_first_answer(by_member.values(), in_range, zone),
        months_to_helper=_months_to_helper(by_member.values(), zone),
        cohorts=_cohorts(by_member.values(), ordered, zone),
        answered_once=tuple(r for r in (_answered_once(rows, ordered[-1].month, in_range, zone)
                                        for rows in by_member.values()) if r is not None))


def _member_order(row: MonthRow) -> tuple[int, str, int]:
    """Highest stage first, then by name."""
    return -rank(row.stage), row.name.casefold(), row.user_id


def _move_order(move: Move) -> tuple[int, str, int]:
    return -rank(move.stage), move.name.casefold(), move.user_id


def _report_month(month: MonthInput) -> ReportMonth:
    counts = dict.fromkeys(STAGES, 0)
    for row in month.rows:
        counts[row.stage] += 1
    return ReportMonth(month.month, month.provisional, counts, tuple(sorted(month.rows, key=_member_order)))


def _by_member(months: Sequence[MonthInput]) -> dict[int, list[MonthRow]]:
    """Each member's rows, oldest month first, members in order of their latest name."""
    rows: dict[int, list[MonthRow]] = {}
    for month in months:
        for row in month.rows:
            rows.setdefault(row.user_id, []).append(row)
    return dict(sorted(rows.items(), key=lambda item: (item[1][-1].name.casefold(), item[0])))


def _journey(rows: list[MonthRow]) -> Journey | None:
    """The member's stage changes, if they climbed above where the range found them."""
    steps = [(rows[0].month, rows[0].stage)]
    for row in rows[1:]:
        if row.stage != steps[-1][1]:
            steps.append((row.month, row.stage))
    if max(rank(stage) for _, stage in steps) <= rank(steps[0][1]):
        return None
    return Journey(rows[-1].user_id, rows[-1].name, tuple(steps))


def _known(rows: list[MonthRow], attribute: str) -> datetime | None:
    """The latest non-empty value of a date the rows carry (the newest row knows best)."""
    return next((getattr(r, attribute) for r in reversed(rows) if getattr(r, attribute) is not None), None)


def _median(values: list[float]) -> Median:
    return Median(round(statistics.median(values), 1) if values else None, len(values))


def _days_to_first_answer(members: Iterable[list[MonthRow]], in_range: set[str], zone: tzinfo) -> Median:
    days: list[float] = []
    for rows in members:
        joined, answered = _known(rows, "joined_at"), _known(rows, "first_answer_at")
        if joined is None or answered is None or answered < joined or month_of(answered, zone) not in in_range:
            continue
        days.append((answered - joined).total_seconds() / 86400)
    return _median(days)


def _months_to_helper(members: Iterable[list[MonthRow]], zone: tzinfo) -> Median:
    months: list[float] = []
    for rows in members:
        first_helper = next((r for r in rows if rank(r.stage) >= rank("helper")), None)
        answered = _known(rows, "first_answer_at")
        if first_helper is None or answered is None:
            continue
        if first_helper.previous is not None and rank(first_helper.previous) >= rank("helper"):
            continue  # a helper before the range began: not their first time
        months.append(max(0, months_apart(month_of(answered, zone), first_helper.month)))
    return _median(months)


def _cohorts(members: Iterable[list[MonthRow]], months: Sequence[MonthInput], zone: tzinfo) -> tuple[Cohort, ...]:
    last = months[-1].month
    joined: dict[str, list[list[MonthRow]]] = {m.month: [] for m in months}
    for rows in members:
        at = _known(rows, "joined_at")
        if at is not None and month_of(at, zone) in joined:
            joined[month_of(at, zone)].append(rows)
    cohorts: list[Cohort] = []
    for month, cohort in joined.items():
        if not cohort:
            continue
        cells = []
        for within in COHORT_WITHIN:
            window = months_between(month, _add_months(month, within - 1))
            reached = None if window[-1] > last else _reached(cohort, set(window))
            cells.append(CohortCell(within, reached))
        cohorts.append(Cohort(month, len(cohort), tuple(cells), _reached(cohort, set(months_between(month, last)))))
    return tuple(cohorts)


def _add_months(month: str, count: int) -> str:
    for _ in range(count):
        month = next_month(month)
    return month


def _reached(cohort: list[list[MonthRow]], window: set[str]) -> dict[str, int]:
    """How many of the cohort a close in `window` shows at each stage (or above)."""
    return {stage: sum(1 for rows in cohort if any(r.month in window and rank(r.stage) >= rank(stage) for r in rows))
            for stage in COHORT_STAGES}


def _answered_once(rows: list[MonthRow], last: str, in_range: set[str], zone: tzinfo) -> MonthRow | None:
    """The row of the month a newcomer answered in, if that was their only one and they attended nothing after."""
    joined = _known(rows, "joined_at")
    if joined is None or month_of(joined, zone) not in in_range:
        return None
    answered = [r for r in rows if r.answers > 0]
    if len(answered) != 1 or answered[0].month == last:
        return None
    later = [r for r in rows if r.month > answered[0].month]
    if any(r.chats > 0 or r.checkins > 0 for r in later):
        return None
    return answered[0]


def share(count: int, of: int) -> float:
    """count / of, 0 when of is 0."""
    return count / of if of else 0.0
