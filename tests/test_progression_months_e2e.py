"""End to end: a server's month closes at its end in the server's time zone, once, with every member's stage and
figures; a month that ended while the bot was stopped or killed closes at the next start with the same rows.

The chat is the sample's (Tuesday 10 March 2026, New York); March ends at 04:00 UTC on 1 April there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.progression import MonthRow
from bot.standin.model import Message
from tests.helpers import MINUTE, START, create_series, move_to, play_until_question, recorded, session_id, slash

MARCH_ENDS = datetime(2026, 4, 1, 4, 0, tzinfo=UTC)  # midnight in New York (EDT)


async def play_march(standin, sample, bot, clock) -> list[Message]:
    """Three members answer in the March chat, one of them twice; returns their answers once recorded."""
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    said = [await standin.say(sample.members[0], sample.channels["chat"], "A1: moved for work"),
            await standin.say(sample.members[0], sample.channels["chat"], "A2: the light"),
            await standin.say(sample.members[1], sample.channels["chat"], "A1: family"),
            await standin.say(sample.members[2], sample.channels["chat"], "A2: the food")]
    await recorded(bot, said)
    await bot.chats.ingest.flush()
    return said


async def closed(bot, guild_id: int, month: str) -> list[MonthRow]:
    """Wait until `month` is closed for good, and return its rows."""
    async def done():
        closes = [c for c in await bot.storage.months.closes(guild_id) if c.month == month and not c.provisional]
        return closes and await bot.storage.months.rows(guild_id, month, month)
    return await bot.progression.wait_for(done)


def stages(rows: list[MonthRow]) -> dict[int, tuple[str, int, int]]:
    """member → (stage, answers, chats) for the rows of members with any activity, plus everyone's count."""
    return {row.user_id: (row.stage, row.answers, row.chats) for row in rows}


async def expect_march(standin, sample, rows: list[MonthRow]) -> None:
    """The rows the script above must produce, whichever way March was closed."""
    by_member = stages(rows)
    answered = {sample.members[0].id: ("participant", 2, 1), sample.members[1].id: ("participant", 1, 1),
                sample.members[2].id: ("participant", 1, 1)}
    assert {k: v for k, v in by_member.items() if v[0] != "lurker"} == answered
    everyone = set(sample.guild.members) - {standin.bot_user.id}
    assert {row.user_id for row in rows} == everyone  # every member of the server is listed
    assert all(row.stage == "lurker" and row.answers == 0 for row in rows if row.user_id not in answered)
    assert all(row.month == "2026-03" and row.previous is None for row in rows)
    first = next(row for row in rows if row.user_id == sample.members[0].id)
    assert first.first_answer_at is not None and START <= first.first_answer_at < START + 30 * MINUTE
    assert first.reasons.startswith("participant: answered 2 questions")


async def test_march_closes_at_midnight_new_york_time_with_every_member(standin, sample, start_bot, clock):
    bot = (await start_bot(clock=clock)).bot
    await play_march(standin, sample, bot, clock)
    march = [c for c in await bot.storage.months.closes(sample.guild.id) if c.month == "2026-03"]
    assert [c.provisional for c in march] == [True]  # the running month is provisional until it ends

    move_to(clock, MARCH_ENDS - MINUTE)  # past midnight UTC: still March in New York

    async def refreshed_last_in_march():
        return bot.jobs.due(f"progression:{sample.guild.id}") == MARCH_ENDS
    await bot.progression.wait_for(refreshed_last_in_march)
    march = [c for c in await bot.storage.months.closes(sample.guild.id) if c.month == "2026-03"]
    assert [c.provisional for c in march] == [True]
    move_to(clock, MARCH_ENDS)
    await expect_march(standin, sample, await closed(bot, sample.guild.id, "2026-03"))
    april = [c for c in await bot.storage.months.closes(sample.guild.id) if c.month == "2026-04"]
    assert [(c.provisional, c.timezone) for c in april] == [(True, "America/New_York")]


async def test_a_month_that_ended_while_stopped_closes_once_at_the_next_start(standin, sample, start_bot, clock):
    run = await start_bot(clock=clock)
    await play_march(standin, sample, run.bot, clock)
    await run.stop()  # what SIGTERM and Ctrl+C do
    move_to(clock, MARCH_ENDS + timedelta(days=3))

    bot = (await start_bot(clock=clock)).bot
    rows = await closed(bot, sample.guild.id, "2026-03")
    await expect_march(standin, sample, rows)
    await bot.progression.close_due(sample.guild.id)  # asked again (the next READY): nothing is rewritten
    assert [c.month for c in await bot.storage.months.closes(sample.guild.id)] == ["2026-03", "2026-04"]
    assert await bot.storage.months.rows(sample.guild.id, "2026-03", "2026-03") == rows


async def test_a_month_that_ended_while_killed_closes_with_the_same_rows(standin, sample, start_bot, clock):
    run = await start_bot(clock=clock)
    said = await play_march(standin, sample, run.bot, clock)
    await run.crash()  # no close, nothing flushed on the way out
    move_to(clock, MARCH_ENDS + timedelta(days=40))  # April ended too, with nobody answering

    bot = (await start_bot(clock=clock)).bot
    await expect_march(standin, sample, await closed(bot, sample.guild.id, "2026-03"))
    april = await closed(bot, sample.guild.id, "2026-04")
    assert {row.user_id: row.previous for row in april if row.previous != "lurker"} == {
        message.author.id: "participant" for message in said}
    assert all(row.answers == 0 and row.chats == 0 for row in april)
    assert await session_id(bot)


# -- recognition ---------------------------------------------------------------------------------------------

async def test_recognition_grants_a_role_and_congratulates_then_takes_the_role_back_a_whole_month_later(
        standin, sample, start_bot, clock):
    role = standin.add_role(sample.guild, "Helpers of the month")
    role.position = 1  # below the bot's own role, so it may grant it
    bot = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await slash(standin, sample.admin, "config channel", kind="chat", channel=sample.channels["chat"])
    guild, kai = sample.guild.id, sample.members[3]
    config = await bot.storage.progression.config(guild)
    await bot.storage.progression.save_config(replace(config, role_id=role.id, congratulate=True),
                                              by=sample.admin.id, at=START)
    await bot.storage.progression.name(guild, kai.id, by=sample.moderator.id, at=START)
    await bot.progression.close_due(guild)
    await standin.wait_until(lambda: role.id in sample.guild.members[kai.id].roles)
    cheer = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["chat"].id
                                           and m.content.startswith(f"Congratulations <@{kai.id}>"))
    assert "**leader**" in cheer.content
    assert (cheer.pinged_users, cheer.pinged_roles, cheer.pinged_everyone) == ({kai.id}, set(), False)

    move_to(clock, MARCH_ENDS)
    await closed(bot, guild, "2026-03")  # a leader at March's end
    await bot.storage.progression.unname(guild, kai.id)
    await bot.progression.close_due(guild)
    assert role.id in sample.guild.members[kai.id].roles  # kept, as any stage, through a whole month below
    move_to(clock, datetime(2026, 5, 1, 4, 0, tzinfo=UTC))  # April closes below too: gone
    await closed(bot, guild, "2026-04")
    await standin.wait_until(lambda: role.id not in sample.guild.members[kai.id].roles)
    assert [m for m in standin.bot_messages(sample.channels["chat"]) if m.content.startswith("Congratulations")] \
        == [cheer]  # once, and never for a demotion


async def test_a_restart_in_the_same_day_leaves_the_running_month_as_it_was(standin, sample, start_bot, clock):
    run = await start_bot(clock=clock)
    await play_march(standin, sample, run.bot, clock)
    await run.bot.progression.close_due(sample.guild.id)  # refreshed now, with the answers
    refreshed = [c.closed_at for c in await run.bot.storage.months.closes(sample.guild.id) if c.month == "2026-03"]
    await run.stop()
    move_to(clock, clock.now() + timedelta(hours=3))

    bot = (await start_bot(clock=clock)).bot  # READY: nothing to close, and the rows are hours old, not a day
    assert [c.closed_at for c in await bot.storage.months.closes(sample.guild.id) if c.month == "2026-03"] == refreshed
    assert bot.jobs.due(f"progression:{sample.guild.id}") == refreshed[0] + timedelta(days=1)
    move_to(clock, refreshed[0] + timedelta(days=1))

    async def refreshed_again():
        closes = [c for c in await bot.storage.months.closes(sample.guild.id) if c.month == "2026-03"]
        return closes[0].closed_at > refreshed[0]
    await bot.progression.wait_for(refreshed_again)
