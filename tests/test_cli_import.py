"""`python -m bot import discordchatexporter` as a real process: an import and its summary, and each refusal in one
sentence with a non-zero exit and the database unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.cli._lock import instance_lock

ROOT = Path(__file__).resolve().parent.parent
GUILD = 111


def run(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database))
    return subprocess.run([sys.executable, "-m", "bot", "import", "discordchatexporter", "--guild", str(GUILD),
                           *args], cwd=database.parent, env=env, capture_output=True, text=True, timeout=60)


def message(n: int, text: str, author: str = "3", *, minutes: int = 0) -> dict[str, Any]:
    return {"id": str(1000 + n), "type": "Default", "timestamp": f"2026-02-03T21:{minutes:02d}:00-05:00",
            "timestampEdited": None, "isPinned": False, "content": text,
            "author": {"id": author, "name": f"user{author}", "nickname": f"User {author}", "isBot": author == "1"}}


def write(path: Path, messages: list[dict[str, Any]] | None, *, guild: int = GUILD) -> Path:
    document: dict[str, Any] = {"guild": {"id": str(guild), "name": "S", "iconUrl": ""},
                                "channel": {"id": "10", "type": "GuildTextChat", "name": "chat"}}
    if messages is not None:
        document["messages"] = messages
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def good(folder: Path) -> Path:
    return write(folder / "good.json", [message(1, "**Q1:** Why?", "1", minutes=2), message(2, "A1: because",
                                                                                           minutes=3)])


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def refused(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr, result.stderr


def test_an_export_is_imported_and_summed_up(tmp_path: Path) -> None:
    result = run(str(good(tmp_path)), database=tmp_path / "hb.db")
    assert result.returncode == 0, result.stderr
    assert "Imported 2 messages from 1 file(s): 1 chats, 1 members who posted" in result.stdout


def test_each_bad_file_is_refused_and_nothing_is_imported(tmp_path: Path) -> None:
    database = tmp_path / "hb.db"
    assert run(str(good(tmp_path)), database=database).returncode == 0
    before = digest(database)
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps({"guild": {"id": str(GUILD)}, "channel": {"id": "11"},
                               "messages": [message(5, "hi"), message(6, "there")]})[:-40], encoding="utf-8")
    cases = [
        (write(tmp_path / "other.json", [message(3, "hi")], guild=999), "is an export of server 999, not 111"),
        (write(tmp_path / "empty.json", []), "has no messages"),
        (write(tmp_path / "none.json", None), "has no messages"),
        (tmp_path / "missing.json", "could not read"),
        (cut, "cut short"),
    ]
    (tmp_path / "junk.json").write_text("this is not json", encoding="utf-8")
    cases.append((tmp_path / "junk.json", "not valid JSON"))
    for path, says in cases:
        refused(run(str(good(tmp_path)), str(path), database=database), says)
        assert digest(database) == before, path.name


def test_the_import_waits_until_the_bot_is_stopped(tmp_path: Path) -> None:
    database = tmp_path / "hb.db"
    with instance_lock(database):
        refused(run(str(good(tmp_path)), database=database), "already running")
    assert not database.exists()
