"""End to end: a chat keeps going when Discord or people do unexpected things around it."""

from __future__ import annotations

import asyncio
import logging
import re

from bot.domain.running import post_key
from tests.helpers import (
    MINUTE,
    START,
    bot_post,
    chat_posts,
    create_series,
    move_to,
    play_until_question,
    posted,
    retry_until_settled,
    session_id,
    slash,
)


async def test_the_closing_post_goes_out_after_the_discord_event_was_ended_by_hand(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    (event,) = [e for e in sample.guild.scheduled_events.values() if e["status"] == 2]  # the chat started it
    await standin.set_event_status(sample.guild, int(event["id"]), 3)

    ended = await slash(standin, sample.host, "chat end", where=sample.channels["chat"])
    assert "Ended #GetRealChat" in ended.text
    await bot_post(standin, sample, "**That's a wrap")
    assert event["status"] == 3  # the bot left alone what it could not move


async def test_the_chat_runs_and_closes_after_its_discord_event_was_cancelled_by_hand(standin, sample, bot, clock):
    await create_series(standin, sample)
    (event,) = sample.guild.scheduled_events.values()
    await standin.set_event_status(sample.guild, int(event["id"]), 4)  # only a scheduled event can be cancelled
    await play_until_question(standin, sample, clock, 1)

    ended = await slash(standin, sample.host, "chat end", where=sample.channels["chat"])
    assert "Ended #GetRealChat" in ended.text
    await bot_post(standin, sample, "**That's a wrap")
    assert event["status"] == 4


def the_event(sample):
    """The Discord event of the chat at START (next week's has its own)."""
    (event,) = [e for e in sample.guild.scheduled_events.values() if e["scheduled_start_time"] == START.isoformat()]
    return event


async def test_discord_starting_and_ending_the_event_itself_loses_nothing(standin, sample, bot, clock, caplog):
    await create_series(standin, sample)
    await standin.events_reach(START)  # Discord starts the event at its start time, before the bot's own start
    assert the_event(sample)["status"] == 2
    await play_until_question(standin, sample, clock, 1)
    await standin.events_reach(START + 30 * MINUTE)  # and completes it at its end, before the closing post
    assert the_event(sample)["status"] == 3
    move_to(clock, START + 30 * MINUTE)
    await bot_post(standin, sample, "**That's a wrap")
    assert "scheduled event" not in caplog.text  # nothing refused, nothing to warn about


async def test_chat_extend_keeps_the_discord_event_open_until_the_new_end(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    extended = await slash(standin, sample.host, "chat extend", where=sample.channels["chat"], by="15m")
    assert extended.text == f"#GetRealChat now ends <t:{int((START + 45 * MINUTE).timestamp())}:t>."
    assert the_event(sample)["scheduled_end_time"] == (START + 45 * MINUTE).isoformat()
    await standin.events_reach(START + 30 * MINUTE)  # the chat's first end: Discord would have completed it
    assert the_event(sample)["status"] == 2
    move_to(clock, START + 45 * MINUTE)
    await bot_post(standin, sample, "**That's a wrap")
    assert the_event(sample)["status"] == 3  # ended by the closing


async def test_continuing_a_held_chat_moves_the_discord_event_end_by_the_hold(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    await slash(standin, sample.host, "chat hold", where=sample.channels["chat"])
    move_to(clock, START + 10 * MINUTE)  # held from Q1 (START + 2 minutes): 8 minutes
    await slash(standin, sample.host, "chat continue", where=sample.channels["chat"])
    assert the_event(sample)["scheduled_end_time"] == (START + 38 * MINUTE).isoformat()
    await standin.events_reach(START + 30 * MINUTE)  # the chat's first end: Discord would have completed it
    assert the_event(sample)["status"] == 2
    move_to(clock, START + 38 * MINUTE)
    await bot_post(standin, sample, "**That's a wrap")
    assert the_event(sample)["status"] == 3


async def test_chat_next_after_a_question_failed_for_good_posts_it_and_the_chat_carries_on(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)  # the opening post is out
    standin.fail_next("POST", rf"channels/{sample.channels['chat'].id}/messages", 403, times=10)
    move_to(clock, START + 2 * MINUTE)
    failed = await retry_until_settled(bot, clock, post_key(await session_id(bot), "question", 1))
    assert failed.status == "failed"
    standin.faults.clear()  # the permission is fixed

    reply = await slash(standin, sample.host, "chat next", where=sample.channels["chat"])
    assert "Q1" in reply.text
    await bot_post(standin, sample, "**Q1:**")
    move_to(clock, clock.now() + 5 * MINUTE)  # the usual spacing after the question that went out
    await bot_post(standin, sample, "**Q2:**")


async def test_chat_next_says_so_when_the_question_still_cannot_be_posted(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)
    standin.fail_next("POST", rf"channels/{sample.channels['chat'].id}/messages", 403, times=20)
    reply = await slash(standin, sample.host, "chat next", where=sample.channels["chat"])
    assert reply.text.startswith("Q1 did not go out"), reply.text
    assert "missing a permission" in reply.text


async def test_a_post_sent_before_a_crash_is_found_however_many_messages_followed_it(standin, sample, start_bot,
                                                                                      clock):
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)

    async def die_before_recording(key, message_id, posted_at, **kwargs):
        raise SystemExit("killed")
    first.storage.posts.sent = die_before_recording  # Discord takes Q2; the bot dies before recording it
    move_to(clock, START + 7 * MINUTE)
    await bot_post(standin, sample, "**Q2:**")
    await first.close()
    for n in range(250):  # a busy room carries on: far more than one page of history
        await standin.say(sample.members[n % 20], sample.channels["chat"], f"A2: answer number {n}")
    standin.nonce_window_seconds = 0  # and Discord has long forgotten the nonce

    second = (await start_bot(clock=clock)).bot
    session = await session_id(second)

    await posted(second, session, "question", 2)
    assert [m.content[:6] for m in chat_posts(standin, sample)].count("**Q2:*") == 1


async def test_stopping_in_the_middle_of_a_flood_logs_no_errors(standin, sample, start_bot, clock, caplog):
    run = await start_bot(clock=clock)
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    flood_started = asyncio.Event()

    async def flood() -> None:
        for n in range(300):
            await standin.say(sample.members[n % 20], sample.channels["chat"], f"A1: answer {n}")
            flood_started.set()

    flooding = asyncio.create_task(flood())
    await flood_started.wait()
    caplog.clear()
    caplog.set_level(logging.INFO)
    await run.bot.close()
    await flooding
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Heartbeat stopped cleanly" in caplog.text


async def test_a_failing_listener_is_logged_with_a_reference_and_the_other_listener_still_runs(
        standin, sample, bot, clock, caplog):
    async def broken(message):
        raise RuntimeError("capture broke")
    bot.chats.capture.record = broken
    newcomer = standin.add_user("Kai")
    await standin.join(sample.guild, newcomer)
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.get(sample.guild.id, newcomer.id))
    hello = await standin.say(newcomer, sample.channels["general"], "hi all")

    async def noticed():
        found = await bot.storage.newcomers.get(sample.guild.id, newcomer.id)
        return found if found and found.first_message_id == hello.id else None
    await bot.newcomers.wait_for(noticed)  # observing newcomers ran although capturing failed
    failure = next(r for r in caplog.records if "Unexpected error" in r.getMessage())
    assert re.search(r"\[ref [0-9A-F]{6}\] in the on_message listener", failure.getMessage())
    assert failure.exc_info is not None and "capture broke" in str(failure.exc_info[1])
