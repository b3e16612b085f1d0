"""The newcomer desk's memory stays bounded: locks free themselves, caches forget the oldest and the stale."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime, timedelta

from bot.domain.newcomers import REPEAT_WINDOW, repeated_across_channels
from bot.locks import Locks
from bot.memo import Seen
from bot.newcomers._caches import RecentPosts

AT = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


async def test_a_key_has_one_lock_while_it_is_held_and_none_after():
    locks = Locks()
    async with locks(("greet", 1)):
        assert locks(("greet", 1)).locked()  # a second task would wait on the same lock
        assert not locks(("greet", 2)).locked()
    gc.collect()
    assert len(locks) == 0


async def test_a_waiting_task_keeps_the_lock_alive():
    locks = Locks()
    order: list[str] = []

    async def second() -> None:
        async with locks(7):
            order.append("second")

    async with locks(7):
        waiting = asyncio.create_task(second())
        await asyncio.sleep(0)
        gc.collect()
        assert len(locks) == 1
        order.append("first")
    await waiting
    assert order == ["first", "second"]


def test_seen_says_whether_a_key_is_new_and_forgets_the_oldest():
    seen = Seen(2)
    assert seen.add("a") and seen.add("b")
    assert not seen.add("a")  # and "a" is now the most recent
    assert seen.add("c")  # "b" is forgotten
    assert len(seen) == 2
    assert not seen.add("a") and seen.add("b")


def test_recent_posts_are_kept_per_member_in_order():
    recent = RecentPosts(REPEAT_WINDOW, per_member=3)
    for n in range(4):
        posts = recent.add((1, 10), (n, "hi", AT + n * timedelta(seconds=1)))
    assert [channel for channel, _, _ in posts] == [1, 2, 3]
    assert recent.add((1, 11), (5, "other", AT)) == [(5, "other", AT)]


def test_members_quiet_for_longer_than_the_window_are_forgotten():
    recent = RecentPosts(REPEAT_WINDOW)
    recent.add((1, 10), (1, "spam", AT))
    recent.add((1, 11), (1, "hello", AT + timedelta(minutes=5)))
    recent.add((1, 12), (1, "hey", AT + REPEAT_WINDOW + timedelta(seconds=1)))
    assert len(recent) == 2  # (1, 10) posted nothing for longer than the window
    later = AT + REPEAT_WINDOW + timedelta(minutes=1)
    posts = recent.add((1, 10), (2, "spam", later))
    assert posts == [(2, "spam", later)] and not repeated_across_channels(posts, later)


def test_at_most_so_many_members_are_kept():
    recent = RecentPosts(REPEAT_WINDOW, members=2)
    for user in range(3):
        recent.add((1, user), (1, "hi", AT))
    assert len(recent) == 2
    assert recent.add((1, 0), (2, "hi", AT)) == [(2, "hi", AT)]  # the first member was forgotten
