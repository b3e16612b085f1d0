"""End to end: hosts acting at the same moment lose nothing. Two edits of one series both count (or one is
refused, whole), and one channel runs one chat at a time however the starts collide.

Each race fires two slash commands together and only then awaits both replies, so the bot handles them
concurrently, as it would two hosts clicking at once.
"""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

import pytest

from tests.helpers import BEFORE, MINUTE, START, bot_post, chat_posts, create_series, move_to, slash

SLOT = {"weekday": "Tuesday", "time": "21:00", "zone": "America/New_York", "duration": "30m", "spacing": "5m",
        "first_question": "2m"}


async def at_once(standin, *commands):
    """Send every (user, channel, command, options) interaction before awaiting any reply; return the replies."""
    records = await asyncio.gather(*(standin.slash(user, where, command, **options)
                                     for user, where, command, options in commands))
    return [await record.reply() for record in records]


def openings(standin, sample):
    return [m for m in chat_posts(standin, sample) if m.content.startswith("**Welcome")]


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


# -- one chat per channel -------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [
    ({"hashtag": "PopUpChat"}, {"hashtag": "LateNightChat"}),
    ({}, {"hashtag": "LateNightChat"}),
    ({}, {}),
], ids=["two-ad-hoc", "series-and-ad-hoc", "one-series-twice"])
async def test_two_hosts_starting_chats_in_one_channel_at_once_start_exactly_one(standin, sample, bot, clock,
                                                                                  first, second):
    await create_series(standin, sample)
    chat = sample.channels["chat"]
    replies = await at_once(standin, (sample.host, chat, "chat start", first),
                            (sample.admin, chat, "chat start", second))

    started = [r for r in replies if r.text.startswith("Started")]
    refused = [r for r in replies if not r.text.startswith("Started")]
    assert len(started) == 1 and len(refused) == 1, [r.text for r in replies]
    assert refused[0].ephemeral
    assert " is already running in <#" in refused[0].text and "`/chat end`" in refused[0].text
    await bot_post(standin, sample, "**Welcome")
    await bot.jobs.idle()
    assert len(openings(standin, sample)) == 1
    assert len(await bot.storage.sessions.with_status("running")) == 1
    # The series' own next session is still planned; a refused ad hoc chat leaves nothing behind.
    assert [s.series_id for s in await bot.storage.sessions.with_status("planned")] == [1]


async def test_two_series_sharing_a_channel_and_slot_open_one_chat_and_tell_the_hosts(standin, sample, bot, clock):
    await slash(standin, sample.admin, "config channel", kind="moderator", channel=sample.channels["mod-log"])
    await create_series(standin, sample)
    created = await slash(standin, sample.host, "chat create", name="Night Owls", hashtag="NightOwls",
                          channel=sample.channels["chat"], **SLOT)
    assert created.text.startswith("Created"), created.text
    await standin.wait_until(lambda: len(sample.guild.scheduled_events) == 2)  # its start job is set by then

    move_to(clock, START)  # both weekly triggers fire together
    alert = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["mod-log"].id)
    assert "did not start" in alert.content and " is already running in <#" in alert.content
    await bot_post(standin, sample, "**Welcome")
    await bot.jobs.idle()
    assert len(openings(standin, sample)) == 1
    (running,) = await bot.storage.sessions.with_status("running")
    assert running.starts_at == START
    skipped = [s for s in await bot.storage.sessions.with_status("skipped") if s.starts_at == START]
    assert len(skipped) == 1 and skipped[0].series_id != running.series_id


async def test_chat_end_ends_every_chat_an_old_database_left_running_in_one_channel(standin, sample, bot, clock):
    await create_series(standin, sample)
    chat = sample.channels["chat"]
    first = await slash(standin, sample.host, "chat start")
    assert first.text.startswith("Started **#GetRealChat**"), first.text
    (weekly,) = await bot.storage.sessions.with_status("running")
    # Before starts were atomic, two could both get through: recreate that state as an old database holds it.
    async with bot.storage.transaction() as conn:
        await conn.execute("UPDATE chat_session SET status = 'ended' WHERE id = ?", (weekly.id,))
    move_to(clock, BEFORE + MINUTE)
    second = await slash(standin, sample.host, "chat start", where=chat, hashtag="PopUpChat")
    assert second.text.startswith("Started **#PopUpChat**"), second.text
    async with bot.storage.transaction() as conn:
        await conn.execute("UPDATE chat_session SET status = 'running' WHERE id = ?", (weekly.id,))
    assert len(await bot.storage.sessions.with_status("running")) == 2

    steered = await slash(standin, sample.host, "chat next", where=chat, text="Coffee or tea?")
    assert steered.text == f"Posted Q1 in <#{chat.id}>.", steered.text  # the chat started last
    await bot_post(standin, sample, "**Q1:** Coffee or tea?\n#PopUpChat")

    ended = await slash(standin, sample.host, "chat end", where=chat)
    assert ended.text == "Ended #PopUpChat and #GetRealChat; the recaps follow within a minute.", ended.text
    await bot_post(standin, sample, "**That's a wrap for #PopUpChat!**")
    await bot_post(standin, sample, "**That's a wrap for #GetRealChat!**")
    assert await bot.storage.sessions.with_status("running") == []
    again = await slash(standin, sample.host, "chat end", where=chat)
    assert "No chat is running" in again.text
