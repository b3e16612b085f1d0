"""End to end: a series runs its chat on the weekly trigger, answers are recognised, the recap and transcripts
come out right, and restarts and failures never lose or repeat a post.

The bot's clock stands still and each test moves it, so a chat plays out in milliseconds and every step
is awaited (a message appearing, a row being recorded), never slept for.
"""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest

from bot.domain.running import post_key
from tests.helpers import (
    MINUTE,
    QUESTIONS,
    START,
    bot_post,
    chat_posts,
    create_series,
    move_to,
    play_until_question,
    posted,
    recorded,
    retry_until_settled,
    session_id,
    slash,
    stored,
)


async def test_weekly_trigger_runs_the_chat_with_questions_in_order_at_their_offsets(standin, sample, bot, clock):
    await create_series(standin, sample)
    assert chat_posts(standin, sample) == []

    move_to(clock, START)  # the weekly trigger, not a host, starts it
    opening = await bot_post(standin, sample, "**Welcome to #GetRealChat!**")
    assert "A1:" in opening.content and "runs 30m" in opening.content
    assert any(cid.startswith("checkin:") for cid in opening.custom_ids())

    questions = []
    for number, text in enumerate(QUESTIONS, 1):
        move_to(clock, START + 2 * MINUTE + (number - 1) * 5 * MINUTE)
        posted = await bot_post(standin, sample, f"**Q{number}:**")
        assert posted.content == f"**Q{number}:** {text}\n#GetRealChat · answer with **A{number}:**"
        questions.append(posted)
    assert [m.id for m in questions] == sorted(m.id for m in questions)

    session = await session_id(bot)
    for number in (1, 2, 3):
        post = await bot.storage.posts.get(post_key(session, "question", number))
        assert post.due_at == START + 2 * MINUTE + (number - 1) * 5 * MINUTE
        assert post.posted_at >= post.due_at and post.message_id == questions[number - 1].id

    move_to(clock, START + 30 * MINUTE)
    closing = await bot_post(standin, sample, "**That's a wrap for #GetRealChat!**")
    assert f"<t:{int((START + timedelta(days=7)).timestamp())}:F>" in closing.content  # next Tuesday, 21:00 EDT
    move_to(clock, START + 30 * MINUTE + timedelta(seconds=30))
    recap = await bot_post(standin, sample, "**#GetRealChat recap**")
    assert sorted(a["filename"] for a in recap.attachments) == ["GetRealChat-2026-03-10.html",
                                                                "GetRealChat-2026-03-10.md"]
    # Every post exactly once, and the next week's session is already scheduled.
    assert [m.content.split("\n")[0][:6] for m in chat_posts(standin, sample)] == [
        "**Welc", "**Q1:*", "**Q2:*", "**Q3:*", "**That", "**#Get"]
    assert any(job.startswith("series:") for job in bot.jobs.pending())


async def test_a_transcript_past_10_mib_is_compressed_and_the_recap_still_goes_out(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    answer = "A1: " + "&" * 1996  # 2000 characters, Discord's most; "&amp;" in the HTML makes it 10 KB
    said = [await standin.say(sample.members[n % 20], sample.channels["chat"], answer) for n in range(1100)]
    await recorded(bot, said[-1:])
    await slash(standin, sample.host, "chat end", where=sample.channels["chat"])
    move_to(clock, clock.now() + timedelta(minutes=1))
    recap = await bot_post(standin, sample, "**#GetRealChat recap**")
    assert sorted(a["filename"] for a in recap.attachments) == ["GetRealChat-2026-03-10.html.gz",
                                                                "GetRealChat-2026-03-10.md"]
    assert all(a["size"] <= 10 * 1024 * 1024 for a in recap.attachments)
    html = next(standin.attachments[int(a["id"])] for a in recap.attachments if a["filename"].endswith(".gz"))
    assert gzip.decompress(html).count(b"&amp;" * 1996) == 1100


async def test_answers_in_every_form_are_attributed_to_the_right_question_and_member(standin, sample, bot, clock):
    await create_series(standin, sample)
    q1, q2 = await play_until_question(standin, sample, clock, 2)
    chat = sample.channels["chat"]
    people = sample.members
    said = [
        (people[0], "A1: A job offer I couldn't refuse", None, 1),
        (people[1], "a1) love, honestly", None, 1),
        (people[2], "A 1: the rent", None, 1),
        (people[3], "A1 - my sister lives here", None, 1),
        (people[4], "A1. Adventure!", None, 1),
        (people[5], "**A2:** how friendly people are", None, 2),
        (people[6], "Nobody told me about the winters", q2, 2),      # a Discord reply to Q2
        (people[7], "A5: not a question yet", None, None),           # no Q5 was posted
        (people[8], "A1c test results came back fine", None, None),  # a word, not a marker
        (people[9], "Late, but A1: family", None, None),              # the marker must lead
        (people[10], "A1: late answer, still counts", None, 1),       # Q2 is out; it still counts for Q1
    ]
    sent = [await standin.say(user, chat, text, reply_to=reply_to) for user, text, reply_to, _ in said]
    replying = await standin.say(people[11], chat, "Same here!", reply_to=sent[0])
    session = await session_id(bot)
    messages = {m.message_id: m for m in await stored(bot, session, len(said) + 1)}
    for message, (user, _, _, number) in zip(sent, said, strict=True):
        assert (messages[message.id].author_id, messages[message.id].question_number) == (user.id, number), \
            message.content
    assert messages[replying.id].reply_to_author_id == people[0].id
    assert q1.id < q2.id

    # The activity ledger: one answer row per answer, a reply row for the reply to another member.
    async with bot.storage.transaction() as conn, conn.execute(
            "SELECT user_id, kind, question_number, target_user_id FROM activity WHERE session_id = ? "
            "AND kind IN ('answer', 'reply') ORDER BY id", (session,)) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert len([r for r in rows if r[1] == "answer"]) == 8
    assert (people[11].id, "reply", None, people[0].id) in rows


async def test_edits_re_evaluate_and_deletes_remove_answers(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    chat = sample.channels["chat"]
    answer = await standin.say(sample.members[0], chat, "A1: first thought")
    chatter = await standin.say(sample.members[1], chat, "hello everyone")
    session = await session_id(bot)
    await stored(bot, session, 2)

    await standin.edit(answer, "A2: changed my mind")
    await standin.edit(chatter, "A1: ok here is mine")

    async def re_evaluated():
        kept = {m.message_id: m.question_number for m in await bot.storage.messages.of_session(session)}
        return kept == {answer.id: 2, chatter.id: 1}
    await bot.chats.wait_for(re_evaluated)

    await standin.delete(answer)

    async def removed():
        return [m.message_id for m in await bot.storage.messages.of_session(session)] == [chatter.id]
    await bot.chats.wait_for(removed)
    async with bot.storage.transaction() as conn, conn.execute(
            "SELECT COUNT(*) FROM activity WHERE message_id = ?", (answer.id,)) as cursor:
        assert (await cursor.fetchone())[0] == 0


async def test_the_recap_and_transcript_are_right_for_a_scripted_chat(standin, sample, bot, clock):
    await create_series(standin, sample)
    move_to(clock, START)
    opening = await bot_post(standin, sample, "**Welcome")
    lurker = sample.members[20]
    checkin = next(cid for cid in opening.custom_ids() if cid.startswith("checkin:"))
    first = await (await standin.click(lurker, opening, checkin)).reply()
    again = await (await standin.click(lurker, opening, checkin)).reply()
    assert first.ephemeral and "checked in to #GetRealChat" in first.text
    assert "already checked in" in again.text

    chat = sample.channels["chat"]
    ana, ben, cy = sample.members[0], sample.members[1], sample.members[2]
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    a1 = await standin.say(ana, chat, "A1: work")
    await standin.say(ben, chat, "A1: family")
    await standin.say(cy, chat, "Welcome Ana!", reply_to=a1)
    session = await session_id(bot)
    await stored(bot, session, 3)
    await standin.react(ben, a1, "❤️")
    await standin.react(cy, a1, "🔥")
    move_to(clock, START + 7 * MINUTE)
    await bot_post(standin, sample, "**Q2:**")
    await standin.say(ana, chat, "A2: the bagels")
    await stored(bot, session, 4)

    async def reactions_counted():
        return (await bot.storage.messages.get(a1.id)).reactions == 2
    await bot.chats.wait_for(reactions_counted)

    await slash(standin, sample.host, "chat end", where=chat)
    move_to(clock, clock.now() + timedelta(seconds=30))
    recap = await bot_post(standin, sample, "**#GetRealChat recap**")
    assert "👥 4 attendees · 3 participants · 1 checked in" in recap.content
    assert "💬 4 messages · 3 answers" in recap.content
    assert "Q1 · 2 answers\nQ2 · 1 answer" in recap.content
    assert "Q3" not in recap.content  # never asked: the host ended early
    assert "**Most answers:** " + ana.name + " (2)" in recap.content
    assert "A1 by " + ana.name + " (2 reactions)" in recap.content
    markdown = next(standin.attachments[int(a["id"])] for a in recap.attachments
                    if a["filename"].endswith(".md")).decode()
    assert re.search(r"## Q1: What made you move\?\n\n_2 answers_\n\n- \*\*" + ana.name + r"\*\* \(21:0\d\): A1: work",
                     markdown), markdown
    assert "A2: the bagels" in markdown.split("## Q2")[1]
    # Cy's Discord reply to Ana's answer sits under that answer, in both forms.
    assert re.search(r"\): A1: work\n  - \*\*" + cy.name + r"\*\* \(21:0\d\): Welcome Ana!\n- \*\*" + ben.name,
                     markdown), markdown
    assert "## Other conversation" not in markdown
    html = next(standin.attachments[int(a["id"])] for a in recap.attachments if a["filename"].endswith(".html"))
    assert b"<!DOCTYPE html>" in html[:100] and b"the bagels" in html
    assert re.search(rb"A1: work</span>\n<ol class=\"messages\">\n<li>.*Welcome Ana!</span></li>\n</ol></li>", html)
    # The Markdown carries the same summary as the HTML.
    assert "## Summary\n\n- **Attendees:** 4\n- **Participants:** 3\n- **Checked in:** 1\n" in markdown
    assert f"- **Most answers:** {ana.name} (2)" in markdown
    assert f"<dt>Most answers</dt><dd>{ana.name} (2)" in html.decode()

    # Anyone can fetch it again later, by date.
    again = await slash(standin, sample.members[5], "chat transcript", date="2026-03-10")
    assert again.ephemeral and sorted(a["filename"] for a in again.message.attachments) == [
        "GetRealChat-2026-03-10.html", "GetRealChat-2026-03-10.md"]
    started = int(START.timestamp())
    assert again.text == f"#GetRealChat, <t:{started}:F> (<t:{started}:R>):"
    # Named and dated by the chat's own day (21:00 in New York is 01:00 UTC the next day), never in UTC.
    assert "- **When:** Tuesday 10 March 2026, 21:00–21:0" in markdown
    assert "UTC" not in markdown and "11 March" not in markdown and "UTC" not in html.decode()


async def test_chat_transcript_right_after_chat_end_says_it_is_being_prepared_and_when_to_ask_again(
        standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    chat = sample.channels["chat"]
    await standin.say(sample.members[0], chat, "A1: the sea")
    await stored(bot, await session_id(bot), 1)
    ended_at = clock.now()
    await slash(standin, sample.host, "chat end", where=chat)
    await bot_post(standin, sample, "**That's a wrap")

    early = await slash(standin, sample.members[5], "chat transcript")
    # The recap comes 30 s after the closing post; asking again a few seconds after that finds it.
    again_at = int((ended_at + timedelta(seconds=40)).timestamp())
    assert early.ephemeral and early.text == ("The transcript of #GetRealChat is being prepared now that the chat "
                                              f"has ended: try again <t:{again_at}:R>.")
    assert not early.message.attachments
    by_date = await slash(standin, sample.members[5], "chat transcript", date="2026-03-10")
    assert by_date.text == early.text

    move_to(clock, ended_at + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")
    ready = await slash(standin, sample.members[5], "chat transcript")
    assert sorted(a["filename"] for a in ready.message.attachments) == [
        "GetRealChat-2026-03-10.html", "GetRealChat-2026-03-10.md"]


async def test_stopped_after_q2_and_restarted_posts_q3_onwards_exactly_once(standin, sample, start_bot, clock):
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    await first.close()

    # While the bot is down, someone answers; the bot reads it back when it returns.
    missed = await standin.say(sample.members[0], sample.channels["chat"], "A2: while you were away")
    move_to(clock, START + 12 * MINUTE + MINUTE)  # Q3 came due a minute ago: within the grace period
    second = (await start_bot(clock=clock)).bot
    await bot_post(standin, sample, "**Q3:**")
    session = await session_id(second)
    assert [m.message_id for m in await stored(second, session, 1)] == [missed.id]

    move_to(clock, START + 30 * MINUTE + timedelta(seconds=30))
    await bot_post(standin, sample, "**#GetRealChat recap**")
    # (The answer while away was that member's first chat post: a greeting for it is due too, and not counted here.)
    heads = [m.content.split("\n")[0][:6] for m in chat_posts(standin, sample) if not m.content.startswith("👋")]
    assert heads == ["**Welc", "**Q1:*", "**Q2:*", "**Q3:*", "**That", "**#Get"]


async def test_a_post_sent_but_not_recorded_before_a_crash_is_not_posted_again(standin, sample, start_bot, clock):
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)

    # The bot dies between Discord accepting Q2 and the database recording it.
    async def die_before_recording(key, message_id, posted_at, **kwargs):
        raise SystemExit("killed")
    first.storage.posts.sent = die_before_recording
    move_to(clock, START + 7 * MINUTE)
    await bot_post(standin, sample, "**Q2:**")
    await first.close()
    standin.nonce_window_seconds = 0  # Discord has long forgotten the nonce: only the channel history can tell

    second = (await start_bot(clock=clock)).bot
    session = await session_id(second)

    await posted(second, session, "question", 2)
    assert [m.content[:6] for m in chat_posts(standin, sample)].count("**Q2:*") == 1


async def test_a_post_failing_twice_with_server_errors_still_appears_once(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)  # the opening post is out
    # Discord creates the message but answers 503, twice; the retries must not post it again.
    standin.fail_next("POST", r"channels/\d+/messages", 503, times=2, after_effect=True)
    move_to(clock, START + 2 * MINUTE)
    first_q1 = await bot_post(standin, sample, "**Q1:**")
    session = await session_id(bot)
    post = await retry_until_settled(bot, clock, post_key(session, "question", 1))
    # The retry looked in the channel first, found Q1 there, and recorded it instead of sending again.
    assert (post.status, post.message_id, post.attempts) == ("posted", first_q1.id, 1)
    assert [m.content[:6] for m in chat_posts(standin, sample)].count("**Q1:*") == 1


async def test_plain_server_errors_are_retried_until_the_post_goes_out(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)  # the opening post is out
    standin.fail_next("POST", r"channels/\d+/messages", 503, times=2)
    move_to(clock, START + 2 * MINUTE)
    post = await retry_until_settled(bot, clock, post_key(await session_id(bot), "question", 1))
    assert (post.status, post.attempts) == ("posted", 3)
    assert [m.content[:6] for m in chat_posts(standin, sample)].count("**Q1:*") == 1


async def test_discord_acting_on_a_request_it_answered_500_does_not_double_post(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)  # the opening post is out
    # discord.py itself retries a 500 (after a second); the post's nonce makes Discord return the first copy.
    standin.fail_next("POST", r"channels/\d+/messages", 500, after_effect=True)
    move_to(clock, START + 2 * MINUTE)
    session = await session_id(bot)

    await posted(bot, session, "question", 1)
    assert [m.content[:6] for m in chat_posts(standin, sample)].count("**Q1:*") == 1


async def test_a_post_that_keeps_failing_alerts_the_hosts_in_the_moderator_channel(standin, sample, bot, clock):
    await slash(standin, sample.admin, "config channel", kind="moderator", channel=sample.channels["mod-log"])
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)  # the opening post is out
    standin.fail_next("POST", rf"channels/{sample.channels['chat'].id}/messages", 403, times=10)
    move_to(clock, START + 2 * MINUTE)
    post = await retry_until_settled(bot, clock, post_key(await session_id(bot), "question", 1))
    assert (post.status, post.attempts) == ("failed", 5)
    alert = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["mod-log"].id)
    assert "could not post Q1 of #GetRealChat" in alert.content and "(tried 5 times)" in alert.content
    assert "missing a permission" in alert.content
    assert not [m for m in chat_posts(standin, sample) if m.content.startswith("**Q1:")]


@pytest.mark.parametrize("command", ["chat start", "chat next", "chat end", "chat hold", "chat extend"])
async def test_a_member_cannot_start_steer_or_end_a_chat(standin, sample, bot, clock, command):
    await create_series(standin, sample)
    options = {"by": "10m"} if command == "chat extend" else {}
    reply = await slash(standin, sample.members[0], command, where=sample.channels["chat"], **options)
    assert reply.ephemeral and "host" in reply.text.lower()
    assert chat_posts(standin, sample) == []
    assert await bot.storage.sessions.with_status("running") == []


async def test_host_starts_the_next_session_early_and_steers_it(standin, sample, bot, clock):
    await create_series(standin, sample)
    chat = sample.channels["chat"]
    started = await slash(standin, sample.host, "chat start", topic="Starting over")
    assert "Started **#GetRealChat**" in started.text and "3 questions ready" in started.text
    opening = await bot_post(standin, sample, "**Welcome")
    assert "Topic: **Starting over**" in opening.content

    nxt = await slash(standin, sample.host, "chat next", where=chat)
    assert "Posted Q1" in nxt.text
    await bot_post(standin, sample, "**Q1:** What made you move?")
    adhoc = await slash(standin, sample.host, "chat next", where=chat, text="Coffee or tea?")
    assert "Posted Q2" in adhoc.text
    await bot_post(standin, sample, "**Q2:** Coffee or tea?")

    held = await slash(standin, sample.host, "chat hold", where=chat)
    assert "Holding" in held.text
    session = await session_id(bot)
    q3 = await bot.storage.posts.get(post_key(session, "question", 3))
    move_to(clock, q3.due_at + MINUTE)  # Q3's time passes during the hold: nothing is posted
    carried = await slash(standin, sample.host, "chat continue", where=chat)
    assert "moved" in carried.text
    moved = await bot.storage.posts.get(post_key(session, "question", 3))
    assert moved.due_at > clock.now() - timedelta(seconds=1) and moved.status == "pending"

    extended = await slash(standin, sample.host, "chat extend", where=chat, by="15m")
    assert "now ends" in extended.text
    ended = await slash(standin, sample.host, "chat end", where=chat)
    assert "Ended #GetRealChat" in ended.text
    await bot_post(standin, sample, "**That's a wrap")
    assert [m.content[:6] for m in chat_posts(standin, sample)] == ["**Welc", "**Q1:*", "**Q2:*", "**That"]
    again = await slash(standin, sample.host, "chat end", where=chat)
    assert "No chat is running" in again.text


async def test_host_runs_an_ad_hoc_chat_outside_any_series(standin, sample, bot, clock):
    chat = sample.channels["chat"]
    await slash(standin, sample.admin, "config role", kind="host", role=sample.roles["hosts"])
    started = await slash(standin, sample.host, "chat start", where=chat, channel=chat, hashtag="#PopUpChat",
                          duration="20m")
    assert "Started **#PopUpChat**" in started.text
    await bot_post(standin, sample, "**Welcome to #PopUpChat!**")
    await slash(standin, sample.host, "chat next", where=chat, text="What brought you here?")
    await bot_post(standin, sample, "**Q1:** What brought you here?\n#PopUpChat")
    busy = await slash(standin, sample.host, "chat start", where=chat, channel=chat, hashtag="Another")
    assert "already running" in busy.text
    assert len(await bot.storage.sessions.with_status("running")) == 1
    assert len(await bot.storage.sessions.with_status("planned")) == 0  # the refused one left nothing behind


async def test_in_a_series_with_threads_a_message_in_a_questions_thread_answers_it(standin, sample, bot, clock):
    await create_series(standin, sample, threads=True)
    q1, q2 = await play_until_question(standin, sample, clock, 2)
    thread = await standin.wait_until(lambda: standin.channels.get(q1.id))
    assert thread.parent_id == sample.channels["chat"].id and thread.name == "Q1 · #GetRealChat"
    in_thread = await standin.say(sample.members[0], thread, "Honestly, the job.")
    explicit = await standin.say(sample.members[1], thread, "A2: even in Q1's thread, A2 means Q2")
    session = await session_id(bot)
    messages = {m.message_id: m.question_number for m in await stored(bot, session, 2)}
    assert messages == {in_thread.id: 1, explicit.id: 2}


async def test_chat_next_moves_the_later_questions_and_their_jobs(standin, sample, bot, clock):
    await create_series(standin, sample)
    (q1,) = await play_until_question(standin, sample, clock, 1)
    move_to(clock, START + 3 * MINUTE)
    assert "Posted Q2" in (await slash(standin, sample.host, "chat next", where=sample.channels["chat"])).text
    move_to(clock, START + 8 * MINUTE)  # Q3 now follows Q2 by the spacing, not at its old 21:12
    await bot_post(standin, sample, "**Q3:**")
    held = await slash(standin, sample.host, "chat hold", where=sample.channels["chat"])
    assert "Holding" in held.text
    refused = await slash(standin, sample.host, "chat next", where=sample.channels["chat"])
    assert "on hold" in refused.text


async def test_a_series_created_just_after_its_slot_waits_for_next_week(standin, sample, bot, clock):
    move_to(clock, START + 2 * MINUTE)
    await create_series(standin, sample)
    assert chat_posts(standin, sample) == []
    assert await bot.storage.sessions.with_status("running") == []
    (planned,) = await bot.storage.sessions.with_status("planned")
    assert planned.starts_at == START + timedelta(days=7)


async def test_a_weekly_chat_blocked_by_a_running_chat_is_skipped_and_the_hosts_told(standin, sample, bot, clock):
    await slash(standin, sample.admin, "config channel", kind="moderator", channel=sample.channels["mod-log"])
    await create_series(standin, sample)
    chat = sample.channels["chat"]
    await slash(standin, sample.host, "chat start", where=chat, channel=chat, hashtag="PopUpChat", duration="2h")
    move_to(clock, START)
    alert = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["mod-log"].id)
    assert "did not start" in alert.content and "PopUpChat is already running" in alert.content
    (skipped,) = [s for s in await bot.storage.sessions.future(1, START - MINUTE) if s.starts_at == START]
    assert skipped.status == "skipped"
    assert "series:1:start" in bot.jobs.pending()  # next week's is set


async def test_a_host_can_run_tonights_missed_session_with_chat_start(standin, sample, bot, clock):
    await slash(standin, sample.admin, "config channel", kind="moderator", channel=sample.channels["mod-log"])
    await create_series(standin, sample)
    chat = sample.channels["chat"]
    await slash(standin, sample.host, "chat start", where=chat, channel=chat, hashtag="PopUpChat", duration="10m")
    move_to(clock, START)  # the weekly chat cannot start: the pop-up chat holds the channel
    await standin.wait_for_message(lambda m: m.channel_id == sample.channels["mod-log"].id)
    await slash(standin, sample.host, "chat end", where=chat)
    started = await slash(standin, sample.host, "chat start")
    assert "Started **#GetRealChat**" in started.text and "3 questions ready" in started.text
    (running,) = await bot.storage.sessions.with_status("running")
    assert running.starts_at == START  # tonight's, with tonight's questions, not next week's


async def test_adaptive_pacing_waits_for_answers_to_die_down(standin, sample, bot, clock):
    # Spacing 2m: the next question comes after 90 s without answers, between 1 and 3 minutes after the last.
    await create_series(standin, sample, spacing="2m", pacing="adaptive")
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    move_to(clock, START + 2 * MINUTE)
    await bot_post(standin, sample, "**Q1:**")
    move_to(clock, START + 2 * MINUTE + timedelta(seconds=90))  # a quiet room: Q2 after 90 s
    q2 = await bot_post(standin, sample, "**Q2:**")
    session = await session_id(bot)

    move_to(clock, START + 4 * MINUTE)  # an answer 30 s after Q2 keeps the room "busy" for 90 s more
    await standin.say(sample.members[0], sample.channels["chat"], "A2: the winters")
    await stored(bot, session, 1)
    move_to(clock, START + 5 * MINUTE)  # 90 s after Q2, but only 60 s after the answer: not yet
    q3 = await bot.storage.posts.get(post_key(session, "question", 3))
    # Still pending; its outer bound is Q2 + 3 minutes, and the quiet check will bring it forward.
    assert q3.status == "pending" and q3.due_at == START + 6 * MINUTE + timedelta(seconds=30)
    move_to(clock, START + 5 * MINUTE + timedelta(seconds=30))
    await bot_post(standin, sample, "**Q3:**", after=q2.id)

    async def recorded():
        post = await bot.storage.posts.get(post_key(session, "question", 3))
        return post if post.status == "posted" else None
    assert (await bot.chats.wait_for(recorded)).posted_at == START + 5 * MINUTE + timedelta(seconds=30)


async def test_extending_a_fixed_chat_schedules_the_prepared_questions_that_now_fit(standin, sample, bot, clock):
    await create_series(standin, sample, spacing="10m", first_question="5m")  # 30m: Q1-Q3 fit, not Q4
    await slash(standin, sample.host, "chat questions add", text="What will you do differently next month?")
    await play_until_question(standin, sample, clock, 0)
    session = await session_id(bot)
    assert await bot.storage.posts.get(post_key(session, "question", 4)) is None
    await slash(standin, sample.host, "chat extend", where=sample.channels["chat"], by="15m")
    q4 = await bot.storage.posts.get(post_key(session, "question", 4))
    assert (q4.status, q4.due_at) == ("pending", START + 35 * MINUTE)
    move_to(clock, START + 35 * MINUTE)
    await bot_post(standin, sample, "**Q4:** What will you do differently next month?")
