"""End to end: when the database refuses writes (a read-only file, a full disk), people get a sentence, the hosts
are told once, and the bot carries on by itself once writes work again."""

from __future__ import annotations

import sqlite3

import pytest

from bot.errors import storage_trouble
from bot.standin import StandIn
from bot.standin.sample import SampleServer


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
