"""`python -m bot transcript` and `report` as real processes: they read a database and never change it.

Another program's SQLite file, a database from an older or a newer Heartbeat, a server the database does not
hold: each gets one sentence and a non-zero exit, and the file keeps every byte.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import MIGRATIONS_DIR, Storage, Transcript

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC) - timedelta(hours=1)
GUILD, OTHER_GUILD = 111, 222
READERS = {"transcript": ("transcript",), "report": ("report", "newcomers", "--guild", str(GUILD))}


def read(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` on the database, with no token and nothing else set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database))
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=database.parent, env=env, capture_output=True,
                          text=True, timeout=60)


def files(folder: Path) -> dict[str, str]:
    """Every file in the folder and a digest of its bytes."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def refused_with_one_sentence(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr


@pytest.fixture
def heartbeat_db(tmp_path: Path) -> Path:
    """A Heartbeat database with a newcomer and a kept transcript in one server, and a transcript in another."""
    path = tmp_path / "heartbeat.db"

    async def build() -> None:
        async with await Storage.open(path) as storage:
            await storage.members.record_join(GUILD, 1001, "Amara", NOW - timedelta(days=40), NOW - timedelta(days=2))
            await storage.welcomes.set_arrival(GUILD, 1001, "welcomed")
            for guild_id in (GUILD, OTHER_GUILD):
                chat = await storage.sessions.create_adhoc(guild_id=guild_id, channel_id=5, name="GetRealChat",
                                                           hashtag="GetRealChat", timezone="UTC",
                                                           starts_at=NOW - timedelta(days=1), topic=None)
                await storage.transcripts.save(Transcript(chat.id, "recap", "# #GetRealChat\n", "<p></p>", NOW))

    asyncio.run(build())
    return path


@pytest.mark.parametrize("command", READERS)
def test_another_programs_database_is_refused_and_keeps_every_byte(tmp_path: Path, command: str):
    notes = tmp_path / "notes.db"
    with sqlite3.connect(notes) as conn:
        conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
        conn.executemany("INSERT INTO note (text) VALUES (?)", [("buy milk",), ("call Ana",)])
    conn.close()
    before = files(tmp_path)
    result = read(*READERS[command], database=notes)
    refused_with_one_sentence(result, f"heartbeat: {notes} is not a Heartbeat database")
    assert "set DATABASE_PATH to the database the bot uses" in result.stderr
    assert files(tmp_path) == before  # not a byte more, and no journal or log beside it


@pytest.mark.parametrize("command", READERS)
def test_a_database_from_an_older_heartbeat_is_left_for_the_bot_to_upgrade(tmp_path: Path, command: str):
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    shipped = sorted(MIGRATIONS_DIR.glob("*.sql"))
    for migration in shipped[:-1]:
        (earlier / migration.name).write_text(migration.read_text(encoding="utf-8"), encoding="utf-8")
    database = tmp_path / "data" / "heartbeat.db"

    async def build() -> None:
        await (await Storage.open(database, migrations_dir=earlier)).close()

    asyncio.run(build())
    before = files(database.parent)
    result = read(*READERS[command], database=database)
    refused_with_one_sentence(result, f"{database} was written by an older Heartbeat")
    assert "start the bot once to upgrade it" in result.stderr
    assert files(database.parent).items() >= before.items()
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (len(shipped) - 1,)


@pytest.mark.parametrize("command", READERS)
def test_a_database_from_a_newer_heartbeat_is_refused(heartbeat_db: Path, command: str):
    with sqlite3.connect(heartbeat_db) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = files(heartbeat_db.parent)
    result = read(*READERS[command], database=heartbeat_db)
    refused_with_one_sentence(result, "was written by a newer Heartbeat (schema version 99;")
    assert files(heartbeat_db.parent).items() >= before.items()


@pytest.mark.parametrize("command", READERS)
def test_reading_a_heartbeat_database_changes_nothing_in_it(heartbeat_db: Path, command: str):
    before = files(heartbeat_db.parent)
    result = read(*READERS[command], database=heartbeat_db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# ")
    # SQLite may leave an empty write-ahead log and its index beside a WAL database it read; the file itself
    # keeps every byte.
    after = files(heartbeat_db.parent)
    assert after[heartbeat_db.name] == before[heartbeat_db.name] and after.items() >= before.items()


def test_a_server_without_transcripts_is_named_with_the_ones_that_have_them(heartbeat_db: Path):
    result = read("transcript", "--guild", "333", database=heartbeat_db)
    refused_with_one_sentence(result, f"heartbeat: server 333 is not in {heartbeat_db}, which holds transcripts "
                                      f"of servers {GUILD}, {OTHER_GUILD}.")
