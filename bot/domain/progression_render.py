"""The progression report written out: Markdown (pages for Discord embeds, or one document), CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from bot.domain.progression import STAGES, MonthRow, Thresholds
from bot.domain.progression_report import (
    COHORT_STAGES,
    COHORT_WITHIN,
    Cohort,
    Journey,
    Median,
    Move,
    ProgressionReport,
    share,
)

PAGE_LIMIT = 4000  # an embed's description holds 4096 characters; the rest is room for "(continued)"
CSV_COLUMNS = ("month", "provisional", "user_id", "name", "stage", "previous", "reasons", "below", "joined_at",
               "first_answer_at", "chats", "answers", "replies", "helpful", "helped", "thanks", "checkins", "hosted")
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()<])")


@dataclass(frozen=True)
class _Table:
    """Fixed-width lines shown in a code block; split across pages, each part repeats the header."""

    header: tuple[str, ...]
    body: tuple[str, ...]


_Block = str | _Table


def escape(text: str) -> str:
    """A member's name as literal text in Markdown (a name like "**x**" or "[x](…)" must not format or link)."""
    return _MARKDOWN.sub(r"\\\1", text)


def report_title(report: ProgressionReport) -> str:
    return f"Progression in server {report.guild_id}, {report.span()}"


def _percent(count: int, of: int) -> str:
    return f"{round(100 * share(count, of))}%"


def _sections(report: ProgressionReport) -> list[tuple[str, list[_Block]]]:
    """The report's sections: a heading and its blocks (lines or tables)."""
    latest = report.label(report.last)
    return [("", _preamble(report)),
            ("Members per stage", [_stage_table(report)]),
            (f"Moved up in {latest}", [_move_line(m) for m in report.moved_up] or ["Nobody."]),
            (f"Moved down in {latest}", [_move_line(m) for m in report.moved_down] or ["Nobody."]),
            ("Journeys", [f"- {journey_text(report, j, markdown=True)}" for j in report.journeys]
             or ["Nobody climbed a stage in these months."]),
            ("Time to progress", _medians(report)),
            ("Cohorts by month of joining", _cohort_blocks(report)),
            ("Answered once and never came back", _answered_once(report))]


def _preamble(report: ProgressionReport) -> list[_Block]:
    t = report.thresholds
    lines: list[_Block] = [
        f"Stages at each month's close, in server time ({report.timezone}).",
        f"Thresholds now: participant {_count(t.participant_answers, 'answer')}; regular answers in "
        f"{_count(t.regular_chats, 'chat')} over {_count(t.regular_months, 'calendar month')}; helper "
        f"{_count(t.helper_acts, 'helpful act')} towards {_count(t.helper_people, 'person', 'people')}, thanked "
        f"by {_count(t.helper_thanked_by, 'person', 'people')}; all over the last {_count(t.window_days, 'day')}."]
    running = [report.label(m.month) for m in report.months if m.provisional]
    if running:
        lines.append(f"{', '.join(running)} is still running (marked *): its stages may change before it closes.")
    return lines


def _count(n: int, one: str, many: str | None = None) -> str:
    """'1 chat', '4 chats'."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def _stage_table(report: ProgressionReport) -> _Table:
    width = max(len(report.label(m.month)) for m in report.months) + 1
    # Each column as wide as its stage's name: the table stays narrow enough for an embed on a phone.
    header = f"{'month':<{width}}" + "".join(f"{stage:>{len(stage) + 2}}" for stage in STAGES) + f"{'total':>7}"
    body = tuple(f"{report.label(m.month) + ('*' if m.provisional else ''):<{width}}"
                 + "".join(f"{m.stages[stage]:>{len(stage) + 2}}" for stage in STAGES) + f"{len(m.members):>7}"
                 for m in report.months)
    return _Table((header,), body)


def _move_line(move: Move) -> str:
    return f"- **{escape(move.name)}**: {move.previous} → {move.stage} ({escape(move.reasons)})"


def journey_text(report: ProgressionReport, journey: Journey, *, markdown: bool = False) -> str:
    """'Kai: lurker Jan → participant Feb → regular Apr → helper Jun'."""
    name = escape(journey.name) if markdown else journey.name
    return f"{name}: " + " → ".join(f"{stage} {report.label(month)}" for month, stage in journey.steps)


def _median_text(median: Median, unit: str) -> str:
    if median.value is None:
        return "nobody yet"
    value = f"{median.value:g}"
    return f"median {value} {unit if median.value == 1 else unit + 's'} ({median.members} member" \
           f"{'' if median.members == 1 else 's'})"


def _medians(report: ProgressionReport) -> list[_Block]:
    return [f"- From joining to a first answer: {_median_text(report.days_to_first_answer, 'day')}, for members "
            "whose first answer came in these months.",
            f"- From a first answer to helper: {_median_text(report.months_to_helper, 'month')}, for members who "
            "first reached helper in these months (calendar months between the two)."]


def _cohort_blocks(report: ProgressionReport) -> list[_Block]:
    if not report.cohorts:
        return ["Nobody the bot saw join joined in these months."]
    width = max(len("joined"), *(len(report.label(c.month)) for c in report.cohorts)) + 1
    columns = "".join(f"{n:>4}" for n in COHORT_WITHIN)
    header = (f"{'':<{width}}{'':>5}" + "".join(f" {stage[:11]:<{4 * len(COHORT_WITHIN)}}" for stage in COHORT_STAGES),
              f"{'joined':<{width}}{'n':>5}" + "".join(f" {columns}" for _ in COHORT_STAGES))
    body = tuple(_cohort_line(report, c, width) for c in report.cohorts)
    return ["Percent of each month's joiners who reached a stage within 1, 2, 3 and 6 months; the month they "
            "joined is the first of them. Empty: not known yet.", _Table(tuple(h.rstrip() for h in header), body)]


def _cohort_line(report: ProgressionReport, cohort: Cohort, width: int) -> str:
    parts = []
    for stage in COHORT_STAGES:
        cells = "".join(f"{'' if cell.reached is None else round(100 * share(cell.reached[stage], cohort.joined)):>4}"
                        for cell in cohort.cells)
        parts.append(f" {cells}")
    return (f"{report.label(cohort.month):<{width}}{cohort.joined:>5}" + "".join(parts)).rstrip()


def _answered_once(report: ProgressionReport) -> list[_Block]:
    if not report.answered_once:
        return ["Nobody."]
    return [f"- **{escape(row.name)}**: joined {_day(row.joined_at)}, answered in {report.label(row.month)} "
            f"({row.answers} answer{'' if row.answers == 1 else 's'}), no chat since" for row in report.answered_once]


def _day(at: datetime | None) -> str:
    return at.date().isoformat() if at else "?"


def _block_lines(block: _Block) -> list[str]:
    if isinstance(block, _Table):
        return ["```", *block.header, *block.body, "```"]
    return [block]


def report_markdown(report: ProgressionReport) -> str:
    """The whole report as one Markdown document (for a file)."""
    lines = [f"# {report_title(report)}", ""]
    for heading, blocks in _sections(report):
        if heading:
            lines += [f"## {heading}", ""]
        for block in blocks:
            lines += _block_lines(block)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def report_pages(report: ProgressionReport, limit: int = PAGE_LIMIT) -> list[str]:
    """The report as Markdown pages of at most `limit` characters each (embed descriptions); title not included.

    A section runs on over pages as needed (its heading repeated with "(continued)"); a table split across pages
    repeats its header in each part, so no code block is left open at a page's end.
    """
    pages: list[list[str]] = [[]]

    def fits(lines: list[str]) -> bool:
        return len("\n".join(pages[-1] + lines)) <= limit

    def turn(heading: str) -> None:
        pages.append([f"**{heading} (continued)**"] if heading else [])

    for heading, blocks in _sections(report):
        opening = [f"**{heading}**"] if heading else []
        if pages[-1] and not fits(["", *opening, *_block_lines(blocks[0])[:4]]):
            pages.append([])
        pages[-1].extend(([""] if pages[-1] else []) + opening)
        for block in blocks:
            if not isinstance(block, _Table):
                line = block[:limit // 2]  # one line never fills a page (a name is at most 32 characters)
                if not fits([line]):
                    turn(heading)
                pages[-1].append(line)
                continue
            rows = list(block.body)
            while rows:
                taken = 0
                while taken < len(rows) and fits(_block_lines(_Table(block.header, tuple(rows[:taken + 1])))):
                    taken += 1
                if taken == 0 and len(pages[-1]) > 1:  # not even a row fits here: on to a new page
                    turn(heading)
                    continue
                taken = max(taken, 1)  # a page too small for one row still gets one, so this ends
                pages[-1].extend(_block_lines(_Table(block.header, tuple(rows[:taken]))))
                rows = rows[taken:]
    return [text for text in ("\n".join(page).strip() for page in pages) if text]


# -- CSV and JSON ------------------------------------------------------------------------------------------

def spreadsheet_id(user_id: int) -> str:
    """An id as ="123…": spreadsheets keep it as text, where a bare 18-digit number loses its last digits."""
    return f'="{user_id}"'


def read_spreadsheet_id(text: str) -> int:
    """The id `spreadsheet_id` wrote (a bare number is read too)."""
    return int(text.removeprefix('="').removesuffix('"'))


def _inert(value: object) -> object:
    """A member's name or reasons could start with '=' and run as a formula in a spreadsheet: quote it."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _when(at: datetime | None) -> str:
    return at.isoformat() if at else ""


def report_csv(report: ProgressionReport) -> str:
    """One row per member per month, oldest month first; ids as spreadsheet text, times in ISO 8601 (UTC)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for month in report.months:
        for row in month.members:
            writer.writerow([row.month, "yes" if month.provisional else "no", spreadsheet_id(row.user_id),
                             _inert(row.name), row.stage, row.previous or "", _inert(row.reasons),
                             "yes" if row.below else "no", _when(row.joined_at), _when(row.first_answer_at),
                             row.chats, row.answers, row.replies, row.helpful, row.helped, row.thanks, row.checkins,
                             row.hosted])
    return out.getvalue()


def _member(row: MonthRow) -> dict[str, Any]:
    return {"user_id": str(row.user_id), "name": row.name, "stage": row.stage, "previous": row.previous,
            "reasons": row.reasons, "below": row.below, "joined_at": row.joined_at.isoformat() if row.joined_at
            else None, "first_answer_at": row.first_answer_at.isoformat() if row.first_answer_at else None,
            "chats": row.chats, "answers": row.answers, "replies": row.replies, "helpful": row.helpful,
            "helped": row.helped, "thanks": row.thanks, "checkins": row.checkins, "hosted": row.hosted}


def _move(move: Move) -> dict[str, str]:
    return {"user_id": str(move.user_id), "name": move.name, "previous": move.previous, "stage": move.stage,
            "reasons": move.reasons}


def _cohort(cohort: Cohort) -> dict[str, Any]:
    return {"month": cohort.month, "joined": cohort.joined,
            "within": [{"months": cell.within, "reached": cell.reached,
                        "share": None if cell.reached is None
                        else {s: round(share(n, cohort.joined), 4) for s, n in cell.reached.items()}}
                       for cell in cohort.cells],
            "by_end": cohort.by_end}


def thresholds_dict(thresholds: Thresholds) -> dict[str, Any]:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(thresholds).items()}


def report_dict(report: ProgressionReport) -> dict[str, Any]:
    """The report as JSON-ready data: ids as strings, every member of each month listed."""
    return {
        "guild_id": str(report.guild_id), "timezone": report.timezone,
        "thresholds": thresholds_dict(report.thresholds),
        "first": report.first, "last": report.last,
        "months": [{"month": m.month, "provisional": m.provisional, "stages": dict(m.stages),
                    "members": [_member(row) for row in m.members]} for m in report.months],
        "moved_up": [_move(m) for m in report.moved_up],
        "moved_down": [_move(m) for m in report.moved_down],
        "cohorts": [_cohort(c) for c in report.cohorts],
        "journeys": [{"user_id": str(j.user_id), "name": j.name,
                      "steps": [{"month": month, "stage": stage} for month, stage in j.steps],
                      "text": journey_text(report, j)} for j in report.journeys],
        "medians": {"days_to_first_answer": asdict(report.days_to_first_answer),
                    "months_first_answer_to_helper": asdict(report.months_to_helper)},
        "answered_once": [{"user_id": str(r.user_id), "name": r.name, "month": r.month,
                           "joined_at": r.joined_at.isoformat() if r.joined_at else None, "answers": r.answers}
                          for r in report.answered_once],
    }


def report_json(report: ProgressionReport) -> str:
    """The report as JSON (see `report_dict`)."""
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2)
