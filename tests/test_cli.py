"""`python -m bot` as a real process: no token, live against the stand-in with SIGTERM, invite, demo."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from bot.permissions import required_permissions
from bot.standin import StandIn
from bot.standin.sample import build_sample

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
    scene = (tmp_path / "out" / "scene.md").read_text()
    assert "Ana: /config channel kind:chat" in scene
    assert "Only members with the Manage Server permission" in scene
    assert "posts in #getreal-chat (pings nobody): @everyone #GetRealChat" in scene
    assert "Created **GetRealChat**" in scene and "**Q6:**" in scene
    with sqlite3.connect(tmp_path / "out" / "heartbeat.db") as db:
        assert db.execute("SELECT timezone FROM guild_config").fetchone() == ("America/New_York",)
        assert db.execute("SELECT display_name FROM members").fetchall() == [("Kai",)]
        assert db.execute("SELECT COUNT(*) FROM question").fetchone() == (6,)


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
