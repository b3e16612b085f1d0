"""`python -m bot report newcomers`: the moderators' newcomer report from the database, with no token.

The cases call main() in-process (fast); one runs the real `python -m bot` to check the command as typed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.domain.newcomers import CSV_COLUMNS, REPORT_STATUSES
from bot.domain.progression_render import read_spreadsheet_id
from bot.storage import Storage
from cogs.moderation import Status

ROOT = Path(__file__).resolve().parent.parent
GUILD, OTHER_GUILD = 111, 222
AMARA, BEX, CYD, DARA, ELSEWHERE = 1001, 1002, 1003, 1004, 1005
TOMAS, MIRA = 2001, 3001  # a regular who greets, a moderator who reviews
# Counted back from the real clock, as the report is: an hour's slack keeps the edges well clear.
NOW = datetime.now(UTC) - timedelta(hours=1)


async def plant(storage: Storage) -> None:
    """Three recent newcomers with different first steps, one older joiner, and one in another server."""
    long_ago = NOW - timedelta(days=400)
    await storage.members.record_join(GUILD, TOMAS, "Tomás", long_ago, NOW - timedelta(days=200))
    await storage.members.record_join(GUILD, MIRA, "Mira", long_ago, NOW - timedelta(days=300))

    # Amara: welcomed, said hello, greeted by Tomás, reviewed.
    await storage.members.record_join(GUILD, AMARA, "Amara 🌻", long_ago, NOW - timedelta(days=2))
    await storage.welcomes.set_arrival(GUILD, AMARA, "welcomed")
    await storage.newcomers.note_first_message(GUILD, AMARA, message_id=50, channel_id=60,
                                               at=NOW - timedelta(days=1, hours=23),
                                               text="Hi all, glad to be here", link=False)
    await storage.newcomers.record_greeting(GUILD, AMARA, TOMAS, at=NOW - timedelta(days=1, hours=22), message_id=51,
                                            session_id=None)
    await storage.newcomers.review(GUILD, AMARA, "reviewed", reviewer_id=MIRA, at=NOW - timedelta(days=1))

    # Bex: a two-day-old account, a link and a mass mention first thing; put on watch.
    await storage.members.record_join(GUILD, BEX, "Bex", NOW - timedelta(days=3), NOW - timedelta(days=1))
    await storage.welcomes.set_arrival(GUILD, BEX, "held")
    await storage.newcomers.note_first_message(GUILD, BEX, message_id=52, channel_id=60, at=NOW - timedelta(hours=20),
                                               text="free nitro https://discord.gg/abc", link=True)
    await storage.newcomers.flag(GUILD, BEX, "mass_mentions")
    await storage.newcomers.review(GUILD, BEX, "follow_up", reviewer_id=MIRA, at=NOW - timedelta(hours=19))
    await storage.newcomers.review(GUILD, BEX, "watch", reviewer_id=MIRA, at=NOW - timedelta(hours=18))  # the latest

    # Cyd: left and came back, posted the same text in three channels; not reviewed yet.
    await storage.members.record_join(GUILD, CYD, "Cyd", long_ago, NOW - timedelta(days=10))
    await storage.welcomes.set_arrival(GUILD, CYD, "welcomed")
    await storage.members.record_leave(GUILD, CYD, NOW - timedelta(days=9))
    await storage.members.record_join(GUILD, CYD, "Cyd", long_ago, NOW - timedelta(hours=5))
    await storage.newcomers.flag(GUILD, CYD, "repeated_text")

    # Dara joined 20 days ago: outside the default 14 days.
    await storage.members.record_join(GUILD, DARA, "Dara", long_ago, NOW - timedelta(days=20))
    await storage.welcomes.set_arrival(GUILD, DARA, "welcomed")

    # Someone new in another server, never in this one's report.
    await storage.members.record_join(OTHER_GUILD, ELSEWHERE, "Elsewhere", long_ago, NOW - timedelta(days=1))
    await storage.welcomes.set_arrival(OTHER_GUILD, ELSEWHERE, "welcomed")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "heartbeat.db"

    async def build() -> None:
        async with await Storage.open(path) as storage:
            await plant(storage)

    asyncio.run(build())
    return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run main() with DATABASE_PATH set (no token, no .env), returning (exit code, stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, database: Path) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_PATH", str(database))
        capsys.readouterr()
        code = main(["report", "newcomers", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def sections(markdown: str) -> dict[str, str]:
    """The Markdown report's newcomer sections by their heading."""
    return {part.split("\n")[0]: part for part in markdown.split("\n## ")[1:]}


def test_markdown_lists_each_newcomer_with_flags_and_review(cli, database):
    code, out, err = cli("--guild", str(GUILD), database=database)
    assert code == 0, err
    assert err == ""
    assert out.startswith(f"# Newcomers in server {GUILD}, last 14 days\n")
    found = sections(out)
    # Unreviewed first, then follow-up and watch, then reviewed.
    assert list(found) == ["Cyd (Unreviewed)", "Bex (Watch)", "Amara 🌻 (Reviewed)"]

    amara = found["Amara 🌻 (Reviewed)"]
    assert 'First message: "Hi all, glad to be here"' in amara
    assert "Greeted by a human: Tomás, 1 h later" in amara
    assert "Flags: none" in amara
    assert "Review: Reviewed by Mira at " in amara

    bex = found["Bex (Watch)"]
    assert "account 2 days old" in bex
    assert "Flags: account under 7 days old, link or invite in first message, 5+ mentions in a message" in bex
    assert "Review: Watch by Mira at " in bex
    assert "Greeted by a human: not yet" in bex

    cyd = found["Cyd (Unreviewed)"]
    assert "Flags: same text in 3+ channels, left and rejoined" in cyd
    assert "First message: none yet" in cyd
    assert "Review: Unreviewed" in cyd

    assert "Dara" not in out and "Elsewhere" not in out and "Tomás (" not in out


def test_csv_has_the_header_and_one_row_per_newcomer(cli, database):
    code, out, err = cli("--guild", str(GUILD), "--format", "csv", database=database)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    # Written ="…" so that a spreadsheet keeps every digit (an 18-digit number would lose its last ones).
    assert [r["user_id"] for r in records] == [f'="{CYD}"', f'="{BEX}"', f'="{AMARA}"']
    assert out.splitlines()[1].startswith(f'"=""{CYD}"""')
    by_id = {read_spreadsheet_id(r["user_id"]): r for r in records}
    assert by_id[BEX]["flags"] == "account under 7 days old; link or invite in first message; 5+ mentions in a message"
    assert by_id[BEX]["review"] == "Watch" and by_id[BEX]["reviewed_by"] == "Mira"
    assert by_id[AMARA]["name"] == "Amara 🌻" and by_id[AMARA]["greeted_by"] == "Tomás"
    assert by_id[CYD]["review"] == "Unreviewed" and by_id[CYD]["reviewed_by"] == ""


def test_json_has_the_newcomers_of_this_server_only(cli, database):
    code, out, err = cli("--guild", str(GUILD), "--format", "json", database=database)
    assert code == 0, err
    report = json.loads(out)
    assert [row["user_id"] for row in report] == [str(CYD), str(BEX), str(AMARA)]
    assert report[1]["flags"] == ["account under 7 days old", "link or invite in first message",
                                  "5+ mentions in a message"]
    assert report[2]["first_message"] == "Hi all, glad to be here"

    code, out, _ = cli("--guild", str(OTHER_GUILD), "--format", "json", database=database)
    assert code == 0 and [row["user_id"] for row in json.loads(out)] == [str(ELSEWHERE)]


def test_days_sets_how_far_back_the_report_looks(cli, database):
    code, out, err = cli("--guild", str(GUILD), "--format", "json", "--days", "30", database=database)
    assert code == 0, err
    # Unreviewed first; ids as strings, which every JSON reader keeps whole.
    assert [row["user_id"] for row in json.loads(out)] == [str(CYD), str(DARA), str(BEX), str(AMARA)]

    code, out, err = cli("--guild", str(GUILD), "--format", "json", "--days", "3", database=database)
    assert code == 0, err
    assert [row["user_id"] for row in json.loads(out)] == [str(CYD), str(BEX), str(AMARA)]

    code, out, err = cli("--guild", str(GUILD), "--days", "1", database=database)
    assert code == 0, err
    assert out.startswith(f"# Newcomers in server {GUILD}, last day\n")
    assert list(sections(out)) == ["Cyd (Unreviewed)"]  # Bex joined a day and an hour ago


def test_all_covers_every_join_however_old(cli, database):
    code, out, err = cli("--guild", str(GUILD), "--format", "json", "--all", database=database)
    assert code == 0, err
    assert [row["user_id"] for row in json.loads(out)] == [str(CYD), str(DARA), str(BEX), str(AMARA)]
    code, out, err = cli("--guild", str(GUILD), "--all", database=database)
    assert out.startswith(f"# Newcomers in server {GUILD}, all joins\n")


def test_status_keeps_only_newcomers_with_that_review(cli, database):
    code, out, err = cli("--guild", str(GUILD), "--status", "unreviewed", database=database)
    assert code == 0, err
    assert out.startswith(f"# Newcomers in server {GUILD}, last 14 days (unreviewed)\n")
    assert list(sections(out)) == ["Cyd (Unreviewed)"]

    code, out, _ = cli("--guild", str(GUILD), "--status", "watch", "--format", "json", database=database)
    assert code == 0 and [row["user_id"] for row in json.loads(out)] == [str(BEX)]
    assert typing.get_args(Status) == REPORT_STATUSES  # the same choices as /report newcomers


def test_no_newcomers_is_an_empty_report_not_an_error(cli, database):
    quiet = ("--guild", str(OTHER_GUILD), "--days", "1")  # its one newcomer joined a day and an hour ago
    code, out, err = cli(*quiet, database=database)
    assert (code, err) == (0, "")
    assert out == f"# Newcomers in server {OTHER_GUILD}, last day\n\nNo newcomers in this period.\n"

    code, out, _ = cli(*quiet, "--format", "csv", database=database)
    assert code == 0 and list(csv.reader(io.StringIO(out, newline=""))) == [list(CSV_COLUMNS)]
    code, out, _ = cli(*quiet, "--format", "json", database=database)
    assert code == 0 and json.loads(out) == []


def test_a_server_the_database_does_not_hold_is_named_with_the_ones_it_does(cli, database):
    code, out, err = cli("--guild", "999", database=database)
    assert code == 2 and out == ""
    assert err == (f"heartbeat: server 999 is not in {database}, which holds members of servers {GUILD}, "
                   f"{OTHER_GUILD}.\n")


def test_a_missing_database_is_refused_and_not_created(cli, tmp_path):
    missing = tmp_path / "data" / "heartbeat.db"
    code, out, err = cli("--guild", str(GUILD), database=missing)
    assert code == 2 and out == ""
    assert f"there is no database at {missing} yet" in err
    assert len(err.strip().splitlines()) == 1
    assert not missing.exists() and not missing.parent.exists()


@pytest.mark.parametrize("days", ["0", "91", "-3"])
def test_days_out_of_range_are_refused_with_one_sentence(cli, database, days):
    code, out, err = cli("--guild", str(GUILD), "--days", days, database=database)
    assert code == 2 and out == ""
    assert err == f"heartbeat: --days {days} is out of range: choose between 1 and 90 days.\n"


def test_a_file_that_is_not_a_database_exits_1(cli, tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("not a database, just some notes\n" * 100)
    code, out, err = cli("--guild", str(GUILD), database=bogus)
    assert code == 1 and out == ""
    assert err.startswith(f"heartbeat: {bogus} is not a usable Heartbeat database (SQLite says: file is not a "
                          "database); nothing in it was changed.")
    assert "Traceback" not in err


def test_guild_is_required(cli, database, capsys):
    with pytest.raises(SystemExit) as exited:
        cli(database=database)
    assert exited.value.code == 2
    assert "--guild" in capsys.readouterr().err


def test_the_command_as_typed_prints_utf8_without_a_token(database, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database), PYTHONIOENCODING="ascii")
    result = subprocess.run([sys.executable, "-m", "bot", "report", "newcomers", "--guild", str(GUILD), "--format",
                             "md"], cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stderr == b""
    assert "## Amara 🌻 (Reviewed)" in result.stdout.decode("utf-8")  # UTF-8 even on an ASCII console
