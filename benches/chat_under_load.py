"""How late do chat questions go out while members flood the channel?

A busy chat is exactly when the questions must keep their rhythm, and everything the bot does runs on one
event loop: recording 200 messages a second competes with the scheduler job that posts the next question.
This benchmark runs the same 10-minute chat twice against the local Discord stand-in (no network), once
quiet (the baseline) and once with ~30 members posting 200 messages per real second (half answers to the
current question, some replies, some chatter), and prints how late each question appeared and whether
every message sent during the chat was recorded.

The bot clock runs at 60x, so the chat (12 questions, one every 50 s) plays out in about 10 real seconds on a live
loop. A question's lateness is the real time its message appeared in the stand-in minus the real instant
the bot clock showed its due time, in real milliseconds. Nothing is asserted; it only prints numbers.
`benches/punctuality.py` measures the same with the bot in its own process, at 0, 200 and 2,000 messages a second,
together with slash command replies.

Run from the repository root (after `pip install -e .`): python benches/chat_under_load.py
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _traffic import ANSWERS, CHATTER, REPLIES, percentile

from bot.client import Heartbeat, use_discord_at
from bot.clock import Clock
from bot.domain.questions import MAX_QUESTIONS
from bot.domain.running import post_key
from bot.settings import Defaults, Settings
from bot.standin import StandIn
from bot.standin.model import Message
from bot.standin.sample import MEMBER_NAMES, SampleServer, build_sample
from bot.storage import ChatSession

RATE = 200  # member messages per real second while flooding
MAX_BATCH = RATE // 10  # never more than this many at once, even when catching up
SPEED = 60  # bot seconds per real second
# The most questions a session holds (12), spread over the whole chat: Q1 at 30s, then one every 50s.
CHAT = {"duration": "10m", "spacing": "50s", "first_question": "30s"}
# Monday noon in New York: the series' weekly trigger (Tuesday 21:00) stays far away; /chat start runs it.
CLOCK_START = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
FLOOD_STOPS_BEFORE_END = 0.25  # real seconds: every flood message is sent while the chat is running
AIM_MS = 250


@dataclass
class Result:
    """What one run measured."""

    name: str
    lateness_ms: list[float]
    planned: int
    sent: int
    recorded: int
    flood_seconds: float


async def slash(standin: StandIn, sample: SampleServer, user, command: str, **options) -> str:
    """Run a slash command in #general and return the text of the bot's reply."""
    return (await (await standin.slash(user, sample.channels["general"], command, **options)).reply()).text


async def start_chat(standin: StandIn, sample: SampleServer, bot: Heartbeat) -> ChatSession:
    """Create a series with its questions, start its session now as the host, and return the running session."""
    await slash(standin, sample, sample.admin, "config role", kind="host", role=sample.roles["hosts"])
    created = await slash(standin, sample, sample.host, "chat create", name="LoadChat", hashtag="LoadChat",
                          channel=sample.channels["chat"], weekday="Tuesday", time="21:00",
                          zone="America/New_York", **CHAT)
    assert created.startswith("Created"), created
    for number in range(1, MAX_QUESTIONS + 1):
        added = await slash(standin, sample, sample.host, "chat questions add", text=f"Question number {number}?")
        assert "most it can hold" not in added, added
    started = await slash(standin, sample, sample.host, "chat start")
    assert started.startswith("Started"), started
    return (await bot.storage.sessions.with_status("running"))[0]


def member_message(rng: random.Random, sample: SampleServer, question: int | None,
                   recent: deque[Message]) -> tuple[object, str, Message | None]:
    """A realistic next message: about half answers to the current question, some replies, the rest chatter."""
    user = rng.choice(sample.members)
    roll = rng.random()
    if roll < 0.5 and question is not None:
        return user, f"A{question}: {rng.choice(ANSWERS)}", None
    if roll < 0.7 and recent:
        return user, rng.choice(REPLIES), rng.choice(recent)
    return user, rng.choice(CHATTER), None


async def flood(standin: StandIn, sample: SampleServer, clock: Clock, question_due: list[datetime],
                until: float) -> tuple[int, float]:
    """Post RATE member messages per real second until the monotonic instant `until`; return (sent, seconds)."""
    rng = random.Random(2026)
    chat = sample.channels["chat"]
    recent: deque[Message] = deque(maxlen=50)
    sent, started = 0, time.monotonic()
    while (now := time.monotonic()) < until:
        for _ in range(min(int((now - started) * RATE) - sent, MAX_BATCH)):
            asked = [n for n, due in enumerate(question_due, 1) if due <= clock.now()]
            user, text, reply_to = member_message(rng, sample, asked[-1] if asked else None, recent)
            recent.append(await standin.say(user, chat, text, reply_to=reply_to))  # type: ignore[arg-type]
            sent += 1
        await asyncio.sleep(0.005)
    return sent, time.monotonic() - started


async def settled_count(bot: Heartbeat, session_id: int, sent: int, quiet_for: float = 1.0) -> int:
    """The number of messages the bot recorded, once it reaches `sent` or stops growing for `quiet_for` s."""
    count, changed = -1, time.monotonic()
    while True:
        now_count = len(await bot.storage.messages.of_session(session_id))
        if now_count != count:
            count, changed = now_count, time.monotonic()
        if count >= sent or time.monotonic() - changed > quiet_for:
            return count
        await asyncio.sleep(0.1)


async def run_chat(name: str, *, flooded: bool) -> Result:
    """Run the whole chat on a fresh stand-in, bot and database; flood it if asked; measure it."""
    with tempfile.TemporaryDirectory(prefix="heartbeat-bench-") as scratch:
        async with StandIn() as standin:
            use_discord_at(standin.url)
            sample = build_sample(standin)
            settings = Settings(token="standin-token", database_path=Path(scratch) / "heartbeat.db",
                                log_level="WARNING", sync_guild_id=None, defaults=Defaults())
            clock = Clock(CLOCK_START, speed=SPEED)
            bot = Heartbeat(settings, identify_delay=0, guild_ready_timeout=0.01, clock=clock)
            task = asyncio.create_task(bot.start(standin.token))
            try:
                await asyncio.wait_for(bot.connected.wait(), 10)
                return await measure(name, standin, sample, bot, clock, flooded=flooded)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)


async def measure(name: str, standin: StandIn, sample: SampleServer, bot: Heartbeat, clock: Clock, *,
                  flooded: bool) -> Result:
    """Start the chat, flood it (or not) until just before its end, wait for the recap, and collect the numbers."""
    session = await start_chat(standin, sample, bot)
    questions = [p for p in await bot.storage.posts.of_session(session.id) if p.kind == "question"]
    assert session.ends_at is not None
    end_real = clock.real_instant(session.ends_at)
    assert end_real is not None
    until = time.monotonic() + (end_real - datetime.now(UTC)).total_seconds() - FLOOD_STOPS_BEFORE_END
    sent, seconds = 0, 0.0
    if flooded:
        sent, seconds = await flood(standin, sample, clock, [p.due_at for p in questions], until)

    async def recap_posted() -> bool:
        recap = await bot.storage.posts.get(post_key(session.id, "recap"))
        return recap is not None and recap.status != "pending"
    await bot.chats.wait_for(recap_posted, timeout=15)
    recorded = await settled_count(bot, session.id, sent)
    lateness = []
    for question in questions:
        post = await bot.storage.posts.get(question.key)
        if post is not None and post.status == "posted" and post.message_id is not None:
            due_real = clock.real_instant(post.due_at)
            assert due_real is not None
            appeared = standin.messages[post.message_id].created_at
            lateness.append((appeared - due_real).total_seconds() * 1000)
    return Result(name, lateness, len(questions), sent, recorded, seconds)


def report(baseline: Result, loaded: Result) -> None:
    """Print both runs side by side and the loaded/baseline ratios."""
    print(f"Heartbeat: question lateness while members flood the chat ({CHAT['duration']} chat, a question every "
          f"{CHAT['spacing']}, clock at {SPEED}x; flood {RATE} msg/s from {len(MEMBER_NAMES)} members)")
    print(f"aim: p99 under {AIM_MS} ms\n")
    print(f"{'run':<9}{'questions':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'sent':>7}{'recorded':>10}"
          f"{'rate msg/s':>12}")
    for run in (baseline, loaded):
        rate = f"{run.sent / run.flood_seconds:.0f}" if run.flood_seconds else "-"
        recorded = f"{run.recorded}/{run.sent}" if run.sent else f"{run.recorded}"
        print(f"{run.name:<9}{len(run.lateness_ms):>6}/{run.planned:<3}{percentile(run.lateness_ms, 0.5):>9.1f}"
              f"{percentile(run.lateness_ms, 0.99):>9.1f}{max(run.lateness_ms, default=math.nan):>9.1f}"
              f"{run.sent:>7}{recorded:>10}{rate:>12}")
    p50 = percentile(loaded.lateness_ms, 0.5) / percentile(baseline.lateness_ms, 0.5)
    p99 = percentile(loaded.lateness_ms, 0.99) / percentile(baseline.lateness_ms, 0.99)
    print(f"\nloaded/baseline: p50 x{p50:.1f}, p99 x{p99:.1f}")
    if loaded.sent:
        print(f"recorded/sent under load: {loaded.recorded / loaded.sent:.1%} "
              f"({loaded.sent - loaded.recorded} message(s) not recorded)")
    print(f"loaded p99 {percentile(loaded.lateness_ms, 0.99):.0f} ms vs aim {AIM_MS} ms "
          f"(with {len(loaded.lateness_ms)} questions, p99 is the slowest one)")


async def main() -> None:
    """Baseline first, then the flooded run, then the report."""
    baseline = await run_chat("baseline", flooded=False)
    loaded = await run_chat("loaded", flooded=True)
    report(baseline, loaded)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
