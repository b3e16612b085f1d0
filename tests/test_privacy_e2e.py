"""End to end: /privacy export, optout, optin and forget, a member who opted out left out of what is recorded and
reported, and the retention setting with its nightly purge.

The bot's clock stands still and each test moves it; every step awaits a message or a recorded row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.domain.privacy import FORGOTTEN, OPTED_OUT, PURGED_TEXT
from bot.standin import StandIn
from bot.standin.sample import SampleServer
from tests.helpers import (
    BEFORE,
    MINUTE,
    START,
    bot_post,
    create_series,
    holders_of,
    move_to,
    report_rows,
    session_id,
    set_channels,
    slash,
    stored,
)

DAY = timedelta(days=1)


async def _newcomer(standin: StandIn, sample: SampleServer, bot, name: str, **roles):
    user = standin.add_user(name)
    await standin.join(sample.guild, user, **roles)
    await bot.newcomers.wait_for(lambda: bot.storage.newcomers.get(sample.guild.id, user.id))
    return user


async def _greeted(bot, guild_id: int, user_id: int):
    newcomer = await bot.storage.newcomers.get(guild_id, user_id)
    return newcomer if newcomer is not None and newcomer.greeted_by is not None else None


async def _everything(standin: StandIn, sample: SampleServer, bot, clock):
    """Kai, a newcomer who is also a moderator, does everything the bot records: first message, greets a newcomer
    and is greeted, answers, is replied to and thanked, thanks, reacts and is reacted to, checks in, is greeted as a
    first-timer, reviews and is reviewed, names a leader and is named one; the chat's transcript is stored and the
    month closes. Returns (kai, lea, priya)."""
    await set_channels(standin, sample)
    await create_series(standin, sample)
    await slash(standin, sample.admin, "config role", kind="helper", role=sample.roles["helpers"])
    general, chat = sample.channels["general"], sample.channels["chat"]
    kai = await _newcomer(standin, sample, bot, "Kai", roles=[sample.roles["moderators"]])
    lea = await _newcomer(standin, sample, bot, "Lea")
    priya = sample.members[0]
    hello = await standin.say(kai, general, "hi everyone, Kai here")
    lea_hello = await standin.say(lea, general, "hello!")
    await standin.say(kai, general, "welcome Lea!", reply_to=lea_hello)
    await standin.say(sample.helper, general, "welcome Kai!", reply_to=hello)
    await bot.newcomers.wait_for(lambda: _greeted(bot, sample.guild.id, kai.id))
    await bot.newcomers.wait_for(lambda: _greeted(bot, sample.guild.id, lea.id))

    move_to(clock, START)
    opening = await bot_post(standin, sample, "**Welcome")
    checkin = next(cid for cid in opening.custom_ids() if cid.startswith("checkin:"))
    await (await standin.click(kai, opening, checkin)).reply()
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    answer = await standin.say(kai, chat, "A1: the sea, always the sea")
    other = await standin.say(priya, chat, "A1: the mountains")
    await standin.say(priya, chat, f"thanks <@{kai.id}>, lovely", reply_to=answer)
    await standin.say(kai, chat, f"thank you <@{priya.id}>!", reply_to=other)
    await standin.react(priya, answer, "🙏")
    await standin.react(kai, other, "🙏")
    session = await session_id(bot)
    await stored(bot, session, 4)
    move_to(clock, START + 5 * MINUTE)
    await bot_post(standin, sample, "👋")  # Kai greeted as a first-timer

    page = (await slash(standin, kai, "report newcomers")).message
    await (await standin.click(kai, page, f"review:{sample.guild.id}:{lea.id}:reviewed")).reply()
    page = (await slash(standin, sample.moderator, "report newcomers")).message
    await (await standin.click(sample.moderator, page, f"review:{sample.guild.id}:{kai.id}:watch")).reply()
    assert (await slash(standin, sample.moderator, "progression name", member=kai)).ephemeral
    assert (await slash(standin, kai, "progression name", member=priya)).ephemeral

    await slash(standin, sample.host, "chat end", where=chat)
    move_to(clock, clock.now() + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")
    await slash(standin, sample.host, "chat pause")
    move_to(clock, datetime(2026, 4, 2, 12, tzinfo=UTC))
    await bot.progression.close_due(sample.guild.id)  # March closed, April running
    await bot.chats.ingest.flush()
    return kai, lea, priya


async def test_forgetting_a_member_who_did_everything_leaves_their_id_nowhere(standin, sample, bot, clock, settings):
    kai, _, priya = await _everything(standin, sample, bot, clock)
    database = settings.database_path
    before = holders_of(database, kai.id)
    assert {"members.user_id", "chat_message.author_id", "chat_message.reply_to_author_id", "chat_message.content",
            "activity.user_id", "activity.target_user_id", "act.user_id", "act.target_user_id", "reaction.user_id",
            "reaction.author_id", "chat_greeting.user_id", "newcomer.user_id", "newcomer.greeted_by",
            "newcomer_review.user_id", "newcomer_review.reviewer_id", "progression_month.user_id",
            "progression_named.user_id", "progression_named.named_by"} <= set(before)
    transcript = await bot.storage.transcripts.get(await session_id(bot))
    assert "Kai" in transcript.markdown

    asked = await slash(standin, kai, "privacy forget")
    assert asked.ephemeral and "cannot be undone" in asked.text
    button = f"privacy-forget:{sample.guild.id}:{kai.id}"
    assert asked.message.custom_ids() == [button]
    done = await (await standin.click(kai, asked.message, button)).reply()
    assert done.ephemeral and done.text.startswith("Erased from this server's records: 2 chat messages, ")
    assert "2 helpful acts and thanks" in done.text and "1 transcript" in done.text

    assert holders_of(database, kai.id) == []
    transcript = await bot.storage.transcripts.get(await session_id(bot))
    for text in (transcript.markdown, transcript.html, transcript.recap):
        assert "Kai" not in text
    assert FORGOTTEN in transcript.markdown and "the mountains" in transcript.markdown
    assert "the sea" not in transcript.markdown
    audit = await bot.storage.privacy.audit(sample.guild.id, since=BEFORE)
    assert [(action, detail) for action, detail, _ in audit if action == "forget"] == [
        ("forget", "a member was forgotten")]
    assert priya.id in {row.user_id for row in await bot.storage.months.rows(sample.guild.id, "2026-03", "2026-03")}
    # Lea keeps the review Kai made of her, and her first greeting is no longer anyone's.
    [lea] = [row for row in await report_rows(standin, sample, days=60) if row["name"] == "Lea"]
    assert lea["review"] == "Reviewed" and lea["reviewed_by"] == "a moderator who was forgotten"
    assert lea["greeted_by"] == ""


async def test_only_the_member_can_press_their_forget_button(standin, sample, bot, clock, settings):
    kai, _, priya = await _everything(standin, sample, bot, clock)
    asked = (await slash(standin, kai, "privacy forget")).message
    button = f"privacy-forget:{sample.guild.id}:{kai.id}"
    refused = await (await standin.click(priya, asked, button)).reply()
    assert refused.ephemeral and refused.text == "Only the member whose data this is can erase it."
    forged = await (await standin.forge_click(sample.moderator, sample.channels["general"], button)).reply()
    assert forged.ephemeral and forged.text == "Only the member whose data this is can erase it."
    assert "members.user_id" in holders_of(settings.database_path, kai.id)
    assert [a for a in await bot.storage.privacy.audit(sample.guild.id, since=BEFORE) if a[0] == "forget"] == []


async def test_the_export_holds_what_is_stored_about_the_member_with_ids_as_text(standin, sample, bot, clock):
    kai, lea, priya = await _everything(standin, sample, bot, clock)
    reply = await slash(standin, kai, "privacy export")
    assert reply.ephemeral and reply.text.startswith("Everything Heartbeat stores about you in this server")
    [attachment] = reply.message.attachments
    assert attachment["filename"] == "heartbeat-data.json"
    data = json.loads(standin.attachments[int(attachment["id"])])
    assert data["server_id"] == str(sample.guild.id) and data["user_id"] == str(kai.id)
    sections = data["sections"]
    assert {row["content"] for row in sections["chat_messages"]} >= {"A1: the sea, always the sea"}
    assert sections["member"][0]["display_name"] == "Kai"
    assert sections["newcomer"][0]["first_message_text"] == "hi everyone, Kai here"
    assert [row["user_id"] for row in sections["greetings_given"]] == [str(lea.id)]
    assert {row["kind"] for row in sections["activity"]} >= {"answer", "checkin", "greeting"}
    assert [row["kind"] for row in sections["acts_received"]] == ["thanks"]
    assert "user_id" not in sections["acts_received"][0]  # who thanked them is theirs, not Kai's
    assert [row["emoji"] for row in sections["reactions_received"]] == ["🙏"]
    assert sections["reactions_given"][0]["author_id"] == str(priya.id)
    assert [row["status"] for row in sections["newcomer_reviews"]] == ["watch"]
    assert sections["reviews_made"][0]["user_id"] == str(lea.id)
    assert [row["month"] for row in sections["progression_months"]] == ["2026-03", "2026-04"]
    assert sections["named_leader"] and sections["leaders_named"][0]["user_id"] == str(priya.id)
    assert sections["transcripts"] and sections["chat_greetings"] and sections["optout"] == []
    assert all(isinstance(row["message_id"], str) for row in sections["chat_messages"])
    assert set(data["explained"]) == set(sections)


async def test_opting_out_keeping_what_exists_then_speaking_in_a_chat_stores_nothing(standin, sample, bot, clock):
    await create_series(standin, sample)
    priya, marcus = sample.members[0], sample.members[1]
    chat = sample.channels["chat"]
    reply = await slash(standin, marcus, "privacy optout")
    assert reply.ephemeral and "nothing new is recorded about you" in reply.text and "is kept" in reply.text
    again = await slash(standin, marcus, "privacy optout")
    assert again.text.startswith("You had already opted out")

    move_to(clock, START)
    opening = await bot_post(standin, sample, "**Welcome")
    checkin = next(cid for cid in opening.custom_ids() if cid.startswith("checkin:"))
    checked = await (await standin.click(marcus, opening, checkin)).reply()
    assert "your check-in is not kept" in checked.text
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    said = await standin.say(marcus, chat, "A1: the hills, and thanks all")
    answer = await standin.say(priya, chat, "A1: the sea")
    await standin.say(marcus, chat, "thank you!", reply_to=answer)
    await standin.say(priya, chat, f"thanks <@{marcus.id}>", reply_to=said)
    await standin.react(marcus, answer, "🙏")
    await standin.react(priya, said, "🙏")
    session = await session_id(bot)
    await stored(bot, session, 2)
    await bot.chats.ingest.flush()
    messages = await bot.storage.messages.of_session(session)
    assert [m.author_id for m in messages] == [priya.id, priya.id]
    assert [m.reply_to_author_id for m in messages] == [None, None]
    assert await bot.storage.activity.checked_in(session) == []
    move_to(clock, START + 5 * MINUTE)
    greeting = await bot_post(standin, sample, "👋")  # Priya is greeted as a first-timer; Marcus is not
    assert f"<@{marcus.id}>" not in greeting.content
    await slash(standin, sample.host, "chat end", where=chat)
    move_to(clock, clock.now() + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")
    # Only what was there before the opt-out (the bot saw Marcus in the server, his month so far) and the opt-out.
    assert set(holders_of(bot.storage.path, marcus.id)) <= {"members.user_id", "progression_month.user_id",
                                                            "privacy_optout.user_id"}
    transcript = await bot.storage.transcripts.get(session)
    assert f"@{OPTED_OUT}" in transcript.markdown and "Marcus" not in transcript.markdown


async def test_a_member_who_opted_out_is_left_out_of_the_newcomer_and_progression_reports(standin, sample, bot,
                                                                                           clock):
    await set_channels(standin, sample)
    kai = await _newcomer(standin, sample, bot, "Kai")
    lea = await _newcomer(standin, sample, bot, "Lea")
    await bot.progression.close_due(sample.guild.id)
    assert kai.id in {row.user_id for row in await bot.storage.months.rows(sample.guild.id, "2026-03", "2026-03")}
    await slash(standin, kai, "privacy optout")
    general = sample.channels["general"]
    hello = await standin.say(kai, general, "hi everyone")  # neither their first message nor their greeting is noted
    await standin.say(sample.helper, general, "welcome Kai!", reply_to=hello)
    await standin.say(lea, general, "hello from Lea")

    async def lea_noted():
        return (await bot.storage.newcomers.get(sample.guild.id, lea.id)).first_message_text or None
    await bot.newcomers.wait_for(lea_noted)
    noted = await bot.storage.newcomers.get(sample.guild.id, kai.id)
    assert noted.first_message_text is None and noted.greeted_by is None
    assert {int(row["user_id"]) for row in await report_rows(standin, sample)} == {lea.id}
    joins = await slash(standin, sample.moderator, "report joins")
    assert f"<@{lea.id}>" in joins.text and f"<@{kai.id}>" not in joins.text
    reply = await slash(standin, sample.moderator, "report progression")
    files = [standin.attachments[int(a["id"])] for a in reply.message.attachments]
    assert any(str(lea.id).encode() in data for data in files)
    assert "Kai" not in reply.text and all(b"Kai" not in data and str(kai.id).encode() not in data for data in files)
    await bot.progression.close_due(sample.guild.id)  # the running month's rows, refreshed without them
    rows = await bot.storage.months.rows(sample.guild.id, "2026-03", "2026-03")
    assert kai.id not in {row.user_id for row in rows} and lea.id in {row.user_id for row in rows}

    named = await slash(standin, sample.moderator, "progression name", member=kai)
    assert named.ephemeral and named.text == "Kai opted out of being recorded here, so they cannot be named a leader."
    back = await slash(standin, kai, "privacy optin")
    assert back.ephemeral and back.text.startswith("You are recorded again")
    assert kai.id in {int(row["user_id"]) for row in await report_rows(standin, sample)}
    refused = await slash(standin, kai, "privacy optin")
    assert refused.ephemeral
    assert refused.text == "You had not opted out: Heartbeat records you as it does everyone here."


async def test_opting_out_and_erasing_asks_first_then_forgets_and_keeps_the_opt_out(standin, sample, bot, clock,
                                                                                   settings):
    kai, _, _ = await _everything(standin, sample, bot, clock)
    reply = await slash(standin, kai, "privacy optout", existing="erase")
    button = f"privacy-erase:{sample.guild.id}:{kai.id}"
    assert reply.ephemeral and "press the button" in reply.text and reply.message.custom_ids() == [button]
    assert "chat_message.author_id" in holders_of(settings.database_path, kai.id)  # nothing erased yet
    done = await (await standin.click(kai, reply.message, button)).reply()
    assert done.text.startswith("Erased from this server's records:") and "until `/privacy optin`" in done.text
    assert holders_of(settings.database_path, kai.id) == ["privacy_optout.user_id"]


async def test_retention_is_validated_and_the_nightly_purge_blanks_only_old_text(standin, sample, bot, clock):
    await set_channels(standin, sample)
    await create_series(standin, sample)
    kai = await _newcomer(standin, sample, bot, "Kai")
    await standin.say(kai, sample.channels["general"], "hi all")
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    await standin.say(sample.members[0], sample.channels["chat"], "A1: the sea")
    session = await session_id(bot)
    await stored(bot, session, 1)
    await slash(standin, sample.host, "chat end", where=sample.channels["chat"])
    move_to(clock, clock.now() + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")
    await slash(standin, sample.host, "chat pause")

    for bad in (0, 3, 5000):
        refused = await slash(standin, sample.admin, "config retention", days=bad)
        assert refused.ephemeral and refused.text == (f"Keep message text for 7 to 3650 days (180 is the default), "
                                                      f"not {bad}.")
    assert (await bot.storage.config.get(sample.guild.id)).retention_days is None
    ok = await slash(standin, sample.admin, "config retention", days=30)
    assert ok.ephemeral and ok.text.startswith("Message text is now kept 30 days")

    assert (await bot.privacy.purgeable(sample.guild.id)).messages == 0  # nothing is 30 days old yet
    assert bot.jobs.due(f"purge:{sample.guild.id}") is not None
    move_to(clock, START + 31 * DAY)

    async def purged():
        return await bot.storage.privacy.audit(sample.guild.id, since=START) or None
    [(action, detail, _)] = await bot.chats.wait_for(purged)
    assert action == "purge" and detail.startswith("text older than 30 days: 1 chat message, 1 first message")
    assert [m.content for m in await bot.storage.messages.of_session(session)] == [""]
    assert (await bot.storage.transcripts.get(session)).markdown == PURGED_TEXT
    assert (await bot.storage.newcomers.get(sample.guild.id, kai.id)).first_message_text is None
    assert (await bot.storage.messages.of_session(session))[0].question_number == 1  # the answer still counts
    nxt = bot.jobs.due(f"purge:{sample.guild.id}")
    assert nxt is not None and clock.now() < nxt <= clock.now() + DAY


async def test_a_member_who_opts_out_after_speaking_shows_as_such_in_the_new_transcript(standin, sample, bot, clock):
    await create_series(standin, sample)
    priya, marcus = sample.members[0], sample.members[1]
    chat = sample.channels["chat"]
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    said = await standin.say(priya, chat, "A1: the sea, always")
    quiet = sample.members[2]  # mentioned, never speaks
    await standin.say(marcus, chat, f"A1: the hills, like <@{priya.id}> and <@{quiet.id}>", reply_to=said)
    session = await session_id(bot)
    await stored(bot, session, 2)
    await slash(standin, priya, "privacy optout")  # keeping what was stored
    await slash(standin, quiet, "privacy optout")
    await slash(standin, sample.host, "chat end", where=chat)
    move_to(clock, clock.now() + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")
    transcript = await bot.storage.transcripts.get(session)
    for text in (transcript.markdown, transcript.html, transcript.recap):
        assert "Priya" not in text and quiet.name not in text and "the sea, always" not in text
    assert f"**{OPTED_OUT}**" in transcript.markdown
    assert f"like @{OPTED_OUT} and @{OPTED_OUT}" in transcript.markdown
    assert "the hills" in transcript.markdown
    assert [m.content for m in await bot.storage.messages.of_session(session)][0] == "A1: the sea, always"  # kept
