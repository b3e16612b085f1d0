"""End to end: when the database refuses writes (a read-only file, a full disk), people get a sentence, the hosts
are told once, and the bot carries on by itself once writes work again."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bot.chats import _ingest as ingest
from bot.client import READY_RETRY
from bot.clock import Clock
from bot.errors import storage_trouble
from bot.standin import StandIn
from bot.standin.sample import SampleServer
from tests.helpers import BEFORE, create_series, move_to, play_until_question, posted, session_id

# Monday 9 March 2026, 20:00 in New York.
MONDAY = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


async def run(standin: StandIn, sample: SampleServer, user, command: str, **options):
    return await (await standin.slash(user, sample.channels["general"], command, **options)).reply()


async def writes_refused(bot, refused: bool) -> None:
    """Make the bot's own database connection refuse writes, as a file turned read-only does (or undo it).

    SQLite itself refuses (SQLITE_READONLY); only the switch is reached through the private writer, because
    a file's mode cannot take away the write access of a connection that already has it open.
    """
    await bot.storage._db._conn.execute(f"PRAGMA query_only={'ON' if refused else 'OFF'}")


async def test_a_read_only_database_gets_a_sentence_one_alert_and_recovers_by_itself(standin, sample, heartbeat):
    bot = heartbeat.bot
    await run(standin, sample, sample.admin, "config channel", kind="moderator", channel=sample.channels["mod-log"])
    await run(standin, sample, sample.admin, "config role", kind="host", role=sample.roles["hosts"])
    # The bot has no Mention Everyone: the alert pings the hosts because their role is mentionable.
    sample.roles["hosts"].mentionable = True
    await writes_refused(bot, True)

    for zone in ("Asia/Kolkata", "Europe/Paris"):
        reply = await run(standin, sample, sample.admin, "config timezone", zone=zone)
        assert reply.ephemeral
        assert reply.text.startswith("I can't save anything right now: the bot's database file is read-only.")
        assert "reference" not in reply.text
    alerts = [m for m in standin.bot_messages(sample.channels["mod-log"]) if "can't save anything" in m.content]
    assert len(alerts) == 1 and alerts[0].pinged_roles == {sample.roles["hosts"].id}
    assert (await bot.storage.config.get(sample.guild.id)).timezone is None  # nothing half-stored

    await writes_refused(bot, False)  # the file is writable again: nothing to restart
    reply = await run(standin, sample, sample.admin, "config timezone", zone="Asia/Kolkata")
    assert reply.text == "The server's time zone is now Asia/Kolkata."


def test_a_full_disk_is_named_as_such(tmp_path):
    database = sqlite3.connect(tmp_path / "small.db")
    database.execute("CREATE TABLE filler (text TEXT)")
    database.execute("PRAGMA max_page_count = 3")  # a real SQLITE_FULL once the file may grow no further
    with pytest.raises(sqlite3.OperationalError) as full:
        for _ in range(100):
            database.execute("INSERT INTO filler VALUES (?)", ("x" * 4000,))
    assert storage_trouble(full.value) == "the bot's disk is full"
    assert storage_trouble(sqlite3.OperationalError("no such table: nothing")) is None


async def test_a_catch_up_at_ready_that_cannot_write_is_tried_again_once_writes_work(standin, sample, start_bot):
    clock = Clock.frozen(MONDAY)  # a day and more before Tuesday's chat: its reminders are still to come
    first = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await first.close()

    bot = (await start_bot(clock=clock, before_ready=lambda bot: writes_refused(bot, True))).bot
    # Rebuilding the series' reminders needs a write: refused, so the rebuild stops there (the weekly newcomer
    # report, rebuilt after it, is not set) and a retry is.
    assert "ready:catch-up" in bot.jobs.pending()
    assert f"report:{sample.guild.id}" not in bot.jobs.pending()

    await writes_refused(bot, False)
    move_to(clock, MONDAY + READY_RETRY)
    await bot.jobs.idle()
    assert "ready:catch-up" not in bot.jobs.pending()
    assert f"report:{sample.guild.id}" in bot.jobs.pending()


async def answers_while_writes_are_refused(standin, sample, bot, clock) -> tuple[int, list]:
    """Run a chat to Q1, make the database refuse writes, and have three members answer; the session and answers."""
    await run(standin, sample, sample.admin, "config channel", kind="moderator", channel=sample.channels["mod-log"])
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 1)
    session = await session_id(bot)

    await posted(bot, session, "question", 1)
    await writes_refused(bot, True)
    answers = [await standin.say(sample.members[n], sample.channels["chat"], f"A1: answer {n}") for n in range(3)]
    alert = await standin.wait_for_message(lambda m: m.channel_id == sample.channels["mod-log"].id
                                           and "can't save anything" in m.content)
    assert "read-only" in alert.content
    return session, answers


async def test_answers_sent_while_writes_are_refused_are_kept_and_stored_once_they_work_again(
        standin, sample, start_bot):
    clock = Clock.frozen(BEFORE)
    bot = (await start_bot(clock=clock)).bot
    session, answers = await answers_while_writes_are_refused(standin, sample, bot, clock)
    with pytest.raises(sqlite3.OperationalError):
        await bot.chats.ingest.flush()  # kept in memory, not stored

    await writes_refused(bot, False)
    await bot.chats.ingest.flush()  # tried again without waiting for a restart or a read-back
    stored = {m.message_id: m for m in await bot.storage.messages.of_session(session)}
    assert {a.id for a in answers} <= set(stored)
    assert [stored[a.id].question_number for a in answers] == [1, 1, 1]


async def test_answers_kept_too_long_are_read_back_once_writes_work_again(standin, sample, start_bot, monkeypatch):
    monkeypatch.setattr(ingest, "KEEP_AT_MOST", 0)  # nothing refused is kept: it is read back from Discord
    clock = Clock.frozen(BEFORE)
    bot = (await start_bot(clock=clock)).bot
    session, answers = await answers_while_writes_are_refused(standin, sample, bot, clock)

    async def given_up() -> bool:
        return "ready:catch-up" in bot.jobs.pending()
    await bot.chats.wait_for(given_up)

    await writes_refused(bot, False)
    move_to(clock, clock.now() + READY_RETRY)
    await bot.jobs.idle()
    await bot.chats.ingest.flush()
    stored = {m.message_id for m in await bot.storage.messages.of_session(session)}
    assert {a.id for a in answers} <= stored


async def test_a_button_pressed_while_writes_are_refused_answers_with_the_sentence(standin, sample, start_bot):
    clock = Clock.frozen(BEFORE)
    bot = (await start_bot(clock=clock)).bot
    await create_series(standin, sample)
    await play_until_question(standin, sample, clock, 0)
    opening = next(m for m in standin.bot_messages(sample.channels["chat"]) if m.content.startswith("**Welcome"))
    button = next(custom_id for custom_id in opening.custom_ids() if custom_id.startswith("checkin:"))
    await writes_refused(bot, True)
    pressed = await (await standin.click(sample.members[0], opening, button)).reply()
    assert pressed.ephemeral
    assert pressed.text.startswith("I can't save anything right now: the bot's database file is read-only.")
