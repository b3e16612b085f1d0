"""What the newcomer report and the transcript export cost: a fixed number of reads, whatever the history holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.newcomers import newcomer_report
from bot.storage import Storage
from tests.helpers import counted_reads

GUILD = 111
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
GREETER, REVIEWER = 900, 901


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


async def plant_newcomers(storage: Storage, count: int) -> None:
    """`count` newcomers, each greeted, reviewed, and checked in to two chats (one of which they answered in)."""
    await storage.members.record_join(GUILD, GREETER, "Tomás", NOW - 400 * DAY, NOW - 300 * DAY)
    await storage.members.record_join(GUILD, REVIEWER, "Mira", NOW - 400 * DAY, NOW - 300 * DAY)
    chats = [await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=5, name="GetRealChat",
                                                 hashtag="GetRealChat", timezone="America/New_York",
                                                 starts_at=NOW - weeks * 7 * DAY, topic=None) for weeks in (1, 2)]
    for number in range(count):
        user_id = 1000 + number
        joined = NOW - (20 + number % 5) * DAY
        await storage.members.record_join(GUILD, user_id, f"Newcomer {number}", joined - 30 * DAY, joined)
        await storage.welcomes.set_arrival(GUILD, user_id, "welcomed")
        await storage.newcomers.note_first_message(GUILD, user_id, message_id=user_id * 10, channel_id=6,
                                                   at=joined + DAY, text="hello", link=False)
        await storage.newcomers.record_greeting(GUILD, user_id, GREETER, at=joined + 2 * DAY,
                                                message_id=user_id * 10 + 1, session_id=None)
        if number % 2:
            await storage.newcomers.review(GUILD, user_id, "reviewed", reviewer_id=REVIEWER, at=NOW - DAY)
        for chat in chats:
            await storage.activity.record_checkin(GUILD, chat.id, user_id, chat.starts_at)


async def reads_for_report(storage: Storage, **options: object) -> int:
    """How many statements one newcomer report reads, names unknown to the server (as the command line has it)."""
    with counted_reads() as reads:
        rows = await newcomer_report(storage, GUILD, now=NOW, days=None, **options)  # type: ignore[arg-type]
    assert rows
    return len(reads)


async def test_the_newcomer_report_reads_as_much_for_30_newcomers_as_for_3(tmp_path: Path):
    costs = []
    for count in (3, 30):
        async with await Storage.open(tmp_path / f"{count}.db") as storage:
            await plant_newcomers(storage, count)
            costs.append(await reads_for_report(storage))
    assert costs[0] == costs[1] <= 3, f"reads for 3 and for 30 newcomers: {costs}"


async def test_one_newcomers_card_reads_no_more_than_the_whole_report(storage: Storage):
    await plant_newcomers(storage, 10)
    with counted_reads() as reads:
        rows = await newcomer_report(storage, GUILD, now=NOW, days=None, only=1003)
    assert [row.user_id for row in rows] == [1003]
    assert rows[0].greeted_by == "Tomás" and rows[0].reviewed_by == "Mira" and rows[0].stage == "lurker"
    assert len(reads) <= 3
