"""`python -m bot purge [--dry-run]`: message text older than each server's retention, shown or blanked, per server.

The cases call main() in-process; one runs the real `python -m bot` to check the command as typed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.domain.privacy import PURGED_TEXT
from bot.storage import Storage
from tests.helpers import store_everything

ROOT = Path(__file__).resolve().parent.parent
GUILD, OTHER_GUILD = 111, 222
KAI, MEI, LEA, ROB = 1001, 1002, 1003, 1004
NOW = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two servers, each with a chat 200 days old and one from today; the second keeps text 365 days."""
    path = tmp_path / "heartbeat.db"

    async def plant() -> None:
        async with await Storage.open(path) as storage:
            await store_everything(storage, KAI, MEI, GUILD, 1, NOW - timedelta(days=200))
            await store_everything(storage, LEA, ROB, GUILD, 2, NOW)
            await store_everything(storage, KAI, MEI, OTHER_GUILD, 3, NOW - timedelta(days=200))
            await storage.config.set_retention(OTHER_GUILD, 365, updated_by=KAI, now=NOW)

    asyncio.run(plant())
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("DISCORD_TOKEN", "")
    return path


async def _state(path: Path) -> tuple[list[str], list[str], list[str]]:
    async with await Storage.open_read_only(path) as storage:
        return ([m.content for m in await storage.messages.of_session(1)],
                [m.content for m in await storage.messages.of_session(2)],
                [m.content for m in await storage.messages.of_session(3)])


def test_a_dry_run_shows_what_would_go_per_server_and_changes_nothing(database: Path,
                                                                      capsys: pytest.CaptureFixture[str]):
    before = asyncio.run(_state(database))
    assert main(["purge", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "server 111: would blank text older than 180 days: 2 chat messages, 2 first messages, 1 transcript",
        "server 222: would blank text older than 365 days: 0 chat messages, 0 first messages, 0 transcripts"]
    assert asyncio.run(_state(database)) == before


def test_a_purge_blanks_old_text_only_and_says_so_per_server(database: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["purge"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "server 111: blanked text older than 180 days: 2 chat messages, 2 first messages, 1 transcript",
        "server 222: blanked text older than 365 days: 0 chat messages, 0 first messages, 0 transcripts"]
    old, new, elsewhere = asyncio.run(_state(database))
    assert old == ["", ""] and new == ["A1: the sea", f"thanks <@{LEA}>, and <@!{LEA}> again"]
    assert elsewhere != ["", ""]

    async def transcripts() -> tuple[str, str]:
        async with await Storage.open_read_only(database) as storage:
            return ((await storage.transcripts.get(1)).markdown,  # type: ignore[union-attr]
                    (await storage.transcripts.get(2)).markdown)  # type: ignore[union-attr]
    assert asyncio.run(transcripts()) == (PURGED_TEXT, "- **Kai**: A1: the sea")
    assert main(["purge", "--dry-run", "--guild", "111"]) == 0
    assert capsys.readouterr().out.startswith("server 111: would blank text older than 180 days: 0 chat messages")


def test_an_unknown_server_or_a_missing_database_is_one_sentence(database: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch):
    assert main(["purge", "--guild", "999"]) == 2
    assert capsys.readouterr().err == f"heartbeat: server 999 has nothing in {database}.\n"
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "none.db"))
    assert main(["purge", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith(f"heartbeat: there is no database at {tmp_path / 'none.db'} yet")


def test_the_command_as_typed(database: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_PATH": str(database), "DISCORD_TOKEN": ""}
    done = subprocess.run([sys.executable, "-m", "bot", "purge", "--dry-run", "--guild", "222"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("server 222: would blank")
