"""End to end: hosts acting at the same moment lose nothing. Two edits of one series both count (or one is
refused, whole).

Each race fires two slash commands together and only then awaits both replies, so the bot handles them
concurrently, as it would two hosts clicking at once.
"""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

import pytest

from bot.clock import Clock
from tests.helpers import BEFORE, START, create_series, slash


@pytest.fixture
def clock() -> Clock:
    return Clock.frozen(BEFORE)


async def at_once(standin, *commands):
    """Send every (user, channel, command, options) interaction before awaiting any reply; return the replies."""
    records = await asyncio.gather(*(standin.slash(user, where, command, **options)
                                     for user, where, command, options in commands))
    return [await record.reply() for record in records]


# -- two hosts editing one series -----------------------------------------------------------------------


async def test_two_hosts_changing_different_options_at_once_both_keep_their_change(standin, sample, bot, clock):
    await create_series(standin, sample)
    general = sample.channels["general"]
    replies = await at_once(standin, (sample.host, general, "chat edit", {"name": "GetReal Tuesdays"}),
                            (sample.admin, general, "chat edit", {"time": "22:00"}))
    assert [r.text.startswith("Updated") for r in replies] == [True, True], [r.text for r in replies]

    (series,) = await bot.storage.series.all(sample.guild.id)
    assert (series.name, series.local_time, series.hashtag) == ("GetReal Tuesdays", time(22, 0), "GetRealChat")
    # Tonight's session follows the slot that is stored, and takes the new name.
    (planned,) = await bot.storage.sessions.with_status("planned")
    assert (planned.starts_at, planned.series_name) == (START + timedelta(hours=1), "GetReal Tuesdays")
    listing = await slash(standin, sample.members[0], "chat list")
    assert "**GetReal Tuesdays** · #GetRealChat · Tuesdays 22:00 America/New_York" in listing.text


async def test_edits_that_clash_only_together_refuse_one_whole_and_keep_the_other(standin, sample, bot, clock):
    await create_series(standin, sample)  # 30m long, a question every 5m
    general = sample.channels["general"]
    shorter, slower = await at_once(
        standin, (sample.host, general, "chat edit", {"duration": "10m"}),
        (sample.admin, general, "chat edit", {"spacing": "15m", "hashtag": "SlowChat"}))

    texts = sorted([shorter.text, slower.text])
    assert texts[0].startswith("Question spacing must be shorter than the chat (got 15m for a 10m chat)"), texts
    assert texts[1].startswith("Updated"), texts
    (series,) = await bot.storage.series.all(sample.guild.id)
    stored = (series.duration_seconds, series.spacing_seconds, series.hashtag)
    if shorter.text.startswith("Updated"):
        assert stored == (600, 300, "GetRealChat")  # the refused edit left no part of itself behind
    else:
        assert stored == (1800, 900, "SlowChat")
