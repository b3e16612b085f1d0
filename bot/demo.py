"""`python -m bot demo`: the real bot, cogs and SQLite rehearsing a scene against the local Discord stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shutil
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.client import Heartbeat, use_discord_at
from bot.settings import Settings
from bot.standin import InteractionRecord, StandIn, User
from bot.standin.sample import SampleServer, build_sample

EXAMPLE_QUESTIONS = Path(__file__).resolve().parent.parent / "config" / "questions" / "example.toml"


class SceneLog:
    """A readable account of what members did and what the bot posted, printed and kept for demo-output/."""

    def __init__(self, sample: SampleServer, *, quiet: bool) -> None:
        self.sample = sample
        self.quiet = quiet
        self.started = time.monotonic()
        self.lines: list[str] = []
        self.seen = 0

    def _name(self, text: str) -> str:
        """Replace <#id>, <@id>, <@&id> and <t:unix:style> with readable names and times."""
        text = re.sub(r"<t:(\d+)(?::(\w))?>", _timestamp, text)
        for channel in self.sample.guild.channels.values():
            text = text.replace(f"<#{channel.id}>", f"#{channel.name}")
        for role in self.sample.guild.roles.values():
            text = text.replace(f"<@&{role.id}>", f"@{role.name}")
        for user in self.sample.standin.users.values():
            text = text.replace(f"<@{user.id}>", f"@{user.name}")
        return text

    def add(self, who: str, what: str) -> None:
        line = f"[{time.monotonic() - self.started:6.2f}s] {who}: {self._name(what)}"
        self.lines.append(line)
        if not self.quiet:
            print(line, flush=True)

    def flush_posts(self) -> None:
        """Log the bot's public posts made since the last flush, with whom they pinged."""
        for message in self.sample.standin.bot_messages():
            if message.id > self.seen:
                self.seen = message.id
                channel = self.sample.standin.channels[message.channel_id]
                pinged = [f"<@{u}>" for u in message.pinged_users] + [f"<@&{r}>" for r in message.pinged_roles]
                pings = ("pings " + ", ".join(pinged)) if pinged or message.pinged_everyone else "pings nobody"
                self.add("Heartbeat", f"posts in #{channel.name} ({pings}): {message.text}")

    async def reply(self, record: InteractionRecord) -> str:
        reply = await record.reply()
        self.flush_posts()
        self.add("Heartbeat", f"answers {record.user.name}{' (only they see it)' if reply.ephemeral else ''}: "
                 f"{reply.text}")
        return reply.text


def _timestamp(match: re.Match[str]) -> str:
    """A Discord timestamp as a reader in UTC would see it; relative ones ("R") as "in 3 days"."""
    instant = datetime.fromtimestamp(int(match[1]), UTC)
    if match[2] != "R":
        return instant.strftime("%a %d %b %Y %H:%M UTC")
    seconds = (instant - datetime.now(UTC)).total_seconds()
    amount, unit = next((round(abs(seconds) / size), name) for size, name in
                        ((86400, "days"), (3600, "hours"), (60, "minutes"), (1, "seconds")) if abs(seconds) >= size
                        or size == 1)
    return f"in {amount} {unit}" if seconds >= 0 else f"{amount} {unit} ago"


async def _slash(scene: SceneLog, standin: StandIn, user: User, where: str, command: str, **options: Any) -> str:
    # Channels and roles by name, an attached file by its filename.
    shown = " ".join(f"{k}:{v[0] if isinstance(v, tuple) else getattr(v, 'name', v)}" for k, v in options.items())
    scene.add(user.name, f"/{command} {shown}".rstrip())
    return await scene.reply(await standin.slash(user, scene.sample.channels[where], command, **options))


async def play_scene(standin: StandIn, sample: SampleServer, scene: SceneLog) -> None:
    """Online, configured by an admin, a member refused, a join, /about, an announcement, a series and its questions."""
    channels, roles = sample.channels, sample.roles
    await _slash(scene, standin, sample.admin, "general", "config status")
    await _slash(scene, standin, sample.admin, "general", "config channel", kind="chat", channel=channels["chat"])
    await _slash(scene, standin, sample.admin, "general", "config channel", kind="welcome",
                 channel=channels["welcome"])
    await _slash(scene, standin, sample.admin, "general", "config channel", kind="moderator",
                 channel=channels["mod-log"])
    await _slash(scene, standin, sample.admin, "general", "config role", kind="host", role=roles["hosts"])
    await _slash(scene, standin, sample.admin, "general", "config role", kind="helper", role=roles["helpers"])
    await _slash(scene, standin, sample.admin, "general", "config role", kind="notify", role=roles["notify"])
    await _slash(scene, standin, sample.admin, "general", "config timezone", zone="America/New_York")
    await _slash(scene, standin, sample.admin, "general", "config status")

    await _slash(scene, standin, sample.members[3], "general", "config timezone", zone="UTC")

    newcomer = standin.add_user("Kai")
    scene.add("Kai", "joins the server")
    await standin.join(sample.guild, newcomer)
    await _slash(scene, standin, newcomer, "general", "about")

    await _slash(scene, standin, sample.host, "general", "announce",
                 text="@everyone #GetRealChat is back next Tuesday: bring a friend!")
    await _slash(scene, standin, sample.moderator, "general", "report joins", days=7)

    await _slash(scene, standin, sample.host, "general", "chat create", name="GetRealChat", hashtag="#GetRealChat",
                 channel=channels["chat"], weekday="Tuesday", time="21:00", spacing="8m")
    await _slash(scene, standin, sample.host, "general", "chat questions import",
                 file=("example.toml", EXAMPLE_QUESTIONS.read_bytes()))
    await _slash(scene, standin, sample.members[5], "general", "chat list")


async def run_demo(settings: Settings, output: Path, *, quiet: bool = False) -> int:
    """Run the scene with a throwaway database; write the log, the bot's posts and the database to `output`."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="heartbeat-demo-") as scratch:
        database = Path(scratch) / "demo.db"
        async with StandIn() as standin:
            use_discord_at(standin.url)
            sample = build_sample(standin)
            scene = SceneLog(sample, quiet=quiet)
            bot = Heartbeat(replace(settings, token=standin.token, database_path=database, sync_guild_id=None),
                            identify_delay=0, guild_ready_timeout=0.05)
            runner = asyncio.create_task(bot.start(standin.token))
            try:
                async with asyncio.timeout(50):
                    ready = asyncio.create_task(bot.connected.wait())
                    done, _ = await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
                    if runner in done:
                        runner.result()
                    scene.add("Heartbeat", f"is online in {sample.guild.name} with "
                              f"{len(standin.global_commands)} slash commands")
                    await play_scene(standin, sample, scene)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
            _write_output(output, scene, standin, database)
    print(f"Demo finished: {len(scene.lines)} steps; output in {output}/")
    return 0


def _write_output(output: Path, scene: SceneLog, standin: StandIn, database: Path) -> None:
    """scene.md (the readable log), posts.json (every bot post), heartbeat.db (the database it left)."""
    output.mkdir(parents=True, exist_ok=True)
    (output / "scene.md").write_text("# Heartbeat demo\n\n```\n" + "\n".join(scene.lines) + "\n```\n",
                                     encoding="utf-8")
    posts = [{"channel": standin.channels[m.channel_id].name, "content": m.content, "embeds": m.embeds,
              "ephemeral": bool(m.flags & 64)} for m in standin.messages.values() if m.author is standin.bot_user]
    (output / "posts.json").write_text(json.dumps(posts, indent=2, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(database, output / "heartbeat.db")
