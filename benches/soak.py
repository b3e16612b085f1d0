"""Does Heartbeat lose anything when it is killed again and again in the middle of a flooded chat?

The soak from the reliability issue: Heartbeat runs as a real process (`python -m bot`, real clock) on the local
Discord stand-in, in a chat where members post RATE messages a second (answers, replies, mentions, chatter,
reactions) for MINUTES. At KILLS random moments the bot is killed with SIGKILL (no clean shutdown) and started
again on the same database after a random 0.5-3 s; members keep posting while it is down, and Discord (the
stand-in) does not replay a dead session's events to a new one, so what was said meanwhile can only come back by
reading the channel's history. A read-only slash command (`/about` and `/chat list` from a member, `/chat questions
list` from the host, in turn) is issued every second throughout.

A restart window runs from a kill to the new process connecting to the gateway again. Once the flood has ended and
the last restart has connected, the benchmark waits for the database (opened read-only) to hold every message
offered, or for the count to stop growing while the bot idles, or SETTLE seconds at most, and prints:
- messages offered and stored (they must be equal: MISSING with the counts if not, and whether the bot was still
  busy storing when the wait ended, so a backlog is told apart from a loss);
- the restart windows' length, and how long after each kill a slash command was first answered again (a bot that
  has connected but is far behind reading its gateway answers late);
- the first reply to the slash commands issued outside restart windows (p50, p99, the slowest, how many over
  Discord's 3 s), those never answered (with a kill soon after, or not), and those issued during windows;
- question lateness (when the question appeared minus its due time; the chat asks one every 30 s from 5 s in), over
  all questions and without those that came due during a restart window, which are expected to go out late once
  the bot is back; questions skipped (over the 5-minute grace) or posted twice are counted.

Nothing is asserted; it only prints numbers. Run from the repository root (after `pip install -e .`):

    python benches/soak.py                           # 2,000 msg/s for 5 minutes, 10 kills (then up to SETTLE s)
    python benches/soak.py --minutes 1 --rate 200    # shorter and gentler
    python benches/soak.py --quick                   # 200 msg/s for 20 s, 2 kills: a smoke check
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import re
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _bot import BotProcess, wait_up
from _stored import Stored, settle
from _traffic import TOKEN, Probe, Probes, Traffic, flood, ms, percentile, start_chat

from bot.standin import StandIn
from bot.standin.sample import SampleServer, build_sample

QUESTIONS = 12
CHAT = {"duration": "4h", "spacing": "30s", "first_question": "5s"}  # runs on well past the flood and the settling
DOWNTIME = (0.5, 3.0)  # seconds between a kill and the restart
PROBE_EVERY = 1.0
PROBE_TIMEOUT = 15.0  # seconds; Discord itself gives up after 3
DISCORD_DEADLINE_MS = 3000
QUESTION_TEXT = re.compile(r"Question number (\d+)\?")


@dataclass
class Window:
    """One restart, in monotonic seconds: the kill, and the new process connected (identified) to the stand-in."""

    killed: float
    connected: float = math.nan

    def holds(self, moment: float) -> bool:
        """Whether `moment` falls between the kill and the new process connecting (an open window never closes)."""
        return self.killed <= moment and (math.isnan(self.connected) or moment <= self.connected)


@dataclass
class Soak:
    """Everything the soak saw."""

    rate: float
    seconds: float
    offered: int = 0
    reactions: int = 0
    flood_s: float = 0.0
    stored: int = 0
    settled_s: float = 0.0
    still_busy: bool = False
    windows: list[Window] = field(default_factory=list)
    exits: list[int | None] = field(default_factory=list)  # exit codes of the bot stopping on its own
    probes: list[Probe] = field(default_factory=list)
    lateness: list[tuple[float, bool]] = field(default_factory=list)  # (ms, came due in a restart window)
    not_posted: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0


class Supervisor:
    """Keeps the bot running as a process manager would: kills it on schedule, restarts it, notes when it is back."""

    def __init__(self, bot: BotProcess, standin: StandIn, sample: SampleServer, soak: Soak) -> None:
        self._bot, self._standin, self._sample, self._soak = bot, standin, sample, soak

    async def start(self) -> None:
        """The first start: wait until the bot answers /about (its commands are synced and it is listening)."""
        await self._start_until(lambda: wait_up(self._standin, self._sample, timeout=120))

    async def kill_and_restart(self, rng: random.Random) -> None:
        """SIGKILL now; start again after a random downtime; return once the new process has connected."""
        window = Window(killed=time.monotonic())
        self._soak.windows.append(window)
        await self._bot.kill()
        await asyncio.sleep(rng.uniform(*DOWNTIME))
        identified = self._standin.identify_count
        await self._start_until(lambda: self._standin.wait_until(lambda: self._standin.identify_count > identified,
                                                                 timeout=120))
        window.connected = time.monotonic()

    async def _start_until(self, arrived: Callable[[], Coroutine[Any, Any, object]]) -> None:
        """Start the bot and wait for `arrived()`; if the process stops on its own first, note it and start it again."""
        while True:
            await self._bot.start()
            assert self._bot.process is not None
            waiting = asyncio.create_task(arrived())
            exited = asyncio.create_task(self._bot.process.wait())
            await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
            if waiting.done():
                exited.cancel()
                waiting.result()
                return
            waiting.cancel()
            self._soak.exits.append(exited.result())
            print(f"note: the bot stopped on its own (exit code {exited.result()}):\n{self._bot.tail()}")
            await asyncio.sleep(1)


async def run(args: argparse.Namespace) -> Soak:
    """The whole soak on one stand-in and one database."""
    rng = random.Random(args.seed)
    soak = Soak(args.rate, args.minutes * 60)
    with tempfile.TemporaryDirectory(prefix="heartbeat-soak-") as scratch:
        async with StandIn(token=TOKEN, queue_gateway=True) as standin:
            sample = build_sample(standin)
            bot = BotProcess(["-m", "bot"], standin, Path(scratch) / "heartbeat.db", Path(scratch) / "bot.log")
            supervisor = Supervisor(bot, standin, sample, soak)
            try:
                await supervisor.start()
                session = await start_chat(standin, sample, bot.database, questions=QUESTIONS, **CHAT)
                with Stored(bot.database) as stored:
                    due = [q.due_at for q in stored.questions(session)]
                await flood_with_kills(standin, sample, supervisor, soak, due, args.kills, rng)
                settled = await settle(bot.database, soak.offered, cpu=bot.cpu, timeout=args.settle)
                soak.stored, soak.settled_s, soak.still_busy = settled.count, settled.seconds, settled.still_busy
                questions(standin, sample, bot.database, session, soak)
            finally:
                await bot.stop()
    return soak


async def flood_with_kills(standin: StandIn, sample: SampleServer, supervisor: Supervisor, soak: Soak,
                           due: list[datetime], kills: int, rng: random.Random) -> None:
    """Members post for the soak's length while the bot is killed `kills` times; slash commands throughout."""
    def current() -> int | None:  # members answer the newest question due (the bot's clock is the real one)
        now = datetime.now(UTC)
        return sum(1 for d in due if d <= now) or None

    traffic = Traffic(standin, sample, question=current)
    moments = sorted(rng.uniform(0.05, 0.95) * soak.seconds for _ in range(kills))

    async def killer() -> None:
        started = time.monotonic()
        for moment in moments:
            await asyncio.sleep(max(0.0, started + moment - time.monotonic()))
            await supervisor.kill_and_restart(rng)
            await asyncio.sleep(1)  # never two kills closer than a second after the bot came back

    async with Probes(standin, sample, every=PROBE_EVERY, timeout=PROBE_TIMEOUT) as probes:
        killing = asyncio.create_task(killer())
        soak.flood_s = await flood(traffic, soak.rate, soak.seconds)
        await killing  # the last restart may come up after the flood has ended
        await probes.stop()
    soak.offered, soak.reactions, soak.probes = traffic.messages, traffic.reactions, probes.probes


def questions(standin: StandIn, sample: SampleServer, database: Path, session: int, soak: Soak) -> None:
    """Each question due by now: its lateness (and whether it came due in a restart window), or why it is missing."""
    now = datetime.now(UTC)
    offset = time.time() - time.monotonic()  # to place wall-clock due times among the monotonic windows
    with Stored(database) as stored:
        posts = [p for p in stored.questions(session) if p.due_at <= now]
    for post in posts:
        if post.status == "posted" and post.message_id in standin.messages:
            appeared = standin.messages[post.message_id].created_at
            due_monotonic = post.due_at.timestamp() - offset
            in_window = any(w.holds(due_monotonic) for w in soak.windows)
            soak.lateness.append(((appeared - post.due_at).total_seconds() * 1000, in_window))
        else:
            soak.not_posted[post.status] = soak.not_posted.get(post.status, 0) + 1
    chat = sample.channels["chat"].id
    seen: dict[str, int] = {}
    for message in standin.bot_messages(chat):
        if match := QUESTION_TEXT.search(message.text):
            seen[match[1]] = seen.get(match[1], 0) + 1
    soak.duplicates = sum(n - 1 for n in seen.values())


def first_answers(soak: Soak) -> list[float]:
    """For each restart, seconds from the kill to the first reply to a command issued after it (NaN: none)."""
    seconds = []
    ends = [w.killed for w in soak.windows[1:]] + [math.inf]
    for window, end in zip(soak.windows, ends, strict=True):
        replies = [p.issued + p.reply_ms / 1000 for p in soak.probes
                   if p.reply_ms is not None and window.killed <= p.issued < end]
        seconds.append(min(replies, default=math.nan) - window.killed)
    return seconds


def report(soak: Soak, args: argparse.Namespace) -> None:
    """What the soak saw, loss first."""
    print(f"Heartbeat soak: {soak.rate:.0f} member msg/s for {soak.seconds / 60:.1f} min, killed with SIGKILL "
          f"{len(soak.windows)} times and restarted on the same database (`python -m bot`, real clock)\n")
    achieved = soak.offered / soak.flood_s if soak.flood_s else math.nan
    print(f"messages offered: {soak.offered} ({achieved:.0f}/s, plus {soak.reactions} reactions)")
    print(f"messages stored:  {soak.stored} ({soak.settled_s:.0f} s after the flood and the last restart)")
    if soak.stored != soak.offered:
        why = (f"the bot was still storing when the wait ended after {args.settle:.0f} s: a backlog, perhaps not a loss"
               if soak.still_busy else "the count had stopped growing and the bot was idle: lost")
        print(f"MISSING: {soak.offered - soak.stored} of {soak.offered} messages ({why})")
    if soak.exits:
        print(f"the bot stopped on its own {len(soak.exits)} time(s), exit codes {soak.exits}")

    windows = [w.connected - w.killed for w in soak.windows if not math.isnan(w.connected)]
    print(f"\nrestart windows (kill to the new process connected): p50 {percentile(windows, 0.5):.1f} s, "
          f"max {max(windows, default=math.nan):.1f} s")
    answers = first_answers(soak)
    never = sum(1 for a in answers if math.isnan(a))
    answered = [a for a in answers if not math.isnan(a)]
    print(f"kill to the first slash command answered after it: p50 {percentile(answered, 0.5):.1f} s, "
          f"max {max(answered, default=math.nan):.1f} s" + (f", never before the next kill: {never}" if never else ""))

    def while_up(probe: Probe) -> bool:
        return not any(w.holds(probe.issued) for w in soak.windows)

    def killed_soon(probe: Probe) -> bool:
        return any(0 <= w.killed - probe.issued <= PROBE_TIMEOUT for w in soak.windows)

    up = [p for p in soak.probes if while_up(p)]
    answered = [p.reply_ms for p in up if p.reply_ms is not None]
    lost_to_kill = [p for p in up if p.reply_ms is None and killed_soon(p)]
    unanswered = [p for p in up if p.reply_ms is None and not killed_soon(p)]
    down = [p for p in soak.probes if not while_up(p)]
    print(f"\nslash commands issued outside restart windows: {len(up)}; first reply "
          f"p50 {ms(percentile(answered, 0.5))} ms, p99 {ms(percentile(answered, 0.99))} ms, "
          f"slowest {ms(max(answered, default=math.nan))} ms; "
          f"over {DISCORD_DEADLINE_MS} ms: {sum(1 for m in answered if m > DISCORD_DEADLINE_MS)}")
    print(f"  not answered: {len(lost_to_kill)} with a kill within {PROBE_TIMEOUT:.0f} s, {len(unanswered)} otherwise")
    print(f"slash commands issued during restart windows: {len(down)}, "
          f"{sum(1 for p in down if p.reply_ms is not None)} of them answered")

    all_ms = [ms for ms, _ in soak.lateness]
    calm = [ms for ms, in_window in soak.lateness if not in_window]
    print(f"\nquestions posted: {len(all_ms)} ({len(all_ms) - len(calm)} came due during a restart window)")
    for name, values in (("all:            ", all_ms), ("outside windows:", calm)):
        print(f"question lateness, {name} p50 {ms(percentile(values, 0.5))} ms, "
              f"p99 {ms(percentile(values, 0.99))} ms, max {ms(max(values, default=math.nan))} ms")
    if soak.not_posted:
        print("questions due but not posted: " + ", ".join(f"{n} {s}" for s, n in sorted(soak.not_posted.items())))
    print(f"questions posted more than once: {soak.duplicates}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 msg/s for 20 s with 2 kills (a smoke check)")
    parser.add_argument("--minutes", type=float, help="how long members post (default 5)")
    parser.add_argument("--rate", type=float, help="member messages per second (default 2000)")
    parser.add_argument("--kills", type=int, help="how many times the bot is killed (default 10)")
    parser.add_argument("--settle", type=float, help="seconds to wait at most for the stored count (default 120)")
    parser.add_argument("--seed", type=int, default=2026, help="for the kill moments and downtimes")
    args = parser.parse_args()
    quick = {"minutes": 1 / 3, "rate": 200.0, "kills": 2, "settle": 30.0}
    full = {"minutes": 5.0, "rate": 2000.0, "kills": 10, "settle": 120.0}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    started = time.monotonic()
    soak = await run(args)
    report(soak, args)
    print(f"\n(the whole run took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
