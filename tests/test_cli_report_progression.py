"""`python -m bot report progression`: the progression report from the recorded months, with no token.

The cases call main() in-process (fast); one runs the real `python -m bot` to check the command as typed and that
the database keeps every byte.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.__main__ import main
from bot.domain.progression_render import CSV_COLUMNS, read_spreadsheet_id
from bot.storage import Storage
from tests.domain.progression_plan import GUILD, KAI, PLAN, inputs
from tests.helpers import record_months

ROOT = Path(__file__).resolve().parent.parent
EMPTY_GUILD = 555555555555555555


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """January to June 2026 of the planned server (June still running), and a server with members but no months."""
    path = tmp_path / "heartbeat.db"

    async def build() -> None:
        async with await Storage.open(path) as storage:
            await record_months(storage, GUILD, inputs(), timezone="America/New_York")
            await storage.members.record_join(EMPTY_GUILD, KAI, "Kai", *[inputs()[0].rows[0].joined_at] * 2)

    asyncio.run(build())
    return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `report progression ARGS` with DATABASE_PATH set (no token, no .env): (exit code, stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, database: Path) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_PATH", str(database))
        capsys.readouterr()
        code = main(["report", "progression", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_markdown_is_the_last_six_months_by_default(cli, database):
    code, out, err = cli("--guild", str(GUILD), database=database)
    assert (code, err) == (0, "")
    assert out.startswith(f"# Progression in server {GUILD}, Jan 2026 – Jun 2026\n")
    assert "server time (America/New_York)" in out
    assert "- Kai: lurker Jan → participant Feb → regular Apr → helper Jun" in out
    assert "- **Noor**: joined 2026-02-03, answered in Feb (1 answer), no chat since" in out


def test_json_lists_every_member_of_every_month_with_ids_as_strings(cli, database):
    code, out, err = cli("--guild", str(GUILD), "--format", "json", "--months", "2", database=database)
    assert code == 0, err
    report = json.loads(out)
    assert report["guild_id"] == str(GUILD) and report["timezone"] == "America/New_York"
    assert [(m["month"], m["provisional"]) for m in report["months"]] == [("2026-05", False), ("2026-06", True)]
    assert report["months"][1]["stages"] == {"lurker": 2, "participant": 4, "regular": 1, "helper": 1, "leader": 1}
    assert {m["user_id"] for m in report["months"][1]["members"]} == {str(u) for u in PLAN}


def test_csv_from_and_to_has_one_row_per_member_per_month(cli, database):
    code, out, err = cli("--guild", str(GUILD), "--format", "csv", "--from", "2026-02", "--to", "2026-03",
                         database=database)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["month"], read_spreadsheet_id(r["user_id"])) for r in rows if r["name"] == "Kai"] == \
        [("2026-02", KAI), ("2026-03", KAI)]
    assert len(rows) == 6 + 7


def test_out_writes_the_files_and_png_writes_both_charts(cli, database, tmp_path):
    folder = tmp_path / "reports"
    code, out, err = cli("--guild", str(GUILD), "--format", "png", "--out", str(folder), database=database)
    assert code == 0, err
    assert out.splitlines() == [str(folder / "progression-stages.png"), str(folder / "progression-cohorts.png")]
    for name in ("progression-stages.png", "progression-cohorts.png"):
        assert imread(folder / name).shape[:2] == (540, 960)
    code, out, err = cli("--guild", str(GUILD), "--format", "md", "--out", str(folder), database=database)
    assert code == 0 and out == f"{folder / 'progression.md'}\n"
    assert (folder / "progression.md").read_text(encoding="utf-8").startswith("# Progression in server")


@pytest.mark.parametrize(("args", "says"), [
    (("--format", "png"), "heartbeat: --format png draws two charts, which need a folder: add --out DIR.\n"),
    (("--months", "0"), "heartbeat: Choose between 1 and 36 months (you asked for 0).\n"),
    (("--months", "37"), "heartbeat: Choose between 1 and 36 months (you asked for 37).\n"),
    (("--from", "2026-05", "--to", "2026-02"),
     "heartbeat: The range starts (2026-05) after it ends (2026-02): give the earlier month first.\n"),
    (("--from", "May 2026"), "heartbeat: 'May 2026' is not a month; write it as YYYY-MM, e.g. 2026-03.\n"),
    (("--months", "3", "--from", "2026-01"), "heartbeat: give either --months or --from/--to, not both.\n"),
    (("--from", "2024-01", "--to", "2024-06"),
     f"heartbeat: No progression months are recorded from 2024-01 to 2024-06; server {GUILD} has 2026-01 to "
     "2026-06.\n"),
])
def test_mistakes_are_refused_with_one_sentence(cli, database, args, says):
    code, out, err = cli("--guild", str(GUILD), *args, database=database)
    assert (code, out, err) == (2, "", says)


def test_a_server_with_no_months_yet_says_so(cli, database):
    code, out, err = cli("--guild", str(EMPTY_GUILD), database=database)
    assert (code, out) == (2, "")
    assert err == (f"heartbeat: No progression months are recorded for server {EMPTY_GUILD} yet: the report has "
                   "something to show once the bot has recorded its first month there.\n")


def test_the_command_as_typed_reads_without_changing_the_database(database, tmp_path):
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database), PYTHONIOENCODING="ascii")
    result = subprocess.run([sys.executable, "-m", "bot", "report", "progression", "--guild", str(GUILD)],
                            cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert "lurker Jan → participant Feb" in result.stdout.decode("utf-8")  # UTF-8 even on an ASCII console
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
