"""Does Heartbeat stay as fast after a year of chats as on its first day?

A community keeps the bot for years, so what it does per message and per command must not grow with what it has
stored. This benchmark builds databases the size of a busy year (52 weekly chats, 20,000 members, a transcript
per chat) at several sizes, written straight into the bot's own schema with SQLite, and measures on each:

- saving messages: the ingest's group commit (100 messages a transaction) and one message a transaction, in
  microseconds per message, on the same database, against the same measured on an empty one (the baseline);
- `python -m bot report newcomers --all` and `python -m bot transcript` (the latest chat) as a user runs them:
  a fresh process each, wall time and peak memory.

Nothing is asserted; it prints numbers and ratios. Run from the repository root (after `pip install -e .`):

    python benches/history.py              # empty, 100k and 1M stored messages (a few minutes)
    python benches/history.py --sizes 0 100000 1000000 5000000
    python benches/history.py --quick      # empty and 20k: a smoke check
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage import Storage, StoredMessage

GUILD = 900_000_000_000_000_001
CHANNEL = 900_000_000_000_000_002
MEMBERS = 20_000
NEWCOMERS = 2_000
CHATS = 52
QUESTIONS = 12
FIRST_CHAT = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)  # Tuesdays, 21:00 in New York
MESSAGE_IDS = 1_300_000_000_000_000_000
SAVES = 2_000  # messages saved per measurement (batched); a tenth of that one at a time
ROOT = Path(__file__).resolve().parent.parent


def text(moment: datetime) -> str:
    """A moment as storage writes it."""
    return moment.isoformat()


def build(path: Path, messages: int, rng: random.Random) -> None:
    """Write a year of chats holding `messages` member messages into a freshly migrated database at `path`."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")  # building only: the measurements run with the bot's own settings
    joined = FIRST_CHAT - timedelta(days=30)
    # Most were there before the bot came (join_count 0, as the first start records them); the rest joined since.
    db.executemany(
        "INSERT INTO members (guild_id, user_id, display_name, account_created_at, first_joined_at, last_joined_at, "
        "join_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(GUILD, user, f"member {user}", text(joined - timedelta(days=400)),
          text(joined + timedelta(minutes=user * 25)), text(joined + timedelta(minutes=user * 25)),
          int(user > MEMBERS - NEWCOMERS))
         for user in range(1, MEMBERS + 1)])
    db.executemany(
        "INSERT INTO newcomer (guild_id, user_id, welcome, welcomed_at, first_message_id, first_channel_id, "
        "first_message_at, first_message_text) VALUES (?, ?, 'welcomed', ?, ?, ?, ?, ?)",
        [(GUILD, user, text(joined + timedelta(minutes=user * 25)), MESSAGE_IDS - user, CHANNEL,
          text(joined + timedelta(minutes=user * 25 + 5)), "hello everyone!")
         for user in range(MEMBERS - NEWCOMERS + 1, MEMBERS + 1)])
    db.execute("INSERT INTO chat_series (id, guild_id, name, hashtag, channel_id, weekday, local_time, timezone, "
                "duration_seconds, spacing_seconds, first_question_seconds, created_by, created_at) "
                "VALUES (1, ?, 'GetReal', 'GetRealChat', ?, 1, '21:00', 'America/New_York', 3600, 300, 120, 1, ?)",
                (GUILD, CHANNEL, text(FIRST_CHAT)))
    per_chat = max(1, messages // CHATS)
    message_id = MESSAGE_IDS
    for chat in range(CHATS):
        session = chat + 1
        starts = FIRST_CHAT + timedelta(weeks=chat)
        db.execute("INSERT INTO chat_session (id, series_id, guild_id, channel_id, series_name, hashtag, timezone, "
                   "starts_at, status, started_at, ended_at, ends_at) VALUES (?, 1, ?, ?, 'GetReal', 'GetRealChat', "
                   "'America/New_York', ?, 'ended', ?, ?, ?)",
                   (session, GUILD, CHANNEL, text(starts), text(starts), text(starts + timedelta(hours=1)),
                    text(starts + timedelta(hours=1))))
        db.executemany("INSERT INTO question (session_id, number, text) VALUES (?, ?, ?)",
                       [(session, n, f"Question {n} of chat {session}?") for n in range(1, QUESTIONS + 1)])
        db.executemany("INSERT INTO scheduled_post (key, session_id, kind, channel_id, due_at, status, message_id, "
                       "posted_at, question_number) VALUES (?, ?, 'question', ?, ?, 'posted', ?, ?, ?)",
                       [(f"session:{session}:q{n}", session, CHANNEL, text(starts + timedelta(minutes=5 * n)),
                         message_id + n, text(starts + timedelta(minutes=5 * n)), n) for n in range(1, QUESTIONS + 1)])
        message_id += QUESTIONS + 1
        rows: list[tuple[object, ...]] = []
        ledger: list[tuple[object, ...]] = []
        for n in range(per_chat if chat < CHATS - 1 else messages - per_chat * (CHATS - 1)):
            author = int(rng.paretovariate(1.2)) % MEMBERS + 1  # a few regulars say most
            at = text(starts + timedelta(seconds=3600 * n / per_chat))
            question = n * QUESTIONS // per_chat + 1 if rng.random() < 0.5 else None
            reply_to = rng.randint(1, MEMBERS) if rng.random() < 0.2 else None
            rows.append((message_id, session, author, f"member {author}",
                         f"A{question}: an answer of about sixty characters, as people write" if question
                         else "a bit of chatter in between the answers", at, reply_to, question))
            ledger.append((GUILD, author, "message", session, None, message_id, None, at))
            if question:
                ledger.append((GUILD, author, "answer", session, question, message_id, None, at))
            if reply_to and reply_to != author:
                ledger.append((GUILD, author, "reply", session, None, message_id, reply_to, at))
            message_id += 1
        db.executemany("INSERT INTO chat_message (message_id, session_id, author_id, author_name, content, "
                       "created_at, reply_to_author_id, question_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO activity (guild_id, user_id, kind, session_id, question_number, message_id, "
                       "target_user_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ledger)
        lines = "\n".join(f"**{r[3]}** {r[4]}" for r in rows)
        db.execute("INSERT INTO transcript (session_id, recap, markdown, html, created_at) VALUES (?, ?, ?, ?, ?)",
                   (session, f"Recap of chat {session}", f"# #GetRealChat\n\n{lines}",
                    f"<html><body><pre>{lines}</pre></body></html>", text(starts + timedelta(hours=1))))
        db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the bot starts on a settled file, not a building's WAL
    db.close()


async def create(path: Path) -> None:
    """Create and migrate an empty Heartbeat database, as the bot's first start does."""
    storage = await Storage.open(path)
    await storage.close()


async def save_cost(path: Path) -> tuple[float, float]:
    """Microseconds per message saved: in group commits of 100, and one message per transaction."""
    storage = await Storage.open(path)
    try:
        session = 1
        rng = random.Random(7)
        next_id = MESSAGE_IDS * 2

        def message() -> tuple[int, StoredMessage]:
            nonlocal next_id
            next_id += 1
            return GUILD, StoredMessage(
                message_id=next_id, session_id=session, author_id=rng.randint(1, MEMBERS), author_name="someone",
                content="A3: one more answer", created_at=FIRST_CHAT, edited_at=None, deleted=False,
                reply_to_author_id=rng.randint(1, MEMBERS), question_number=3, reactions=0)

        started = time.perf_counter()
        for _ in range(SAVES // 100):
            batch = [message() for _ in range(100)]
            async with storage.transaction(ledger_only=True):
                await storage.messages.save_all(batch)
        batched = (time.perf_counter() - started) / SAVES * 1e6
        started = time.perf_counter()
        for _ in range(SAVES // 10):
            await storage.messages.save(*message())
        single = (time.perf_counter() - started) / (SAVES // 10) * 1e6
        return batched, single
    finally:
        await storage.close()


def run_cli(path: Path, *arguments: str) -> tuple[float, float]:
    """Run `python -m bot …` on the database as a user would: (wall seconds, peak memory in MB)."""
    # Peak memory from VmHWM: ru_maxrss would count the pages of this (big) parent the child was forked from.
    script = ("import runpy, sys; sys.argv = ['bot', *sys.argv[1:]]\n"
              "try:\n    runpy.run_module('bot', run_name='__main__')\n"
              "finally:\n    print(next(line.split()[1] for line in open('/proc/self/status') "
              "if line.startswith('VmHWM:')), file=sys.stderr)")
    env = {**os.environ, "DATABASE_PATH": str(path)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, *arguments], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"python -m bot {' '.join(arguments)} failed: {done.stderr.strip()[-500:]}")
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024


def measure(size: int, scratch: Path) -> dict[str, float]:
    """Build a database of `size` messages and take every measurement on it."""
    path = scratch / f"history-{size}.db"
    asyncio.run(create(path))
    started = time.perf_counter()
    build(path, size, random.Random(size))
    built = time.perf_counter() - started
    os.sync()  # a year-old database is not being written out by the kernel while the bot saves
    batched, single = asyncio.run(save_cost(path))
    report = run_cli(path, "report", "newcomers", "--guild", str(GUILD), "--all", "--format", "csv")
    transcript = run_cli(path, "transcript", "--guild", str(GUILD))
    result = {"size": size, "build_s": built, "batched_us": batched, "single_us": single,
              "report_s": report[0], "report_mb": report[1], "transcript_s": transcript[0],
              "transcript_mb": transcript[1], "file_mb": path.stat().st_size / 2**20}
    path.unlink()
    return result


def show(results: list[dict[str, float]]) -> None:
    """Print the table, each size against the empty database."""
    base = results[0]
    print(f"Heartbeat with a year of history ({CHATS} weekly chats, {MEMBERS:,} members, {NEWCOMERS:,} newcomers)\n")
    print(f"{'messages':>10}{'file MB':>9}{'save µs':>9}{'×empty':>8}{'1-by-1 µs':>11}{'×empty':>8}"
          f"{'report s':>10}{'MB':>6}{'transcript s':>14}{'MB':>6}")
    for r in results:
        print(f"{int(r['size']):>10,}{r['file_mb']:>9.0f}{r['batched_us']:>9.0f}"
              f"{r['batched_us'] / base['batched_us']:>8.2f}{r['single_us']:>11.0f}"
              f"{r['single_us'] / base['single_us']:>8.2f}{r['report_s']:>10.2f}"
              f"{r['report_mb']:>6.0f}{r['transcript_s']:>14.2f}{r['transcript_mb']:>6.0f}")
    print("\nsave µs: per message, 100 messages a transaction (the ingest's group commit); 1-by-1: one message a "
          "transaction.\nreport: `report newcomers --all --format csv`; transcript: `transcript` (the latest chat); "
          "each a fresh process, wall time and peak memory.")
    built = ", ".join(f"{r['build_s']:.0f} s" for r in results)
    print(f"targets: save within 2× of empty; report ≤ 1 s and transcript ≤ 0.5 s and ≤ 100 MB at 1M messages. "
          f"Building took {built}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 100_000, 1_000_000])
    parser.add_argument("--quick", action="store_true", help="empty and 20,000 messages only")
    arguments = parser.parse_args()
    sizes = [0, 20_000] if arguments.quick else arguments.sizes
    if sizes[0] != 0:
        sizes = [0, *sizes]
    with tempfile.TemporaryDirectory(prefix="heartbeat-history-") as scratch:
        startup = run_cli(Path(scratch) / "none.db", "report", "--help")
        results = [measure(size, Path(scratch)) for size in sizes]
    show(results)
    print(f"Of each command's time, {startup[0]:.2f} s is starting Python and importing the bot "
          f"(`report --help`: {startup[0]:.2f} s, {startup[1]:.0f} MB).")


if __name__ == "__main__":
    main()
