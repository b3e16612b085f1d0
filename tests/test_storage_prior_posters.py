"""Contract tests of storage.prior_posters (members seen posting before the bot came) and of first_timers, which
leaves them out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.storage import Storage
from tests.test_storage import ADMIN, GUILD, HOUR, MINUTE, T0, USER, _message, _series

DAY = timedelta(days=1)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


async def test_prior_posters_are_recorded_once_each_keeping_their_latest_post(storage: Storage) -> None:
    await storage.prior_posters.record(GUILD, {USER: T0 - 3 * DAY, USER + 1: T0 - DAY})
    await storage.prior_posters.record(GUILD, {USER: T0 - 10 * DAY, USER + 2: T0})  # read further back: older
    await storage.prior_posters.record(GUILD, {})
    assert await storage.prior_posters.count(GUILD) == 3
    assert await storage.prior_posters.count(GUILD + 1) == 0
    assert await storage.prior_posters.known(GUILD, [USER, USER + 2, USER + 5]) == {USER, USER + 2}
    assert await storage.prior_posters.known(GUILD + 1, [USER]) == set()
    assert await storage.prior_posters.known(GUILD, []) == set()
    many = [USER + n for n in range(1200)]  # more than one statement's worth of parameters
    await storage.prior_posters.record(GUILD, dict.fromkeys(many, T0))
    assert await storage.prior_posters.known(GUILD, many) == set(many)


async def test_a_prior_poster_is_no_first_timer_in_their_first_chat(storage: Storage) -> None:
    series = await _series(storage)
    session = await storage.sessions.at(series, T0)
    await storage.sessions.start(session.id, started_at=T0, started_by=ADMIN, duration_seconds=1800,
                                 spacing_seconds=300, pacing="fixed", posts=[])
    for number, author in enumerate((USER, USER + 1, USER + 2), start=10):
        await storage.messages.save(GUILD, _message(session.id, number, author, at=T0 + 5 * MINUTE))
    assert await storage.activity.first_timers(session.id) == [USER, USER + 1, USER + 2]
    await storage.prior_posters.record(GUILD, {USER + 1: T0 - HOUR})
    assert await storage.activity.first_timers(session.id) == [USER, USER + 2]
    assert await storage.activity.first_timers(session.id, USER + 1) == []
    assert await storage.activity.first_timers(session.id, USER + 2) == [USER + 2]
    await storage.prior_posters.record(GUILD + 1, {USER + 2: T0 - HOUR})  # another server's regular is new here
    assert await storage.activity.first_timers(session.id, USER + 2) == [USER + 2]
