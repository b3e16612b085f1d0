"""Unit tests for what the joins report notes beside each join."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.newcomers import join_flags

JOINED = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_an_ordinary_join_has_no_flags():
    assert join_flags(joined_at=JOINED, account_created_at=JOINED - 400 * DAY, join_count=1, present=True,
                      new_account_age=timedelta(hours=24)) == []


def test_a_new_account_that_joined_twice_and_left_has_all_three():
    assert join_flags(joined_at=JOINED, account_created_at=JOINED - timedelta(hours=23), join_count=2, present=False,
                      new_account_age=timedelta(hours=24)) == ["new account", "joined 2 times", "left"]


def test_an_account_exactly_the_new_account_age_is_not_new():
    assert join_flags(joined_at=JOINED, account_created_at=JOINED - DAY, join_count=1, present=True,
                      new_account_age=DAY) == []
