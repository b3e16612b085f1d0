"""`python -m bot backup OUT.db` as a real process: a consistent copy taken while another connection keeps writing,
that opens as the same Heartbeat database; refusals in one sentence."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import sys
from pathlib import Path

from bot.storage import Storage

ROOT = Path(__file__).resolve().parent.parent


async def backup(database: Path, out: Path, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_"))}
    env.update(DATABASE_PATH=str(database), PYTHONPATH=str(ROOT))
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "backup", str(out), cwd=cwd, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_a_backup_taken_while_the_database_is_written_is_whole_and_opens(tmp_path: Path):
    database = tmp_path / "data" / "heartbeat.db"
    storage = await Storage.open(database)
    written = 0
    stop = asyncio.Event()

    async def keep_writing() -> None:
        nonlocal written
        while not stop.is_set():
            await storage.meta.set(f"row:{written}", "x" * 200)  # one committed transaction each
            written += 1
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    try:
        code, out, err = await backup(database, tmp_path / "copy.db", tmp_path)
    finally:
        stop.set()
        await writer
        await storage.close()
    assert (code, err) == (0, ""), err
    assert out.startswith(f"Backed up {database} to {tmp_path / 'copy.db'} (")
    copy = tmp_path / "copy.db"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # what members said: the owner's alone
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT COUNT(*) FROM bot_meta WHERE key LIKE 'row:%'").fetchone()[0]
    assert 0 < rows <= written  # a moment of the writing, whole
    async with await Storage.open(copy) as restored:  # restoring is using the copy in the database's place
        assert await restored.meta.get("row:0") == "x" * 200
    assert not list(tmp_path.glob("*.partial"))


async def test_a_backup_refuses_to_overwrite_or_to_copy_what_is_not_heartbeats(tmp_path: Path):
    database = tmp_path / "heartbeat.db"
    async with await Storage.open(database):
        pass
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"an older backup")
    code, _, err = await backup(database, taken, tmp_path)
    assert (code, err.strip()) == (2, f"heartbeat: {taken} already exists: give a new file name, so no backup is "
                                      "overwritten by mistake.")
    assert taken.read_bytes() == b"an older backup"

    stranger = tmp_path / "other.db"
    with sqlite3.connect(stranger) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    code, _, err = await backup(stranger, tmp_path / "copy.db", tmp_path)
    assert code == 2 and err.strip().startswith(f"heartbeat: {stranger} is not a Heartbeat database")
    assert not (tmp_path / "copy.db").exists()

    code, _, err = await backup(tmp_path / "missing.db", tmp_path / "copy.db", tmp_path)
    assert code == 2 and "there is no database at" in err and not (tmp_path / "missing.db").exists()
