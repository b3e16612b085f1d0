"""How late do chat questions and slash command replies come while members flood the chat?

A busy chat is exactly when the questions must keep their rhythm, and everything the bot does runs on one event
loop and one database connection: storing members' messages competes with the job that posts the next question and
with every slash command. This benchmark runs the same chat three times on a fresh stand-in, bot and database:
quiet (the baseline), then with 200 and with 2,000 member messages a real second (answers to the current question,
replies, mentions, chatter, a reaction after one message in ten). Heartbeat runs as its own process
(`benches/_child.py heartbeat`) with its clock at 60x, so the members' traffic never shares its event loop or CPU.

The chat asks 12 questions, Q1 at 30 s and then one every 50 s of bot time, and members post from the start until
Q13 would have been due: about 10.5 real seconds. The chat itself runs for 4 bot hours (4 real minutes), so a bot
that falls behind catches up while the chat is still taking messages, as it would in a real hour-long chat. The
bot's misfire grace (how late a post may still go out) is stretched by the same 60x, so it stays 5 real minutes.

It prints, for each rate:
- question lateness: when the question appeared in the stand-in minus the real instant the bot's clock showed its
  due time, in real milliseconds (with 12 questions, p99 is the slowest one); questions skipped or still not posted
  when the wait ends are counted apart;
- the first reply to a read-only slash command (`/about` and `/chat list` from a member, `/chat questions list`
  from the host, in turn), issued every half second while members post: p50, p99, the slowest, and how many took
  over 3 s (Discord fails an interaction that is not answered within 3 s);
- messages offered against messages stored, counted in the database file (opened read-only) once the count
  reaches what was offered, or stops growing while the bot idles, or DRAIN seconds after the flood at most.

Nothing is asserted; it only prints numbers. Run from the repository root (after `pip install -e .`):

    python benches/punctuality.py            # rates 0, 200 and 2,000 msg/s, up to about 3 minutes
    python benches/punctuality.py --quick    # rates 0 and 200 only, a smoke check
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from _bot import CHILD, BotClock, BotProcess, scaled_defaults, wait_up
from _stored import QuestionPost, Stored, settle
from _traffic import CLOCK_START, TOKEN, Probes, Traffic, flood, percentile, ratio, start_chat

from bot.standin import StandIn
from bot.standin.sample import MEMBER_NAMES, SampleServer, build_sample

SPEED = 60  # bot seconds per real second
QUESTIONS, SPACING_S, FIRST_S = 12, 50, 30
CHAT = {"duration": "4h", "spacing": f"{SPACING_S}s", "first_question": f"{FIRST_S}s"}
FLOOD_S = FIRST_S + QUESTIONS * SPACING_S  # bot seconds from the start: until Q13 would be due
PROBE_EVERY = 0.5  # real seconds between slash commands
DISCORD_DEADLINE_MS = 3000  # Discord's limit for answering an interaction
AIM_MS = 250


@dataclass
class Result:
    """What one run measured."""

    rate: int
    lateness_ms: list[float] = field(default_factory=list)  # posted questions only
    not_posted: dict[str, int] = field(default_factory=dict)  # status -> how many (skipped, failed, still pending)
    slash_ms: list[float] = field(default_factory=list)
    slash_issued: int = 0
    offered: int = 0
    flood_s: float = 0.0
    stored_live: int = 0  # stored when the flood ended
    stored: int = 0
    settled_s: float = 0.0
    still_busy: bool = False


async def run_chat(rate: int, drain: float) -> Result:
    """The whole chat on a fresh stand-in, bot process and database, flooded at `rate` messages a second."""
    with tempfile.TemporaryDirectory(prefix="heartbeat-bench-") as scratch:
        async with StandIn(token=TOKEN, queue_gateway=True) as standin:
            sample = build_sample(standin)
            database = Path(scratch) / "heartbeat.db"
            clock = BotClock.fast(CLOCK_START, SPEED)
            bot = BotProcess([str(CHILD), "heartbeat", *clock.child_args()], standin, database,
                             Path(scratch) / "bot.log", env=scaled_defaults(Path(scratch), SPEED))
            await bot.start()
            try:
                await wait_up(standin, sample)
                return await measure(rate, standin, sample, bot, clock, drain)
            except Exception:
                print(f"--- bot output:\n{bot.tail()}")
                raise
            finally:
                await bot.stop(timeout=10)


async def measure(rate: int, standin: StandIn, sample: SampleServer, bot: BotProcess, clock: BotClock,
                  drain: float) -> Result:
    """Start the chat, flood it with slash commands running, then wait for the questions and the stored count."""
    session = await start_chat(standin, sample, bot.database, questions=QUESTIONS, **CHAT)
    with Stored(bot.database) as stored:
        questions = stored.questions(session)
    assert len(questions) == QUESTIONS, questions
    flood_end = clock.to_real(questions[0].due_at + timedelta(seconds=FLOOD_S - FIRST_S))
    flood_seconds = flood_end.timestamp() - time.time()

    def current() -> int | None:
        now = clock.now()
        return max((q.number for q in questions if q.due_at <= now), default=None)

    traffic = Traffic(standin, sample, question=current)
    result = Result(rate)
    async with Probes(standin, sample, every=PROBE_EVERY, timeout=60) as probes:
        result.flood_s = await flood(traffic, rate, flood_seconds)
        await probes.stop()
    result.offered = traffic.messages
    with Stored(bot.database) as stored:
        result.stored_live = stored.count()
    result.slash_issued = len(probes.probes)
    result.slash_ms = probes.answered_ms()

    gave_up = time.monotonic() + drain
    for post in await questions_done(bot.database, session, until=gave_up):
        if post.status == "posted" and post.message_id in standin.messages:
            appeared = standin.messages[post.message_id].created_at
            result.lateness_ms.append((appeared - clock.to_real(post.due_at)).total_seconds() * 1000)
        else:
            result.not_posted[post.status] = result.not_posted.get(post.status, 0) + 1
    settled = await settle(bot.database, result.offered, cpu=bot.cpu, timeout=max(0.0, gave_up - time.monotonic()))
    result.stored, result.settled_s, result.still_busy = settled.count, settled.seconds, settled.still_busy
    return result


async def questions_done(database: Path, session: int, *, until: float) -> list[QuestionPost]:
    """The session's question posts once none is pending any more (or at `until`, whatever they are then)."""
    with Stored(database) as stored:
        while True:
            posts = stored.questions(session)
            if all(p.status != "pending" for p in posts) or time.monotonic() > until:
                return posts
            await asyncio.sleep(0.05)


def cell(values: list[float], share: float | None) -> str:
    """A percentile (or the maximum, with share None) in ms, or "-"."""
    if not values:
        return "-"
    value = max(values) if share is None else percentile(values, share)
    return f"{value:.0f}"


def report(results: list[Result], drain: float) -> None:
    """Every rate side by side, then the loaded/quiet ratios and anything missing."""
    print(f"Heartbeat: punctuality while members flood the chat ({QUESTIONS} questions, one every {SPACING_S} s of bot "
          f"time, bot clock at {SPEED}x; {len(MEMBER_NAMES)} members post for {FLOOD_S / SPEED:.1f} real s; "
          "bot in its own process)")
    print(f"aim: question lateness p99 under {AIM_MS} ms; slash replies under {DISCORD_DEADLINE_MS} ms\n")
    print(f"{'rate':>5} | {'posted':>6}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8} | {'slash':>5}{'p50 ms':>8}"
          f"{'p99 ms':>8}{'max ms':>8}{'>3s':>5} | {'offered':>8}{'msg/s':>7}{'stored':>8}{'missing':>8}")
    for r in results:
        posted = f"{len(r.lateness_ms)}/{len(r.lateness_ms) + sum(r.not_posted.values())}"
        late = [m for m in r.slash_ms if m > DISCORD_DEADLINE_MS] + [math.inf] * (r.slash_issued - len(r.slash_ms))
        achieved = f"{r.offered / r.flood_s:.0f}" if r.offered else "-"
        print(f"{r.rate:>5} | {posted:>6}{cell(r.lateness_ms, 0.5):>8}{cell(r.lateness_ms, 0.99):>8}"
              f"{cell(r.lateness_ms, None):>8} | {r.slash_issued:>5}{cell(r.slash_ms, 0.5):>8}"
              f"{cell(r.slash_ms, 0.99):>8}{cell(r.slash_ms, None):>8}{len(late):>5} | {r.offered:>8}{achieved:>7}"
              f"{r.stored:>8}{r.offered - r.stored:>8}")
    quiet = results[0]
    print()
    for r in results[1:]:
        print(f"{r.rate} msg/s against {quiet.rate}: question lateness p50 "
              f"{ratio(percentile(r.lateness_ms, 0.5), percentile(quiet.lateness_ms, 0.5))}, p99 "
              f"{ratio(percentile(r.lateness_ms, 0.99), percentile(quiet.lateness_ms, 0.99))}; slash reply p50 "
              f"{ratio(percentile(r.slash_ms, 0.5), percentile(quiet.slash_ms, 0.5))}, p99 "
              f"{ratio(percentile(r.slash_ms, 0.99), percentile(quiet.slash_ms, 0.99))}")
    for r in results:
        if r.not_posted:
            counts = ", ".join(f"{n} {status}" for status, n in sorted(r.not_posted.items()))
            print(f"{r.rate} msg/s: questions not posted: {counts} ('pending': not yet, {drain:.0f} s after the flood)")
        if r.slash_issued > len(r.slash_ms):
            print(f"{r.rate} msg/s: {r.slash_issued - len(r.slash_ms)} slash command(s) not answered within 60 s")
        if r.offered:
            print(f"{r.rate} msg/s: stored {r.stored_live} of {r.offered} offered when the flood ended, {r.stored} "
                  f"{r.settled_s:.0f} s later")
        if r.stored < r.offered:
            why = (f"the bot was still busy when the wait ended, {drain:.0f} s after the flood" if r.still_busy
                   else "the count had stopped growing and the bot was idle")
            print(f"{r.rate} msg/s: MISSING {r.offered - r.stored} of {r.offered} messages ({why})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="rates 0 and 200 only, a smoke check")
    parser.add_argument("--rates", type=int, nargs="+", help="member messages per second (default 0 200 2000)")
    parser.add_argument("--drain", type=float, default=120.0,
                        help="seconds to wait after the flood for the questions and the stored count (default 120)")
    args = parser.parse_args()
    rates = args.rates or ([0, 200] if args.quick else [0, 200, 2000])
    started = time.monotonic()
    results = [await run_chat(rate, args.drain) for rate in rates]
    report(results, args.drain)
    print(f"\n(the whole run took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
