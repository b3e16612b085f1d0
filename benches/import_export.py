"""How long does importing a big DiscordChatExporter export take, and how much memory does it need?

Writes an export of a busy chat channel (weekly chats of five questions, a few hundred members answering, replying,
thanking and reacting, chatter between the chats) as DCE writes one (indented, local offsets, surrogate-escaped
emoji), streamed to disk message by message, then runs `python -m bot import discordchatexporter` on it in a child
process against a fresh database: wall time, messages a second and peak memory (VmHWM of the child). The import
streams the file, so its memory should follow one chat's messages, not the file: the target is under 200 MB.

    python benches/import_export.py            # about 200 MB
    python benches/import_export.py --quick    # about 5 MB: a smoke check
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
GUILD, CHANNEL, BOT = 900000000000000001, 900000000000000002, 900000000000000003
NEW_YORK = ZoneInfo("America/New_York")
FIRST_CHAT = datetime(2020, 1, 7, 21, 0, tzinfo=NEW_YORK)

CHILD = """
import sys
from bot.__main__ import main
code = main(sys.argv[1:])
with open('/proc/self/status') as status:
    print(next(line.split()[1] for line in status if line.startswith('VmHWM:')), file=sys.stderr)
sys.exit(code)
"""


def user(user_id: int, *, bot: bool = False) -> dict[str, object]:
    return {"id": str(user_id), "name": f"member{user_id % 100000}", "discriminator": "0000",
            "nickname": f"Member {user_id % 100000}", "color": None, "isBot": bot, "roles": [],
            "avatarUrl": "https://cdn.discordapp.com/embed/avatars/0.png"}


def write_export(path: Path, target_bytes: int, members: int) -> int:
    """Stream an export of about `target_bytes` to `path`; returns how many messages it holds."""
    rng = random.Random(7)
    people = [1_000_000 + n for n in range(members)]
    count, message_id = 0, 10**17
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"guild": {"id": str(GUILD), "name": "Bench", "iconUrl": ""},
                              "channel": {"id": str(CHANNEL), "type": "GuildTextChat", "categoryId": None,
                                          "category": None, "name": "chat", "topic": None},
                              "dateRange": {"after": None, "before": None},
                              "exportedAt": "2026-01-01T00:00:00+00:00"}, indent=2)[:-2] + ',\n  "messages": [\n')
        week = 0
        first = True
        while out.tell() < target_bytes:
            start = FIRST_CHAT + timedelta(weeks=week)
            week += 1
            answers: list[tuple[int, int]] = []
            at = start
            for number in range(1, 6):
                message_id += 1
                at = start + timedelta(minutes=2 + 8 * (number - 1))
                said = [(message_id, BOT, f"**Q{number}:** What would you tell your younger self? \U0001F914", at,
                         None, ())]
                question = message_id
                for _ in range(rng.randint(60, 120)):
                    message_id += 1
                    at += timedelta(seconds=rng.randint(1, 5))
                    who = rng.choice(people)
                    kind = rng.random()
                    if kind < 0.6:
                        answers.append((message_id, who))
                        said.append((message_id, who, f"A{number}: honestly, I'd say slow down and listen 🙏 "
                                     f"{'lorem ipsum ' * rng.randint(1, 6)}", at, None,
                                     ((("\u2764\ufe0f", rng.sample(people, 2)),) if rng.random() < 0.3 else ())))
                    elif kind < 0.85 and answers:
                        replied, author = rng.choice(answers[-30:])
                        said.append((message_id, who, "Same here, it took me months too!", at, (replied, author), ()))
                    elif answers:
                        replied, author = rng.choice(answers[-30:])
                        said.append((message_id, who, f"thanks @Member {author % 100000}!", at, (replied, author),
                                     ()))
                    else:
                        said.append((message_id, who, f"reply to Q{number}", at, (question, BOT), ()))
                for one in said:
                    out.write(("" if first else ",\n") + _message(*one))
                    first = False
                    count += 1
            for n in range(rng.randint(100, 300)):  # chatter during the week
                message_id += 1
                at = start + timedelta(days=1, minutes=7 * n)
                out.write(",\n" + _message(message_id, rng.choice(people), "anyone around? how was your week?", at,
                                           None, ()))
                count += 1
        out.write(f'\n  ],\n  "messageCount": {count}\n}}\n')
    return count


def _message(message_id: int, author: int, content: str, at: datetime, reply: tuple[int, int] | None,
             reactions: tuple[tuple[str, list[int]], ...]) -> str:
    raw: dict[str, object] = {
        "id": str(message_id), "type": "Reply" if reply else "Default",
        "timestamp": at.astimezone(NEW_YORK).isoformat(), "timestampEdited": None, "callEndedTimestamp": None,
        "isPinned": False, "content": content, "author": user(author, bot=author == BOT), "attachments": [],
        "embeds": [], "stickers": [],
        "reactions": [{"emoji": {"id": "", "name": emoji, "code": "heart", "isAnimated": False, "imageUrl": ""},
                       "count": len(users), "users": [user(u) for u in users]} for emoji, users in reactions],
        "mentions": [user(reply[1], bot=reply[1] == BOT)] if reply else [], "inlineEmojis": []}
    if reply:
        raw["reference"] = {"type": "Default", "messageId": str(reply[0]), "channelId": str(CHANNEL),
                            "guildId": str(GUILD)}
    return "    " + json.dumps(raw, indent=2, ensure_ascii=True).replace("\n", "\n    ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 5 MB instead of 200 MB")
    args = parser.parse_args()
    target = 5_000_000 if args.quick else 200_000_000
    with tempfile.TemporaryDirectory() as folder:
        export, database = Path(folder) / "Bench - chat [1].json", Path(folder) / "heartbeat.db"
        began = time.perf_counter()
        messages = write_export(export, target, members=2000)
        size = export.stat().st_size
        print(f"export: {size / 1e6:.1f} MB, {messages:,} messages, written in {time.perf_counter() - began:.1f} s")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_", "LOG_", "SYNC_"))}
        env.update(PYTHONPATH=str(ROOT), DATABASE_PATH=str(database))
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, "import", "discordchatexporter", "--guild", str(GUILD),
                               str(export)], env=env, cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(f"the import failed: {done.stderr.strip()}")
        peak_kb = int(done.stderr.strip().splitlines()[-1])
        print(done.stdout.strip())
        print(f"import: {took:.1f} s wall, {messages / took:,.0f} messages/s, peak memory {peak_kb / 1024:.0f} MB "
              f"(target under 200 MB), database {database.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
