"""What `python -m bot demo` leaves in its output folder: the scene, every bot post, the database, the first chat's
transcripts, the newcomer report and the progression report."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.newcomers import NEWCOMER_DAYS, NewcomerRow, report_csv, report_markdown
from bot.domain.progression_report import ProgressionReport
from bot.reporting import report_uploads
from bot.standin import StandIn


def write_output(output: Path, lines: list[str], standin: StandIn, database: Path, newcomers: list[NewcomerRow],
                 progression: ProgressionReport, *, zone: ZoneInfo, scene_start: datetime) -> None:
    """scene.md (the readable log), posts.json (every bot post), heartbeat.db (the database it left),
    transcript.md and transcript.html (the transcripts the first recap carried), newcomers.md and newcomers.csv,
    and progression.md, .csv and its two charts."""
    output.mkdir(parents=True, exist_ok=True)
    title = f"Newcomers in the demo server, last {NEWCOMER_DAYS} days"
    (output / "newcomers.md").write_text(report_markdown(newcomers, title=title), encoding="utf-8")
    (output / "newcomers.csv").write_text(report_csv(newcomers), encoding="utf-8")
    (output / "scene.md").write_text(
        f"# Heartbeat demo\n\nEvery time below is New York time ({zone.key}), as a reader there sees it."
        " Each line starts with the real seconds since the start and the bot's clock, which the scene "
        f"moves from {scene_start:%a %d %b %Y %H:%M %Z} through the chat; the times in posts and replies are Discord "
        "timestamps, which every reader sees in their own zone, shown here as a New York reader sees them.\n\n```\n"
        + "\n".join(lines) + "\n```\n", encoding="utf-8")
    bot_posts = [m for m in standin.messages.values() if m.author is standin.bot_user]
    posts = [{"channel": standin.channels[m.channel_id].name, "content": m.content, "embeds": m.embeds,
              "attachments": [a["filename"] for a in m.attachments], "ephemeral": bool(m.flags & 64)}
             for m in bot_posts]
    (output / "posts.json").write_text(json.dumps(posts, indent=2, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(database, output / "heartbeat.db")
    first_recap = next(m for m in bot_posts if m.content.startswith("**#GetRealChat recap**"))
    for attachment in first_recap.attachments:
        suffix = Path(attachment["filename"]).suffix
        if suffix in (".md", ".html"):
            (output / f"transcript{suffix}").write_bytes(standin.attachments[int(attachment["id"])])
    for upload in report_uploads(progression, ("md", "csv", "png")):
        (output / upload.filename).write_bytes(upload.data)
