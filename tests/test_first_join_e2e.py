"""End to end: a server that had chats long before Heartbeat came. When the bot first sees it, it reads the chat
channels back (in the background, resumable across a restart, past a channel it cannot read) and recognises who
posted there: its first chat greets only those who never had, and pings the helpers only for them.

The members' old messages are said in the stand-in before the bot ever connects, at real instants some days ago.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.newcomers import _readback as readback
from bot.standin import StandIn
from bot.standin.model import Overwrite, User
from bot.standin.permissions import PERM_READ_MESSAGE_HISTORY
from bot.standin.sample import SampleServer
from bot.storage import Storage
from tests.helpers import BEFORE, MINUTE, START, bot_post, create_series, move_to, recorded, slash

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
REGULARS = 50


def members_before_the_bot(standin: StandIn, sample: SampleServer, names: list[str]) -> list[User]:
    """Members of the server long before the bot came."""
    users = [standin.add_user(name) for name in names]
    for user in users:
        standin.add_member(sample.guild, user, joined_at=datetime.now(UTC) - 200 * DAY)
    return users


async def said_before(standin: StandIn, users: list[User], channel, per_user: int = 1) -> None:
    """Each of `users` posted `per_user` messages in `channel` over the last weeks, before the bot came."""
    now = datetime.now(UTC)
    for round_ in range(per_user):
        for n, user in enumerate(users):
            await standin.say(user, channel, f"hello again ({round_})",
                              at=now - (round_ * 7 + 1) * DAY - n * MINUTE)


async def configure_before_start(settings, guild_id: int, admin_id: int, **config: int) -> None:
    async with await Storage.open(settings.database_path) as storage:
        await storage.config.update(guild_id, config, updated_by=admin_id, now=BEFORE - 30 * DAY)


async def cursors(bot, guild_id: int) -> dict[int, dict]:
    stored = await bot.storage.meta.get(f"readback:{guild_id}")
    return {} if stored is None else {int(k): v for k, v in json.loads(stored).items()}


async def read_back(bot, guild_id: int) -> dict[int, dict]:
    """Wait until every channel of the server's read-back is finished (read or skipped); the cursors."""
    async def finished():
        found = await cursors(bot, guild_id)
        return found if found and all(c["state"] != "reading" for c in found.values()) else None
    return await bot.newcomers.wait_for(finished, timeout=10)


def history_reads(standin: StandIn, channel) -> list[dict[str, str]]:
    """The queries of the bot's history reads of a channel, in the order it made them."""
    return [r.query for r in standin.requests if r.method == "GET" and r.path == f"channels/{channel.id}/messages"]


async def test_a_server_with_fifty_regulars_greets_only_the_three_who_never_posted(
        standin, sample, start_bot, settings, clock):
    chat = sample.channels["chat"]
    regulars = members_before_the_bot(standin, sample, [f"Regular {n}" for n in range(REGULARS)])
    first_timers = members_before_the_bot(standin, sample, ["Quiet 1", "Quiet 2", "Quiet 3"])
    await said_before(standin, regulars, chat, per_user=2)
    other_bot = standin.add_user("Another Bot", bot=True)  # a bot's posts make nobody a regular
    standin.add_member(sample.guild, other_bot)
    await said_before(standin, [other_bot], chat)
    await configure_before_start(settings, sample.guild.id, sample.admin.id, chat_channel_id=chat.id)

    bot = (await start_bot(clock=clock)).bot
    (state,) = (await read_back(bot, sample.guild.id)).values()
    assert state["state"] == "done" and state["read"] == 2 * REGULARS + 1
    assert await bot.storage.prior_posters.known(sample.guild.id, [u.id for u in regulars + first_timers]) == {
        u.id for u in regulars}
    assert await bot.storage.prior_posters.count(sample.guild.id) == REGULARS
    assert [q["limit"] for q in history_reads(standin, chat)] == ["100", "100"]  # pages of 100, the last short

    await create_series(standin, sample)  # on the channel already read: not read again
    assert len(history_reads(standin, chat)) == 2
    await slash(standin, sample.admin, "config role", kind="helper", role=sample.roles["helpers"])
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    move_to(clock, START + 3 * MINUTE)
    said = [await standin.say(user, chat, "A1: hello!") for user in regulars + first_timers]
    await recorded(bot, said)
    session = (await bot.storage.sessions.with_status("running"))[0].id
    assert sorted(await bot.storage.activity.first_timers(session)) == sorted(u.id for u in first_timers)

    async def queued():  # all three waiting for their greeting (the 50 never are)
        waiting = sorted(user for user, _ in await bot.storage.greetings.waiting(session))
        return waiting if len(waiting) >= len(first_timers) else None
    assert await bot.newcomers.wait_for(queued) == sorted(u.id for u in first_timers)

    move_to(clock, START + 5 * MINUTE)
    greeting = await bot_post(standin, sample, "👋")
    assert greeting.pinged_users == {u.id for u in first_timers}
    assert greeting.pinged_roles == {sample.roles["helpers"].id}
    move_to(clock, START + 12 * MINUTE)
    await bot_post(standin, sample, "**Q3:**")
    assert [m.id for m in standin.bot_messages(chat) if m.content.startswith("👋")] == [greeting.id]
    for user in regulars:
        assert await bot.storage.newcomers.get(sample.guild.id, user.id) is None


async def test_a_restart_half_way_through_the_read_back_resumes_where_it_stopped(
        standin, sample, start_bot, settings, clock):
    chat = sample.channels["chat"]
    regulars = members_before_the_bot(standin, sample, [f"Regular {n}" for n in range(REGULARS)])
    await said_before(standin, regulars, chat, per_user=5)  # 250 messages: three pages
    await configure_before_start(settings, sample.guild.id, sample.admin.id, chat_channel_id=chat.id)
    hold = standin.hold_requests("GET", rf"channels/{chat.id}/messages$", passes=1)

    running = await start_bot(clock=clock)
    await standin.wait_until(lambda: hold.held == 1)  # the first page is in; the second is asked for
    (first,) = (await running.bot.newcomers.wait_for(lambda: cursors(running.bot, sample.guild.id))).values()
    assert (first["read"], first["state"]) == (100, "reading")
    await running.crash()
    hold.release()

    bot = (await start_bot(clock=clock)).bot
    (state,) = (await read_back(bot, sample.guild.id)).values()
    assert (state["read"], state["state"]) == (250, "done")
    assert await bot.storage.prior_posters.count(sample.guild.id) == REGULARS
    befores = [q["before"] for q in history_reads(standin, chat)]
    # The first start read one page and asked for the second; the restart asked for the second again (where the
    # cursor stood) and then the third, never for the first page again.
    assert befores.count(befores[0]) == 1 and str(first["before"]) in befores[1:]
    assert len(set(befores)) == 3


async def test_a_channel_the_bot_cannot_read_is_skipped_and_the_others_are_read(
        standin, sample, start_bot, settings, clock):
    chat, general = sample.channels["chat"], sample.channels["general"]
    in_chat = members_before_the_bot(standin, sample, ["Chatty 1", "Chatty 2"])
    in_general = members_before_the_bot(standin, sample, ["General 1", "General 2"])
    await said_before(standin, in_chat, chat)
    await said_before(standin, in_general, general)
    muzzled = standin.add_role(sample.guild, "Muzzled")  # a role of the bot's, denied the chat channel's history
    sample.guild.members[standin.bot_user.id].roles.append(muzzled.id)
    chat.overwrites.append(Overwrite(muzzled.id, 0, deny=PERM_READ_MESSAGE_HISTORY))
    async with await Storage.open(settings.database_path) as storage:  # #general opted in for progression
        await storage.progression.add_channel(sample.guild.id, general.id, by=sample.admin.id, at=BEFORE - DAY)
    await configure_before_start(settings, sample.guild.id, sample.admin.id, chat_channel_id=chat.id)

    bot = (await start_bot(clock=clock)).bot
    states = await read_back(bot, sample.guild.id)
    assert {channel: c["state"] for channel, c in states.items()} == {chat.id: "skipped", general.id: "done"}
    ids = [u.id for u in in_chat + in_general]
    assert await bot.storage.prior_posters.known(sample.guild.id, ids) == {u.id for u in in_general}

    # Given the permission and chosen again, the chat channel is read after all.
    await standin.take_role(sample.guild, standin.bot_user, muzzled)
    reply = await slash(standin, sample.admin, "config channel", kind="chat", channel=chat)
    assert reply.text.startswith("The chat channel is now")

    async def chat_read():
        return (await cursors(bot, sample.guild.id))[chat.id]["state"] == "done"
    await bot.newcomers.wait_for(chat_read)
    assert await bot.storage.prior_posters.known(sample.guild.id, ids) == set(ids)


async def test_a_regular_who_comes_back_is_no_newcomer_whether_seen_joining_or_found_at_a_restart(
        standin, sample, start_bot, settings, clock):
    chat = sample.channels["chat"]
    away, live, stranger = (standin.add_user(name) for name in ("Away", "Live", "Stranger"))
    await said_before(standin, [away, live], chat)  # both posted, then left before the bot came
    await configure_before_start(settings, sample.guild.id, sample.admin.id, chat_channel_id=chat.id,
                                 welcome_channel_id=sample.channels["welcome"].id)
    running = await start_bot(clock=clock)
    await read_back(running.bot, sample.guild.id)
    await running.stop()

    move_to(clock, BEFORE + HOUR)
    standin.add_member(sample.guild, away, joined_at=datetime.now(UTC) - MINUTE)  # rejoined while the bot was down
    standin.add_member(sample.guild, stranger, joined_at=datetime.now(UTC) - MINUTE)
    bot = (await start_bot(clock=clock)).bot
    assert (await bot.storage.members.get(sample.guild.id, away.id)).present
    assert await bot.storage.newcomers.get(sample.guild.id, away.id) is None
    assert (await bot.storage.newcomers.get(sample.guild.id, stranger.id)).welcome == "waiting"

    await standin.join(sample.guild, live)
    await bot.newcomers.wait_for(lambda: bot.storage.members.get(sample.guild.id, live.id))
    assert await bot.storage.newcomers.get(sample.guild.id, live.id) is None
    move_to(clock, BEFORE + HOUR + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert welcome.pinged_users == {stranger.id}


async def test_a_first_timer_found_to_be_a_regular_before_the_greeting_goes_out_is_not_greeted(
        standin, sample, start_bot, clock):
    bot = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await slash(standin, sample.admin, "config role", kind="helper", role=sample.roles["helpers"])
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    chat, regular, newcomer = sample.channels["chat"], sample.members[0], sample.members[1]
    move_to(clock, START + 3 * MINUTE)
    said = [await standin.say(regular, chat, "A1: back again"), await standin.say(newcomer, chat, "A1: hi!")]
    await recorded(bot, said)

    async def both_queued():
        session = (await bot.storage.sessions.with_status("running"))[0].id
        return len(await bot.storage.greetings.waiting(session)) == 2
    await bot.newcomers.wait_for(both_queued)
    # The read-back of a channel lands meanwhile, finding the regular's older posts.
    await bot.storage.prior_posters.record(sample.guild.id, {regular.id: BEFORE - 3 * DAY})

    move_to(clock, START + 5 * MINUTE)
    greeting = await bot_post(standin, sample, "👋")
    assert greeting.pinged_users == {newcomer.id} and f"<@{regular.id}>" not in greeting.content


async def test_a_series_channel_chosen_later_is_read_back_to_90_days_and_at_most_its_bound_of_messages(
        standin, sample, start_bot, clock, monkeypatch):
    chat, general = sample.channels["chat"], sample.channels["general"]
    recent = members_before_the_bot(standin, sample, [f"Recent {n}" for n in range(30)])
    long_ago = members_before_the_bot(standin, sample, ["Long Gone 1", "Long Gone 2"])
    await said_before(standin, recent, general)
    for user in long_ago:
        await standin.say(user, general, "anyone here?", at=datetime.now(UTC) - 100 * DAY)
    await said_before(standin, recent, chat)  # recent[0] posted last
    bot = (await start_bot(clock=clock)).bot  # no chat channel yet: nothing to read
    assert await cursors(bot, sample.guild.id) == {}

    await create_series(standin, sample, channel=general)

    async def read(channel) -> bool:
        return (await cursors(bot, sample.guild.id)).get(channel.id, {}).get("state") == "done"
    await bot.newcomers.wait_for(lambda: read(general))
    ids = [u.id for u in recent + long_ago]
    assert await bot.storage.prior_posters.known(sample.guild.id, ids) == {u.id for u in recent}

    monkeypatch.setattr(readback, "READ_BACK_MESSAGES", 25)
    async with bot.storage.transaction() as conn:  # forget them, to see what reading the chat channel finds
        await conn.execute("DELETE FROM prior_poster")
    reply = await slash(standin, sample.host, "chat edit", channel=chat)  # the series moves to the chat channel
    assert reply.text.startswith("Updated"), reply.text
    await bot.newcomers.wait_for(lambda: read(chat))
    assert (await cursors(bot, sample.guild.id))[chat.id]["read"] == 25
    assert await bot.storage.prior_posters.known(sample.guild.id, ids) == {u.id for u in recent[:25]}


async def test_a_rate_limited_page_is_asked_for_again_after_the_wait_discord_gives(
        standin, sample, start_bot, settings, clock):
    chat = sample.channels["chat"]
    regulars = members_before_the_bot(standin, sample, [f"Regular {n}" for n in range(REGULARS)])
    await said_before(standin, regulars, chat, per_user=3)
    await configure_before_start(settings, sample.guild.id, sample.admin.id, chat_channel_id=chat.id)
    standin.fail_next("GET", rf"channels/{chat.id}/messages$", 429, times=1, retry_after=0.05)

    bot = (await start_bot(clock=clock)).bot
    (state,) = (await read_back(bot, sample.guild.id)).values()
    assert (state["read"], state["state"]) == (150, "done")
    assert [r.status for r in standin.requests if r.path == f"channels/{chat.id}/messages"] == [429, 200, 200]
    assert await bot.storage.prior_posters.count(sample.guild.id) == REGULARS


async def test_a_page_discord_fails_to_give_is_asked_for_again_five_minutes_later(
        standin, sample, start_bot, settings, clock):
    chat = sample.channels["chat"]
    regulars = members_before_the_bot(standin, sample, [f"Regular {n}" for n in range(REGULARS)])
    await said_before(standin, regulars, chat, per_user=3)
    await configure_before_start(settings, sample.guild.id, sample.admin.id, chat_channel_id=chat.id)
    standin.fail_next("GET", rf"channels/{chat.id}/messages$", 503, times=1)

    bot = (await start_bot(clock=clock)).bot
    await standin.wait_for_request(lambda r: r.path == f"channels/{chat.id}/messages" and r.status == 503)
    await bot.jobs.idle()
    assert bot.jobs.due(f"readback:{sample.guild.id}") == BEFORE + 5 * MINUTE
    (state,) = (await cursors(bot, sample.guild.id)).values()
    assert (state["read"], state["state"]) == (0, "reading")

    move_to(clock, BEFORE + 5 * MINUTE)
    (state,) = (await read_back(bot, sample.guild.id)).values()
    assert (state["read"], state["state"]) == (150, "done")
    assert await bot.storage.prior_posters.count(sample.guild.id) == REGULARS
