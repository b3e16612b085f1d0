"""Unit tests for weekly slots, their DST-correct UTC instants and the input parsers."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import sys
import zoneinfo
from itertools import pairwise
from pathlib import Path

import pytest

from bot.domain import schedule
from bot.domain.errors import UserError
from bot.domain.schedule import (
    MAX_DURATION,
    WeeklySlot,
    describe_dst_adjustment,
    known_zone,
    local_start,
    next_occurrence,
    occurrences,
    parse_duration,
    parse_local_time,
    parse_weekday,
    parse_zone,
    suggest_zones,
    zone_names,
)

UTC = dt.UTC
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
HOUR = dt.timedelta(hours=1)
WEEK = dt.timedelta(days=7)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware UTC datetime, for brevity."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def slot(weekday: int, hhmm: str, zone: str) -> WeeklySlot:
    """A WeeklySlot from a "HH:MM" string."""
    hour, minute = map(int, hhmm.split(":"))
    return WeeklySlot(weekday, dt.time(hour, minute), zone)


# Transition dates written out by hand from the published rules, so the expected instants below do
# not come from the zoneinfo code under test.
# US: second Sunday of March, first Sunday of November.
US_SPRING = [dt.date(2025, 3, 9), dt.date(2026, 3, 8), dt.date(2027, 3, 14),
             dt.date(2028, 3, 12), dt.date(2029, 3, 11), dt.date(2030, 3, 10)]  # fmt: skip
US_AUTUMN = [dt.date(2025, 11, 2), dt.date(2026, 11, 1), dt.date(2027, 11, 7),
             dt.date(2028, 11, 5), dt.date(2029, 11, 4), dt.date(2030, 11, 3)]  # fmt: skip
# EU: last Sunday of March and of October (01:00 UTC).
EU_SPRING = [dt.date(2025, 3, 30), dt.date(2026, 3, 29), dt.date(2027, 3, 28),
             dt.date(2028, 3, 26), dt.date(2029, 3, 25), dt.date(2030, 3, 31)]  # fmt: skip
EU_AUTUMN = [dt.date(2025, 10, 26), dt.date(2026, 10, 25), dt.date(2027, 10, 31),
             dt.date(2028, 10, 29), dt.date(2029, 10, 28), dt.date(2030, 10, 27)]  # fmt: skip
# New South Wales and Lord Howe: DST ends the first Sunday of April, starts the first Sunday of October.
AU_APRIL = [dt.date(2025, 4, 6), dt.date(2026, 4, 5), dt.date(2027, 4, 4),
            dt.date(2028, 4, 2), dt.date(2029, 4, 1), dt.date(2030, 4, 7)]  # fmt: skip
AU_OCTOBER = [dt.date(2025, 10, 5), dt.date(2026, 10, 4), dt.date(2027, 10, 3),
              dt.date(2028, 10, 1), dt.date(2029, 10, 7), dt.date(2030, 10, 6)]  # fmt: skip


def _northern(spring: list[dt.date], autumn: list[dt.date]):
    """A predicate: is a (non-Sunday) local date inside summer time?"""
    return lambda day: any(s < day < a for s, a in zip(spring, autumn, strict=True))


def _southern(april: list[dt.date], october: list[dt.date]):
    """A predicate for the southern hemisphere, where summer time spans the new year."""
    return lambda day: not any(a < day < o for a, o in zip(april, october, strict=True))


def _offset(hours: int, minutes: int = 0) -> dt.timedelta:
    return dt.timedelta(hours=hours, minutes=minutes)


# zone -> (standard offset, summer offset, is-summer predicate)
ZONES = {
    "America/New_York": (_offset(-5), _offset(-4), _northern(US_SPRING, US_AUTUMN)),
    "Europe/London": (_offset(0), _offset(1), _northern(EU_SPRING, EU_AUTUMN)),
    "Australia/Sydney": (_offset(10), _offset(11), _southern(AU_APRIL, AU_OCTOBER)),
    "Australia/Lord_Howe": (_offset(10, 30), _offset(11), _southern(AU_APRIL, AU_OCTOBER)),
    "Asia/Kolkata": (_offset(5, 30), _offset(5, 30), lambda day: False),
    "Asia/Kathmandu": (_offset(5, 45), _offset(5, 45), lambda day: False),
    "America/Phoenix": (_offset(-7), _offset(-7), lambda day: False),
    "UTC": (_offset(0), _offset(0), lambda day: False),
}
DST_SHIFT = {zone: summer - standard for zone, (standard, summer, _) in ZONES.items()}

START = utc(2025, 1, 1)


def weekdays_between(weekday: int, first: dt.date, last: dt.date) -> list[dt.date]:
    """Every date with `weekday` from `first` to `last` inclusive."""
    day = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
    days = []
    while day <= last:
        days.append(day)
        day += WEEK
    return days


def five_years(s: WeeklySlot) -> list[dt.datetime]:
    """All sessions of `s` from 2025 to 2030 in the slot's own zone."""
    count = len(weekdays_between(s.weekday, dt.date(2025, 1, 1), dt.date(2030, 12, 31)))
    # Just before local midnight on 2025-01-01, so a session at 00:00 that day is included.
    local_new_year = dt.datetime(2025, 1, 1, tzinfo=s.tz) - dt.timedelta(microseconds=1)
    return occurrences(s, local_new_year, count)


# ---------------------------------------------------------------- the hand-written tables themselves


@pytest.mark.parametrize(
    "days", [US_SPRING, US_AUTUMN, EU_SPRING, EU_AUTUMN, AU_APRIL, AU_OCTOBER], ids=lambda d: str(d[0])
)
def test_transition_tables_are_sundays_one_per_year(days: list[dt.date]) -> None:
    assert [day.weekday() for day in days] == [SUN] * 6
    assert [day.year for day in days] == list(range(2025, 2031))


# ---------------------------------------------------------------- zones


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("America/New_York", "America/New_York"),
        ("  Europe/London\t", "Europe/London"),
        ("america/new_york", "America/New_York"),
        ("AUSTRALIA/LORD_HOWE", "Australia/Lord_Howe"),
        ("America/New York", "America/New_York"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("Asia/Kathmandu", "Asia/Kathmandu"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_parse_zone_accepts_iana_names(text: str, key: str) -> None:
    zone = parse_zone(text)
    assert isinstance(zone, zoneinfo.ZoneInfo)
    assert zone.key == key


@pytest.mark.parametrize(
    "text",
    [
        "Foo/Bar",
        "localtime",
        "LocalTime",
        "Factory",
        "posixrules",
        "/etc/localtime",
        "/usr/share/zoneinfo/UTC",
        "../etc/passwd",
        "America/../Europe/London",
        "America/New_York/",
        "America/New_York\x00",
        "posix/America/New_York",
        "right/UTC",
        "Eastern",
        "UTC+5",
        "America",
    ],
)
def test_parse_zone_rejects_unknown_names(text: str) -> None:
    with pytest.raises(UserError, match=r"Unknown time zone .*America/New_York"):
        parse_zone(text)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_parse_zone_rejects_empty(text: str) -> None:
    with pytest.raises(UserError, match="America/New_York"):
        parse_zone(text)


def test_parse_zone_message_names_the_input() -> None:
    with pytest.raises(UserError) as caught:
        parse_zone("  Foo/Bar ")
    assert str(caught.value) == "Unknown time zone 'Foo/Bar': use an IANA name such as America/New_York."


def test_zone_names_sorted_unique_and_usable() -> None:
    names = zone_names()
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert set(ZONES) <= set(names)
    assert {"localtime", "Factory", "posixrules"}.isdisjoint(names)
    assert not [name for name in names if name.startswith(("posix/", "right/"))]


def test_zone_names_returns_a_fresh_list() -> None:
    zone_names().clear()
    assert "America/New_York" in zone_names()


@pytest.mark.parametrize("name", sorted(ZONES))
def test_every_listed_zone_round_trips_through_parse_zone(name: str) -> None:
    assert parse_zone(name).key == name


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("york", "America/New_York"),
        ("new york", "America/New_York"),
        ("NEW_YORK", "America/New_York"),
        ("LONDON", "Europe/London"),
        ("kolk", "Asia/Kolkata"),
        ("lord", "Australia/Lord_Howe"),
        ("America/New_Y", "America/New_York"),
    ],
)
def test_suggest_zones_finds_by_any_part(query: str, expected_first: str) -> None:
    assert suggest_zones(query)[0] == expected_first


@pytest.mark.parametrize("query", ["us", "eu", "an", "America/", "ar", "o"])
def test_suggest_zones_puts_prefix_matches_first(query: str) -> None:
    results = suggest_zones(query, limit=500)
    folded = query.casefold()
    assert results
    assert all(folded in name.casefold() for name in results)
    prefixed = [name.casefold().startswith(folded) for name in results]
    # Once a non-prefix match appears, no prefix match may follow it.
    assert prefixed == sorted(prefixed, reverse=True)
    assert results == [name for name in zone_names() if name.casefold().startswith(folded)] + [
        name for name in results if not name.casefold().startswith(folded)
    ]


def test_suggest_zones_ranks_prefix_then_word_start_then_substring() -> None:
    # "lon" starts a word in Arctic/Longyearbyen and Europe/London, and sits mid-word in the others.
    assert suggest_zones("lon") == [
        "Arctic/Longyearbyen",
        "Europe/London",
        "America/Blanc-Sablon",
        "America/Miquelon",
    ]
    assert suggest_zones("us", limit=13)[-1] == "America/Argentina/Ushuaia"
    assert suggest_zones("us", limit=12) == [name for name in zone_names() if name.startswith("US/")]


@pytest.mark.parametrize("limit", [0, 1, 3, 25])
def test_suggest_zones_respects_limit(limit: int) -> None:
    assert len(suggest_zones("a", limit=limit)) == limit


def test_suggest_zones_default_limit_fits_discord_autocomplete() -> None:
    assert len(suggest_zones("a")) == 25
    assert suggest_zones("") == zone_names()[:25]
    assert suggest_zones("   ", limit=5) == zone_names()[:5]


@pytest.mark.parametrize("query", ["zzzz", "new_york_city", "../", "\x00"])
def test_suggest_zones_no_match(query: str) -> None:
    assert suggest_zones(query) == []


# ---------------------------------------------------------------- times of day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:00", dt.time(21, 0)),
        ("9:05", dt.time(9, 5)),
        ("09:05", dt.time(9, 5)),
        ("0:00", dt.time(0, 0)),
        ("00:00", dt.time(0, 0)),
        ("23:59", dt.time(23, 59)),
        ("  21:00 ", dt.time(21, 0)),
        ("9pm", dt.time(21, 0)),
        ("9PM", dt.time(21, 0)),
        ("9 pm", dt.time(21, 0)),
        ("9:30 pm", dt.time(21, 30)),
        ("9:30pm", dt.time(21, 30)),
        ("9.30pm", dt.time(21, 30)),
        ("9 p.m.", dt.time(21, 0)),
        ("9am", dt.time(9, 0)),
        ("9:15 AM", dt.time(9, 15)),
        ("12am", dt.time(0, 0)),
        ("12:30 am", dt.time(0, 30)),
        ("12pm", dt.time(12, 0)),
        ("12:45pm", dt.time(12, 45)),
        ("1am", dt.time(1, 0)),
        ("11:59 pm", dt.time(23, 59)),
        ("21h", dt.time(21, 0)),
        ("9h", dt.time(9, 0)),
        ("21h30", dt.time(21, 30)),
    ],
)
def test_parse_local_time_accepts(text: str, expected: dt.time) -> None:
    parsed = parse_local_time(text)
    assert parsed == expected
    assert parsed.tzinfo is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "25:00",
        "24:00",
        "12:60",
        "21:99",
        "9",
        "21",
        "13pm",
        "0am",
        "0:30 am",
        "9:5",
        "9:300",
        "21:00:00",
        "nine",
        "noonish",
        "-1:00",
        "9ppm",
        "9 pm tomorrow",
        "21:00 EST",
        "\uff19:\uff10\uff10",  # fullwidth digits
        "\u0669:\u0660\u0660",  # Arabic-Indic digits
        "25h",
        "123:00",
    ],
)
def test_parse_local_time_rejects(text: str) -> None:
    with pytest.raises(UserError, match=r"21:00.*9pm"):
        parse_local_time(text)


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8m", dt.timedelta(minutes=8)),
        ("90s", dt.timedelta(seconds=90)),
        ("1h", dt.timedelta(hours=1)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("1h 30m", dt.timedelta(hours=1, minutes=30)),
        ("1H30M", dt.timedelta(hours=1, minutes=30)),
        ("10", dt.timedelta(minutes=10)),
        (" 45 ", dt.timedelta(minutes=45)),
        ("2 min", dt.timedelta(minutes=2)),
        ("2 mins", dt.timedelta(minutes=2)),
        ("1 minute", dt.timedelta(minutes=1)),
        ("1 hour 30 minutes", dt.timedelta(hours=1, minutes=30)),
        ("3 hrs", dt.timedelta(hours=3)),
        ("30 sec", dt.timedelta(seconds=30)),
        ("1m30s", dt.timedelta(seconds=90)),
        ("2d", dt.timedelta(days=2)),
        ("1 day 2h", dt.timedelta(days=1, hours=2)),
        ("0h5m", dt.timedelta(minutes=5)),
        ("90m", dt.timedelta(minutes=90)),
        ("30d", dt.timedelta(days=30)),
    ],
)
def test_parse_duration_accepts(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "0",
        "00",
        "0m",
        "0s",
        "0h0m",
        "-5",
        "-5m",
        " -1h",
        "abc",
        "5x",
        "m",
        "h30",
        "1h1h",
        "1h 2h",
        "1.5h",
        "1,5h",
        "1h 30",
        "1:30",
        "5 m m",
        "five minutes",
        "31d",
        "30d1s",
        "721h",
        "99999999999999999999h",
        "9" * 5000,
        "\uff15m",  # fullwidth digit
        "\u0665",  # Arabic-Indic five
        "5m!",
    ],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UserError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "fragment"), [("0", "longer than zero"), ("-5m", "positive"), ("x", "1h30m")])
def test_parse_duration_messages_say_what_to_do(text: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment):
        parse_duration(text)


def test_max_duration_boundary() -> None:
    assert parse_duration(f"{MAX_DURATION.days}d") == MAX_DURATION
    with pytest.raises(UserError, match="at most"):
        parse_duration(f"{int(MAX_DURATION.total_seconds()) + 1}s")


# ---------------------------------------------------------------- weekdays


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monday", MON),
        ("Tuesday", TUE),
        ("WEDNESDAY", WED),
        ("thursday", THU),
        ("friday", FRI),
        ("saturday", SAT),
        ("sunday", SUN),
        ("Mon", MON),
        ("Tue", TUE),
        ("tues", TUE),
        ("tu", TUE),
        ("Wed", WED),
        ("weds", WED),
        ("thu", THU),
        ("thur", THU),
        ("Thurs", THU),
        ("th", THU),
        ("fri", FRI),
        ("sat", SAT),
        ("sun", SUN),
        ("Sun.", SUN),
        ("su", SUN),
        ("sa", SAT),
        ("Tuesdays", TUE),
        ("  friday ", FRI),
    ],
)
def test_parse_weekday_accepts(text: str, expected: int) -> None:
    assert parse_weekday(text) == expected


@pytest.mark.parametrize(
    "text", ["", "  ", "t", "s", "m", "tuesdayy", "funday", "1", "0", "tuez", "mondays1", "tue day", "week"]
)
def test_parse_weekday_rejects(text: str) -> None:
    with pytest.raises(UserError, match="Tuesday"):
        parse_weekday(text)


# ---------------------------------------------------------------- WeeklySlot


def test_weekly_slot_canonicalises_zone_and_compares_equal() -> None:
    a = WeeklySlot(TUE, dt.time(21), "america/new_york")
    b = WeeklySlot(TUE, dt.time(21), "America/New_York")
    assert a.zone == "America/New_York"
    assert a == b
    assert hash(a) == hash(b)
    assert a.tz.key == "America/New_York"


def test_weekly_slot_is_frozen() -> None:
    s = slot(TUE, "21:00", "UTC")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.weekday = WED  # type: ignore[misc]


@pytest.mark.parametrize(
    ("weekday", "local_time", "zone"),
    [
        (7, dt.time(21), "UTC"),
        (-1, dt.time(21), "UTC"),
        (TUE, dt.time(21, tzinfo=UTC), "UTC"),
        (TUE, dt.time(21), "Foo/Bar"),
        (TUE, dt.time(21), ""),
        (TUE, dt.time(21), "localtime"),
    ],
)
def test_weekly_slot_rejects_bad_fields(weekday: int, local_time: dt.time, zone: str) -> None:
    with pytest.raises(UserError):
        WeeklySlot(weekday, local_time, zone)


def test_weekly_slot_ignores_fold_so_the_repeated_hour_still_runs_first() -> None:
    folded = WeeklySlot(SUN, dt.time(1, 30, fold=1), "America/New_York")
    assert folded == slot(SUN, "01:30", "America/New_York")
    assert local_start(folded, dt.date(2026, 11, 1)) == utc(2026, 11, 1, 5, 30)


# ---------------------------------------------------------------- five years, every zone


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_tuesday_2100_for_five_years_matches_hand_computed_offsets(zone: str) -> None:
    standard, summer, is_summer = ZONES[zone]
    s = slot(TUE, "21:00", zone)
    starts = five_years(s)
    expected_days = weekdays_between(TUE, dt.date(2025, 1, 1), dt.date(2030, 12, 31))
    assert len(starts) == len(expected_days) == 313
    for start, day in zip(starts, expected_days, strict=True):
        offset = summer if is_summer(day) else standard
        assert start == dt.datetime.combine(day, dt.time(21), tzinfo=dt.timezone(offset)), day
        assert start.tzinfo is UTC
        local = start.astimezone(zoneinfo.ZoneInfo(zone))
        assert (local.date(), local.time(), local.weekday()) == (day, dt.time(21), TUE)


@pytest.mark.parametrize(
    ("zone", "utc_times"),
    [
        ("America/New_York", {(WED, dt.time(1)), (WED, dt.time(2))}),
        ("Europe/London", {(TUE, dt.time(20)), (TUE, dt.time(21))}),
        ("Australia/Sydney", {(TUE, dt.time(10)), (TUE, dt.time(11))}),
        ("Australia/Lord_Howe", {(TUE, dt.time(10)), (TUE, dt.time(10, 30))}),
        ("Asia/Kolkata", {(TUE, dt.time(15, 30))}),
        ("Asia/Kathmandu", {(TUE, dt.time(15, 15))}),
        ("America/Phoenix", {(WED, dt.time(4))}),
        ("UTC", {(TUE, dt.time(21))}),
    ],
)
def test_tuesday_2100_utc_clock_takes_exactly_the_expected_values(
    zone: str, utc_times: set[tuple[int, dt.time]]
) -> None:
    starts = five_years(slot(TUE, "21:00", zone))
    assert {(start.weekday(), start.time()) for start in starts} == utc_times


def test_new_york_utc_hour_flips_on_the_transition_weeks() -> None:
    s = slot(TUE, "21:00", "America/New_York")
    # Week before and after the spring change (2026-03-08), and the autumn change (2026-11-01).
    assert occurrences(s, utc(2026, 3, 1), 2) == [utc(2026, 3, 4, 2), utc(2026, 3, 11, 1)]
    assert occurrences(s, utc(2026, 10, 25), 2) == [utc(2026, 10, 28, 1), utc(2026, 11, 4, 2)]


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_weekly_gap_is_seven_days_except_on_transition_weeks(zone: str) -> None:
    starts = five_years(slot(TUE, "21:00", zone))
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    shift = DST_SHIFT[zone]
    if not shift:
        assert set(gaps) == {WEEK}
        return
    assert set(gaps) == {WEEK, WEEK - shift, WEEK + shift}
    # One shortened week per spring change and one lengthened week per autumn change, 2025–2030.
    assert gaps.count(WEEK - shift) == 6
    assert gaps.count(WEEK + shift) == 6


@pytest.mark.parametrize(
    ("zone", "springs", "autumns"),
    [
        ("America/New_York", US_SPRING, US_AUTUMN),
        ("Europe/London", EU_SPRING, EU_AUTUMN),
        ("Australia/Sydney", AU_OCTOBER, AU_APRIL),
        ("Australia/Lord_Howe", AU_OCTOBER, AU_APRIL),
    ],
)
def test_irregular_weeks_straddle_exactly_the_transition_sundays(
    zone: str, springs: list[dt.date], autumns: list[dt.date]
) -> None:
    tz = zoneinfo.ZoneInfo(zone)
    starts = five_years(slot(TUE, "21:00", zone))
    shift = DST_SHIFT[zone]
    short_weeks = []
    long_weeks = []
    for earlier, later in pairwise(starts):
        # The Sunday between two Tuesdays is the Tuesday's date plus five days.
        sunday = earlier.astimezone(tz).date() + dt.timedelta(days=5)
        if later - earlier == WEEK - shift:
            short_weeks.append(sunday)
        elif later - earlier == WEEK + shift:
            long_weeks.append(sunday)
    assert short_weeks == springs
    assert long_weeks == autumns


@pytest.mark.parametrize(
    "s",
    [
        slot(TUE, "21:00", "America/New_York"),
        slot(SUN, "02:30", "America/New_York"),
        slot(SUN, "01:30", "America/New_York"),
        slot(SUN, "01:30", "Europe/London"),
        slot(SUN, "02:30", "Australia/Sydney"),
        slot(SUN, "02:15", "Australia/Lord_Howe"),
        slot(SUN, "01:45", "Australia/Lord_Howe"),
        slot(SAT, "23:59", "Asia/Kathmandu"),
        slot(MON, "00:00", "UTC"),
    ],
    ids=lambda s: f"{schedule.WEEKDAY_NAMES[s.weekday]}-{s.local_time}-{s.zone}",
)
def test_no_week_is_skipped_or_repeated(s: WeeklySlot) -> None:
    starts = five_years(s)
    assert all(earlier < later for earlier, later in pairwise(starts))
    assert len(set(starts)) == len(starts)
    assert all(start.tzinfo is UTC for start in starts)
    # Each session lands on its own local date, one per week with no week missing.
    tz = zoneinfo.ZoneInfo(s.zone)
    dates = [start.astimezone(tz).date() for start in starts]
    assert dates == weekdays_between(s.weekday, dates[0], dates[-1])
    assert dates == weekdays_between(s.weekday, dt.date(2025, 1, 1), dt.date(2030, 12, 31))
    # Every gap between sessions is a week give or take at most one hour.
    assert all(abs(later - earlier - WEEK) <= HOUR for earlier, later in pairwise(starts))


# ---------------------------------------------------------------- the transition days themselves


GAP_NOTE = "{time} does not exist on {date} in {zone}; the session runs at {runs}."
REPEAT_NOTE = "{time} happens twice on {date} in {zone}; the session runs at the first {time}."

NY_GAPS = [(day, utc(day.year, day.month, day.day, 7, 30)) for day in US_SPRING]
NY_REPEATS = [(day, utc(day.year, day.month, day.day, 5, 30)) for day in US_AUTUMN]
LONDON_GAPS = [(day, utc(day.year, day.month, day.day, 1, 30)) for day in EU_SPRING]
LONDON_REPEATS = [(day, utc(day.year, day.month, day.day, 0, 30)) for day in EU_AUTUMN]
SYDNEY_GAPS = [(day, utc(day.year, day.month, day.day, 16, 30) - dt.timedelta(days=1)) for day in AU_OCTOBER]
SYDNEY_REPEATS = [(day, utc(day.year, day.month, day.day, 15, 30) - dt.timedelta(days=1)) for day in AU_APRIL]


@pytest.mark.parametrize(
    ("s", "day", "expected", "runs"),
    [(slot(SUN, "02:30", "America/New_York"), day, at, "03:30") for day, at in NY_GAPS]
    + [(slot(SUN, "01:30", "Europe/London"), day, at, "02:30") for day, at in LONDON_GAPS]
    + [(slot(SUN, "02:30", "Australia/Sydney"), day, at, "03:30") for day, at in SYDNEY_GAPS],
    ids=lambda v: str(v) if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else None,
)
def test_spring_gap_runs_shifted_forward_and_is_not_skipped(
    s: WeeklySlot, day: dt.date, expected: dt.datetime, runs: str
) -> None:
    assert local_start(s, day) == expected
    # Looking for the next session from the start of that local day must find this one, not next week's.
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=s.tz)
    assert next_occurrence(s, midnight) == expected
    assert expected.astimezone(s.tz).strftime("%H:%M") == runs
    assert describe_dst_adjustment(s, expected) == GAP_NOTE.format(
        time=f"{s.local_time:%H:%M}", date=day.isoformat(), zone=s.zone, runs=runs
    )


@pytest.mark.parametrize(
    ("s", "day", "expected", "second"),
    [(slot(SUN, "01:30", "America/New_York"), day, at, at + HOUR) for day, at in NY_REPEATS]
    + [(slot(SUN, "01:30", "Europe/London"), day, at, at + HOUR) for day, at in LONDON_REPEATS]
    + [(slot(SUN, "02:30", "Australia/Sydney"), day, at, at + HOUR) for day, at in SYDNEY_REPEATS],
    ids=lambda v: str(v) if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else None,
)
def test_repeated_hour_runs_once_at_the_first_occurrence(
    s: WeeklySlot, day: dt.date, expected: dt.datetime, second: dt.datetime
) -> None:
    assert local_start(s, day) == expected
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=s.tz)
    first, following = occurrences(s, midnight, 2)
    assert first == expected
    # The second reading of the same wall time is not a session: the next one is a week later.
    assert following - first == WEEK + HOUR
    assert next_occurrence(s, first) == following
    assert next_occurrence(s, first) != second
    # Both readings really are the slot's wall time, so the chosen one is the earlier.
    assert second.astimezone(s.tz).time() == first.astimezone(s.tz).time() == s.local_time
    assert describe_dst_adjustment(s, expected) == REPEAT_NOTE.format(
        time=f"{s.local_time:%H:%M}", date=day.isoformat(), zone=s.zone
    )


@pytest.mark.parametrize(
    ("s", "day", "expected", "note"),
    [
        # New York 2026, around the 02:00→03:00 gap.
        (slot(SUN, "01:59", "America/New_York"), dt.date(2026, 3, 8), utc(2026, 3, 8, 6, 59), None),
        (slot(SUN, "02:00", "America/New_York"), dt.date(2026, 3, 8), utc(2026, 3, 8, 7), "gap"),
        (slot(SUN, "02:59", "America/New_York"), dt.date(2026, 3, 8), utc(2026, 3, 8, 7, 59), "gap"),
        (slot(SUN, "03:00", "America/New_York"), dt.date(2026, 3, 8), utc(2026, 3, 8, 7), None),
        (slot(SUN, "02:30", "America/New_York"), dt.date(2026, 3, 1), utc(2026, 3, 1, 7, 30), None),
        (slot(SUN, "02:30", "America/New_York"), dt.date(2026, 3, 15), utc(2026, 3, 15, 6, 30), None),
        # New York 2026, around the repeated 01:00–02:00.
        (slot(SUN, "00:59", "America/New_York"), dt.date(2026, 11, 1), utc(2026, 11, 1, 4, 59), None),
        (slot(SUN, "01:00", "America/New_York"), dt.date(2026, 11, 1), utc(2026, 11, 1, 5), "repeat"),
        (slot(SUN, "01:59", "America/New_York"), dt.date(2026, 11, 1), utc(2026, 11, 1, 5, 59), "repeat"),
        (slot(SUN, "02:00", "America/New_York"), dt.date(2026, 11, 1), utc(2026, 11, 1, 7), None),
        (slot(SUN, "01:30", "America/New_York"), dt.date(2026, 10, 25), utc(2026, 10, 25, 5, 30), None),
        (slot(SUN, "01:30", "America/New_York"), dt.date(2026, 11, 8), utc(2026, 11, 8, 6, 30), None),
        # Lord Howe: the clocks move by only 30 minutes (02:00→02:30 in October, 02:00→01:30 in April).
        (slot(SUN, "02:15", "Australia/Lord_Howe"), dt.date(2026, 10, 4), utc(2026, 10, 3, 15, 45), "gap"),
        (slot(SUN, "02:30", "Australia/Lord_Howe"), dt.date(2026, 10, 4), utc(2026, 10, 3, 15, 30), None),
        (slot(SUN, "01:59", "Australia/Lord_Howe"), dt.date(2026, 10, 4), utc(2026, 10, 3, 15, 29), None),
        (slot(SUN, "01:45", "Australia/Lord_Howe"), dt.date(2026, 4, 5), utc(2026, 4, 4, 14, 45), "repeat"),
        (slot(SUN, "01:29", "Australia/Lord_Howe"), dt.date(2026, 4, 5), utc(2026, 4, 4, 14, 29), None),
        (slot(SUN, "02:00", "Australia/Lord_Howe"), dt.date(2026, 4, 5), utc(2026, 4, 4, 15, 30), None),
        # Sydney: 02:00→03:00 in October, 03:00→02:00 in April.
        (slot(SUN, "02:30", "Australia/Sydney"), dt.date(2026, 9, 27), utc(2026, 9, 26, 16, 30), None),
        (slot(SUN, "02:30", "Australia/Sydney"), dt.date(2026, 10, 11), utc(2026, 10, 10, 15, 30), None),
        (slot(SUN, "03:00", "Australia/Sydney"), dt.date(2026, 4, 5), utc(2026, 4, 4, 17), None),
        # London: 01:00→02:00 in March, 02:00→01:00 in October.
        (slot(SUN, "00:59", "Europe/London"), dt.date(2026, 3, 29), utc(2026, 3, 29, 0, 59), None),
        (slot(SUN, "02:00", "Europe/London"), dt.date(2026, 3, 29), utc(2026, 3, 29, 1), None),
        (slot(SUN, "02:00", "Europe/London"), dt.date(2026, 10, 25), utc(2026, 10, 25, 2), None),
        # Zones without daylight saving: never adjusted.
        (slot(SUN, "02:30", "Asia/Kolkata"), dt.date(2026, 3, 8), utc(2026, 3, 7, 21), None),
        (slot(SUN, "02:30", "Asia/Kathmandu"), dt.date(2026, 3, 8), utc(2026, 3, 7, 20, 45), None),
        (slot(SUN, "02:30", "America/Phoenix"), dt.date(2026, 3, 8), utc(2026, 3, 8, 9, 30), None),
        (slot(SUN, "02:30", "UTC"), dt.date(2026, 3, 8), utc(2026, 3, 8, 2, 30), None),
    ],
)
def test_local_start_edges(s: WeeklySlot, day: dt.date, expected: dt.datetime, note: str | None) -> None:
    start = local_start(s, day)
    assert start == expected
    assert start.tzinfo is UTC
    description = describe_dst_adjustment(s, start)
    if note is None:
        assert description is None
    elif note == "gap":
        assert description is not None
        assert "does not exist" in description
    else:
        assert description is not None
        assert "runs at the first" in description


def test_lord_howe_gap_note_names_the_half_hour_shift() -> None:
    s = slot(SUN, "02:15", "Australia/Lord_Howe")
    assert describe_dst_adjustment(s, utc(2026, 10, 3, 15, 45)) == (
        "02:15 does not exist on 2026-10-04 in Australia/Lord_Howe; the session runs at 02:45."
    )


def test_new_york_notes_match_the_brief() -> None:
    assert describe_dst_adjustment(slot(SUN, "02:30", "America/New_York"), utc(2026, 3, 8, 7, 30)) == (
        "02:30 does not exist on 2026-03-08 in America/New_York; the session runs at 03:30."
    )
    assert describe_dst_adjustment(slot(SUN, "01:30", "America/New_York"), utc(2026, 11, 1, 5, 30)) == (
        "01:30 happens twice on 2026-11-01 in America/New_York; the session runs at the first 01:30."
    )


@pytest.mark.parametrize(
    ("s", "gap_days", "repeat_days"),
    [
        (slot(SUN, "02:30", "America/New_York"), US_SPRING, []),
        (slot(SUN, "01:30", "America/New_York"), [], US_AUTUMN),
        (slot(SUN, "01:30", "Europe/London"), EU_SPRING, EU_AUTUMN),
        (slot(SUN, "02:30", "Australia/Sydney"), AU_OCTOBER, AU_APRIL),
        (slot(SUN, "02:15", "Australia/Lord_Howe"), AU_OCTOBER, []),
        (slot(SUN, "01:45", "Australia/Lord_Howe"), [], AU_APRIL),
        (slot(TUE, "21:00", "America/New_York"), [], []),
        (slot(SUN, "02:30", "Asia/Kolkata"), [], []),
        (slot(SUN, "02:30", "Asia/Kathmandu"), [], []),
        (slot(SUN, "02:30", "America/Phoenix"), [], []),
    ],
    ids=lambda v: f"{v.local_time}-{v.zone}" if isinstance(v, WeeklySlot) else None,
)
def test_notes_appear_exactly_on_the_transition_sundays(
    s: WeeklySlot, gap_days: list[dt.date], repeat_days: list[dt.date]
) -> None:
    gaps, repeats = [], []
    for start in five_years(s):
        note = describe_dst_adjustment(s, start)
        local = start.astimezone(s.tz)
        if note is None:
            assert local.time() == s.local_time
        elif "does not exist" in note:
            gaps.append(local.date())
            assert local.time() != s.local_time
        else:
            repeats.append(local.date())
            assert local.time() == s.local_time
            assert local.fold == 0
    assert gaps == gap_days
    assert repeats == repeat_days


# ---------------------------------------------------------------- occurrences() contract


def test_occurrences_are_strictly_after() -> None:
    s = slot(TUE, "21:00", "America/New_York")
    session = utc(2026, 3, 11, 1)
    assert next_occurrence(s, session) == utc(2026, 3, 18, 1)
    assert next_occurrence(s, session - dt.timedelta(microseconds=1)) == session


def test_spring_sunday_after_midnight_finds_the_same_day_session() -> None:
    s = slot(SUN, "02:30", "America/New_York")
    assert next_occurrence(s, utc(2026, 3, 8, 6)) == utc(2026, 3, 8, 7, 30)  # 01:00 EST
    assert next_occurrence(s, utc(2026, 3, 8, 7, 29, 59)) == utc(2026, 3, 8, 7, 30)
    assert next_occurrence(s, utc(2026, 3, 8, 7, 30)) == utc(2026, 3, 15, 6, 30)


def test_autumn_sunday_inside_the_repeated_hour() -> None:
    s = slot(SUN, "01:30", "America/New_York")
    assert next_occurrence(s, utc(2026, 11, 1, 5)) == utc(2026, 11, 1, 5, 30)  # first 01:00
    # Between the two 01:30s, and during the second 01:00–02:00: the session already ran.
    assert next_occurrence(s, utc(2026, 11, 1, 6)) == utc(2026, 11, 8, 6, 30)
    assert next_occurrence(s, utc(2026, 11, 1, 6, 45)) == utc(2026, 11, 8, 6, 30)


def test_only_one_session_on_the_autumn_sunday() -> None:
    s = slot(SUN, "01:30", "America/New_York")
    day_starts = [
        start for start in occurrences(s, utc(2026, 10, 20), 5) if start.astimezone(s.tz).date() == dt.date(2026, 11, 1)
    ]
    assert day_starts == [utc(2026, 11, 1, 5, 30)]


@pytest.mark.parametrize(
    "after",
    [
        utc(2026, 3, 3, 12),
        dt.datetime(2026, 3, 3, 21, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
        dt.datetime(2026, 3, 3, 7, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        dt.datetime(2026, 3, 3, 12, tzinfo=dt.timezone(dt.timedelta(hours=-11))),
        dt.datetime(2026, 3, 4, 1, tzinfo=zoneinfo.ZoneInfo("Pacific/Kiritimati")),
    ],
)
def test_after_may_be_in_any_zone(after: dt.datetime) -> None:
    s = slot(TUE, "21:00", "America/New_York")
    assert occurrences(s, after, 3) == occurrences(s, after.astimezone(UTC), 3)
    assert occurrences(s, after, 3)[0] > after


@pytest.mark.parametrize("zone", sorted(ZONES))
@pytest.mark.parametrize("hours_before", [0, 1, 5, 23, 24, 25, 47, 100, 166, 167, 168, 169, 170])
def test_first_occurrence_is_the_nearest_later_session(zone: str, hours_before: int) -> None:
    # Around the New York spring change (2026-03-08), where one week is an hour short.
    s = slot(TUE, "21:00", zone)
    sessions = [local_start(s, dt.date(2026, 3, day)) for day in (3, 10, 17)]
    after = sessions[1] - dt.timedelta(hours=hours_before)
    assert next_occurrence(s, after) == min(start for start in sessions if start > after)


def test_next_occurrence_matches_first_of_occurrences() -> None:
    s = slot(FRI, "18:00", "Europe/London")
    after = utc(2027, 10, 29, 18)
    assert next_occurrence(s, after) == occurrences(s, after, 1)[0]


def test_count_zero_and_negative() -> None:
    s = slot(TUE, "21:00", "UTC")
    assert occurrences(s, START, 0) == []
    with pytest.raises(ValueError):
        occurrences(s, START, -1)


def test_naive_datetimes_are_refused() -> None:
    s = slot(TUE, "21:00", "UTC")
    naive = START.replace(tzinfo=None)
    with pytest.raises(ValueError, match="aware"):
        occurrences(s, naive, 1)
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(s, naive)
    with pytest.raises(ValueError, match="aware"):
        describe_dst_adjustment(s, naive)


def test_local_start_refuses_the_wrong_weekday() -> None:
    s = slot(TUE, "21:00", "America/New_York")
    with pytest.raises(UserError) as caught:
        local_start(s, dt.date(2026, 3, 9))
    assert str(caught.value) == "2026-03-09 is a Monday, but this chat runs on Tuesdays: pick a Tuesday."


def test_describe_refuses_an_instant_that_is_not_a_session() -> None:
    s = slot(SUN, "02:30", "America/New_York")
    with pytest.raises(ValueError, match="not a session"):
        describe_dst_adjustment(s, utc(2026, 3, 8, 8, 30))
    with pytest.raises(ValueError, match="not a session"):
        describe_dst_adjustment(s, utc(2026, 3, 10, 7, 30))


def test_describe_accepts_the_start_in_any_zone() -> None:
    s = slot(SUN, "02:30", "America/New_York")
    start = utc(2026, 3, 8, 7, 30).astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert describe_dst_adjustment(s, start) is not None


def test_a_skipped_calendar_day_still_gets_its_session() -> None:
    # Samoa jumped from 2011-12-29 to 2011-12-31: a Friday session on the missing 30th runs,
    # shifted forward by the gap, on Saturday the 31st — it is not dropped.
    s = slot(FRI, "21:00", "Pacific/Apia")
    missing_friday = local_start(s, dt.date(2011, 12, 30))
    assert missing_friday == utc(2011, 12, 31, 7)
    assert missing_friday.astimezone(s.tz) == dt.datetime(2011, 12, 31, 21, tzinfo=s.tz)
    # Asked from Saturday morning local time (after the skip), the shifted session is still ahead.
    saturday_morning = utc(2011, 12, 30, 20)  # 2011-12-31 10:00 in Apia
    assert next_occurrence(s, saturday_morning) == missing_friday
    starts = occurrences(s, utc(2011, 12, 1), 6)
    assert missing_friday in starts
    assert all(earlier < later for earlier, later in pairwise(starts))
    assert describe_dst_adjustment(s, missing_friday) == (
        "21:00 does not exist on 2011-12-30 in Pacific/Apia; the session runs at 21:00 on 2011-12-31."
    )


# ---------------------------------------------------------------- purity


@pytest.mark.parametrize("module", ["schedule.py", "answers.py"])
def test_domain_module_imports_only_the_standard_library(module: str) -> None:
    path = Path(schedule.__file__).with_name(module)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    foreign = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
        and not name.startswith("bot.domain")
    }
    assert foreign == set()


def test_domain_code_never_reads_the_clock() -> None:
    for module in ("schedule.py", "answers.py"):
        source = Path(schedule.__file__).with_name(module).read_text(encoding="utf-8")
        for call in (".now(", ".utcnow(", ".today(", "time.time(", "monotonic("):
            assert call not in source, (module, call)


# Written by hand: the place whose clock each abbreviation names, so that the chat follows its daylight saving.
@pytest.mark.parametrize(("text", "place"), [
    ("EST", "America/New_York"), ("edt", "America/New_York"), (" EST5EDT ", "America/New_York"),
    ("CST", "America/Chicago"), ("MST", "America/Denver"), ("PST", "America/Los_Angeles"),
    ("PDT", "America/Los_Angeles"), ("PST8PDT", "America/Los_Angeles"), ("HST", "Pacific/Honolulu"),
    ("CET", "Europe/Paris"), ("EET", "Europe/Athens"), ("WET", "Europe/Lisbon"), ("BST", "Europe/London"),
    ("GMT", "Europe/London"), ("AEST", "Australia/Sydney"),
])
def test_an_abbreviation_is_refused_in_one_sentence_naming_the_zone_to_use(text: str, place: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_zone(text)
    message = str(caught.value)
    assert f"use the IANA zone {place}," in message
    assert message.count(".") == 1 and message.endswith(".")


@pytest.mark.parametrize("text", ["Etc/GMT+5", "etc/gmt-10"])
def test_a_fixed_offset_is_refused_for_a_place(text: str) -> None:
    with pytest.raises(UserError, match="keeps one offset all year: use the IANA zone of a place"):
        parse_zone(text)


@pytest.mark.parametrize("query", ["EST", "ED", "PST", "pst8", "MST", "CET", "EET", "HST", "GMT+", "Etc/GMT"])
def test_autocomplete_never_offers_an_abbreviation_or_a_fixed_offset(query: str) -> None:
    for name in suggest_zones(query, limit=1000):
        assert "/" in name and not name.startswith("Etc/GMT+") and not name.startswith("Etc/GMT-"), name


def test_autocomplete_offers_the_places_that_follow_daylight_saving() -> None:
    assert "America/New_York" in suggest_zones("new")
    assert "America/Los_Angeles" in suggest_zones("los")
    assert {"EST", "EST5EDT", "PST8PDT", "CET", "MST", "HST", "Etc/GMT+5"}.isdisjoint(zone_names())
    assert "UTC" in zone_names()


def test_a_zone_stored_before_abbreviations_were_refused_still_reads_back() -> None:
    assert known_zone("EST").key == "EST"
    assert WeeklySlot(1, dt.time(21), "EST").zone == "EST"
