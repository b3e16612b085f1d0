"""Unit tests for joins and leaves the bot missed while away: when it first saw a server, what the member list
shows it missed, which late joins still get a welcome, and the one alert for a burst it did not see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.newcomers import WELCOME_TOO_LATE, arrival
from bot.domain.newcomers_away import RosterChanges, away_burst_alert, first_seen, roster_changes

NOW = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)
SEEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # when the bot first saw the server
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WINDOW = timedelta(seconds=60)


# -- when the bot first saw a server ---------------------------------------------------------------------

def test_first_seen_on_a_first_install_is_now() -> None:
    assert first_seen(None, NOW) == NOW


def test_first_seen_with_joins_recorded_is_the_earliest_of_them() -> None:
    assert first_seen(SEEN, NOW) == SEEN


def test_first_seen_is_never_later_than_now() -> None:
    assert first_seen(NOW + HOUR, NOW) == NOW


# -- what the member list shows ----------------------------------------------------------------------------

def test_a_first_look_finds_everyone_there_before() -> None:
    listed = {1: SEEN - 300 * DAY, 2: SEEN - DAY, 3: SEEN}
    assert roster_changes(listed, {}, seen_since=SEEN) == RosterChanges(existing=[1, 2, 3], late=[], left=[])


def test_only_joins_after_the_first_sight_are_late_oldest_first() -> None:
    listed = {5: SEEN + 2 * HOUR, 4: SEEN + HOUR, 3: SEEN + HOUR, 1: SEEN - DAY}
    assert roster_changes(listed, {}, seen_since=SEEN) == RosterChanges(existing=[1], late=[3, 4, 5], left=[])


def test_members_recorded_as_present_are_left_alone_and_those_no_longer_listed_have_left() -> None:
    listed = {1: SEEN - DAY, 2: SEEN + HOUR}
    present = {1: True, 2: True, 3: True, 4: False}
    assert roster_changes(listed, present, seen_since=SEEN) == RosterChanges(existing=[], late=[], left=[3])


def test_a_member_recorded_as_departed_but_listed_came_back_whenever_they_first_joined() -> None:
    listed = {1: SEEN - DAY, 2: SEEN + HOUR}
    present = {1: False, 2: False}
    assert roster_changes(listed, present, seen_since=SEEN) == RosterChanges(existing=[], late=[1, 2], left=[])


def test_a_member_with_no_join_time_counts_as_there_before() -> None:
    assert roster_changes({1: None}, {}, seen_since=SEEN) == RosterChanges(existing=[1], late=[], left=[])


def test_an_empty_list_against_an_empty_table_changes_nothing() -> None:
    assert roster_changes({}, {}, seen_since=SEEN) == RosterChanges(existing=[], late=[], left=[])


# -- which late joins are still welcomed -------------------------------------------------------------------

def late(joined_ago: timedelta, *, account_age: timedelta = 400 * DAY, welcomed: bool = False,
         gone_for: timedelta | None = None) -> str:
    """What a join `joined_ago` before NOW gets when it is noticed only now."""
    joined_at = NOW - joined_ago
    return arrival(previously_welcomed=welcomed, left_at=joined_at - gone_for if gone_for is not None else None,
                   joined_at=joined_at, account_created_at=joined_at - account_age, new_account_age=3 * DAY,
                   now=NOW)


def test_a_join_noticed_within_a_day_is_still_welcomed() -> None:
    assert late(HOUR) == "waiting"
    assert late(WELCOME_TOO_LATE) == "waiting"


def test_a_join_noticed_more_than_a_day_late_is_missed() -> None:
    assert late(WELCOME_TOO_LATE + SECOND) == "missed"
    assert late(30 * DAY) == "missed"


def test_a_late_join_is_still_held_or_a_repeat_as_a_live_one_would_be() -> None:
    assert late(2 * DAY, account_age=DAY) == "held"
    assert late(2 * DAY, welcomed=True, gone_for=HOUR) == "repeat"


# -- the alert for a burst the bot did not see ------------------------------------------------------------

def test_a_raid_while_away_raises_one_alert_with_its_size_and_new_accounts() -> None:
    raid = [NOW - HOUR + n * SECOND for n in range(8)]
    arrivals = [(at, "held" if n == 7 else "waiting") for n, at in enumerate(raid)]
    text = away_burst_alert(arrivals, raid, NOW, joins=5, window=WINDOW)
    assert text is not None
    assert text.startswith("⚠️ Join burst while I was offline: 8 members joined within 60 s "
                           "(1 account too new to welcome publicly).")


def test_joins_spread_out_raise_no_alert() -> None:
    spread = [NOW - n * 2 * WINDOW for n in range(20)]
    assert away_burst_alert([(at, "waiting") for at in spread], spread, NOW, joins=5, window=WINDOW) is None


def test_joins_seen_live_count_toward_a_burst_judged_at_each_late_join() -> None:
    live = [NOW - HOUR + n * SECOND for n in range(5)]
    arrival_at = NOW - HOUR + 10 * SECOND  # the sixth join within the minute
    text = away_burst_alert([(arrival_at, "waiting")], [*live, arrival_at], NOW, joins=5, window=WINDOW)
    assert text is not None and "6 members joined within 60 s." in text
    # Joins after a late one do not make it part of a burst: it is judged at its own join.
    before = NOW - 2 * HOUR
    assert away_burst_alert([(before, "waiting")], [before, *live], NOW, joins=5, window=WINDOW) is None


def test_a_raid_older_than_the_newcomer_period_raises_no_alert() -> None:
    raid = [NOW - 15 * DAY + n * SECOND for n in range(8)]
    assert away_burst_alert([(at, "missed") for at in raid], raid, NOW, joins=5, window=WINDOW) is None


def test_no_late_joins_raise_no_alert() -> None:
    assert away_burst_alert([], [NOW] * 10, NOW, joins=5, window=WINDOW) is None
