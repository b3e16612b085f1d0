"""End to end: nothing said in a chat is lost while the bot is away, however it went and however it comes back.

The bot keeps a listening checkpoint per chat channel and question thread, and reads back from there. These tests
take it away (a clean stop, a crash, a dropped connection), have members answer meanwhile, and have someone
answer live in the moment after READY, before any read-back has run: what a busy chat always does.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest

from bot.chats import _ingest as ingest
from bot.domain.running import post_key
from bot.standin.model import Channel, Message
from tests.helpers import create_series, ledger, play_until_question, recorded, session_id


async def answer(standin, sample, who: int, text: str, where: Channel | None = None) -> Message:
    return await standin.say(sample.members[who], where or sample.channels["chat"], text)


def speaking_first(standin, sample, said: list[Message], who: int = 29, where: Channel | None = None):
    """A `before_ready` for start_bot: a member answers live the moment the bot is back, and it is recorded
    before the read-back has even begun."""
    async def speak(bot) -> None:
        message = await answer(standin, sample, who, f"A2: the first thing heard on coming back ({len(said)})", where)
        await recorded(bot, [message])
        said.append(message)
    return speak


async def each_recorded_once(bot, messages: list[Message]) -> None:
    """Every message is in the transcript and counted in the ledger once, as a message and as an answer."""
    await recorded(bot, messages)
    rows = await ledger(bot, await session_id(bot))
    for message in messages:
        assert (rows.count((message.id, "message")), rows.count((message.id, "answer"))) == (1, 1), message.content


async def test_answers_sent_while_down_survive_a_member_speaking_before_the_read_back(standin, sample, start_bot,
                                                                                      clock):
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    heard = [await answer(standin, sample, 0, "A1: said while the bot listened")]
    await recorded(first, heard)
    await first.close()

    missed = [await answer(standin, sample, n, f"A2: said while the bot was down ({n})") for n in range(1, 6)]
    live: list[Message] = []
    second = (await start_bot(clock=clock, before_ready=speaking_first(standin, sample, live))).bot
    await each_recorded_once(second, heard + missed + live)


async def test_a_crash_after_live_answers_loses_nothing(standin, sample, start_bot, clock):
    run = await start_bot(clock=clock)
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    heard = [await answer(standin, sample, n, f"A2: heard live ({n})") for n in range(3)]
    await recorded(run.bot, heard)
    await run.crash()

    missed = [await answer(standin, sample, n, f"A2: said after the crash ({n})") for n in range(3, 6)]
    live: list[Message] = []
    second = (await start_bot(clock=clock, before_ready=speaking_first(standin, sample, live))).bot
    await each_recorded_once(second, heard + missed + live)


async def test_several_restarts_in_a_row_lose_no_answer(standin, sample, start_bot, clock):
    run = await start_bot(clock=clock)
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    said: list[Message] = []
    for round_, going in enumerate(("stop", "crash", "stop", "crash")):
        said.append(await answer(standin, sample, 3 * round_, f"A2: heard live in round {round_}"))
        await recorded(run.bot, said)
        await (run.stop() if going == "stop" else run.crash())
        said += [await answer(standin, sample, 3 * round_ + n, f"A2: said while down in round {round_} ({n})")
                 for n in (1, 2)]
        run = await start_bot(clock=clock, before_ready=speaking_first(standin, sample, said, who=20 + round_))
    await each_recorded_once(run.bot, said)


async def test_answers_in_question_threads_while_down_are_read_back(standin, sample, start_bot, clock):
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample, threads=True)
    q1, q2 = await play_until_question(standin, sample, clock, 2)
    session = await session_id(first)

    async def threads_recorded() -> bool:
        return all([(await first.storage.posts.get(post_key(session, "question", n))).thread_id for n in (1, 2)])
    await first.chats.wait_for(threads_recorded)
    thread1, thread2 = standin.channels[q1.id], standin.channels[q2.id]
    heard = [await answer(standin, sample, 0, "The job, mostly.", thread1)]
    await recorded(first, heard)
    await first.close()

    missed = [await answer(standin, sample, 1, "My partner's work.", thread1),
              await answer(standin, sample, 2, "How green it is.", thread2),
              await answer(standin, sample, 3, "A2: the bagels")]
    live: list[Message] = []
    second = (await start_bot(clock=clock, before_ready=speaking_first(standin, sample, live, where=thread2))).bot
    rows = await recorded(second, heard + missed + live)
    assert [row.question_number for row in rows] == [1, 1, 2, 2, 2]
    await each_recorded_once(second, heard + missed + live)


async def test_reading_back_twice_after_a_crash_mid_read_stores_each_answer_once(standin, sample, start_bot, clock):
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    await first.close()
    missed = [await answer(standin, sample, n, f"A2: said while the bot was down ({n})") for n in range(6)]

    # The next start dies part-way through reading them back: three committed, its checkpoint not yet moved.
    stalled, killed = asyncio.Event(), asyncio.get_running_loop().create_future()

    async def die_after_three(bot) -> None:
        record, read = bot.chats.capture.record, []

        async def record_then_hang(message):
            stored = await record(message)
            if message.id in {m.id for m in missed}:
                read.append(message.id)
                if len(read) == 3:
                    await bot.chats.ingest.flush()
                    stalled.set()
                    await killed  # the process hangs here until it is killed
            return stored
        bot.chats.capture.record = record_then_hang
    second = await start_bot(clock=clock, before_ready=die_after_three, ready=False)
    await second.until(stalled.wait(), "the third answer")
    assert [await second.bot.storage.messages.get(m.id) is not None for m in missed] == [True] * 3 + [False] * 3
    await second.crash()
    killed.cancel()

    live: list[Message] = []
    third = (await start_bot(clock=clock, before_ready=speaking_first(standin, sample, live))).bot
    await each_recorded_once(third, missed + live)


async def test_a_connection_that_cannot_resume_reads_the_gap_back(standin, sample, start_bot, clock):
    bot = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    missed: list[Message] = []

    async def talk() -> None:
        missed.extend([await answer(standin, sample, n, f"A2: said while cut off ({n})") for n in range(4)])
    standin.hold_member_lists()  # the new READY's on_ready waits while a member speaks
    await standin.drop_gateway(resumable=False, meanwhile=talk)
    await standin.wait_until(lambda: standin.held_member_requests)
    live = [await answer(standin, sample, 10, "A2: the first thing heard on the new connection")]
    await recorded(bot, live)
    await standin.release_member_lists()
    await each_recorded_once(bot, missed + live)
    assert standin.identify_count == 2


async def test_after_a_resumed_connection_the_checkpoint_waits_for_the_next_read_back(standin, sample, bot, clock):
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    chat = sample.channels["chat"]
    heard = [await answer(standin, sample, 0, "A2: before the drop")]

    def checkpoint_at(message: Message):
        async def there() -> bool:
            return await bot.storage.checkpoints.get(chat.id) == message.id
        return there
    await bot.chats.wait_for(checkpoint_at(heard[-1]))

    async def talk() -> None:
        heard.append(await answer(standin, sample, 1, "A2: said while the socket was down"))
    await standin.drop_gateway(meanwhile=talk)  # resumes: the gateway replays it
    await standin.wait_until(lambda: standin.resume_count == 1)
    heard.append(await answer(standin, sample, 2, "A2: said after the resume"))
    await each_recorded_once(bot, heard)
    # Recorded, but the checkpoint stays: after a drop nothing counts as heard in full until it is read back.
    assert await bot.storage.checkpoints.get(chat.id) == heard[0].id

    await standin.drop_gateway(resumable=False)  # a new READY reads back, and the checkpoint catches up
    await bot.chats.wait_for(checkpoint_at(heard[-1]))
    await each_recorded_once(bot, heard)


async def test_a_read_back_that_fails_is_made_again_at_the_next_ready(standin, sample, start_bot, clock):
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    await first.close()
    missed = [await answer(standin, sample, n, f"A2: said while the bot was down ({n})") for n in range(3)]

    chat = sample.channels["chat"]
    standin.fail_next("GET", rf"channels/{chat.id}/messages", 403)  # Read Message History, briefly taken away
    second = (await start_bot(clock=clock)).bot
    assert [await second.storage.messages.get(m.id) for m in missed] == [None] * 3
    live = [await answer(standin, sample, 10, "A2: heard live after the failed read")]
    await recorded(second, live)

    await standin.drop_gateway(resumable=False)
    await each_recorded_once(second, missed + live)


def handed_in(bot, messages: list[Message]) -> asyncio.Event:
    """Set once every one of `messages` has been handed to the ingest (judged, waiting in memory for its commit)."""
    waiting, save, done = {m.id for m in messages}, bot.chats.ingest.save, asyncio.Event()

    def saving(guild_id, message) -> None:
        save(guild_id, message)
        waiting.discard(message.message_id)
        if not waiting:
            done.set()
    bot.chats.ingest.save = saving
    return done


async def stored_rows(database, session: int) -> set[int]:
    """The message ids the database file holds for a session, read with SQLite itself once the bot has stopped."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return {row[0] for row in connection.execute("SELECT message_id FROM chat_message WHERE session_id = ?",
                                                     (session,))}


@pytest.fixture
def slow_commits(monkeypatch):
    """Rows wait in memory for an hour before their group commit, unless something flushes them."""
    monkeypatch.setattr(ingest, "FLUSH_EVERY", 3600.0)
    return monkeypatch


async def test_a_clean_stop_commits_what_was_still_in_memory(standin, sample, start_bot, clock, slow_commits):
    run = await start_bot(clock=clock)
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    session = await session_id(run.bot)
    said = [await answer(standin, sample, n, f"A2: said just before the stop ({n})") for n in range(20)]
    await run.until(handed_in(run.bot, said).wait(), "the answers reaching the ingest")
    assert not {m.id for m in said} & {m.message_id for m in await run.bot.storage.messages.of_session(session)}

    await run.stop()  # what SIGTERM and Ctrl+C do
    kept = await stored_rows(run.bot.settings.database_path, session)
    assert {m.id for m in said} <= kept


async def test_a_crash_with_answers_in_memory_loses_none_after_the_restart(standin, sample, start_bot, clock,
                                                                           slow_commits):
    run = await start_bot(clock=clock)
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 2)
    said = [await answer(standin, sample, n, f"A2: said just before the crash ({n})") for n in range(20)]
    await run.until(handed_in(run.bot, said).wait(), "the answers reaching the ingest")
    await run.crash()  # twenty answers judged and waiting for their commit: gone with the process

    slow_commits.undo()
    live: list[Message] = []
    again = (await start_bot(clock=clock, before_ready=speaking_first(standin, sample, live))).bot
    await each_recorded_once(again, said + live)
