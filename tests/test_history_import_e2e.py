"""End to end: a scripted community plays 13 weekly chats (February to April 2026) live through the stand-in, and
the same script is written as a DiscordChatExporter export of the chat channel as it goes. The export imported
into a fresh database (the bot set up on the server the same way, but absent for those months) gives the same
progression report as the live play. Importing it again changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.settings import Settings
from bot.standin.model import Message, User
from tests.helpers import create_series, move_to, play_weekly_chat, set_channels

NEW_YORK = ZoneInfo("America/New_York")
CHATS = [date(2026, 2, 3) + timedelta(weeks=n) for n in range(13)]  # Tuesdays, 3 February to 28 April
APRIL_ENDS = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
SET_UP = datetime(2026, 1, 28, 17, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
TABLES = ("chat_session", "question", "chat_message", "activity", "act", "reaction", "members", "prior_poster",
          "progression_close", "progression_month")


def starts(day: date) -> datetime:
    return datetime.combine(day, time(21, 0), NEW_YORK).astimezone(UTC)


def script() -> dict[date, list[tuple]]:
    """("answer", who), ("help", who, whom): a reply to whom's answer, ("thank", who, helper): a reply to the
    helper's help, ("react", who, helper, emoji) on the helper's help, ("ping", who, whom): thanks by mention."""
    plan: dict[date, list[tuple]] = {day: [("answer", n) for n in ("Priya", "Aisha", "Jonah", "Mei")]
                                     for day in CHATS}
    for day in CHATS[:9]:
        plan[day].append(("answer", "Marcus"))
    plan[CHATS[0]] += [("answer", "Lena"), ("answer", "Tomás")]
    plan[CHATS[1]] += [("answer", "Lena"), ("help", "Marcus", "Aisha"), ("help", "Marcus", "Jonah"),
                       ("thank", "Aisha", "Marcus"), ("react", "Jonah", "Marcus", "❤️")]
    plan[CHATS[2]] += [("help", "Marcus", "Mei"), ("ping", "Mei", "Marcus")]
    plan[CHATS[4]] += [("help", "Marcus", "Aisha"), ("react", "Aisha", "Marcus", "🙏")]
    plan[CHATS[5]] += [("help", "Marcus", "Jonah"), ("help", "Marcus", "Mei")]
    plan[CHATS[10]] += [("help", "Priya", "Aisha"), ("help", "Priya", "Jonah"), ("thank", "Aisha", "Priya")]
    plan[CHATS[11]] += [("help", "Priya", "Mei"), ("help", "Priya", "Aisha"), ("react", "Mei", "Priya", "🙏")]
    plan[CHATS[12]] += [("help", "Priya", "Jonah"), ("help", "Priya", "Mei")]
    return plan


def dce_user(user: User, *, roles: bool = True) -> dict[str, Any]:
    """A user as DCE writes one (roles only on authors, as DCE 2023-07 on; absent on older exports)."""
    out: dict[str, Any] = {"id": str(user.id), "name": user.name.lower(), "discriminator": "0000",
                           "nickname": user.name, "color": None, "isBot": user.bot,
                           "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png"}
    if roles:
        out["roles"] = []
    return out


def dce_time(at: datetime) -> str:
    """A date as DCE writes it on a machine in New York: the local offset, the fraction trimmed."""
    text = at.astimezone(NEW_YORK).isoformat()
    if "." in text:
        head, tail = text.split(".", 1)
        fraction, offset = tail[:6].rstrip("0"), tail[6:]
        text = f"{head}.{fraction}{offset}" if fraction else head + offset
    return text


class Export:
    """The chat channel's messages as DCE exports them, gathered while the script plays."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.by_id: dict[int, dict[str, Any]] = {}

    def add(self, message: Message, at: datetime, *, reply_to: Message | None = None,
            mentions: tuple[User, ...] = ()) -> None:
        raw: dict[str, Any] = {
            "id": str(message.id), "type": "Reply" if reply_to else "Default", "timestamp": dce_time(at),
            "timestampEdited": None, "callEndedTimestamp": None, "isPinned": False,
            "content": message.content, "author": dce_user(message.author), "attachments": [], "embeds": [],
            "stickers": [], "reactions": [], "mentions": [dce_user(u) for u in mentions]}
        for user in mentions:  # DCE's default: mentions rendered by nickname
            raw["content"] = raw["content"].replace(f"<@{user.id}>", f"@{user.name}")
        if reply_to is not None:
            raw["mentions"].append(dce_user(reply_to.author))
            raw["reference"] = {"messageId": str(reply_to.id), "channelId": str(message.channel_id),
                                "guildId": str(message.guild_id)}
        self.messages.append(raw)
        self.by_id[message.id] = raw

    def react(self, message: Message, who: User, emoji: str) -> None:
        reactions = self.by_id[message.id]["reactions"]
        found = next((r for r in reactions if r["emoji"]["name"] == emoji), None)
        if found is None:
            found = {"emoji": {"id": "", "name": emoji, "code": "", "isAnimated": False, "imageUrl": ""},
                     "count": 0, "users": []}
            reactions.append(found)
        found["count"] += 1
        found["users"].append(dce_user(who, roles=False))

    def write(self, path: Path, guild_id: int, channel_id: int) -> None:
        document = {"guild": {"id": str(guild_id), "name": "Sample", "iconUrl": ""},
                    "channel": {"id": str(channel_id), "type": "GuildTextChat", "categoryId": None,
                                "category": None, "name": "chat", "topic": None},
                    "dateRange": {"after": None, "before": None}, "exportedAt": "2026-05-02T10:00:00.1234567+00:00",
                    "messages": self.messages, "messageCount": len(self.messages)}
        path.write_text(json.dumps(document, indent=2, ensure_ascii=True), encoding="utf-8")


async def members_say(standin, chat, clock, people: dict[str, User], actions: list[tuple], day: date,
                      export: Export) -> list[Message]:
    """What members do in one week's chat, as the script says, each written to the export too."""
    answers: dict[str, Message] = {}
    helps: dict[tuple[str, str], Message] = {}
    said: list[Message] = []
    for action in actions:
        who = people[action[1]]
        if action[0] == "answer":
            answers[action[1]] = message = await standin.say(who, chat, f"A1: {who.name}'s answer on {day}")
            export.add(message, clock.now())
        elif action[0] == "help":
            whom = action[2]
            helps[(action[1], whom)] = message = await standin.say(
                who, chat, f"Same here, {whom}. It took me months too.", reply_to=answers[whom])
            export.add(message, clock.now(), reply_to=answers[whom])
        elif action[0] == "thank":
            reply_to = helps[(action[2], action[1])]
            message = await standin.say(who, chat, f"thanks {action[2]}, that helps 🙏", reply_to=reply_to)
            export.add(message, clock.now(), reply_to=reply_to)
        elif action[0] == "ping":
            helper = people[action[2]]
            message = await standin.say(who, chat, f"ty <@{helper.id}>!")
            export.add(message, clock.now(), mentions=(helper,))
        else:
            helped = helps[(action[2], action[1])]
            await standin.react(who, helped, action[3])
            export.react(helped, who, action[3])
            continue
        said.append(message)
    return said


async def play(standin, sample, bot, clock, people: dict[str, User], export: Export) -> None:
    chat = sample.channels["chat"]
    plan = script()
    last = 0
    for day in CHATS:
        last = await play_weekly_chat(
            standin, sample, bot, clock, starts(day), after=last, posted=lambda post: export.add(post, clock.now()),
            say=lambda _, day=day: members_say(standin, chat, clock, people, plan[day], day, export))


async def command(*args: str, database: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database))
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT)
    out, err = await child.communicate()
    return child.returncode or 0, out.decode(), err.decode()


async def report(database: Path, guild_id: int) -> dict[str, Any]:
    code, out, err = await command("report", "progression", "--guild", str(guild_id), "--from", "2026-01",
                                   "--to", "2026-04", "--format", "json", database=database)
    assert code == 0, err
    return json.loads(out)


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}


async def test_an_imported_export_gives_the_report_of_the_live_play(standin, sample, start_bot, settings, tmp_path):
    people = {user.name: user for user in sample.members}
    clock = Clock.frozen(SET_UP)
    run = await start_bot(clock=clock)
    await set_channels(standin, sample)
    await create_series(standin, sample)
    export = Export()
    await play(standin, sample, run.bot, clock, people, export)
    move_to(clock, APRIL_ENDS)

    async def april_closed():
        return any(c.month == "2026-04" and not c.provisional
                   for c in await run.bot.storage.months.closes(sample.guild.id))
    await run.bot.progression.wait_for(april_closed, timeout=10)
    await run.stop()
    path = tmp_path / "Sample - chat [1].json"
    export.write(path, sample.guild.id, sample.channels["chat"].id)
    assert "\\ud83d\\ude4f" in path.read_text(encoding="utf-8").lower()  # 🙏 surrogate-escaped, as DCE writes it

    # A fresh database: the bot set up on the server on the same day, then away for the chats.
    fresh = Settings(**{**settings.__dict__, "database_path": tmp_path / "fresh" / "heartbeat.db"})
    again = await start_bot(settings=fresh, clock=Clock.frozen(SET_UP))
    await set_channels(standin, sample)
    await create_series(standin, sample)
    await again.stop()

    code, out, err = await command("import", "discordchatexporter", "--guild", str(sample.guild.id), str(path),
                                   database=fresh.database_path)
    assert code == 0, err
    assert "13 chats" in out, out
    live, imported = await report(settings.database_path, sample.guild.id), await report(fresh.database_path,
                                                                                        sample.guild.id)
    assert [m["month"] for m in imported["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    for key in ("months", "moved_up", "moved_down", "journeys", "cohorts", "answered_once", "medians"):
        assert imported[key] == live[key], key
    assert imported == live
    stages = {m["name"]: m["stage"] for m in imported["months"][-1]["members"]}
    assert stages["Priya"] == "helper" and stages["Marcus"] == "helper" and stages["Aisha"] == "regular"

    before = counts(fresh.database_path)
    code, out, err = await command("import", "discordchatexporter", "--guild", str(sample.guild.id), str(path),
                                   database=fresh.database_path)
    assert code == 0, err
    assert counts(fresh.database_path) == before
    assert await report(fresh.database_path, sample.guild.id) == live
