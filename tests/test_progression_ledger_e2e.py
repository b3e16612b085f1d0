"""End to end: the ledger of helpful acts and thanks, judged from what members say and react in the chat channels
(chat running or not) and the channels a server opts in, through the stand-in with the real bot.

Each test awaits the rows the bot commits (never sleeps): a message is judged in memory and its acts committed by
the ingest, so waiting for the message to be judged and then flushing the ingest shows what it recorded.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.standin.model import Message
from tests.helpers import create_series, play_until_question, session_id


async def acts(bot, message: Message) -> list[tuple[str, int]]:
    """The acts recorded for a message, once it has been judged and committed."""
    async def judged():
        if bot.chats.capture.acts.remembered(message.id) is None:
            return None
        await bot.chats.ingest.flush()
        return ([(a.kind, a.target_user_id) for a in await bot.storage.acts.of_message(message.id)],)
    return (await bot.chats.wait_for(judged))[0]


async def acts_become(bot, message: Message, want: list[tuple[str, int]]) -> None:
    """Wait until a message's acts are `want` (after an edit or a delete)."""
    async def there():
        return [(a.kind, a.target_user_id) for a in await bot.storage.acts.of_message(message.id)] == want
    await bot.chats.wait_for(there)


async def test_thanks_by_reply_and_by_mention_with_no_chat_running(standin, sample, bot):
    await create_series(standin, sample)  # #getreal-chat is a chat channel from now on, chat running or not
    chat, (kai, mei, rob) = sample.channels["chat"], sample.members[:3]
    tip = await standin.say(kai, chat, "The ferry is cheaper before 8.")
    reply = await standin.say(mei, chat, "that was great, thanks Kai!", reply_to=tip)
    mention = await standin.say(rob, chat, f"ty <@{kai.id}> and <@{mei.id}>")
    assert await acts(bot, reply) == [("thanks", kai.id)]
    assert sorted(await acts(bot, mention)) == sorted([("thanks", kai.id), ("thanks", mei.id)])
    assert await acts(bot, tip) == []
    assert {a.session_id for a in await bot.storage.acts.of_message(reply.id)} == {None}


async def test_no_thanks_and_thanks_to_oneself_or_the_bot_count_nothing(standin, sample, bot):
    await create_series(standin, sample)
    chat, (kai, mei) = sample.channels["chat"], sample.members[:2]
    offer = await standin.say(kai, chat, "You can have my old winter coat.")
    refusal = await standin.say(mei, chat, "no thanks, I'm fine", reply_to=offer)
    to_self = await standin.say(kai, chat, "thanks me", reply_to=offer)
    bot_post = await standin.say(standin.bot_user, chat, "Hello from the bot")
    to_bot = await standin.say(mei, chat, f"thanks <@{standin.bot_user.id}>!", reply_to=bot_post)
    mass = await standin.say(kai, chat, "thanks @everyone " + " ".join(f"<@{m.id}>" for m in sample.members[1:6]))
    for message in (refusal, to_self, to_bot, mass):
        assert await acts(bot, message) == [], message.content


async def test_a_reply_to_an_answer_in_a_running_chat_is_a_helpful_act(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    chat, (kai, mei, rob) = sample.channels["chat"], sample.members[:3]
    answer = await standin.say(kai, chat, "A1: a job offer I couldn't refuse")
    question = await standin.say(rob, chat, "anyone here from Lisbon?")
    reply = await standin.say(mei, chat, "same for me, a new job", reply_to=answer)
    mention = await standin.say(kai, chat, f"<@{rob.id}> I lived there two years")
    thanks = await standin.say(kai, chat, "thank you!", reply_to=reply)
    assert await acts(bot, reply) == [("helpful", kai.id)]
    assert await acts(bot, mention) == [("helpful", rob.id)]
    assert await acts(bot, thanks) == [("thanks", mei.id)]  # a reply of thanks is not help too
    assert await acts(bot, question) == []
    session = await session_id(bot)
    assert [a.session_id for a in await bot.storage.acts.of_message(reply.id)] == [session]


async def test_thanks_by_reaction_are_taken_off_with_it(standin, sample, bot):
    await create_series(standin, sample)
    chat, (kai, mei) = sample.channels["chat"], sample.members[:2]
    tip = await standin.say(kai, chat, "Try the night bus.")
    await standin.react(mei, tip, "🙏")
    await standin.react(kai, tip, "🙏")  # one's own message: nothing
    await standin.react(mei, tip, "💯")

    async def reactions():
        return [(r.user_id, r.emoji, r.author_id) for r in await bot.storage.acts.reactions_on(tip.id)]

    async def reactions_are(want):
        async def there():
            await bot.chats.ingest.flush()
            return await reactions() == want
        await bot.chats.wait_for(there)

    await reactions_are([(mei.id, "💯", kai.id), (mei.id, "🙏", kai.id)])
    await standin.unreact(mei, tip, "🙏")
    await reactions_are([(mei.id, "💯", kai.id)])


async def test_an_edit_adds_then_takes_away_thanks(standin, sample, bot):
    await create_series(standin, sample)
    chat, (kai, mei) = sample.channels["chat"], sample.members[:2]
    tip = await standin.say(kai, chat, "The museum is free on Sundays.")
    reply = await standin.say(mei, chat, "Oh nice", reply_to=tip)
    assert await acts(bot, reply) == []
    await standin.edit(reply, "Oh nice, thanks!")
    await acts_become(bot, reply, [("thanks", kai.id)])
    await standin.edit(reply, "Oh nice")
    await acts_become(bot, reply, [])


async def test_a_deleted_message_takes_its_acts_and_reactions_away(standin, sample, bot):
    await create_series(standin, sample)
    chat, (kai, mei) = sample.channels["chat"], sample.members[:2]
    tip = await standin.say(kai, chat, "Where do you buy bread?")
    reply = await standin.say(mei, chat, "The bakery on 5th, cheers", reply_to=tip)
    assert sorted(await acts(bot, reply)) == [("thanks", kai.id)]
    await standin.react(kai, reply, "🙏")

    async def reacted():
        await bot.chats.ingest.flush()
        return await bot.storage.acts.reactions_on(reply.id)
    await bot.chats.wait_for(reacted)
    await standin.delete(reply)

    async def gone():
        return not await bot.storage.acts.of_message(reply.id) and not await bot.storage.acts.reactions_on(reply.id)
    await bot.chats.wait_for(gone)


async def test_a_channel_counts_only_once_opted_in(standin, sample, bot, clock):
    await create_series(standin, sample)
    general, chat, (kai, mei) = sample.channels["general"], sample.channels["chat"], sample.members[:2]
    question = await standin.say(kai, general, "How do I renew my visa?")
    before = await standin.say(mei, general, "At the town hall", reply_to=question)
    marker = await standin.say(mei, chat, f"thx <@{kai.id}>")
    assert await acts(bot, marker) == [("thanks", kai.id)]  # the chat channel's message, after the other
    assert bot.chats.capture.acts.remembered(before.id) is None
    assert await bot.storage.acts.of_message(before.id) == []

    assert await bot.storage.progression.add_channel(sample.guild.id, general.id, by=sample.admin.id, at=clock())
    again = await standin.say(kai, general, "How long does it take?")
    after = await standin.say(mei, general, "About two weeks", reply_to=again)
    thanks = await standin.say(kai, general, "much appreciated", reply_to=after)
    assert await acts(bot, after) == [("helpful", kai.id)]
    assert await acts(bot, thanks) == [("thanks", mei.id)]


async def test_in_a_questions_thread_a_reply_to_an_answer_is_helpful(standin, sample, bot, clock):
    await create_series(standin, sample, threads=True)
    (q1,) = await play_until_question(standin, sample, clock, 1)
    thread = await standin.wait_until(lambda: standin.channels.get(q1.id))
    kai, mei = sample.members[:2]
    answer = await standin.say(kai, thread, "Honestly, the job.")  # in Q1's thread: an answer to Q1
    reply = await standin.say(mei, thread, "Mine too", reply_to=answer)
    assert await acts(bot, reply) == [("helpful", kai.id)]
    assert {a.channel_id for a in await bot.storage.acts.of_message(reply.id)} == {thread.id}


async def test_what_was_said_while_the_bot_was_away_is_judged_alike_at_the_read_back(standin, sample, start_bot,
                                                                                     clock):
    run = await start_bot(clock=clock)
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    chat, (kai, mei, rob) = sample.channels["chat"], sample.members[:3]
    answer = await standin.say(kai, chat, "A1: the mountains")
    live = await standin.say(mei, chat, "so true, thanks", reply_to=answer)
    assert await acts(run.bot, live) == [("thanks", kai.id)]
    await run.stop()  # what the ingest holds is committed on the way out

    missed_answer = await standin.say(rob, chat, "A1: the weather")
    missed_reply = await standin.say(kai, chat, "same here", reply_to=missed_answer)
    missed_thanks = await standin.say(rob, chat, "thx!", reply_to=missed_reply)
    second = (await start_bot(clock=clock)).bot
    assert await acts(second, missed_thanks) == [("thanks", kai.id)]
    assert await acts(second, missed_reply) == [("helpful", rob.id)]
    assert [(a.kind, a.target_user_id) for a in await second.storage.acts.of_message(live.id)] == [
        ("thanks", kai.id)]


async def writes_refused(bot, refused: bool) -> None:
    """Make the bot's database connection refuse writes, as a file turned read-only does (or undo it)."""
    await bot.storage._db._conn.execute(f"PRAGMA query_only={'ON' if refused else 'OFF'}")


def handed_in(monkeypatch, ingest, method: str) -> asyncio.Event:
    """An event set once the ingest is handed a write through `method` (nothing is committed meanwhile, so nothing
    else would wake a waiter)."""
    event, original = asyncio.Event(), getattr(ingest, method)

    def noting(*args):
        original(*args)
        event.set()
    monkeypatch.setattr(ingest, method, noting)
    return event


async def test_acts_said_while_writes_are_refused_are_kept_and_stored_once_they_work(standin, sample, bot,
                                                                                     monkeypatch):
    await create_series(standin, sample)
    chat, (kai, mei) = sample.channels["chat"], sample.members[:2]
    tip = await standin.say(kai, chat, "The library lends bikes.")
    assert await acts(bot, tip) == []
    await writes_refused(bot, True)
    acts_in, reaction_in = (handed_in(monkeypatch, bot.chats.ingest, method) for method in ("acts", "reacted"))
    reply = await standin.say(mei, chat, "tysm!", reply_to=tip)
    await asyncio.wait_for(acts_in.wait(), 5)
    with pytest.raises(sqlite3.OperationalError):
        await bot.chats.ingest.flush()  # kept in memory, not stored
    await standin.react(mei, tip, "❤️")  # joins the writes kept, tried again with them
    await asyncio.wait_for(reaction_in.wait(), 5)
    with pytest.raises(sqlite3.OperationalError):
        await bot.chats.ingest.flush()
    await writes_refused(bot, False)
    await bot.chats.ingest.flush()
    assert [(a.kind, a.target_user_id) for a in await bot.storage.acts.of_message(reply.id)] == [("thanks", kai.id)]
    assert [(r.user_id, r.emoji) for r in await bot.storage.acts.reactions_on(tip.id)] == [(mei.id, "❤️")]
