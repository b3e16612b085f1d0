"""`python -m bot` as a real process: no token, live against the stand-in with SIGTERM, invite, demo, transcript."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import bot
from bot.permissions import required_permissions
from bot.standin import StandIn
from bot.standin.sample import build_sample
from bot.storage import Storage, Transcript

ROOT = Path(__file__).resolve().parent.parent
SECRET = "MTIzNDU2Nzg5.Gx1y2z.this-is-the-secret-part"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=clean_env(**env), capture_output=True,
                          text=True, timeout=60)


def test_version_and_help_say_what_it_is_reads_and_does(tmp_path):
    version = run_cli("--version", cwd=tmp_path)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert version.returncode == 0 and version.stdout.strip() == f"heartbeat {bot.__version__}"
    assert f'version = "{bot.__version__}"' in pyproject  # one version, said twice
    shown = run_cli("--help", cwd=tmp_path)
    assert shown.returncode == 0
    for command in ("run", "demo", "invite", "transcript", "report", "import", "backup"):
        assert re.search(rf"^    {command} +\S", shown.stdout, re.MULTILINE), command  # a line each
    for variable in ("DISCORD_TOKEN", "DATABASE_PATH", "LOG_LEVEL", "SYNC_GUILD_ID", "HEARTBEAT_DEFAULTS"):
        assert variable in shown.stdout
    assert "python -m bot demo " in shown.stdout and "examples:" in shown.stdout


def test_missing_token_exits_at_once_with_one_clear_sentence(tmp_path):
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr and "python -m bot demo" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_value_names_the_variable_and_what_is_allowed(tmp_path):
    result = run_cli(cwd=tmp_path, DISCORD_TOKEN=SECRET, LOG_LEVEL="LOUD")
    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr and "DEBUG" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_token_is_refused_without_echoing_it(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=abc def.this-is-the-secret-part\n")
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr
    assert "secret" not in result.stderr + result.stdout


def test_invite_url_has_both_scopes_and_exactly_the_needed_permissions(tmp_path):
    result = run_cli("invite", cwd=tmp_path, DISCORD_TOKEN=SECRET)
    assert result.returncode == 0, result.stderr
    query = parse_qs(urlparse(result.stdout.strip()).query)
    assert query["client_id"] == ["123456789"]  # read from the token's first segment
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(required_permissions().value)]
    assert required_permissions().manage_events and required_permissions().send_messages
    assert not required_permissions().administrator

    explicit = run_cli("invite", "--client-id", "42", cwd=tmp_path)
    assert "client_id=42" in explicit.stdout
    missing = run_cli("invite", cwd=tmp_path)
    assert missing.returncode == 2 and "--client-id" in missing.stderr


def test_demo_runs_the_scene_and_leaves_its_output(tmp_path):
    result = run_cli("demo", "--quiet", "--output", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "heartbeat.db", "newcomers.csv", "newcomers.md", "posts.json", "progression-cohorts.png",
        "progression-stages.png", "progression.csv", "progression.md", "scene.md", "transcript.html", "transcript.md"]
    scene = (out / "scene.md").read_text(encoding="utf-8")
    # The header says in which zone every time is shown, and Discord timestamps are shown in it too.
    assert scene.startswith("# Heartbeat demo\n\nEvery time below is New York time (America/New_York), as a reader "
                            "there sees it.")
    assert not re.search(r"[0-9]:[0-9]{2} UTC", scene)
    assert "Created **GetRealChat**" in scene and "• Tue 10 Mar 2026 21:00 EDT (in 10 minutes)" in scene
    assert "Ana: /config channel kind:chat" in scene
    assert "Only hosts can do that" in scene
    assert "posts in #getreal-chat (pings nobody): @everyone #GetRealChat" in scene
    assert "Created **GetRealChat**" in scene and "**Q6:**" in scene
    assert "@Kai joined just now, account 400 days old" in scene  # the join is on the bot's clock too

    # The chat: the weekly trigger starts it at the series' time, members check in, answer, edit.
    assert "20:50:00] Jonah: /chat list" in scene
    assert "21:00:00] Clock: moves on to Tue 10 Mar 2026 21:00 EDT: the series' start time" in scene
    assert "21:00:00] Heartbeat: posts in #getreal-chat (pings nobody): **Welcome to #GetRealChat!**" in scene
    assert "Grace: presses I'm here" in scene and "answers Grace (only they see it): You're checked in" in scene
    assert "Jonah: edits their answer to: A2: how early it gets dark in winter" in scene
    assert "21:45:00] Heartbeat: posts in #getreal-chat (pings nobody): **Q6:**" in scene
    assert "[attached: GetRealChat-2026-03-10.md]" in scene

    # Every post of the first chat exactly once, its recap last, with both transcripts attached.
    posts = json.loads((out / "posts.json").read_text(encoding="utf-8"))
    chat = [post for post in posts if post["channel"] == "getreal-chat" and not post["ephemeral"]]
    chat = chat[:next(n for n, post in enumerate(chat) if post["content"].startswith("**#GetRealChat recap")) + 1]
    heads = [post["content"].split("\n")[0].split(" ")[0] for post in chat if not post["content"].startswith("👋")]
    assert heads == ["@everyone", "**Welcome", "**Q1:**", "**Q2:**", "**Q3:**", "**Q4:**", "**Q5:**", "**Q6:**",
                     "**That's", "**#GetRealChat"]
    # First-time chatters greeted in batches: each of the nine who posted exactly once (Grace only checked in).
    greetings = [post["content"] for post in chat if post["content"].startswith("👋")]
    greeted = [name for text in greetings for name in re.findall(r"<@(\d+)>", text)]
    assert len(greeted) == len(set(greeted)) == 9 and len(greetings) == 4

    # Newcomers: Kai welcomed with the next chat, greeted by Riley, a raid welcomed once and alerted once.
    welcomes = [post["content"] for post in posts if post["channel"] == "welcome"]
    assert len(welcomes) == 2 and "and 2 others!" in welcomes[1]
    assert "can't ping @everyone, @here or a role" in scene
    assert len([post for post in posts if "Join burst" in post["content"]]) == 1
    newcomers = (out / "newcomers.md").read_text(encoding="utf-8")
    kai = newcomers.split("## Kai")[1].split("\n## ")[0]
    assert "Greeted by a human: Riley, 3 min later" in kai and "First chat: #GetRealChat on 2026-03-10" in kai
    assert newcomers.count("account under 7 days old") == 3  # raiders 0, 3 and 6
    assert "## Raider 6 (Watch)" in newcomers
    recaps = [post for post in posts if post["content"].startswith("**#GetRealChat recap**")]
    assert len(recaps) == 8  # the first chat, then seven weeks to the end of April
    assert recaps[0]["attachments"] == ["GetRealChat-2026-03-10.md", "GetRealChat-2026-03-10.html"]
    assert "3 checked in" in recaps[0]["content"] and "12 answers" in recaps[0]["content"]

    # The transcript groups each scripted answer under its question, in every form it was given.
    markdown = (out / "transcript.md").read_text(encoding="utf-8")
    sections = {part.split("\n")[0].split(":")[0]: part for part in markdown.split("\n## ")[1:]}
    assert list(sections) == ["Summary", "Q1", "Q2", "Q3", "Q4", "Q5", "Q6"]
    assert "- **Checked in:** 3" in sections["Summary"] and "- **Answers:** 12" in sections["Summary"]
    assert "_4 answers_" in sections["Q1"]
    for said in ("A1: A job offer in Toronto", "a1) love, honestly", "A 1: cheaper rent",
                 "**Tomás** (21:07): My sister lived here"):  # the last one a Discord reply to Q1
        assert said in sections["Q1"], said
    assert "A2: how early it gets dark in winter: 4:30pm!" in sections["Q2"]  # as edited
    assert "**Kai** (21:15): A2: how friendly my neighbours are" in sections["Q2"]
    assert "A3: a Sunday run club" in sections["Q3"] and "A3: the library" in sections["Q3"]
    assert "A4: jollof" in sections["Q4"] and "A5: that the first winter" in sections["Q5"]
    assert "A6: say yes" in sections["Q6"]
    # A Discord reply to a member's answer sits under that answer.
    assert "A1: A job offer in Toronto I couldn't turn down\n  - **Aisha** (21:08): Same here Priya" in sections["Q1"]
    html = (out / "transcript.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "4:30pm!" in html and "Same here Priya" in html

    with sqlite3.connect(out / "heartbeat.db") as db:
        assert db.execute("SELECT timezone FROM guild_config").fetchone() == ("America/New_York",)
        joined = [row[0] for row in db.execute("SELECT display_name FROM members WHERE join_count > 0 "
                                               "ORDER BY last_joined_at")]
        assert joined == ["Kai", *(f"Raider {n}" for n in range(7))]
        # The 34 members there before the bot are recorded quietly: seen, but not seen joining.
        assert db.execute("SELECT COUNT(*) FROM members WHERE join_count = 0").fetchone() == (34,)
        assert db.execute("SELECT COUNT(*) FROM question").fetchone() == (6 + 7,)
        assert db.execute("SELECT status, starts_at FROM chat_session WHERE status != 'planned' "
                          "ORDER BY starts_at LIMIT 1").fetchall() == [("ended", "2026-03-11T01:00:00.000000+00:00")]
        assert db.execute("SELECT COUNT(*) FROM transcript").fetchone() == (8,)
        assert db.execute("SELECT month, provisional FROM progression_close ORDER BY month").fetchall() == [
            ("2026-03", 0), ("2026-04", 0), ("2026-05", 1)]

    # Weeks later: two months close at midnight New York time, journeys show, and the report's files are written.
    assert "Clock: moves on to Wed 01 Apr 2026 00:00 EDT: March ends" in scene
    assert "Heartbeat: closes April: 33 lurker, 3 participant, 4 regular, 1 helper, 1 leader" in scene
    assert "Sam: /progression name member:Tomás" in scene and "Priya: /profile" in scene
    progression = (out / "progression.md").read_text(encoding="utf-8")
    assert "- Priya: participant Mar → helper Apr" in progression
    assert "- Tomás: participant Mar → leader Apr" in progression
    assert (out / "progression.csv").read_text(encoding="utf-8").startswith("month,")
    for chart in ("progression-stages.png", "progression-cohorts.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


async def test_live_process_runs_against_the_standin_and_stops_cleanly_on_sigterm(tmp_path):
    async with StandIn(token=SECRET) as standin:
        sample = build_sample(standin)
        database = tmp_path / "live.db"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=clean_env(DISCORD_TOKEN=SECRET, HEARTBEAT_DISCORD_URL=standin.url, DATABASE_PATH=str(database),
                          LOG_LEVEL="DEBUG"))
        try:
            await standin.wait_ready(timeout=30)
            await standin.wait_until(lambda: standin.global_commands, timeout=30)
            reply = await (await standin.slash(sample.admin, sample.channels["general"], "config timezone",
                                               zone="Asia/Kolkata")).reply(timeout=30)
            assert reply.text == "The server's time zone is now Asia/Kolkata."
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    log = output.decode()
    assert process.returncode == 0, log
    assert "Heartbeat stopped cleanly" in log
    assert "Traceback" not in log
    assert "secret-part" not in log and SECRET not in log  # the token never reaches the logs, even at DEBUG
    # Closed cleanly: the write-ahead log was checkpointed and removed, and the change is in the file.
    assert not Path(f"{database}-wal").exists()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT timezone FROM guild_config").fetchone() == ("Asia/Kolkata",)


# Three finished chats: two weeks of #GetRealChat in one server (New York evenings, so the local date is the
# day before the UTC one), and a #BookChat in another server.
KEPT = [
    (111, "GetRealChat", "America/New_York", datetime(2026, 3, 11, 1, 0, tzinfo=UTC), "first week"),
    (111, "GetRealChat", "America/New_York", datetime(2026, 3, 18, 0, 0, tzinfo=UTC), "second week"),
    (222, "BookChat", "UTC", datetime(2026, 3, 12, 19, 0, tzinfo=UTC), "books"),
]


@pytest.fixture
def transcripts_db(tmp_path: Path) -> Path:
    database = tmp_path / "kept.db"

    async def build() -> None:
        async with await Storage.open(database) as storage:
            for guild_id, hashtag, zone, starts_at, words in KEPT:
                session = await storage.sessions.create_adhoc(guild_id=guild_id, channel_id=guild_id + 1, name=hashtag,
                                                              hashtag=hashtag, timezone=zone, starts_at=starts_at,
                                                              topic=None)
                await storage.transcripts.save(Transcript(
                    session_id=session.id, recap=f"**#{hashtag} recap**", created_at=starts_at,
                    markdown=f"# #{hashtag}\n\n## Q1: Why?\n\n- **Tomás** (21:05): A1: {words}\n",
                    html=f"<!DOCTYPE html>\n<p>Tomás 👋 A1: {words}</p>\n"))

    asyncio.run(build())
    return database


def test_transcript_prints_the_latest_markdown_or_the_one_asked_for(tmp_path, transcripts_db):
    latest = run_cli("transcript", cwd=tmp_path, DATABASE_PATH=str(transcripts_db))
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.startswith("# #GetRealChat\n") and "A1: second week" in latest.stdout
    assert latest.stderr == ""

    by_date = run_cli("transcript", "--date", "2026-03-10", "--guild", "111", cwd=tmp_path,
                      DATABASE_PATH=str(transcripts_db))  # 01:00 UTC on the 11th is the evening of the 10th there
    assert by_date.returncode == 0, by_date.stderr
    assert "A1: first week" in by_date.stdout and "second week" not in by_date.stdout

    by_series = run_cli("transcript", "--series", "bookCHAT", cwd=tmp_path, DATABASE_PATH=str(transcripts_db))
    assert by_series.returncode == 0, by_series.stderr
    assert "A1: books" in by_series.stdout


def test_transcript_writes_html_files_named_by_hashtag_and_local_date(tmp_path, transcripts_db):
    out = tmp_path / "exported"
    every = run_cli("transcript", "--all", "--guild", "111", "--format", "html", "--out", str(out), cwd=tmp_path,
                    DATABASE_PATH=str(transcripts_db))
    assert every.returncode == 0, every.stderr
    assert every.stdout.splitlines() == [str(out / "GetRealChat-2026-03-17.html"),
                                         str(out / "GetRealChat-2026-03-10.html")]  # newest first
    assert sorted(p.name for p in out.iterdir()) == ["GetRealChat-2026-03-10.html", "GetRealChat-2026-03-17.html"]
    assert (out / "GetRealChat-2026-03-10.html").read_text(encoding="utf-8") == \
        "<!DOCTYPE html>\n<p>Tomás 👋 A1: first week</p>\n"

    one = run_cli("transcript", "--series", "BookChat", "--out", str(out), cwd=tmp_path,
                  DATABASE_PATH=str(transcripts_db))
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines() == [str(out / "BookChat-2026-03-12.md")]
    assert "A1: books" in (out / "BookChat-2026-03-12.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "says"), [
    (("--date", "2026-02-30"), "--date '2026-02-30' is not a date"),
    (("--all",), "add --out DIR"),
    (("--series", "NoSuchChat"), "no finished chat of series 'NoSuchChat' has a transcript"),
    (("--date", "2026-03-11", "--guild", "111"), "no finished chat on 2026-03-11 in server 111"),
])
def test_transcript_refuses_with_one_sentence(tmp_path, transcripts_db, args, says):
    result = run_cli("transcript", *args, cwd=tmp_path, DATABASE_PATH=str(transcripts_db))
    assert result.returncode == 2
    assert says in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_transcript_without_a_database_says_so_and_creates_none(tmp_path):
    missing = tmp_path / "data" / "heartbeat.db"
    result = run_cli("transcript", cwd=tmp_path, DATABASE_PATH=str(missing))
    assert result.returncode == 2
    assert f"there is no database at {missing} yet" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not missing.exists() and not missing.parent.exists()
