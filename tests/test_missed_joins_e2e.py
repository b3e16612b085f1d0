"""End to end: joins and leaves that happened while the bot was away (stopped, or reconnected without resuming)
are read back from the member list at READY, and a first start on a server welcomes nobody already there.

The stand-in's `add_member` and `remove_member` change a server without telling the bot, as Discord does when
the bot is not connected. Their join times are real instants some time ago, which the bot's frozen clock maps
to the same distance before its own now.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.standin import StandIn
from bot.standin.model import User
from bot.standin.sample import SampleServer
from bot.storage import Storage
from tests.helpers import BEFORE, alerts, move_to, report_rows, set_channels, slash, welcomes

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EXISTING = 34  # the sample server's people: Ana, Jess, Sam, Riley and thirty members (the bot aside)


def joined_unseen(standin: StandIn, sample: SampleServer, name: str, ago: timedelta,
                  account_age: timedelta = timedelta(days=400)) -> User:
    """Someone who joined `ago` before now (in real time, so also on the bot's clock), the bot not told."""
    user = standin.add_user(name, account_age=account_age)
    standin.add_member(sample.guild, user, joined_at=datetime.now(UTC) - ago)
    return user


async def newcomer_ids(bot, guild_id: int) -> set[int]:
    return {member.user_id for member, _ in await bot.storage.newcomers.since(guild_id, BEFORE - 3650 * DAY)}


def welcome_jobs(bot) -> list[str]:
    return [job for job in bot.jobs.pending() if job.startswith("welcome:")]


async def first_start(start_bot, clock: Clock, standin: StandIn, sample: SampleServer):
    """The bot's first start on the sample server, its channels set, then stopped."""
    bot = (await start_bot(clock=clock)).bot
    await set_channels(standin, sample)
    return bot


# -- the first sight of a server ------------------------------------------------------------------------

async def test_the_first_start_records_everyone_already_there_and_welcomes_nobody(
        standin, sample, start_bot, settings, clock):
    # The channels are set before the bot ever connects, so a welcome or an alert would have somewhere to go.
    async with await Storage.open(settings.database_path) as storage:
        await storage.config.update(sample.guild.id, {"welcome_channel_id": sample.channels["welcome"].id,
                                                      "moderator_channel_id": sample.channels["mod-log"].id},
                                    updated_by=sample.admin.id, now=BEFORE)
        await storage.welcomes.update_config(sample.guild.id, dm=True)
    bot = (await start_bot(clock=clock)).bot

    assert await bot.storage.members.count(sample.guild.id) == EXISTING
    present = await bot.storage.members.presence(sample.guild.id)
    assert present == {user.id: True for user in [sample.admin, sample.host, sample.moderator, sample.helper,
                                                  *sample.members]}
    assert len(present) == EXISTING
    priya = await bot.storage.members.get(sample.guild.id, sample.member("Priya").id)
    assert priya is not None and priya.join_count == 0  # there before the bot: it never saw her join
    assert abs(priya.first_joined_at - (BEFORE - 5 * DAY)) < MINUTE  # but it knows when she did
    assert await newcomer_ids(bot, sample.guild.id) == set()
    assert welcome_jobs(bot) == []

    move_to(clock, BEFORE + MINUTE)
    assert (await slash(standin, sample.moderator, "report joins")).text == "Nobody joined in the last 7 days."
    assert (await slash(standin, sample.moderator, "report newcomers")).text.startswith("No newcomers in the last 14")
    assert welcomes(standin, sample) == [] and alerts(standin, sample) == []
    assert [m for m in standin.messages.values() if m.guild_id is None] == []


async def test_an_old_database_counts_from_the_first_join_it_recorded(standin, sample, start_bot, settings, clock):
    # A database from before member lists were compared: it saw Kai join two days ago, and nothing else.
    kai = joined_unseen(standin, sample, "Kai", 2 * DAY)
    lea = joined_unseen(standin, sample, "Lea", 3 * HOUR)  # joined while that bot was down
    async with await Storage.open(settings.database_path) as storage:
        await storage.members.record_join(sample.guild.id, kai.id, "Kai", BEFORE - 400 * DAY, BEFORE - 2 * DAY)
        await storage.welcomes.set_arrival(sample.guild.id, kai.id, "welcomed")
    bot = await first_start(start_bot, clock, standin, sample)

    assert await newcomer_ids(bot, sample.guild.id) == {kai.id, lea.id}  # the 34 from before are not newcomers
    assert (await bot.storage.newcomers.get(sample.guild.id, lea.id)).welcome == "waiting"
    assert len(await bot.storage.members.presence(sample.guild.id)) == EXISTING + 2
    move_to(clock, BEFORE + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert welcome.pinged_users == {lea.id}


# -- joins and leaves while the bot was stopped ------------------------------------------------------------

async def test_a_member_who_joined_while_the_bot_was_down_is_recorded_welcomed_once_and_reported(
        standin, sample, start_bot, clock):
    bot = await first_start(start_bot, clock, standin, sample)
    await bot.close()
    move_to(clock, BEFORE + 3 * HOUR)
    kai = joined_unseen(standin, sample, "Kai", HOUR)

    bot = (await start_bot(clock=clock)).bot
    member = await bot.storage.members.get(sample.guild.id, kai.id)
    assert member is not None and member.present and member.join_count == 1
    assert abs(member.last_joined_at - (BEFORE + 2 * HOUR)) < MINUTE  # when Discord says, not when the bot saw
    assert (await bot.storage.newcomers.get(sample.guild.id, kai.id)).welcome == "waiting"

    move_to(clock, BEFORE + 3 * HOUR + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert welcome.content.startswith(f"Welcome <@{kai.id}>!") and welcome.pinged_users == {kai.id}
    (row,) = await report_rows(standin, sample, days=7)
    assert row["user_id"] == str(kai.id) and row["joined_at"].startswith("2026-03-11T02:5")
    joins = await slash(standin, sample.moderator, "report joins")
    assert f"<@{kai.id}> joined" in joins.text and "(1)" in joins.text

    await bot.close()  # and once more: nothing new, nothing repeated
    bot = (await start_bot(clock=clock)).bot
    move_to(clock, BEFORE + 4 * HOUR)
    assert welcome_jobs(bot) == [] and len(welcomes(standin, sample)) == 1
    assert (await bot.storage.members.get(sample.guild.id, kai.id)).join_count == 1


async def test_a_member_who_joined_longer_ago_than_a_welcome_waits_is_recorded_but_not_welcomed(
        standin, sample, start_bot, clock):
    bot = await first_start(start_bot, clock, standin, sample)
    await bot.close()
    move_to(clock, BEFORE + 3 * DAY)
    old = joined_unseen(standin, sample, "Old", 2 * DAY)

    bot = (await start_bot(clock=clock)).bot
    member = await bot.storage.members.get(sample.guild.id, old.id)
    assert member is not None and member.join_count == 1 and abs(member.last_joined_at - (BEFORE + DAY)) < MINUTE
    assert (await bot.storage.newcomers.get(sample.guild.id, old.id)).welcome == "missed"
    assert welcome_jobs(bot) == []
    move_to(clock, BEFORE + 3 * DAY + MINUTE)
    assert [row["user_id"] for row in await report_rows(standin, sample, days=7)] == [str(old.id)]
    assert welcomes(standin, sample) == []


async def test_members_who_left_while_the_bot_was_down_are_recorded_as_left(standin, sample, start_bot, clock):
    bot = await first_start(start_bot, clock, standin, sample)
    kai = standin.add_user("Kai")
    await standin.join(sample.guild, kai)  # seen live
    await bot.newcomers.wait_for(lambda: bot.storage.members.get(sample.guild.id, kai.id))
    await bot.close()
    priya = sample.member("Priya")  # there before the bot
    await standin.leave(sample.guild, kai)  # Discord tells a session that is gone
    standin.remove_member(sample.guild, priya)
    move_to(clock, BEFORE + HOUR)

    bot = (await start_bot(clock=clock)).bot
    for user in (kai, priya):
        member = await bot.storage.members.get(sample.guild.id, user.id)
        assert member is not None and not member.present and member.left_at == BEFORE + HOUR
    assert len([present for present in (await bot.storage.members.presence(sample.guild.id)).values()
                if present]) == EXISTING - 1


async def test_a_raid_while_the_bot_was_down_gets_one_combined_welcome_no_direct_messages_and_one_alert(
        standin, sample, start_bot, clock):
    bot = await first_start(start_bot, clock, standin, sample)
    await slash(standin, sample.admin, "welcome dm", enabled=True)
    await bot.close()
    move_to(clock, BEFORE + HOUR)
    raiders = [joined_unseen(standin, sample, f"Raider {n}", 10 * MINUTE - n * SECOND,
                             account_age=timedelta(hours=2) if n == 7 else timedelta(days=90)) for n in range(8)]

    bot = (await start_bot(clock=clock)).bot
    assert await newcomer_ids(bot, sample.guild.id) == {raider.id for raider in raiders}
    move_to(clock, BEFORE + HOUR + 10 * SECOND)
    await bot.newcomers.wait_for(lambda: _none_waiting(bot, sample.guild.id))
    (combined,) = welcomes(standin, sample)
    assert combined.content.startswith(f"Welcome <@{raiders[0].id}>, <@{raiders[1].id}> and 5 others!")
    assert f"<@{raiders[7].id}>" not in combined.content  # too new an account to name in public
    assert [m for m in standin.messages.values() if m.guild_id is None] == []  # a burst sends no DMs
    (alert,) = alerts(standin, sample)
    assert "while I was offline: 8 members joined within 60 s (1 account too new" in alert.content


async def test_a_raid_still_on_at_the_start_is_one_burst_with_the_joins_that_follow(standin, sample, start_bot, clock):
    bot = await first_start(start_bot, clock, standin, sample)
    await slash(standin, sample.admin, "welcome dm", enabled=True)
    await bot.close()
    move_to(clock, BEFORE + HOUR)
    raiders = [joined_unseen(standin, sample, f"Raider {n}", 30 * SECOND - n * SECOND) for n in range(6)]

    bot = (await start_bot(clock=clock)).bot
    last = standin.add_user("Raider 6")
    await standin.join(sample.guild, last)  # the raid goes on, now seen live
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.get(sample.guild.id, last.id))
    move_to(clock, BEFORE + HOUR + 10 * SECOND)
    await bot.newcomers.wait_for(lambda: _none_waiting(bot, sample.guild.id))
    (combined,) = welcomes(standin, sample)
    assert combined.content.startswith(f"Welcome <@{raiders[0].id}>, <@{raiders[1].id}> and 5 others!")
    assert [m for m in standin.messages.values() if m.guild_id is None] == []
    # Raised at the start; the live join belongs to the same burst, so the alert is edited to count it too.
    (alert,) = alerts(standin, sample)
    stamp = int((BEFORE + HOUR - 30 * SECOND).timestamp())
    assert f"Join burst: 7 members joined since <t:{stamp}:f>" in alert.content and alert.edited_at is not None


async def _none_waiting(bot, guild_id: int) -> bool:
    return not await bot.storage.welcomes.waiting(guild_id) and not welcome_jobs(bot)


# -- a reconnect that cannot resume -------------------------------------------------------------------------

async def test_each_reconnect_without_resume_reads_the_member_list_again_and_repeats_nothing(
        standin, sample, start_bot, clock):
    bot = await first_start(start_bot, clock, standin, sample)
    move_to(clock, BEFORE + HOUR)
    kai = joined_unseen(standin, sample, "Kai", 5 * MINUTE)
    priya = sample.member("Priya")
    standin.remove_member(sample.guild, priya)
    await standin.drop_gateway(resumable=False)

    async def recorded(user: User) -> bool:
        return await bot.storage.newcomers.get(sample.guild.id, user.id) is not None

    async def kai_in_priya_out() -> bool:
        gone = await bot.storage.members.get(sample.guild.id, priya.id)
        return await recorded(kai) and gone is not None and not gone.present

    await bot.newcomers.wait_for(kai_in_priya_out)
    move_to(clock, BEFORE + HOUR + 10 * SECOND)
    first = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert first.pinged_users == {kai.id}

    move_to(clock, BEFORE + 2 * HOUR)
    lea = joined_unseen(standin, sample, "Lea", MINUTE)  # what the next READY has that is new
    await standin.drop_gateway(resumable=False)
    await bot.newcomers.wait_for(lambda: recorded(lea))
    move_to(clock, BEFORE + 2 * HOUR + 10 * SECOND)
    second = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id, after=first.id)
    assert second.pinged_users == {lea.id}

    assert standin.identify_count == 3 and standin.resume_count == 0
    assert len(welcomes(standin, sample)) == 2 and alerts(standin, sample) == []
    assert await newcomer_ids(bot, sample.guild.id) == {kai.id, lea.id}
    assert (await bot.storage.members.get(sample.guild.id, kai.id)).join_count == 1
    assert (await bot.storage.members.get(sample.guild.id, priya.id)).left_at == BEFORE + HOUR
    assert len(await bot.storage.members.presence(sample.guild.id)) == EXISTING + 2


async def test_a_server_whose_list_cannot_be_compared_is_logged_and_compared_at_the_next_ready(
        standin, sample, start_bot, clock, caplog, monkeypatch):
    bot = await first_start(start_bot, clock, standin, sample)
    move_to(clock, BEFORE + HOUR)
    kai = joined_unseen(standin, sample, "Kai", 5 * MINUTE)

    async def broken(guild_id: int) -> dict[int, bool]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.storage.members, "presence", broken)

    async def logged() -> bool:
        return any("Reading back the members of server" in record.getMessage() for record in caplog.records)

    with caplog.at_level(logging.ERROR, logger="bot.newcomers._roster"):
        await standin.drop_gateway(resumable=False)
        await bot.newcomers.wait_for(logged)
    assert await bot.storage.members.get(sample.guild.id, kai.id) is None

    monkeypatch.undo()
    await standin.drop_gateway(resumable=False)
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.get(sample.guild.id, kai.id))
    assert standin.identify_count == 3
