"""`python -m bot` at start: a damaged database or a second process on it gets one sentence and exit 1."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.standin import StandIn
from bot.standin.sample import build_sample
from bot.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
SECRET = "MTIzNDU2Nzg5.Gx1y2z.this-is-the-secret-part"


async def heartbeat_database(path: Path) -> bytes:
    """The bytes of a real Heartbeat database with a few hundred kilobytes in it."""
    async with await Storage.open(path) as storage:
        for number in range(300):
            await storage.meta.set(f"filler:{number}", "x" * 500)
    return path.read_bytes()


def garbage(path: Path, real: bytes) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def truncated(path: Path, real: bytes) -> None:
    path.write_bytes(real[: len(real) // 3])


def zeroed_header(path: Path, real: bytes) -> None:
    path.write_bytes(bytes(100) + real[100:])


def folder(path: Path, real: bytes) -> None:
    path.mkdir()


def fingerprint(path: Path) -> str:
    return "folder" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()


def bot_env(standin: StandIn, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_"))}
    env.update(DISCORD_TOKEN=SECRET, HEARTBEAT_DISCORD_URL=standin.url, DATABASE_PATH=str(database),
               PYTHONPATH=str(ROOT))
    return env


async def start(standin: StandIn, database: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=database.anchor, env=bot_env(standin, database),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@pytest.mark.parametrize(("damage", "says"), [
    (garbage, "is not a usable Heartbeat database (SQLite says: file is not a database)"),
    (truncated, "is not a usable Heartbeat database (SQLite says: database disk image is malformed)"),
    (zeroed_header, "is not a usable Heartbeat database (SQLite says: file is not a database)"),
    (folder, "is a folder, not a database file: set DATABASE_PATH to a file"),
])
async def test_a_damaged_database_stops_the_bot_with_one_sentence_and_is_not_touched(
        tmp_path: Path, damage: Callable[[Path, bytes], None], says: str):
    real = await heartbeat_database(tmp_path / "real.db")
    database = tmp_path / "heartbeat.db"
    damage(database, real)
    before = fingerprint(database)
    async with StandIn(token=SECRET) as standin:
        build_sample(standin)
        process = await start(standin, database)
        _, error = await asyncio.wait_for(process.communicate(), 30)
    stderr = error.decode()
    assert process.returncode == 1
    assert "Traceback" not in stderr and "stopped cleanly" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"heartbeat: {database}") and says in last
    assert fingerprint(database) == before


async def test_a_second_process_on_the_same_database_is_refused_and_the_files_are_the_owners_alone(tmp_path: Path):
    database = tmp_path / "data" / "heartbeat.db"
    async with StandIn(token=SECRET) as standin:
        build_sample(standin)
        first = await start(standin, database)
        try:
            await standin.wait_ready(timeout=30)
            second = await start(standin, database)
            _, error = await asyncio.wait_for(second.communicate(), 30)
            assert second.returncode == 1
            last = error.decode().strip().splitlines()[-1]
            assert last == (f"heartbeat: another Heartbeat (process {first.pid}) is already running on {database}: "
                            "stop it first, or give this one its own DATABASE_PATH.")
            for path in (database, database.with_name("heartbeat.db-wal"), database.with_name("heartbeat.db.lock")):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        finally:
            first.send_signal(signal.SIGTERM)
            await asyncio.wait_for(first.communicate(), 30)
    assert first.returncode == 0

    async with StandIn(token=SECRET) as standin:  # once the first has stopped, the lock is free again
        build_sample(standin)
        again = await start(standin, database)
        try:
            await standin.wait_ready(timeout=30)
        finally:
            again.send_signal(signal.SIGTERM)
            await asyncio.wait_for(again.communicate(), 30)
    assert again.returncode == 0


async def test_a_database_folder_deleted_while_running_stops_the_bot_and_the_next_start_refuses(tmp_path: Path):
    database = tmp_path / "data" / "heartbeat.db"
    async with StandIn(token=SECRET) as standin:
        build_sample(standin)
        running = await start(standin, database)
        await standin.wait_ready(timeout=30)
        await standin.wait_until(lambda: standin.global_commands, timeout=30)  # set up: the database is open
        shutil.rmtree(database.parent)
        _, error = await asyncio.wait_for(running.communicate(), 30)
        assert running.returncode == 1
        last = error.decode().strip().splitlines()[-1]
        assert last.startswith(f"heartbeat: The database at {database} was deleted while the bot was running")

        again = await start(standin, database)
        _, error = await asyncio.wait_for(again.communicate(), 30)
    assert again.returncode == 1
    last = error.decode().strip().splitlines()[-1]
    assert "was deleted while the bot was running" in last and f"delete {database}.lost" in last
    assert not database.exists()  # nothing started empty in its place


async def test_no_network_is_named_as_such_not_blamed_on_the_database(tmp_path: Path):
    with socket.socket() as probe:  # a local port nobody listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_"))}
    env.update(DISCORD_TOKEN=SECRET, HEARTBEAT_DISCORD_URL=f"http://127.0.0.1:{port}",
               DATABASE_PATH=str(tmp_path / "heartbeat.db"), PYTHONPATH=str(ROOT))
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, error = await asyncio.wait_for(process.communicate(), 30)
    last = error.decode().strip().splitlines()[-1]
    assert process.returncode == 1
    assert last.startswith("heartbeat: could not reach Discord") and "database" not in last


async def run_bot(tmp_path: Path, **env_vars: str) -> tuple[int, str]:
    """`python -m bot` with DISCORD_TOKEN and these variables; (exit code, stderr) once it ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_"))}
    env.update({"DISCORD_TOKEN": SECRET, "DATABASE_PATH": str(tmp_path / "heartbeat.db"), "PYTHONPATH": str(ROOT),
                **env_vars})
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, error = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, error.decode()


def last_line(stderr: str) -> str:
    assert "Traceback" not in stderr and "stopped cleanly" not in stderr, stderr
    return stderr.strip().splitlines()[-1]


async def test_a_server_that_never_answers_is_given_up_on_after_the_connect_timeout(tmp_path: Path):
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepted, and never answered

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    (tmp_path / "defaults.toml").write_text("connect_timeout_seconds = 1\n", encoding="utf-8")
    async with server:
        code, stderr = await run_bot(tmp_path, HEARTBEAT_DISCORD_URL=f"http://127.0.0.1:{port}",
                                     HEARTBEAT_DEFAULTS=str(tmp_path / "defaults.toml"))
    assert held  # it did connect
    assert code == 1
    assert last_line(stderr) == (f"heartbeat: Discord did not answer within 1 s at http://127.0.0.1:{port}: check the "
                                 "network connection (and any proxy or firewall), then start again.")
    assert not (tmp_path / "heartbeat.db").exists()  # nothing was opened for a start that never began


async def test_discord_answering_502_is_named_as_discords_trouble(tmp_path: Path):
    async def bad_gateway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"
                     b"Connection: close\r\n\r\nBad Gateway")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(bad_gateway, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        code, stderr = await run_bot(tmp_path, HEARTBEAT_DISCORD_URL=f"http://127.0.0.1:{port}")
    assert code == 1
    assert last_line(stderr).startswith("heartbeat: Discord answered 502 (Bad Gateway): it is having trouble")


async def test_a_database_path_that_cannot_be_written_says_so(tmp_path: Path):
    async with StandIn(token=SECRET) as standin:
        build_sample(standin)
        code, stderr = await run_bot(tmp_path, HEARTBEAT_DISCORD_URL=standin.url, DATABASE_PATH="/proc/version")
    assert code == 1
    assert last_line(stderr).startswith("heartbeat: could not open the database at /proc/version: no file can be "
                                        "made in /proc")


async def test_a_defaults_file_that_is_not_utf8_is_named(tmp_path: Path):
    (tmp_path / "defaults.toml").write_bytes("timezone = 'Europe/Zürich'\n".encode("latin-1"))
    code, stderr = await run_bot(tmp_path, HEARTBEAT_DEFAULTS=str(tmp_path / "defaults.toml"))
    assert code == 2
    assert last_line(stderr) == (f"heartbeat: The defaults file {tmp_path / 'defaults.toml'} is not UTF-8 text: save "
                                 "it as UTF-8 (any editor's \"Save with encoding\"), then start again.")


def test_the_demo_refuses_an_output_folder_it_cannot_write(tmp_path: Path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--output", str(blocked / "out")], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 2
    assert last_line(result.stderr).startswith(f"heartbeat: the demo cannot write its output to {blocked / 'out'}")


async def test_a_database_from_a_newer_heartbeat_is_refused_and_left_alone(tmp_path: Path):
    database = tmp_path / "heartbeat.db"
    await heartbeat_database(database)
    db = sqlite3.connect(database)
    db.execute("PRAGMA user_version = 99")  # what a later Heartbeat's migrations would leave
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # into the file itself, so its bytes say everything
    db.close()
    before = fingerprint(database)
    async with StandIn(token=SECRET) as standin:
        build_sample(standin)
        code, stderr = await run_bot(tmp_path, HEARTBEAT_DISCORD_URL=standin.url)
    assert code == 1
    assert "schema version 99 but this Heartbeat only knows up to" in last_line(stderr)
    assert "upgrade Heartbeat (or restore a backup) instead" in last_line(stderr)
    assert fingerprint(database) == before
