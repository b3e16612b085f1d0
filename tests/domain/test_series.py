"""Series names, hashtags, and which sessions come next."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.errors import UserError
from bot.domain.schedule import WeeklySlot
from bot.domain.series import SeriesEdit, build_spec, clean_hashtag, parse_edit, session_on, upcoming_sessions
from bot.domain.timeline import ChatPlan

SLOT = WeeklySlot(weekday=1, local_time=time(21, 0), zone="America/New_York")
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "tag"), [("#GetRealChat", "GetRealChat"), ("  blog_chat ", "blog_chat")])
def test_hashtags_lose_their_hash(text, tag):
    assert clean_hashtag(text) == tag


@pytest.mark.parametrize("text", ["#", "#1up", "get real", "#a", "#" + "x" * 51])
def test_unusable_hashtags_are_refused(text):
    with pytest.raises(UserError, match="usable hashtag"):
        clean_hashtag(text)


def test_skipped_sessions_are_left_out_and_replaced_by_later_ones():
    every = upcoming_sessions(SLOT, NOW, 4)
    assert upcoming_sessions(SLOT, NOW, 3, skipped=[every[1]]) == [every[0], every[2], every[3]]


def test_session_on_refuses_the_past_and_the_far_future():
    assert session_on(SLOT, date(2026, 3, 10), NOW) == datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    with pytest.raises(UserError, match="in the past"):
        session_on(SLOT, date(2026, 2, 24), NOW)
    with pytest.raises(UserError, match="more than a year"):
        session_on(SLOT, date(2027, 3, 9), NOW)


def test_build_spec_names_the_option_that_is_wrong():
    with pytest.raises(UserError, match="^spacing: "):
        build_spec(name="X", hashtag="XChat", weekday="Tuesday", local_time="21:00", zone="UTC",
                   duration="60m", spacing="0", first_question="5m", pacing="fixed")
    with pytest.raises(UserError, match="^time: "):
        build_spec(name="X", hashtag="XChat", weekday="Tuesday", local_time="25:00", zone="UTC",
                   duration="60m", spacing="10m", first_question="5m", pacing="fixed")


SPEC = build_spec(name="GetRealChat", hashtag="GetRealChat", weekday="Tuesday", local_time="21:00",
                  zone="America/New_York", duration="30m", spacing="5m", first_question="2m", pacing="fixed")
M = timedelta(minutes=1)


def test_parse_edit_keeps_only_the_options_given_each_checked_on_its_own():
    edit = parse_edit(name="  Night   Owls ", local_time="9pm", first_question="0", reminders="none", use_threads=False)
    assert edit == SeriesEdit(name="Night Owls", local_time=time(21, 0), first_question=timedelta(0), reminders=(),
                              use_threads=False)
    assert parse_edit() == SeriesEdit()
    assert parse_edit(most_answers=False) == SeriesEdit(most_answers=False)
    assert parse_edit(zone="europe/paris", pacing="Adaptive", weekday="wed", channel_id=5) == SeriesEdit(
        zone="Europe/Paris", pacing="adaptive", weekday=2, channel_id=5)


@pytest.mark.parametrize(("options", "start"), [
    ({"spacing": "0"}, "spacing: "), ({"local_time": "25:00"}, "time: "),
    ({"first_question": "soon"}, "first_question: "), ({"reminders": "1m"}, "reminders: "),
    ({"zone": "Mars/Olympus"}, "zone: "), ({"hashtag": "#1up"}, "'#1up'"),
])
def test_parse_edit_names_the_option_that_is_wrong(options, start):
    with pytest.raises(UserError) as refused:
        parse_edit(**options)
    assert str(refused.value).startswith(start)


def test_an_edit_changes_only_what_it_gives():
    edited = SeriesEdit(name="Night Owls", weekday=2).applied_to(SPEC)
    assert (edited.name, edited.hashtag, edited.slot, edited.plan) == (
        "Night Owls", "GetRealChat", WeeklySlot(weekday=2, local_time=time(21, 0), zone="America/New_York"),
        SPEC.plan)
    assert SeriesEdit().applied_to(SPEC) == SPEC


def test_an_edit_is_judged_with_the_values_stored_now():
    # Fine against the series as the host saw it (30m), not once another host made the chat 10m long.
    slower = SeriesEdit(spacing=15 * M)
    assert slower.applied_to(SPEC).plan == ChatPlan(duration=30 * M, spacing=15 * M, first_question=2 * M)
    shorter = SeriesEdit(duration=10 * M).applied_to(SPEC)
    with pytest.raises(UserError, match=r"^Question spacing must be shorter than the chat \(got 15m for a 10m chat\)"):
        slower.applied_to(shorter)
