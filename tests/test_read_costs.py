"""What the newcomer report and the transcript export cost: a fixed number of reads, whatever the history holds."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.newcomers import newcomer_report
from bot.storage import Storage, Transcript
from tests.helpers import counted_reads

GUILD = 111
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
GREETER, REVIEWER = 900, 901


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


async def plant_newcomers(storage: Storage, count: int) -> None:
    """`count` newcomers, each greeted, reviewed, and checked in to two chats (one of which they answered in)."""
    await storage.members.record_join(GUILD, GREETER, "Tomás", NOW - 400 * DAY, NOW - 300 * DAY)
    await storage.members.record_join(GUILD, REVIEWER, "Mira", NOW - 400 * DAY, NOW - 300 * DAY)
    chats = [await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=5, name="GetRealChat",
                                                 hashtag="GetRealChat", timezone="America/New_York",
                                                 starts_at=NOW - weeks * 7 * DAY, topic=None) for weeks in (1, 2)]
    for number in range(count):
        user_id = 1000 + number
        joined = NOW - (20 + number % 5) * DAY
        await storage.members.record_join(GUILD, user_id, f"Newcomer {number}", joined - 30 * DAY, joined)
        await storage.welcomes.set_arrival(GUILD, user_id, "welcomed")
        await storage.newcomers.note_first_message(GUILD, user_id, message_id=user_id * 10, channel_id=6,
                                                   at=joined + DAY, text="hello", link=False)
        await storage.newcomers.record_greeting(GUILD, user_id, GREETER, at=joined + 2 * DAY,
                                                message_id=user_id * 10 + 1, session_id=None)
        if number % 2:
            await storage.newcomers.review(GUILD, user_id, "reviewed", reviewer_id=REVIEWER, at=NOW - DAY)
        for chat in chats:
            await storage.activity.record_checkin(GUILD, chat.id, user_id, chat.starts_at)


async def reads_for_report(storage: Storage, **options: object) -> int:
    """How many statements one newcomer report reads, names unknown to the server (as the command line has it)."""
    with counted_reads() as reads:
        rows = await newcomer_report(storage, GUILD, now=NOW, days=None, **options)  # type: ignore[arg-type]
    assert rows
    return len(reads)


async def test_the_newcomer_report_reads_as_much_for_30_newcomers_as_for_3(tmp_path: Path):
    costs = []
    for count in (3, 30):
        async with await Storage.open(tmp_path / f"{count}.db") as storage:
            await plant_newcomers(storage, count)
            costs.append(await reads_for_report(storage))
    # Three for the newcomers and their chats; seven for their stage now, as the progression engine judges it
    # (the server's zone and thresholds, named leaders, the window's three tallies, the last closed months); one for
    # the members who opted out (left out of the report).
    assert costs[0] == costs[1] <= 11, f"reads for 3 and for 30 newcomers: {costs}"


async def test_one_newcomers_card_reads_no_more_than_the_whole_report(storage: Storage):
    await plant_newcomers(storage, 10)
    with counted_reads() as reads:
        rows = await newcomer_report(storage, GUILD, now=NOW, days=None, only=1003)
    assert [row.user_id for row in rows] == [1003]
    assert rows[0].greeted_by == "Tomás" and rows[0].reviewed_by == "Mira" and rows[0].stage == "lurker"
    assert len(reads) <= 11  # as the whole report: the same reads for one member


async def test_a_newcomers_stage_is_the_progression_engines(storage: Storage):
    await plant_newcomers(storage, 3)
    await storage.progression.name(GUILD, 1001, by=REVIEWER, at=NOW)  # named leaders exist only in that engine
    rows = await newcomer_report(storage, GUILD, now=NOW, days=None)
    assert {row.user_id: row.stage for row in rows} == {1000: "lurker", 1001: "leader", 1002: "lurker"}


# --- transcripts -------------------------------------------------------------------------------------------

# Statements that read the transcript table itself (a transcript's text), not the sessions that have one.
TRANSCRIPT_TEXT = re.compile(r"\bFROM transcript\b")


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    """Eight weekly #GetRealChat transcripts in one server and four #BookChat ones in another, each a little long."""
    database = tmp_path / "kept.db"

    async def build() -> None:
        async with await Storage.open(database) as storage:
            for guild_id, hashtag, weeks in ((GUILD, "GetRealChat", 8), (GUILD + 1, "BookChat", 4)):
                for week in range(weeks):
                    starts_at = NOW - (weeks - week) * 7 * DAY
                    chat = await storage.sessions.create_adhoc(guild_id=guild_id, channel_id=guild_id + 1,
                                                               name=hashtag, hashtag=hashtag, timezone="UTC",
                                                               starts_at=starts_at, topic=None)
                    words = f"week {week} " * 2000
                    await storage.transcripts.save(Transcript(chat.id, f"#{hashtag} recap", f"# #{hashtag}\n{words}",
                                                              f"<p>{words}</p>", starts_at))

    asyncio.run(build())
    return database


@pytest.fixture
def transcript_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, int]]:
    """Run `python -m bot transcript ...` in-process on a database: (exit code, stdout, transcripts read)."""
    for name in list(os.environ):
        if name.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, database: Path) -> tuple[int, str, int]:
        monkeypatch.setenv("DATABASE_PATH", str(database))
        capsys.readouterr()
        with counted_reads() as reads:
            code = main(["transcript", *args])
        return code, capsys.readouterr().out, sum(1 for sql in reads if TRANSCRIPT_TEXT.search(sql))

    return run


def test_printing_the_latest_transcript_reads_that_one_alone(transcript_cli, kept):
    code, out, read = transcript_cli(database=kept)
    assert code == 0 and out.startswith("# #GetRealChat\nweek 7 week 7")
    assert read == 1, f"{read} transcripts read to print one"
    code, out, read = transcript_cli("--series", "bookchat", "--format", "html", database=kept)
    assert code == 0 and out.startswith("<p>week 3 ") and read == 1


def test_exporting_reads_each_exported_transcript_once_and_no_other(transcript_cli, kept, tmp_path):
    code, out, read = transcript_cli("--guild", str(GUILD + 1), "--all", "--out", str(tmp_path / "out"),
                                     database=kept)
    assert code == 0 and len(out.splitlines()) == 4
    assert read == 4
    code, out, read = transcript_cli("--out", str(tmp_path / "one"), database=kept)
    assert code == 0 and len(out.splitlines()) == 1 and read == 1
