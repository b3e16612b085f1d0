"""What `/profile` shows: a member's journey month by month, their totals and streak, and what the next stage needs.

Pure: the caller gathers the member's `Standing` (`bot/standing.py`) and turns these parts into an embed. Names are
user text, so they are shown escaped, and the parts fit Discord's embed limits whatever the history.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.chat_record import escape_markdown
from bot.domain.progression import MonthRow, Standing

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# An embed field holds 1024 characters: the latest months, about 70 characters each, and a count of the rest.
SHOWN_MONTHS = 12
JOURNEY_LENGTH = 980  # leaves room for the count of earlier months within the field's 1024
MAX_NAME_LENGTH = 32  # a Discord display name's longest


@dataclass(frozen=True)
class ProfileParts:
    """A profile as an embed reads it: title, description, named fields, in order."""

    title: str
    description: str
    fields: tuple[tuple[str, str], ...]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def month_label(month: str) -> str:
    """'2026-03' → 'Mar 2026'."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def _why(standing: Standing) -> str:
    """The verdict's reasons without the stage it names, and without the next stage's needs (shown on their own)."""
    verdict = standing.verdict
    text = verdict.reasons.removeprefix(f"{verdict.stage}: ")
    if standing.next_stage:
        text = text.split(f"; {standing.next_stage} needs ")[0]
    return text


def _next(standing: Standing) -> str:
    if standing.next_stage is None:
        return "Leader is the last stage: thank you for leading."
    if not standing.next_needs:
        return f"**{standing.next_stage}**: its requirements are met."
    return f"**{standing.next_stage}** needs {standing.next_needs}."


def _streak(streak: int) -> str:
    if streak == 0:
        return "No streak yet: answer in the next chat to start one."
    if streak == 1:
        return "Answered in the latest chat."
    return f"Answered in each of the latest {streak} chats."


def _month_line(row: MonthRow, current: str | None) -> str:
    moved = f"{row.previous} → {row.stage}" if row.previous and row.previous != row.stage else row.stage
    figures = [_plural(row.chats, "chat"), _plural(row.answers, "answer")]
    if row.helpful:
        figures.append(_plural(row.helpful, "helpful act"))
    if row.thanks:
        figures.append(_plural(row.thanks, "thanks", "thanks"))
    so_far = " (so far)" if row.month == current else ""
    return f"**{month_label(row.month)}**{so_far} · {moved} · {', '.join(figures)}"


def _journey(months: list[MonthRow], current: str | None) -> str:
    """The latest months, newest first (as many as fit a field), and how many earlier ones there are."""
    if not months:
        return "Nothing recorded yet: months are written as they go by."
    lines: list[str] = []
    length = 0
    for row in reversed(months[-SHOWN_MONTHS:]):
        line = _month_line(row, current)
        if length + len(line) + 1 > JOURNEY_LENGTH:
            break
        lines.append(line)
        length += len(line) + 1
    if len(months) > len(lines):
        lines.append(f"…and {_plural(len(months) - len(lines), 'earlier month')}.")
    return "\n".join(lines)


def _window(standing: Standing) -> str:
    f, t = standing.figures, standing.thresholds
    lines = [f"{_plural(f.answers, 'answer')} in {_plural(f.chats_answered, 'chat')} over "
             f"{_plural(f.months_answered, 'month')}",
             f"{_plural(f.helpful_acts, 'helpful act')} towards {_plural(f.people_helped, 'person', 'people')}, "
             f"thanked by {_plural(f.thanked_by, 'person', 'people')}"]
    if f.hosted:
        lines.append(f"hosted or co-hosted {_plural(f.hosted, 'chat')}")
    return f"Last {t.window_days} days: " + "; ".join(lines) + "."


def profile_parts(standing: Standing, name: str, current: str | None = None) -> ProfileParts:
    """A member's profile; `current` is the running month ('YYYY-MM'), marked "so far" in the journey."""
    shown_name = escape_markdown(" ".join(name.split())[:MAX_NAME_LENGTH]) or "A member"
    stage = standing.verdict.stage
    description = f"**{stage.capitalize()}**: {_why(standing)}\n{_window(standing)}"
    totals = (f"{_plural(standing.chats_attended, 'chat')} attended · {_plural(standing.answers, 'answer')} · "
              f"{_plural(standing.helpful_acts, 'helpful act')} · "
              f"{_plural(standing.thanks_received, 'thanks', 'thanks')} received")
    return ProfileParts(
        title=f"{shown_name}'s journey",
        description=description,
        fields=(("Next", _next(standing)), ("All time", totals), ("Streak", _streak(standing.streak)),
                ("Month by month", _journey(standing.months, current))))
