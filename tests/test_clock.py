"""The bot clock: real time live; a set clock that the demo and tests run fast, stop and move."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import Clock
from bot.jobs import Jobs

AT = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


def test_a_frozen_clock_stands_still_until_moved():
    clock = Clock.frozen(AT)
    assert clock() == clock.now() == AT
    assert clock.real_instant(AT + timedelta(minutes=1)) is None
    clock.advance(timedelta(minutes=5))
    assert clock() == AT + timedelta(minutes=5)


def test_a_fast_clock_maps_bot_time_to_real_time_and_back():
    clock = Clock(AT, speed=600)
    real = clock.real_instant(clock.now() + timedelta(minutes=10))
    assert real is not None and timedelta(seconds=0.9) < real - datetime.now(UTC) < timedelta(seconds=1.1)
    assert abs(clock.from_real(datetime.now(UTC)) - clock.now()) < timedelta(seconds=30)


def test_the_real_clock_cannot_be_moved_and_naive_starts_are_refused():
    with pytest.raises(RuntimeError):
        Clock().advance(timedelta(minutes=1))
    with pytest.raises(ValueError):
        Clock(datetime(2026, 1, 1))  # noqa: DTZ001


async def test_jobs_come_due_when_the_clock_is_moved_and_not_before():
    clock = Clock.frozen(AT)
    jobs = Jobs(clock)
    jobs.start()
    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    jobs.at("later", AT + timedelta(hours=1), job)
    assert jobs.pending() == ["later"]
    clock.advance(timedelta(minutes=59))
    assert jobs.scheduler.get_job("later") is None  # a stopped clock short of the hour: nothing handed to APScheduler
    assert not ran.is_set()
    clock.advance(timedelta(minutes=1))
    await asyncio.wait_for(ran.wait(), 5)
    assert jobs.pending() == []
    await jobs.shutdown()


async def test_idle_waits_for_every_job_due_by_the_moved_clock_including_ones_they_set():
    clock = Clock.frozen(AT)
    jobs = Jobs(clock)
    jobs.start()
    done: list[str] = []

    async def first() -> None:
        await asyncio.sleep(0)  # a job that awaits before it finishes
        jobs.at("follow-up", AT + timedelta(minutes=2), follow_up)  # already due when it is asked for
        done.append("first")

    async def follow_up() -> None:
        done.append("follow-up")

    async def later() -> None:
        done.append("later")

    jobs.at("first", AT + timedelta(minutes=1), first)
    jobs.at("later", AT + timedelta(hours=1), later)
    clock.advance(timedelta(minutes=5))
    await asyncio.wait_for(jobs.idle(), 5)
    assert done == ["first", "follow-up"]  # and not the job an hour away
    assert jobs.pending() == ["later"]
    await jobs.shutdown()


def test_to_real_undoes_from_real_for_past_and_future_instants() -> None:
    start = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    for speed in (0.0, 1.0, 600.0):
        clock = Clock(start, speed=speed)
        for moment in (start - timedelta(days=400), start - timedelta(seconds=1), start):
            assert clock.from_real(clock.to_real(moment)) == moment
    fast = Clock(start, speed=600)
    later = start + timedelta(hours=1)
    assert abs(fast.from_real(fast.to_real(later)) - later) < timedelta(milliseconds=1)
    assert Clock().to_real(start) == start
