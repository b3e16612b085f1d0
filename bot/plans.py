"""A stored series or session seen as the domain's weekly slot, chat plan and spec."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.schedule import WeeklySlot
from bot.domain.series import SeriesSpec, local_day
from bot.domain.timeline import ChatPlan
from bot.storage import ChatSession, Series


def slot_of(series: Series) -> WeeklySlot:
    """A series' weekly slot in its own time zone."""
    return WeeklySlot(weekday=series.weekday, local_time=series.local_time, zone=series.timezone)


def plan_of(series: Series) -> ChatPlan:
    """A series' chat plan."""
    return ChatPlan(duration=timedelta(seconds=series.duration_seconds),
                    spacing=timedelta(seconds=series.spacing_seconds),
                    first_question=timedelta(seconds=series.first_question_seconds), pacing=series.pacing)


def spec_of(series: Series) -> SeriesSpec:
    """A stored series as the spec a host's edit applies to."""
    return SeriesSpec(name=series.name, hashtag=series.hashtag, slot=slot_of(series), plan=plan_of(series))


def session_plan(session: ChatSession) -> ChatPlan:
    """The plan a running session was started with."""
    assert session.duration_seconds and session.spacing_seconds and session.pacing
    return ChatPlan(duration=timedelta(seconds=session.duration_seconds),
                    spacing=timedelta(seconds=session.spacing_seconds), first_question=timedelta(0),
                    pacing=session.pacing)


def chat_day(session: ChatSession) -> date:
    """The local date a chat ran on (or is planned for): the date hosts and members call it by."""
    return local_day(session.started_at or session.starts_at, session.timezone)


def past_chats(sessions: list[ChatSession], *, series: str | None, day: date | None) -> list[ChatSession]:
    """The chats of the named series (any letter case) on the given day, newest first; None matches any."""
    wanted = series.strip().casefold() if series else None
    return sorted((s for s in sessions if (wanted is None or s.series_name.casefold() == wanted)
                   and (day is None or chat_day(s) == day)),
                  key=lambda s: s.started_at or s.starts_at, reverse=True)
