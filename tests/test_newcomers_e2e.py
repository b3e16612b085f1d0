"""End to end: welcomes on join (combined in a burst, never for a too-new account), first-time chatters greeted in
the chat, human greetings recorded, and the moderators' newcomer report with review buttons that survive a restart.

The bot's clock stands still and each test moves it; every step awaits a message or a recorded row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.newcomers import newcomer_report
from bot.standin import CommandNotShown, StandIn
from bot.standin.sample import SampleServer
from tests.helpers import (
    BEFORE,
    MINUTE,
    START,
    alerts,
    bot_post,
    create_series,
    move_to,
    play_until_question,
    report_rows,
    set_channels,
    slash,
    welcomes,
)

SECOND = timedelta(seconds=1)
ATTACH_FILES = 1 << 15


async def join(standin: StandIn, sample: SampleServer, bot, name: str, account_age=timedelta(days=400)):
    """A new account joins; returns once the bot has recorded the join."""
    user = standin.add_user(name, account_age=account_age)
    await standin.join(sample.guild, user)
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.get(sample.guild.id, user.id))
    return user


async def welcomed(bot, guild_id: int, user_id: int) -> bool:
    newcomer = await bot.storage.newcomers.get(guild_id, user_id)
    return newcomer is not None and newcomer.welcome != "waiting"


# -- welcomes ---------------------------------------------------------------------------------------------

async def test_a_join_gets_a_welcome_naming_the_next_chat_as_a_timestamp(standin, sample, bot, clock):
    await set_channels(standin, sample)
    await create_series(standin, sample)
    kai = await join(standin, sample, bot, "Kai")
    assert welcomes(standin, sample) == []  # it waits a few seconds, so people joining together share one

    move_to(clock, BEFORE + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    stamp = int(START.timestamp())  # Tuesday 21:00 New York, as every reader's own time
    assert welcome.content.startswith(f"Welcome <@{kai.id}>!")
    assert f"<t:{stamp}:F>" in welcome.content and "#GetRealChat" in welcome.content
    assert f"<#{sample.channels['chat'].id}>" in welcome.content
    assert welcome.pinged_users == {kai.id} and not welcome.pinged_roles and not welcome.pinged_everyone


async def test_a_welcome_while_a_chat_is_running_invites_to_the_chat_happening_now(standin, sample, bot, clock):
    await set_channels(standin, sample)
    await create_series(standin, sample)
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    move_to(clock, START + 5 * MINUTE)
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, START + 5 * MINUTE + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert f"#GetRealChat is on right now in <#{sample.channels['chat'].id}>" in welcome.content
    assert f"<@{kai.id}>" in welcome.content and "<t:" not in welcome.content  # not next week's


async def test_a_member_who_leaves_and_rejoins_within_a_day_is_not_welcomed_twice(standin, sample, bot, clock):
    await set_channels(standin, sample)
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, BEFORE + 10 * SECOND)
    await bot.newcomers.wait_for(lambda: welcomed(bot, sample.guild.id, kai.id))
    await standin.leave(sample.guild, kai)
    await bot.newcomers.wait_for(lambda: _left(bot, sample.guild.id, kai.id))

    move_to(clock, BEFORE + 3 * timedelta(hours=1))
    await standin.join(sample.guild, kai)
    await bot.newcomers.wait_for(lambda: _status(bot, sample.guild.id, kai.id, "repeat"))
    move_to(clock, BEFORE + 4 * timedelta(hours=1))
    assert bot.jobs.pending() == [j for j in bot.jobs.pending() if not j.startswith("welcome:")]
    assert len(welcomes(standin, sample)) == 1


async def _left(bot, guild_id: int, user_id: int) -> bool:
    member = await bot.storage.members.get(guild_id, user_id)
    return member is not None and not member.present


async def _status(bot, guild_id: int, user_id: int, status: str) -> bool:
    newcomer = await bot.storage.newcomers.get(guild_id, user_id)
    return newcomer is not None and newcomer.welcome == status


async def test_twenty_joins_in_ten_seconds_get_one_combined_welcome_and_one_alert(standin, sample, bot, clock):
    await set_channels(standin, sample)
    sample.roles["moderators"].mentionable = sample.roles["hosts"].mentionable = True  # either could be pinged
    for kind in ("host", "moderator"):
        await slash(standin, sample.admin, "config role", kind=kind, role=sample.roles[f"{kind}s"])
    raiders = []
    for n in range(20):
        move_to(clock, BEFORE + n * SECOND / 2)
        raiders.append(await join(standin, sample, bot, f"Raider {n}",
                                  account_age=timedelta(hours=2) if n % 5 == 4 else timedelta(days=90)))
    move_to(clock, BEFORE + 2 * MINUTE)  # the burst's minute is over; anything waiting has gone out
    await bot.newcomers.wait_for(lambda: _none_waiting(bot, sample.guild.id))

    posts = welcomes(standin, sample)
    assert 1 <= len(posts) <= 2
    assert len(alerts(standin, sample)) == 1
    combined = posts[0].content
    young = {raiders[n].id for n in range(20) if n % 5 == 4}
    assert combined.startswith(f"Welcome <@{raiders[0].id}>, <@{raiders[1].id}> and 14 others!")
    assert all(f"<@{user_id}>" not in combined for user_id in young)
    assert posts[0].pinged_users == {raiders[0].id, raiders[1].id}  # the 14 others are not pinged either
    # Raised at the sixth join, when it became a burst, and edited at each join after: it counts all twenty, and
    # the four too new to welcome publicly. It calls the moderators, whose job a raid is, not the hosts.
    (alert,) = alerts(standin, sample)
    stamp = int(BEFORE.timestamp())
    assert f"Join burst: 20 members joined since <t:{stamp}:f> (<t:{stamp}:R>) (4 accounts too new" in alert.content
    assert alert.edited_at is not None
    assert alert.pinged_roles == {sample.roles["moderators"].id}
    assert alert.content.startswith(f"<@&{sample.roles['moderators'].id}> ")


async def _none_waiting(bot, guild_id: int) -> bool:
    return not await bot.storage.welcomes.waiting(guild_id)


async def test_a_day_old_account_is_not_pinged_in_public_and_is_flagged(standin, sample, bot, clock):
    await set_channels(standin, sample)
    fresh = await join(standin, sample, bot, "Fresh", account_age=timedelta(hours=20))
    regular = await join(standin, sample, bot, "Regular")
    move_to(clock, BEFORE + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert welcome.pinged_users == {regular.id} and f"<@{fresh.id}>" not in welcome.content

    rows = {row["user_id"]: row for row in await report_rows(standin, sample, days=7)}
    assert rows[str(fresh.id)]["flags"] == "account under 7 days old"
    assert rows[str(regular.id)]["flags"] == ""


async def test_welcomes_can_also_go_by_direct_message(standin, sample, bot, clock):
    await set_channels(standin, sample)
    assert (await slash(standin, sample.admin, "welcome dm", enabled=True)).text.startswith("New members will also")
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, BEFORE + 10 * SECOND)
    direct = await standin.wait_for_message(lambda m: m.guild_id is None and m.author.id == standin.bot_user.id)
    assert direct.content.startswith("Welcome Kai!")  # a DM needs no ping
    assert standin.channels[direct.channel_id].recipient is kai


async def test_a_member_refusing_dms_still_gets_the_channel_welcome_and_others_their_dm(standin, sample, bot, clock):
    await set_channels(standin, sample)
    await slash(standin, sample.admin, "welcome dm", enabled=True)
    closed = standin.add_user("Closed DMs")
    standin.refuse_dms(closed)  # Discord answers 50007 Cannot send messages to this user
    await standin.join(sample.guild, closed)
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.get(sample.guild.id, closed.id))
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, BEFORE + 10 * SECOND)
    direct = await standin.wait_for_message(lambda m: m.guild_id is None)
    assert standin.channels[direct.channel_id].recipient is kai
    (welcome,) = welcomes(standin, sample)
    assert f"<@{closed.id}>" in welcome.content and f"<@{kai.id}>" in welcome.content
    refused = [r for r in standin.requests if r.status == 403 and r.path.endswith("/messages")]
    assert len(refused) == 1  # one try, not retried


# -- the welcome template ---------------------------------------------------------------------------------

async def test_a_new_template_is_previewed_saved_and_used(standin, sample, bot, clock):
    await set_channels(standin, sample)
    saved = await slash(standin, sample.admin, "welcome set", template="Hi {member}, welcome to {server}! 🎉")
    assert saved.ephemeral and saved.text.endswith(f"Hi <@{sample.admin.id}>, welcome to GetReal Community! 🎉")
    preview = await slash(standin, sample.admin, "welcome preview")
    assert preview.text.endswith(f"Hi <@{sample.admin.id}>, welcome to GetReal Community! 🎉")
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, BEFORE + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert welcome.content == f"Hi <@{kai.id}>, welcome to GetReal Community! 🎉"


async def test_the_longest_welcome_fits_discord_with_three_joiners_and_at_signs_in_the_server_name(
        standin, sample, start_bot, clock):
    sample.guild.name = "@" * 100  # Discord allows 100 characters; each "@" is broken so it cannot ping
    bot = (await start_bot(clock=clock)).bot
    await set_channels(standin, sample)
    too_long = "Welcome {member} to {server}! " * 8  # fine with short names, past 2000 at the worst
    refused = await slash(standin, sample.admin, "welcome set", template=too_long)
    assert "could reach" in refused.text
    longest = "Welcome {member} to {server}! " * 6
    saved = await slash(standin, sample.admin, "welcome set", template=longest)
    assert saved.text.startswith("Saved."), saved.text
    joiners = [await join(standin, sample, bot, name) for name in ("Kai", "Lee", "Mo")]
    move_to(clock, BEFORE + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert welcome.content.startswith(f"Welcome <@{joiners[0].id}>, <@{joiners[1].id}> and <@{joiners[2].id}> to @")
    assert len(welcome.content) <= 2000 and not welcome.pinged_everyone


@pytest.mark.parametrize(("template", "error"), [
    ("@everyone welcome {member}", "can't ping @everyone, @here or a role"),
    ("Welcome {member}, @HERE", "can't ping @everyone, @here or a role"),
    ("Welcome {member}, <@&123456789012345678> say hi", "can't ping @everyone, @here or a role"),
    ("Welcome {user}!", "`{user}` is not a placeholder"),
    ("Welcome {member.name}!", "is not a placeholder"),
    ("Welcome {member!", "unmatched"),
    ("x" * 501, "501 characters"),
    ("   ", "The welcome is empty"),
])
async def test_a_bad_template_gets_a_clear_error_and_changes_nothing(standin, sample, bot, template, error):
    before = await slash(standin, sample.admin, "welcome preview")
    reply = await slash(standin, sample.admin, "welcome set", template=template)
    assert reply.ephemeral and error in reply.text
    assert (await bot.storage.welcomes.config(sample.guild.id)).template is None
    assert (await slash(standin, sample.admin, "welcome preview")).text == before.text


async def test_only_admins_change_the_welcome(standin, sample, bot):
    with pytest.raises(CommandNotShown):  # Discord hides /welcome from members without Manage Server
        await standin.slash(sample.members[0], sample.channels["general"], "welcome set", template="Yo {member}")
    standin.allow_command(sample.guild, "welcome", users=[sample.members[0]])  # an admin's override
    reply = await slash(standin, sample.members[0], "welcome set", template="Yo {member}")
    assert reply.ephemeral and reply.text.startswith("Only members with the Manage Server permission")
    assert (await bot.storage.welcomes.config(sample.guild.id)).template is None


# -- first-time chatters and human greetings ----------------------------------------------------------------

async def test_first_time_chatters_a_minute_apart_share_one_greeting_and_are_greeted_once(standin, sample, bot, clock):
    await create_series(standin, sample)
    await slash(standin, sample.admin, "config role", kind="helper", role=sample.roles["helpers"])
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    chat, first, second = sample.channels["chat"], sample.members[0], sample.members[1]
    move_to(clock, START + 3 * MINUTE)
    await standin.say(first, chat, "A1: hello, first time here")
    await bot.newcomers.wait_for(lambda: _queued(bot, 1))
    move_to(clock, START + 4 * MINUTE)
    await standin.say(second, chat, "hi all!")
    await bot.newcomers.wait_for(lambda: _queued(bot, 2))

    move_to(clock, START + 5 * MINUTE)  # two minutes after the first: one post for both
    greeting = await bot_post(standin, sample, "👋")
    assert f"<@{first.id}> and <@{second.id}>" in greeting.content and "first #GetRealChat" in greeting.content
    assert greeting.pinged_users == {first.id, second.id}
    assert greeting.pinged_roles == {sample.roles["helpers"].id}

    await standin.say(first, chat, "A1: and another thought")
    move_to(clock, START + 12 * MINUTE)
    await bot_post(standin, sample, "**Q3:**")
    assert len([m for m in standin.bot_messages(chat) if m.content.startswith("👋")]) == 1


async def test_the_helper_role_is_pinged_once_per_chat_and_later_batches_name_only_the_newcomers(
        standin, sample, bot, clock):
    await create_series(standin, sample)
    await slash(standin, sample.admin, "config role", kind="helper", role=sample.roles["helpers"])
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    chat, helpers = sample.channels["chat"], sample.roles["helpers"].id
    greetings = []
    for batch, member in enumerate(sample.members[:3]):
        move_to(clock, START + (1 + 3 * batch) * MINUTE)
        await standin.say(member, chat, "hello, first time here!")
        await bot.newcomers.wait_for(lambda: _queued(bot, 1))
        move_to(clock, START + (3 + 3 * batch) * MINUTE)
        greeting = await bot_post(standin, sample, "👋", after=greetings[-1].id if greetings else 0)
        assert f"<@{member.id}>" in greeting.content and greeting.pinged_users == {member.id}
        greetings.append(greeting)
    assert greetings[0].pinged_roles == {helpers} and f"<@&{helpers}>" in greetings[0].content
    assert all(not g.pinged_roles and f"<@&{helpers}>" not in g.content for g in greetings[1:])


async def test_a_crowd_of_first_timers_gets_one_greeting_naming_twenty_and_new_accounts_are_not_pinged(
        standin, sample, bot, clock):
    await set_channels(standin, sample)
    await create_series(standin, sample)
    young = await join(standin, sample, bot, "Young", account_age=timedelta(hours=3))
    crowd = [await join(standin, sample, bot, f"Guest {n}") for n in range(30)]
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    chat = sample.channels["chat"]
    for user in [young, *crowd]:
        await standin.say(user, chat, "hello everyone!")
    await bot.newcomers.wait_for(lambda: _queued(bot, 31))

    move_to(clock, START + 2 * MINUTE)
    greeting = await bot_post(standin, sample, "👋")
    assert len(greeting.content) <= 2000
    assert greeting.pinged_users == {user.id for user in crowd[:20]} and young.id not in greeting.pinged_users
    assert "and 10 others!" in greeting.content and f"<@{young.id}>" not in greeting.content
    assert await bot.storage.greetings.waiting((await bot.storage.sessions.with_status("running"))[0].id) == []


async def test_a_first_timer_in_the_last_minute_is_greeted_before_the_closing_post(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 3)
    late = sample.members[2]
    move_to(clock, START + 29 * MINUTE)
    await standin.say(late, sample.channels["chat"], "A3: sorry I'm late!")
    await bot.newcomers.wait_for(lambda: _queued(bot, 1))
    move_to(clock, START + 30 * MINUTE)
    closing = await bot_post(standin, sample, "**That")
    greeting = await bot_post(standin, sample, "👋")
    assert f"<@{late.id}>" in greeting.content and greeting.id < closing.id


async def _queued(bot, count: int) -> bool:
    session = (await bot.storage.sessions.with_status("running"))[0]
    waiting = await bot.storage.greetings.waiting(session.id)
    return len(waiting) == count


async def test_a_human_reply_to_a_newcomer_is_recorded_with_greeter_and_delay(standin, sample, bot, clock):
    await set_channels(standin, sample)
    general = sample.channels["general"]
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, BEFORE + 10 * SECOND)
    await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)  # the bot's: not counted

    move_to(clock, BEFORE + MINUTE)
    hello = await standin.say(kai, general, "hi everyone, just found this place")
    await bot.newcomers.wait_for(lambda: _first_message(bot, sample.guild.id, kai.id))
    move_to(clock, BEFORE + 4 * MINUTE)
    await standin.say(kai, general, f"<@{kai.id}> talking to myself")  # not a greeting either
    await standin.say(sample.helper, general, "welcome Kai! glad you're here", reply_to=hello)

    newcomer = await bot.newcomers.wait_for(lambda: _greeted(bot, sample.guild.id, kai.id))
    assert newcomer.greeted_by == sample.helper.id
    assert newcomer.greeted_at - newcomer.first_message_at == 3 * MINUTE
    assert await bot.storage.activity.greetings_by(sample.guild.id, sample.helper.id) == [kai.id]  # a helpful act

    await standin.say(sample.host, general, f"hey <@{kai.id}>!")  # only the first greeter is recorded
    rows = {row["user_id"]: row for row in await report_rows(standin, sample, days=7)}
    assert rows[str(kai.id)]["greeted_by"] == "Riley" and rows[str(kai.id)]["greeted_after"] == "3 min"
    assert rows[str(kai.id)]["first_message"] == "hi everyone, just found this place"


async def test_replying_to_the_bots_welcome_greets_and_a_mass_mention_does_not(standin, sample, bot, clock):
    await set_channels(standin, sample)
    general, welcome_channel = sample.channels["general"], sample.channels["welcome"]
    kai = await join(standin, sample, bot, "Kai")
    lea = await join(standin, sample, bot, "Lea")
    move_to(clock, BEFORE + 10 * SECOND)
    welcome = await standin.wait_for_message(lambda m: m.channel_id == welcome_channel.id)
    crowd = " ".join(f"<@{m.id}>" for m in [kai, lea, *sample.members[:3]])
    await standin.say(sample.members[5], general, f"{crowd} check out my stream!")  # 5 mentions: not a greeting
    move_to(clock, BEFORE + 2 * MINUTE)
    await standin.say(sample.helper, welcome_channel, "welcome both of you!", reply_to=welcome)

    kai_greeted = await bot.newcomers.wait_for(lambda: _greeted(bot, sample.guild.id, kai.id))
    lea_greeted = await bot.newcomers.wait_for(lambda: _greeted(bot, sample.guild.id, lea.id))
    assert kai_greeted.greeted_by == lea_greeted.greeted_by == sample.helper.id
    assert await bot.storage.activity.greetings_by(sample.guild.id, sample.members[5].id) == []


async def _first_message(bot, guild_id: int, user_id: int):
    newcomer = await bot.storage.newcomers.get(guild_id, user_id)
    return newcomer if newcomer and newcomer.first_message_id else None


async def _greeted(bot, guild_id: int, user_id: int):
    newcomer = await bot.storage.newcomers.get(guild_id, user_id)
    return newcomer if newcomer and newcomer.greeted_by else None


# -- the newcomer report ------------------------------------------------------------------------------------

async def test_the_report_for_a_scripted_week_lists_exactly_the_planted_newcomers_and_flags(
        standin, sample, bot, clock):
    await set_channels(standin, sample)
    general, chat, welcome = (sample.channels[name] for name in ("general", "chat", "welcome"))
    quiet = await join(standin, sample, bot, "Quiet")
    young = await join(standin, sample, bot, "Young", account_age=timedelta(days=3))
    linker = await join(standin, sample, bot, "Linker")
    shouter = await join(standin, sample, bot, "Shouter")
    repeater = await join(standin, sample, bot, "Repeater")
    looper = await join(standin, sample, bot, "Looper")
    await standin.say(linker, general, "join my server discord.gg/abc123")
    names = " ".join(f"<@{m.id}>" for m in sample.members[:5])
    await standin.say(shouter, general, f"hey {names}")
    for channel in (general, chat, welcome):
        await standin.say(repeater, channel, "Free   NITRO here")
    await standin.leave(sample.guild, looper)
    await bot.newcomers.wait_for(lambda: _left(bot, sample.guild.id, looper.id))
    move_to(clock, BEFORE + 2 * timedelta(hours=1))
    await standin.join(sample.guild, looper)

    async def settled() -> bool:
        repeated = await bot.storage.newcomers.get(sample.guild.id, repeater.id)
        member = await bot.storage.members.get(sample.guild.id, looper.id)
        shouted = await bot.storage.newcomers.get(sample.guild.id, shouter.id)
        return bool(repeated and repeated.repeated_text and member and member.join_count == 2
                    and shouted and shouted.mass_mentions)

    await bot.newcomers.wait_for(settled)
    rows = {int(row["user_id"]): row["flags"] for row in await report_rows(standin, sample, days=7)}
    assert rows == {
        quiet.id: "",
        young.id: "account under 7 days old",
        linker.id: "link or invite in first message",
        shouter.id: "5+ mentions in a message",
        repeater.id: "same text in 3+ channels",
        looper.id: "left and rejoined",
    }  # and none of the members who were there before the bot


async def test_the_report_pages_unreviewed_first_and_review_buttons_work_after_a_restart(
        standin, sample, start_bot, clock):
    bot = (await start_bot(clock=clock)).bot
    await set_channels(standin, sample)
    joined = []
    for n in range(6):
        move_to(clock, BEFORE + n * SECOND)
        joined.append(await join(standin, sample, bot, f"New {n}"))
    reply = await slash(standin, sample.moderator, "report newcomers")
    assert reply.ephemeral
    assert reply.text.startswith("**Newcomers, last 14 days**: 6 newcomers, 6 unreviewed · page 1 of 2")
    page = reply.message
    assert f"review:{sample.guild.id}:{joined[-1].id}:follow_up" in page.custom_ids()  # newest first

    await bot.close()
    bot = (await start_bot(clock=clock)).bot
    clicked = await standin.click(sample.moderator, page, f"review:{sample.guild.id}:{joined[-1].id}:follow_up")
    update = await clicked.reply()
    assert update.kind == "update" and "New 5 · Follow up" in update.text and "Follow up by Sam" in update.text
    # The header's counts follow the press, and the page stays where it was.
    assert page.content.startswith("**Newcomers, last 14 days**: 6 newcomers, 5 unreviewed · page 1 of 2")
    reviews = await bot.storage.newcomers.latest_reviews(sample.guild.id)
    assert reviews[joined[-1].id].status == "follow_up" and reviews[joined[-1].id].reviewer_id == sample.moderator.id

    following = await (await standin.click(sample.moderator, page, "newcomers:14:all:1")).reply()
    assert "page 2 of 2" in following.text
    unreviewed = await report_rows(standin, sample, status="unreviewed")
    assert {int(row["user_id"]) for row in unreviewed} == {user.id for user in joined[:-1]}


async def test_the_report_without_discord_names_greeters_and_reviewers_from_storage(standin, sample, bot, clock):
    await set_channels(standin, sample)
    general = sample.channels["general"]
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, BEFORE + MINUTE)
    await standin.say(sample.helper, general, f"welcome <@{kai.id}>!")
    await bot.newcomers.wait_for(lambda: _greeted(bot, sample.guild.id, kai.id))
    page = (await slash(standin, sample.moderator, "report newcomers")).message
    await (await standin.click(sample.moderator, page, f"review:{sample.guild.id}:{kai.id}:reviewed")).reply()

    # What `python -m bot report newcomers` reads: the database alone, no server to ask for names.
    (row,) = await newcomer_report(bot.storage, sample.guild.id, now=clock(), days=14)
    assert (row.name, row.greeted_by, row.reviewed_by) == ("Kai", "Riley", "Sam")


async def test_a_greeter_and_a_reviewer_the_bot_never_saw_join_are_named_in_files_and_renamed(
        standin, sample, bot, clock):
    await set_channels(standin, sample)
    for person in (sample.helper, sample.moderator):  # as if they were never recorded (there long before the bot)
        await bot.storage.privacy.forget(sample.guild.id, person.id, at=clock(), keep_optout=False)
    kai = await join(standin, sample, bot, "Kai")
    move_to(clock, BEFORE + MINUTE)
    await standin.say(sample.helper, sample.channels["general"], f"welcome <@{kai.id}>!")
    await bot.newcomers.wait_for(lambda: _greeted(bot, sample.guild.id, kai.id))
    page = (await slash(standin, sample.moderator, "report newcomers")).message
    await (await standin.click(sample.moderator, page, f"review:{sample.guild.id}:{kai.id}:watch")).reply()

    (row,) = await newcomer_report(bot.storage, sample.guild.id, now=clock(), days=14)
    assert (row.greeted_by, row.reviewed_by) == ("Riley", "Sam")
    assert not row.greeted_by.startswith("member ") and (await bot.storage.members.get(
        sample.guild.id, sample.moderator.id)).join_count == 0  # named, not counted as a join


async def test_report_cards_show_discord_timestamps_and_files_the_servers_local_day(standin, sample, bot, clock):
    await set_channels(standin, sample)
    await create_series(standin, sample)  # Tuesdays 21:00 New York: Wednesday in UTC
    kai = await join(standin, sample, bot, "Kai")  # at 20:58 New York, 00:58 UTC the next day
    await play_until_question(standin, sample, clock, 1)
    await standin.say(kai, sample.channels["chat"], "A1: hello, first time here")
    await bot.newcomers.wait_for(lambda: _queued(bot, 1))
    await play_until_question(standin, sample, clock, 3)
    move_to(clock, START + 30 * MINUTE)
    await bot_post(standin, sample, "**That")
    move_to(clock, START + 30 * MINUTE + 30 * SECOND)
    await bot_post(standin, sample, "**#GetRealChat recap**")  # the chat is over and its ledger written
    page = (await slash(standin, sample.moderator, "report newcomers")).message
    await (await standin.click(sample.moderator, page, f"review:{sample.guild.id}:{kai.id}:reviewed")).reply()

    (card,) = page.embeds
    joined = int(BEFORE.timestamp())
    assert f"Joined: <t:{joined}:f> (<t:{joined}:R>), account " in card["description"]
    assert f"First chat: \\#GetRealChat, <t:{int(START.timestamp())}:f>" in card["description"]  # "#" escaped
    assert "Reviewed by Sam at <t:" in card["description"] and ":R>)" in card["description"]
    assert "2026-03-1" not in card["description"] and "+00:00" not in card["description"]  # no ISO, no UTC

    reply = await slash(standin, sample.moderator, "report newcomers")
    assert reply.message.attachments[0]["filename"] == "newcomers-2026-03-10-14d.csv"  # the day in New York
    (row,) = await report_rows(standin, sample)
    assert row["joined_at"] == "2026-03-10T20:58:00-04:00"
    assert row["first_chat"] == "#GetRealChat on 2026-03-10"  # the same evening as the join
    assert row["reviewed_at"].startswith("2026-03-10T21:") and row["reviewed_at"].endswith("-04:00")


async def test_a_review_on_a_report_of_another_period_counts_that_period_in_the_header(standin, sample, bot, clock):
    await set_channels(standin, sample)
    kai = await join(standin, sample, bot, "Kai")
    reply = await slash(standin, sample.moderator, "report newcomers", days=7)
    assert reply.text.startswith("**Newcomers, last 7 days**: 1 newcomer, 1 unreviewed")
    await (await standin.click(sample.moderator, reply.message, f"review:{sample.guild.id}:{kai.id}:watch:7")).reply()
    assert reply.message.content.startswith("**Newcomers, last 7 days**: 1 newcomer, 0 unreviewed")


async def test_a_non_moderator_cannot_see_the_report_or_review(standin, sample, bot):
    await set_channels(standin, sample)
    kai = await join(standin, sample, bot, "Kai")
    member = sample.members[0]
    refused = await slash(standin, member, "report newcomers")
    assert refused.ephemeral and refused.text.startswith("Only moderators") and not refused.message.attachments
    assert "Kai" not in refused.text

    page = (await slash(standin, sample.moderator, "report newcomers")).message
    pressed = await (await standin.click(member, page, f"review:{sample.guild.id}:{kai.id}:reviewed")).reply()
    assert pressed.ephemeral and pressed.text.startswith("Only moderators")
    assert await bot.storage.newcomers.latest_reviews(sample.guild.id) == {}


async def test_the_report_is_posted_to_moderators_after_a_chat_and_every_week(standin, sample, bot, clock):
    await set_channels(standin, sample)
    await create_series(standin, sample)
    kai = await join(standin, sample, bot, "Kai")
    await play_until_question(standin, sample, clock, 3)
    move_to(clock, START + 30 * MINUTE)
    await bot_post(standin, sample, "**That")
    move_to(clock, START + 30 * MINUTE + 30 * SECOND)  # the chat ran and its recap is out
    await bot_post(standin, sample, "**#GetRealChat recap**")
    after_chat = await standin.wait_for_message(
        lambda m: m.channel_id == sample.channels["mod-log"].id and m.content.startswith("After #GetRealChat"))
    assert "1 newcomer to review" in after_chat.content and f"review:{sample.guild.id}:{kai.id}:reviewed" in \
        after_chat.custom_ids()
    assert after_chat.attachments[0]["filename"] == "newcomers-2026-03-10-14d.csv"  # New York's day, not UTC's

    move_to(clock, BEFORE + timedelta(days=7, minutes=1))
    weekly = await standin.wait_for_message(
        lambda m: m.channel_id == sample.channels["mod-log"].id and m.content.startswith("Weekly newcomer report"))
    assert "Kai" in weekly.text  # still unreviewed, and still in their first 14 days

    await standin.click(sample.moderator, weekly, f"review:{sample.guild.id}:{kai.id}:reviewed")
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.latest_reviews(sample.guild.id))
    move_to(clock, BEFORE + timedelta(days=14, minutes=2))  # nobody left to review: no post
    await bot.newcomers.wait_for(lambda: _reported_at(bot, sample.guild.id, BEFORE + timedelta(days=14)))
    assert [m.content.split(" ")[0] for m in standin.bot_messages(sample.channels["mod-log"])
            if "newcomer" in m.content] == ["After", "Weekly"]


async def test_a_moderator_channel_refusing_the_report_tells_the_hosts_once(standin, sample, bot, clock):
    await set_channels(standin, sample)
    await slash(standin, sample.admin, "config role", kind="host", role=sample.roles["hosts"])
    await join(standin, sample, bot, "Kai")
    for role in (sample.roles["heartbeat"], sample.guild.roles[sample.guild.id]):  # the bot's role and @everyone
        await standin.edit_role(sample.guild, role, permissions=role.permissions & ~ATTACH_FILES)

    move_to(clock, BEFORE + timedelta(days=7, minutes=1))
    alert = await standin.wait_for_message(
        lambda m: m.channel_id == sample.channels["mod-log"].id and "newcomer report" in m.content)
    assert alert.content.startswith(f"<@&{sample.roles['hosts'].id}> ⚠️ Heartbeat could not post the newcomer report")
    assert "it lacks Attach Files there" in alert.content
    await bot.newcomers.wait_for(lambda: _reported_at(bot, sample.guild.id, BEFORE + timedelta(days=7)))
    posted = [m.content for m in standin.bot_messages(sample.channels["mod-log"]) if "newcomer" in m.content]
    assert posted == [alert.content]  # the report did not go out, and the hosts were told once


async def _reported_at(bot, guild_id: int, due) -> bool:
    last = await bot.storage.meta.get(f"newcomer_report:{guild_id}")
    return last is not None and datetime.fromisoformat(last) >= due


# -- restarts ---------------------------------------------------------------------------------------------

async def test_a_welcome_and_a_greeting_waiting_at_a_stop_go_out_once_after_the_restart(
        standin, sample, start_bot, clock):
    bot = (await start_bot(clock=clock)).bot
    await set_channels(standin, sample)
    await create_series(standin, sample)
    kai = await join(standin, sample, bot, "Kai")
    await bot.close()  # before its welcome's few seconds are up

    bot = (await start_bot(clock=clock)).bot
    welcome = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    assert f"<@{kai.id}>" in welcome.content
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    move_to(clock, START + MINUTE)
    await standin.say(kai, sample.channels["chat"], "hello, first time!")
    await bot.newcomers.wait_for(lambda: _queued(bot, 1))
    await bot.close()

    bot = (await start_bot(clock=clock)).bot
    move_to(clock, START + 3 * MINUTE)
    greeting = await bot_post(standin, sample, "👋")
    assert f"<@{kai.id}>" in greeting.content
    await bot.close()
    bot = (await start_bot(clock=clock)).bot
    move_to(clock, START + 12 * MINUTE)
    await bot_post(standin, sample, "**Q3:**")
    assert len(welcomes(standin, sample)) == 1
    assert len([m for m in standin.bot_messages(sample.channels["chat"]) if m.content.startswith("👋")]) == 1


async def test_a_burst_whose_welcome_waited_through_a_restart_stays_a_burst_no_direct_messages(
        standin, sample, start_bot, clock):
    bot = (await start_bot(clock=clock)).bot
    await set_channels(standin, sample)
    await slash(standin, sample.admin, "welcome dm", enabled=True)
    raiders = []
    for n in range(8):
        move_to(clock, BEFORE + n * SECOND)
        raiders.append(await join(standin, sample, bot, f"Raider {n}"))
    await bot.close()  # before the combined welcome's few seconds are up

    move_to(clock, BEFORE + 10 * MINUTE)  # long after the burst's minute
    bot = (await start_bot(clock=clock)).bot
    await bot.newcomers.wait_for(lambda: _none_waiting(bot, sample.guild.id))
    (combined,) = welcomes(standin, sample)
    assert "and 6 others!" in combined.content
    assert [m for m in standin.messages.values() if m.guild_id is None] == []  # a burst sends no DMs
