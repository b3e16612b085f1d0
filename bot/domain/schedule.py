"""Weekly chat slots fixed to a local wall-clock time in an IANA zone, and their UTC instants.

A slot is "every <weekday> at <local time> in <zone>"; every session runs at that local wall-clock
time, so the UTC instant moves by the daylight-saving offset twice a year (this is the whole point:
hosts and cron-style schedulers that fix the UTC hour drift by an hour at each change).

Daylight-saving policy, for the two days a year when the wall-clock time is not a single instant:

* **Gap (spring forward).** A local time that does not exist on that date runs at the instant the
  wall time denotes under the offset in force *before* the transition, which is the wall time shifted
  forward by the length of the gap: Sunday 02:30 in America/New_York on 2026-03-08 runs at 07:30 UTC,
  which reads 03:30 EDT. The session is never skipped.
* **Repeated hour (fall back).** A local time that occurs twice runs once, at its *first*
  occurrence: Sunday 01:30 in America/New_York on 2026-11-01 runs at 05:30 UTC (01:30 EDT), not
  again at 06:30 UTC (01:30 EST).

Both rules are PEP 495's ``fold=0`` reading of a local time, which is what ``zoneinfo`` implements;
the functions below rely on it deliberately and the tests pin it down. Nothing here reads the clock:
callers pass ``now``/``after`` in, always as timezone-aware datetimes, and get aware UTC back.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass

from bot.domain.errors import UserError
from bot.domain.text import excerpt

UTC = dt.UTC

# Valid tz database entries that are not places: "localtime" is this machine's setting (different on
# every host), "Factory" is a placeholder zone whose abbreviation is "-00", and posixrules is a template.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Durations are chat lengths, question spacings and reminder lead times; anything longer than this is
# a typo, and an unbounded number could overflow timedelta.
MAX_DURATION = dt.timedelta(days=30)


# What people write for a zone that is not one a chat can keep its local time in: abbreviations (most are not in
# the tz database at all, and "EST" is there only as a fixed UTC-5) and the database's own fixed-offset and POSIX-rule
# entries. A Tuesday 21:00 "EST" chat runs at 22:00 New York time all summer; each maps to the place's zone.
ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(("EST", "EDT", "ET", "EST5EDT"), "America/New_York"),
    **dict.fromkeys(("CST", "CDT", "CT", "CST6CDT"), "America/Chicago"),
    **dict.fromkeys(("MST", "MDT", "MT", "MST7MDT"), "America/Denver"),
    **dict.fromkeys(("PST", "PDT", "PT", "PST8PDT"), "America/Los_Angeles"),
    **dict.fromkeys(("AKST", "AKDT"), "America/Anchorage"),
    **dict.fromkeys(("HST", "HDT"), "Pacific/Honolulu"),
    **dict.fromkeys(("GMT", "GMT0", "GMT+0", "GMT-0", "BST", "Greenwich"), "Europe/London"),
    **dict.fromkeys(("WET", "WEST"), "Europe/Lisbon"),
    **dict.fromkeys(("CET", "CEST", "MET", "MEST"), "Europe/Paris"),
    **dict.fromkeys(("EET", "EEST"), "Europe/Athens"),
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    **dict.fromkeys(("AEST", "AEDT"), "Australia/Sydney"),
    **dict.fromkeys(("ACST", "ACDT"), "Australia/Adelaide"),
    "AWST": "Australia/Perth",
    **dict.fromkeys(("NZST", "NZDT"), "Pacific/Auckland"),
}
_ABBREVIATIONS_FOLDED = {name.casefold(): zone for name, zone in ABBREVIATIONS.items()}
# Etc/GMT+5 and the like: one offset all year (and with the sign reversed, POSIX-style).
_FIXED_OFFSET = re.compile(r"Etc/GMT[+-][0-9]+", re.IGNORECASE)


@functools.cache
def _known_names() -> dict[str, str]:
    """Every tz database entry that is a zone (abbreviations included), case-folded, to its canonical spelling."""
    return {name.casefold(): name for name in zoneinfo.available_timezones() if name not in _NOT_PLACES}


@functools.cache
def _zone_names() -> tuple[str, ...]:
    """The IANA zone names a host may choose, sorted, computed once: places, and UTC, never an abbreviation."""
    return tuple(sorted(name for name in _known_names().values()
                        if name.casefold() not in _ABBREVIATIONS_FOLDED and not _FIXED_OFFSET.fullmatch(name)))


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    """Map each zone name, case-folded, to its canonical spelling."""
    return {name.casefold(): name for name in _zone_names()}


def zone_names() -> list[str]:
    """Return the sorted IANA zone names a slot may use."""
    return list(_zone_names())


def known_zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the ZoneInfo for a zone already stored (any tz database entry, an abbreviation kept from before too)."""
    canonical = _known_names().get(name.strip().casefold())
    if canonical is None:
        raise UserError(f"Unknown time zone '{excerpt(name)}': use an IANA name such as America/New_York.")
    return zoneinfo.ZoneInfo(canonical)


def parse_zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the ZoneInfo for an IANA zone name a host typed, accepting any letter case and spaces for underscores.

    Abbreviations (EST, PDT, CET…) and fixed offsets are refused with the place's zone to use instead.
    """
    cleaned = name.strip()
    if not cleaned:
        raise UserError("Give a time zone: use an IANA name such as America/New_York.")
    folded = cleaned.replace(" ", "_").casefold()
    if (place := _ABBREVIATIONS_FOLDED.get(cleaned.casefold())) is not None:
        raise UserError(f"'{excerpt(cleaned)}' is an abbreviation that keeps one offset all year: use the IANA zone "
                        f"{place}, which follows daylight saving where the place does.")
    if _FIXED_OFFSET.fullmatch(folded):
        raise UserError(f"'{excerpt(cleaned)}' keeps one offset all year: use the IANA zone of a place, "
                        "such as America/New_York.")
    # Only names from the known list reach ZoneInfo(), so paths like "../x" or "/etc/localtime"
    # can never be opened as files.
    zones = _zones_by_folded_name()
    canonical = zones.get(cleaned.casefold()) or zones.get(folded)
    if canonical is None:
        raise UserError(f"Unknown time zone '{excerpt(cleaned)}': use an IANA name such as America/New_York.")
    return zoneinfo.ZoneInfo(canonical)


def suggest_zones(prefix: str, limit: int = 25) -> list[str]:
    """Return up to `limit` zone names containing `prefix`, names starting with it first (autocomplete)."""
    if limit <= 0:
        return []
    query = prefix.strip().replace(" ", "_").casefold()
    names = _zone_names()
    if not query:
        return list(names[:limit])

    def rank(name: str) -> int:
        folded = name.casefold()
        if folded.startswith(query):
            return 0
        # "york" should find America/New_York before names that merely contain the letters mid-word.
        if any(part.startswith(query) for part in re.split(r"[/_\-]", folded)):
            return 1
        return 2

    matches = [name for name in names if query in name.casefold()]
    # sorted() is stable, so names stay alphabetical within each rank.
    return sorted(matches, key=rank)[:limit]


_TIME_FORMS = "use a time like 21:00, 9:05, 9pm or 9:30 pm"
_TIME_24H = re.compile(r"(?P<hour>[0-9]{1,2})(?::|h)(?P<minute>[0-9]{2})", re.ASCII)
_TIME_H = re.compile(r"(?P<hour>[0-9]{1,2})h", re.ASCII)
_TIME_12H = re.compile(
    r"(?P<hour>[0-9]{1,2})(?:[:.](?P<minute>[0-9]{2}))?\s*(?P<half>a|p)\.?\s*m\.?", re.ASCII | re.IGNORECASE
)


def parse_local_time(text: str) -> dt.time:
    """Parse a wall-clock time such as "21:00", "9:05", "9pm", "9:30 pm" or "21h"."""
    cleaned = text.strip()
    if not cleaned:
        raise UserError(f"Give a time: {_TIME_FORMS}.")
    if match := _TIME_12H.fullmatch(cleaned):
        hour = int(match["hour"])
        minute = int(match["minute"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise UserError(f"'{excerpt(cleaned)}' is not a valid time: {_TIME_FORMS}.")
        # 12 am is midnight and 12 pm is noon.
        hour %= 12
        if match["half"].lower() == "p":
            hour += 12
        return dt.time(hour, minute)
    match = _TIME_24H.fullmatch(cleaned) or _TIME_H.fullmatch(cleaned)
    if match is None:
        # A bare "9" could mean morning or evening; ask rather than guess.
        raise UserError(f"'{excerpt(cleaned)}' is not a time I understand: {_TIME_FORMS}.")
    hour = int(match["hour"])
    minute = int(match.groupdict().get("minute") or 0)
    if hour > 23 or minute > 59:
        raise UserError(f"'{excerpt(cleaned)}' is not a valid time: {_TIME_FORMS}.")
    return dt.time(hour, minute)


_DURATION_FORMS = "use a duration like 10 (minutes), 8m, 90s, 1h or 1h30m"
_DURATION_UNITS = {
    "d": "days",
    "day": "days",
    "days": "days",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "m": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "s": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "second": "seconds",
    "seconds": "seconds",
}
_DURATION_PART = re.compile(r"([0-9]+)\s*([a-z]+)\s*", re.ASCII)


def parse_duration(text: str) -> dt.timedelta:
    """Parse a positive duration such as "8m", "90s", "1h30m", "2 min" or "10" (bare number = minutes)."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise UserError(f"Give a duration: {_DURATION_FORMS}.")
    if cleaned.startswith("-"):
        raise UserError(f"A duration must be positive: {_DURATION_FORMS}.")
    # Real durations are short; a huge digit string would also trip int()'s digit limit.
    if len(cleaned) > 40:
        raise UserError(f"That duration is too long to read: {_DURATION_FORMS}.")
    if cleaned.isascii() and cleaned.isdigit():
        amounts = {"minutes": int(cleaned)}
    else:
        amounts = {}
        position = 0
        while position < len(cleaned):
            match = _DURATION_PART.match(cleaned, position)
            unit = _DURATION_UNITS.get(match[2]) if match else None
            # "1h1h" is more likely a slip than a wish for two hours; refuse rather than add.
            if match is None or unit is None or unit in amounts:
                raise UserError(f"'{excerpt(text)}' is not a duration I understand: {_DURATION_FORMS}.")
            amounts[unit] = int(match[1])
            position = match.end()
    # Compare in seconds before building the timedelta, so absurd numbers cannot overflow it.
    seconds = (
        amounts.get("days", 0) * 86_400
        + amounts.get("hours", 0) * 3_600
        + amounts.get("minutes", 0) * 60
        + amounts.get("seconds", 0)
    )
    if seconds == 0:
        raise UserError(f"A duration must be longer than zero: {_DURATION_FORMS}.")
    if seconds > MAX_DURATION.total_seconds():
        raise UserError(f"'{excerpt(text)}' is too long: durations can be at most {MAX_DURATION.days} days.")
    return dt.timedelta(seconds=seconds)


# Common abbreviations that are not simple prefixes of the day name.
_WEEKDAY_ALIASES = {"weds": 2}


def parse_weekday(text: str) -> int:
    """Parse a day name ("tuesday", "Tue", "tues", "Tuesdays") into 0=Monday … 6=Sunday."""
    cleaned = text.strip().rstrip(".").lower()
    if cleaned in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[cleaned]
    for number, name in enumerate(WEEKDAY_NAMES):
        full = name.lower()
        # Two letters already tell every day apart ("tu" vs "th", "sa" vs "su").
        if len(cleaned) >= 2 and (full.startswith(cleaned) or cleaned == full + "s"):
            return number
    raise UserError(f"'{excerpt(text)}' is not a day of the week: use a name such as Tuesday or Tue.")


@dataclass(frozen=True)
class WeeklySlot:
    """Every `weekday` (0=Monday) at the naive wall-clock `local_time` in IANA `zone`."""

    weekday: int
    local_time: dt.time
    zone: str

    def __post_init__(self) -> None:
        """Validate the fields and store the zone under its canonical spelling."""
        if not 0 <= self.weekday <= 6:
            raise UserError(f"Weekday {self.weekday} is out of range: use 0 for Monday up to 6 for Sunday.")
        if self.local_time.tzinfo is not None:
            raise UserError("Give the local time without a time zone: the slot's zone says where it is.")
        # Canonical spelling keeps equal slots equal and lets ZoneInfo find the file on any system.
        # A slot read back from storage may hold a zone chosen before abbreviations were refused; it keeps running.
        object.__setattr__(self, "zone", known_zone(self.zone).key)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The slot's zone as a ZoneInfo."""
        return zoneinfo.ZoneInfo(self.zone)


def require_aware(name: str, value: dt.datetime | None) -> None:
    """Refuse naive datetimes, which would silently be read in the host machine's zone (None passes)."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def local_start(slot: WeeklySlot, on: dt.date) -> dt.datetime:
    """Return the UTC instant of the slot's session on local date `on` (gap: shifted forward; repeat: first)."""
    if on.weekday() != slot.weekday:
        raise UserError(
            f"{on.isoformat()} is a {WEEKDAY_NAMES[on.weekday()]}, but this chat runs on "
            f"{WEEKDAY_NAMES[slot.weekday]}s: pick a {WEEKDAY_NAMES[slot.weekday]}."
        )
    # fold=0 is exactly the policy in the module docstring (PEP 495): in a gap it applies the
    # pre-transition offset, in a repeated hour it picks the first occurrence.
    local = dt.datetime.combine(on, slot.local_time, tzinfo=slot.tz).replace(fold=0)
    return local.astimezone(UTC)


def occurrences(slot: WeeklySlot, after: dt.datetime, count: int) -> list[dt.datetime]:
    """Return the next `count` session starts strictly after `after`, as aware UTC datetimes."""
    require_aware("after", after)
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    local_day = after.astimezone(slot.tz).date()
    # Start from the slot's weekday on or *before* `after`'s local date: a gap can push a session
    # past midnight (Samoa skipped 2011-12-30 entirely), so the previous day's session may still
    # lie after `after`. Sessions are a week apart, so nothing earlier can.
    day = local_day - dt.timedelta(days=(local_day.weekday() - slot.weekday) % 7)
    starts: list[dt.datetime] = []
    while len(starts) < count:
        start = local_start(slot, day)
        if start > after:
            starts.append(start)
        day += dt.timedelta(days=7)
    return starts


def next_occurrence(slot: WeeklySlot, after: dt.datetime) -> dt.datetime:
    """Return the first session start strictly after `after`, as an aware UTC datetime."""
    return occurrences(slot, after, 1)[0]


def _clock(value: dt.time) -> str:
    """Format a wall-clock time the way users type it."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def describe_dst_adjustment(slot: WeeklySlot, start_utc: dt.datetime) -> str | None:
    """Explain, in one sentence, how a daylight-saving change moved this session, or return None."""
    require_aware("start_utc", start_utc)
    tz = slot.tz
    shown = start_utc.astimezone(tz)
    # A gap shift can push the session past midnight, so the session's own date may be the day before.
    session_day = next(
        (
            day
            for day in (shown.date(), shown.date() - dt.timedelta(days=1))
            if day.weekday() == slot.weekday and local_start(slot, day) == start_utc
        ),
        None,
    )
    if session_day is None:
        raise ValueError(f"{start_utc.isoformat()} is not a session start of {slot}")
    wall = dt.datetime.combine(session_day, slot.local_time, tzinfo=tz)
    if shown.replace(tzinfo=None) != wall.replace(tzinfo=None):
        runs_at = _clock(shown.time())
        if shown.date() != session_day:
            runs_at += f" on {shown.date().isoformat()}"
        return (
            f"{_clock(slot.local_time)} does not exist on {session_day.isoformat()} in {slot.zone}; "
            f"the session runs at {runs_at}."
        )
    if wall.utcoffset() != wall.replace(fold=1).utcoffset():
        return (
            f"{_clock(slot.local_time)} happens twice on {session_day.isoformat()} in {slot.zone}; "
            f"the session runs at the first {_clock(slot.local_time)}."
        )
    return None
