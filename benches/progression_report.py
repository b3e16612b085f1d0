"""Do the progression report, /profile and the monthly close stay fast and small as the ledger grows?

Progression reads the raw ledger (activity, act, reaction) in two places only: the monthly close, which judges
every member of a server at a month's end, and /profile, which judges one member now. Reports read the monthly
rollups (progression_month) instead, so their cost should follow members and months, not raw rows. This benchmark
builds one server of 100,000 members (most lurk; a Pareto-distributed fifth answers, a tenth of those help and
thank) with a year of weekly chats (52, New York time) and N raw ledger rows, written straight into the bot's own
schema with SQLite, closes its first 11 months with the bot's own close (`Progression.close_due`), and measures,
each in a fresh process (time of the operation itself, and the process's peak memory, VmHWM):

- close: `Progression.close_due` at the instant the 12th month ends, with that month left to close;
- profile: `bot.standing.standing()` (what /profile shows) for the most active member and a typical answerer;
- report: the progression report over the last 6 months, gathered (`bot.reporting.progression_report`) and
  rendered: its first page as /report progression shows it, and every file (Markdown, CSV, JSON, both charts);

at N = 2.5M and 5M raw rows, against a baseline of the same members, chats and months with no raw rows at all.
Nothing is asserted; it prints numbers and ratios. Targets: each under 1 s and 300 MB, flat in raw rows.
Run from the repository root (after `pip install -e .`):

    python benches/progression_report.py                     # baseline, 2.5M and 5M raw rows (several minutes)
    python benches/progression_report.py --rows 1000000 2000000
    python benches/progression_report.py --quick             # 5,000 members, 100k and 200k rows: a smoke check
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

GUILD = 900_000_000_000_000_001
CHAT_CHANNEL = 900_000_000_000_000_002
HELP_CHANNEL = 900_000_000_000_000_003
ZONE = "America/New_York"
NEW_YORK = ZoneInfo(ZONE)
MEMBERS = 100_000
CHATS = 52
QUESTIONS = 12
FIRST_MONTH = "2025-01"
LAST_MONTH = "2025-12"
REPORT_MONTHS = 6  # the report's months: the last six recorded, five closed and the running one
FIRST_CHAT = datetime(2025, 1, 7, 21, 0, tzinfo=NEW_YORK)  # Tuesdays, 21:00 in New York
BUILD_CLOSE_AT = datetime(2025, 12, 2, 12, 0, tzinfo=NEW_YORK)  # closes January to November
PROFILE_AT = datetime(2025, 12, 31, 12, 0, tzinfo=NEW_YORK)  # the last day of the 12th month
CLOSE_AT = datetime(2026, 1, 1, 0, 0, tzinfo=NEW_YORK)  # the instant the 12th month ends
MESSAGE_IDS = 1_300_000_000_000_000_000
THANKS_EMOJI = ("🙏", "❤️", "💯")
OTHER_EMOJI = ("👍", "😂", "🎉", "👀")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROWS = [2_500_000, 5_000_000]
QUICK_ROWS = [100_000, 200_000]
QUICK_MEMBERS = 5_000
OPERATIONS = ("close", "profile-top", "profile-typical", "report")
TARGET_SECONDS, TARGET_MB = 1.0, 300.0


def text(moment: datetime) -> str:
    """A moment as storage writes it (the queries compare this text)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def zipf(count: int, exponent: float, offset: float = 10.0) -> list[float]:
    """Cumulative weights for ranks 1..count, rank r weighing 1 / (r + offset) ** exponent: a long tail."""
    return list(itertools.accumulate(1 / (rank + offset) ** exponent for rank in range(1, count + 1)))


def picker(rng: random.Random, count: int, exponent: float) -> Callable[[int], list[int]]:
    """Draws member ids 1..count, id 1 the most often (Pareto-like)."""
    cumulative = zipf(count, exponent)
    total = cumulative[-1]

    def pick(k: int) -> list[int]:
        return [bisect.bisect(cumulative, rng.random() * total) + 1 for _ in range(k)]
    return pick


def build(path: Path, rows: int, members: int, rng: random.Random) -> dict[str, int]:
    """Write the server's members, chats and `rows` raw ledger rows into the migrated database at `path`.

    Returns the rows written per table.
    """
    active, helpers, reactors = members // 5, members // 50, members * 2 // 5
    newcomers = members // 10  # joined during the year (the others were there before the bot)
    answerer, helper, reactor = picker(rng, active, 1.1), picker(rng, helpers, 1.0), picker(rng, reactors, 0.9)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")  # building only: the measurements run with the bot's own settings
    db.execute("PRAGMA cache_size=-500000")
    year_start = datetime(2025, 1, 1, tzinfo=NEW_YORK)
    before = datetime(2024, 6, 1, tzinfo=UTC)
    db.executemany(
        "INSERT INTO members (guild_id, user_id, display_name, account_created_at, first_joined_at, last_joined_at, "
        "join_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(GUILD, user, f"member {user}", text(before - timedelta(days=400)),
          text(joined := (year_start + timedelta(minutes=(user - members + newcomers) * 525_000 // newcomers)
                          if user > members - newcomers else before + timedelta(minutes=user))),
          text(joined), int(user > members - newcomers))
         for user in range(1, members + 1)])
    now = text(FIRST_CHAT - timedelta(days=10))
    db.execute("INSERT INTO guild_config (guild_id, chat_channel_id, timezone, updated_at, updated_by) "
               "VALUES (?, ?, ?, ?, 1)", (GUILD, CHAT_CHANNEL, ZONE, now))
    db.execute("INSERT INTO bot_meta (key, value) VALUES (?, ?)", (f"first_seen:{GUILD}", text(year_start)))
    db.execute("INSERT INTO progression_channel (guild_id, channel_id, added_by, added_at) VALUES (?, ?, 1, ?)",
               (GUILD, HELP_CHANNEL, now))
    db.execute("INSERT INTO chat_series (id, guild_id, name, hashtag, channel_id, weekday, local_time, timezone, "
               "duration_seconds, spacing_seconds, first_question_seconds, created_by, created_at) "
               "VALUES (1, ?, 'GetReal', 'GetRealChat', ?, 1, '21:00', ?, 3600, 300, 120, 1, ?)",
               (GUILD, CHAT_CHANNEL, ZONE, now))
    before_changes = db.total_changes
    written: Counter[str] = Counter()
    message_id = MESSAGE_IDS
    per_chat = rows / CHATS
    for chat in range(CHATS):
        session = chat + 1
        starts = FIRST_CHAT + timedelta(weeks=chat)  # wall-clock arithmetic: 21:00 in New York all year
        db.execute("INSERT INTO chat_session (id, series_id, guild_id, channel_id, series_name, hashtag, timezone, "
                   "starts_at, status, started_at, ended_at, ends_at) VALUES (?, 1, ?, ?, 'GetReal', 'GetRealChat', "
                   "?, ?, 'ended', ?, ?, ?)",
                   (session, GUILD, CHAT_CHANNEL, ZONE, text(starts), text(starts), text(starts + timedelta(hours=1)),
                    text(starts + timedelta(hours=1))))
        # This chat's share of the rows, as whole numbers that add up to `rows` over the year.
        budget = round(per_chat * (chat + 1)) - round(per_chat * chat)
        in_chat = [text(starts + timedelta(seconds=s)) for s in range(3600)]
        around = [text(starts - timedelta(days=3) + timedelta(minutes=m)) for m in range(4 * 24 * 60)]
        messages = int(budget * 0.31)  # each ~2 activity rows: the message, and an answer or a reply
        checkins = min(int(budget * 0.04), reactors)
        greetings = int(budget * 0.01)
        acts = int(budget * 0.08)
        hosted = 1 if budget else 0
        ledger: list[tuple[object, ...]] = []
        said: list[tuple[int, int]] = []  # (message id, author) of this chat's messages
        for author in answerer(messages):
            message_id += 1
            at = in_chat[rng.randrange(3600)]
            said.append((message_id, author))
            ledger.append((GUILD, author, "message", session, None, message_id, None, at))
            if rng.random() < 0.7:
                ledger.append((GUILD, author, "answer", session, rng.randint(1, QUESTIONS), message_id, None, at))
            if rng.random() < 0.3:
                target = rng.randint(1, active)
                if target != author:
                    ledger.append((GUILD, author, "reply", session, None, message_id, target, at))
        ledger += [(GUILD, user, "checkin", session, None, None, None, in_chat[rng.randrange(600)])
                   for user in rng.sample(range(1, reactors + 1), checkins)]
        if hosted:
            ledger.append((GUILD, (chat % 5) + 1, "hosted", session, None, None, None, in_chat[0]))
        for greeter in helper(greetings):
            message_id += 1
            ledger.append((GUILD, greeter, "greeting", None, None, message_id,
                           members - rng.randrange(newcomers), around[rng.randrange(len(around))]))
        reactions = budget - len(ledger) - acts  # the rest of the chat's share
        db.executemany("INSERT INTO activity (guild_id, user_id, kind, session_id, question_number, message_id, "
                       "target_user_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ledger)
        written["activity"] += len(ledger)
        act_rows: list[tuple[object, ...]] = []
        for n, giver in enumerate(helper(acts)):
            message_id += 1
            in_the_chat = n % 2 == 0 and said
            target = rng.randint(1, active)
            target = target if target != giver else target % active + 1
            act_rows.append((message_id, "helpful" if n % 8 < 5 else "thanks", target,
                             GUILD, CHAT_CHANNEL if in_the_chat else HELP_CHANNEL, giver,
                             session if in_the_chat else None,
                             in_chat[rng.randrange(3600)] if in_the_chat else around[rng.randrange(len(around))]))
        db.executemany("INSERT INTO act (message_id, kind, target_user_id, guild_id, channel_id, user_id, session_id, "
                       "occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", act_rows)
        written["act"] += len(act_rows)
        reaction_rows: list[tuple[object, ...]] = []
        if said:
            for giver in reactor(max(0, reactions)):
                reacted, author = said[rng.randrange(len(said))]
                emoji = THANKS_EMOJI[rng.randrange(3)] if rng.random() < 0.4 else OTHER_EMOJI[rng.randrange(4)]
                reaction_rows.append((reacted, giver, emoji, GUILD, CHAT_CHANNEL, author,
                                      in_chat[rng.randrange(3600)]))
        changes = db.total_changes
        db.executemany("INSERT OR IGNORE INTO reaction (message_id, user_id, emoji, guild_id, channel_id, author_id, "
                       "reacted_at) VALUES (?, ?, ?, ?, ?, ?, ?)", reaction_rows)
        written["reaction"] += db.total_changes - changes  # the same reaction twice is one row
        db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the bot starts on a settled file, not a building's WAL
    assert db.total_changes - before_changes >= sum(written.values()) + CHATS
    db.close()
    return dict(written)


async def create(path: Path) -> None:
    """Create and migrate an empty Heartbeat database, as the bot's first start does."""
    from bot.storage import Storage
    storage = await Storage.open(path)
    await storage.close()


# -- the measuring child ---------------------------------------------------------------------------------------

async def operate(database: str, operation: str, members: int) -> dict[str, object]:
    """Run one operation on the database as the bot would; returns its seconds and what it found."""
    from bot import standing
    from bot.clock import Clock
    from bot.jobs import Jobs
    from bot.progression import Progression
    from bot.storage import Storage

    async def nothing() -> None:
        return None

    if operation == "report":  # imported before the clock starts, as in the running bot (discord, matplotlib)
        from bot.reporting import progression_page, progression_report, report_uploads
    storage = await Storage.open(database)
    try:
        found: dict[str, object] = {}
        started = time.perf_counter()
        if operation in ("close", "build-close"):
            clock = Clock.frozen(CLOSE_AT if operation == "close" else BUILD_CLOSE_AT)
            progression = Progression(storage, clock, Jobs(clock), default_zone=ZONE, flush=nothing)
            found["closed"] = await progression.close_due(GUILD)
        elif operation.startswith("profile"):
            # The most active member is 1; a typical answerer is the one in the middle of the active fifth.
            user = 1 if operation == "profile-top" else members // 10
            zone = await standing.zone_of(storage, GUILD, ZONE)
            now = PROFILE_AT.astimezone(UTC)
            result = await standing.standing(storage, GUILD, user, now, zone)
            found["stage"] = result.verdict.stage
            found["answers_in_window"] = result.figures.answers
        else:
            report = await progression_report(storage, GUILD, months=REPORT_MONTHS, server="the server")
            found["gather_s"] = time.perf_counter() - started
            # What /report progression shows (the first page) and every file it and the command line make.
            progression_page(report, REPORT_MONTHS, 0)
            files = report_uploads(report)
            found["months"] = [month.month for month in report.months]
            found["file_kb"] = {upload.filename: len(upload.data) // 1024 for upload in files}
        seconds = time.perf_counter() - started
    finally:
        await storage.close()
    return {"seconds": seconds, **found}


def child(database: str, operation: str, members: int) -> None:
    """The measuring process: one operation, then its result and peak memory as JSON on stdout."""
    result = asyncio.run(operate(database, operation, members))
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({**result, "peak_mb": peak_kb / 1024}))


def run(database: Path, operation: str, members: int) -> dict[str, float]:
    """Run one operation in a fresh process: its own seconds, the process's wall seconds and peak memory (MB)."""
    # Peak memory from the child's VmHWM: ru_maxrss would count the pages of this parent it was forked from.
    started = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", str(database), operation, str(members)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{operation} failed: {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "wall": wall}


# -- the parent ---------------------------------------------------------------------------------------------

def measure(size: int, members: int, scratch: Path) -> dict[str, object]:
    """Build a database of `size` raw rows, close its first 11 months, and take every measurement on it."""
    path = scratch / f"progression-{size}.db"
    asyncio.run(create(path))
    started = time.perf_counter()
    written = build(path, size, members, random.Random(size))
    built = time.perf_counter() - started
    os.sync()  # nothing of the build is still being written out while we measure
    closing = run(path, "build-close", members)
    os.sync()
    # The close last: it writes (the 12th month closed, the 13th begun), and the others read the 11 months closed.
    results = {operation: run(path, operation, members) for operation in (*OPERATIONS[1:], OPERATIONS[0])}
    result = {"size": size, "written": written, "build_s": built, "build_close": closing, "results": results,
              "file_mb": path.stat().st_size / 2**20}
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return result


LABELS = {"close": "monthly close (last month)", "profile-top": "/profile: most active member",
          "profile-typical": "/profile: typical answerer", "report": "progression report (6 months)"}


def show(runs: list[dict[str, object]], members: int) -> None:
    """Print the table: each operation at each size, against the baseline and against half the rows."""
    by_size = {int(r["size"]): r for r in runs}  # type: ignore[call-overload]
    base = by_size[0]
    print(f"\nProgression on one server: {members:,} members, {CHATS} weekly chats over 12 months "
          f"({FIRST_MONTH} to {LAST_MONTH}, {ZONE}), 11 months closed\n")
    print(f"{'operation':<32}{'raw rows':>11}{'seconds':>9}{'peak MB':>9}{'×base s':>9}{'×base MB':>10}"
          f"{'×half s':>9}{'×half MB':>10}  under 1 s and 300 MB")
    for operation in OPERATIONS:
        for size, r in by_size.items():
            m = r["results"][operation]  # type: ignore[index]
            b = base["results"][operation]  # type: ignore[index]
            half = by_size.get(size // 2) if size else None
            h = half["results"][operation] if half is not None and size // 2 else None  # type: ignore[index]
            ok = m["seconds"] < TARGET_SECONDS and m["peak_mb"] < TARGET_MB
            print(f"{LABELS[operation]:<32}{size:>11,}{m['seconds']:>9.3f}{m['peak_mb']:>9.0f}"
                  f"{m['seconds'] / b['seconds']:>9.2f}{m['peak_mb'] / b['peak_mb']:>10.2f}"
                  + (f"{m['seconds'] / h['seconds']:>9.2f}{m['peak_mb'] / h['peak_mb']:>10.2f}" if h
                     else f"{'–':>9}{'–':>10}")
                  + f"  {'yes' if ok else 'NO'}")
        if operation == "report":
            for part in ("gathering", "rendering"):
                for size, r in by_size.items():
                    m = r["results"][operation]  # type: ignore[index]
                    seconds = m["gather_s"] if part == "gathering" else m["seconds"] - m["gather_s"]
                    print(f"{'  of which ' + part:<32}{size:>11,}{seconds:>9.3f}")
    print("\nseconds: the operation itself in a fresh process (the database already open, as in the running bot); "
          "peak MB: that process's VmHWM.\n×base: against the same members, chats and months with no raw rows; "
          "×half: against half the raw rows.\nreport: bot.reporting.progression_report for the last 6 months "
          "(gathering), then its first page and every file: Markdown, CSV, JSON and both charts (rendering).")
    for size, r in by_size.items():
        c = r["build_close"]  # type: ignore[index]
        written = ", ".join(f"{k} {v:,}" for k, v in r["written"].items()) or "none"  # type: ignore[union-attr]
        print(f"{size:>11,} raw rows ({written}): built in {r['build_s']:.0f} s, file {r['file_mb']:.0f} MB; "
              f"closing months 1–11 took {c['seconds']:.1f} s, {c['peak_mb']:.0f} MB "
              f"(process {c['wall']:.1f} s)")
    largest = by_size[max(by_size)]["results"]  # type: ignore[index]
    print(f"At {max(by_size):,} raw rows the most active member has {largest['profile-top']['answers_in_window']:,} "
          f"answers in the window, the typical answerer {largest['profile-typical']['answers_in_window']:,}; the "
          f"report covers {', '.join(largest['report']['months'])} and its files are "
          + ", ".join(f"{name} {kb / 1024:,.1f} MB" for name, kb in largest["report"]["file_kb"].items()) + ".")
    walls = ", ".join(f"{op} {by_size[max(by_size)]['results'][op]['wall']:.2f} s"  # type: ignore[index]
                      for op in OPERATIONS)
    print(f"Whole processes at the largest size (start, imports, open, operation): {walls}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=DEFAULT_ROWS, help="raw ledger rows per database")
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_MEMBERS:,} members, {QUICK_ROWS[0]:,} and {QUICK_ROWS[1]:,} raw rows")
    parser.add_argument("--child", nargs=3, metavar=("DATABASE", "OPERATION", "MEMBERS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        database, operation, members = arguments.child
        child(database, operation, int(members))
        return
    sizes = QUICK_ROWS if arguments.quick else arguments.rows
    members = QUICK_MEMBERS if arguments.quick else arguments.members
    sizes = [0, *sorted(s for s in set(sizes) if s)]
    with tempfile.TemporaryDirectory(prefix="heartbeat-progression-") as scratch:
        runs = []
        for size in sizes:
            runs.append(measure(size, members, Path(scratch)))
            print(f"measured {size:,} raw rows", file=sys.stderr)
    show(runs, members)


if __name__ == "__main__":
    main()
