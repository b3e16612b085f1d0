"""Joins and leaves missed while the bot was away: when it first saw a server, what the member list shows it
missed, and the alert for a burst it missed. Nothing here reads the clock or knows Discord's API.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.newcomers import NEWCOMER_DAYS, plural


def first_seen(earliest_recorded_join: datetime | None, now: datetime) -> datetime:
    """When the bot first saw a server: only members who joined after it can be joins the bot missed.

    It is the earliest join the bot recorded there (a database from before member lists were compared, whose
    bot was watching joins from then on) or, if it recorded none, the moment it first compares the server's
    member list (a first install): everyone listed then was there before the bot. It is kept once decided, so
    forgetting members later does not move it.
    """
    return min(earliest_recorded_join, now) if earliest_recorded_join is not None else now


@dataclass(frozen=True)
class RosterChanges:
    """What a server's member list shows the bot missed, by user id."""

    existing: list[int]  # there before the bot first saw the server: recorded quietly, no welcome
    late: list[int]  # joined (or came back) while the bot was away, oldest join first: handled as joins
    left: list[int]  # recorded as present, no longer listed


def roster_changes(listed: dict[int, datetime | None], present: dict[int, bool], *,
                   seen_since: datetime) -> RosterChanges:
    """Compare Discord's member list (member → when they joined, if Discord says) with the recorded members
    (member → still present). A member never recorded who joined after `seen_since` is a late join, as is one
    recorded as departed; one with no join time cannot be placed after it, so counts as there before."""
    existing, late = [], []
    for user_id, joined_at in listed.items():
        recorded = present.get(user_id)
        if recorded:
            continue
        if recorded is None and (joined_at is None or joined_at <= seen_since):
            existing.append(user_id)
        else:
            late.append(user_id)
    late.sort(key=lambda user_id: (listed[user_id] or seen_since, user_id))
    left = sorted(user_id for user_id, here in present.items() if here and user_id not in listed)
    return RosterChanges(existing=sorted(existing), late=late, left=left)


def away_burst_alert(arrivals: list[tuple[datetime, str]], join_times: list[datetime], now: datetime, *,
                     joins: int, window: timedelta) -> str | None:
    """The one alert for joins missed while away (their time and welcome) that came in a burst; None if none did.

    Each is judged at its own join time against all recorded join times, as a live join would have been. Joins
    older than the newcomer period do not count: they are history, not something to look at now.
    """
    recent = [(at, welcome) for at, welcome in arrivals if now - at <= timedelta(days=NEWCOMER_DAYS)]
    times = sorted(join_times)
    most, peak = max(((bisect_right(times, at) - bisect_right(times, at - window), at) for at, _ in recent),
                     default=(0, now))
    if most <= joins:
        return None
    held = sum(1 for at, welcome in recent if welcome == "held" and peak - window < at <= peak)
    held_note = f" ({plural(held, 'account')} too new to welcome publicly)" if held else ""
    return (f"⚠️ Join burst while I was offline: {plural(most, 'member')} joined within {int(window.total_seconds())} s"
            f"{held_note}. Any welcome still due goes out as one combined post, with no direct messages; "
            "`/report newcomers` lists who joined.")
