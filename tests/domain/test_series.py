"""Series names, hashtags, and which sessions come next."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.errors import UserError
from bot.domain.schedule import WeeklySlot
from bot.domain.series import build_spec, clean_hashtag, session_on, upcoming_sessions

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
