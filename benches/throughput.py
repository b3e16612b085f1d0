"""What does one member message cost Heartbeat, next to discord.py doing nothing with it?

The same stream of realistic gateway messages (answers "A3: ...", Discord replies, mentions, chatter, and a reaction
after one message in ten) goes into a running chat through the local Discord stand-in, as fast as the stand-in can
take it, to three receivers, each a fresh process on a fresh stand-in:

- sink: a raw websocket reader that parses nothing: how fast the stand-in alone can push messages (the ceiling);
- bare: a `discord.Client` with Heartbeat's intents (`bot.client.intents()`) that does nothing with them (the
  baseline: discord.py's own cost);
- heartbeat: `python -m bot` with all its cogs and its SQLite file, in a chat started with `/chat start` and moved
  on to its third question with `/chat next`.

Every receiver runs as a real child process, not in this one: the stand-in then never competes with it for its
event loop, and its CPU time is its own (user + system time of the whole process, all threads, from /proc, so
this benchmark wants Linux). Each first gets WARMUP messages. A message counts as done for sink and bare when the
receiver has answered a sentinel message sent after it (events arrive in order); for Heartbeat when its row is
committed in the database, polled read-only every 5 ms from a thread. Columns: sent/s is how fast the stand-in took
the messages from the members (it queues them for the receiver); done/s and "done s" run from the first message
sent to the last one done; CPU is the receiver's over that span, per message, and how much of it was the kernel's.

Heartbeat also gets a paced phase, before the burst: PACED_RATE messages a second for 10 s, each timed from the
moment the member posted it to the poll that first saw its row (arrival-to-commit latency, at most one poll
interval plus a read late). In the burst the same figure is mostly time spent queueing behind earlier messages.
The burst's commits per second are printed per quarter, since Heartbeat's cost per message grows with what it has
stored.

Nothing is asserted; it only prints numbers. Run from the repository root (after `pip install -e .`):

    python benches/throughput.py            # 5,000 messages per receiver, about a minute
    python benches/throughput.py --quick    # 1,000 messages, a smoke check
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _bot import CHILD, BotProcess, wait_up
from _child import DONE, SENTINEL
from _stored import CommitWatch, Stored
from _traffic import TOKEN, Traffic, flood, percentile, ratio, slash_text, start_chat

from bot.standin import StandIn
from bot.standin.sample import SampleServer, build_sample

WARMUP = 300  # messages each receiver gets before the measured ones (imports, caches, the first transactions)
PACED_RATE = 200  # messages per second in Heartbeat's latency phase
QUESTION = 3  # the chat is at its third question: answers say "A3: ..."


@dataclass
class Run:
    """What one receiver measured."""

    name: str
    messages: int
    reactions: int = 0
    push_s: float = math.nan  # the stand-in sending them all
    done_s: float = math.nan  # from the first sent to the last done
    cpu_s: float = math.nan  # the receiver's CPU time over that span
    system_s: float = math.nan  # the part of it spent in the kernel
    standin_cpu_s: float = math.nan  # this process's CPU time over that span
    stored: int | None = None
    burst_ms: list[float] = field(default_factory=list)
    paced: int = 0
    paced_stored: int = 0
    paced_cpu_s: float = math.nan
    paced_ms: list[float] = field(default_factory=list)
    quarters: list[float] = field(default_factory=list)  # commits per second in each quarter of the burst


async def receive(name: str, messages: int, paced_seconds: float) -> Run:
    """Start the receiver on a fresh stand-in, warm it up, send the stream, and time it until done."""
    with tempfile.TemporaryDirectory(prefix="heartbeat-bench-") as scratch:
        async with StandIn(token=TOKEN, queue_gateway=True) as standin:
            sample = build_sample(standin)
            database = Path(scratch) / "heartbeat.db"
            argv = ["-m", "bot"] if name == "heartbeat" else [str(CHILD), name]
            child = BotProcess(argv, standin, database, Path(scratch) / "child.log")
            await child.start()
            try:
                if name == "heartbeat":
                    return await heartbeat(standin, sample, child, messages, paced_seconds)
                return await baseline(name, standin, sample, child, messages)
            except Exception:
                print(f"--- {name} output:\n{child.tail()}")
                raise
            finally:
                await child.stop()


async def sentinel_answered(standin: StandIn, sample: SampleServer) -> float:
    """Send the sentinel and wait for the receiver's answer; return the monotonic instant it came."""
    sent = await standin.say(sample.members[0], sample.channels["chat"], SENTINEL)
    await standin.wait_for_message(lambda m: m.content == DONE, after=sent.id, timeout=600)
    return time.monotonic()


async def baseline(name: str, standin: StandIn, sample: SampleServer, child: BotProcess, messages: int) -> Run:
    """sink or bare: the stream, then the sentinel."""
    await standin.wait_ready(timeout=30)
    traffic = Traffic(standin, sample, question=lambda: QUESTION)
    for _ in range(WARMUP):
        await traffic.step()
    await sentinel_answered(standin, sample)
    run = Run(name, messages)
    cpu, system, standin_cpu, reactions = child.cpu(), child.system_cpu(), time.process_time(), traffic.reactions
    started = time.monotonic()
    for _ in range(messages):
        await traffic.step()
    run.push_s = time.monotonic() - started
    run.done_s = await sentinel_answered(standin, sample) - started
    run.cpu_s, run.standin_cpu_s = child.cpu() - cpu, time.process_time() - standin_cpu
    run.system_s = child.system_cpu() - system
    run.reactions = traffic.reactions - reactions
    return run


async def heartbeat(standin: StandIn, sample: SampleServer, child: BotProcess, messages: int,
                    paced_seconds: float) -> Run:
    """Heartbeat: a running chat at its third question; the paced phase, then the stream until all is committed."""
    await wait_up(standin, sample)
    await start_chat(standin, sample, child.database, duration="60m", spacing="10m", first_question="0")
    for _ in range(QUESTION - 1):
        said = await slash_text(standin, sample.host, "general", sample, "chat next")
        assert "Posted" in said or "posted" in said, said
    traffic = Traffic(standin, sample, question=lambda: QUESTION)
    run = Run("heartbeat", messages)
    with CommitWatch(child.database, traffic.order, traffic.sent_at) as watch:
        for _ in range(WARMUP):
            await traffic.step()
        if not await watch.wait(list(traffic.order), stall=30, timeout=120):
            raise RuntimeError("Heartbeat did not store the warm-up messages")
        cpu = child.cpu()
        before = len(traffic.order)
        await flood(traffic, PACED_RATE, paced_seconds)
        paced = traffic.order[before:]
        await watch.wait(paced, stall=20, timeout=600)
        run.paced, run.paced_cpu_s = len(paced), child.cpu() - cpu
        run.paced_ms = watch.latencies_ms(paced)
        run.paced_stored = len(run.paced_ms)

        cpu, system, standin_cpu, reactions = child.cpu(), child.system_cpu(), time.process_time(), traffic.reactions
        started = time.monotonic()
        for _ in range(messages):
            await traffic.step()
        run.push_s = time.monotonic() - started
        burst = traffic.order[-messages:]
        await watch.wait(burst, stall=20, timeout=1200)
        run.cpu_s, run.standin_cpu_s = child.cpu() - cpu, time.process_time() - standin_cpu
        run.system_s = child.system_cpu() - system
        run.reactions = traffic.reactions - reactions
        run.burst_ms = watch.latencies_ms(burst)
        run.stored = len(run.burst_ms)
        seen = sorted(watch.seen_at[i] for i in burst if i in watch.seen_at)
        run.done_s = seen[-1] - started if seen else math.nan
        run.quarters = [quarter_rate(seen, q) for q in range(4)]
    with Stored(child.database) as stored:
        total = stored.count()
    if total != len(traffic.order):
        print(f"note: the database holds {total} messages, {len(traffic.order)} were sent")
    return run


def quarter_rate(seen: list[float], quarter: int) -> float:
    """Commits per second within one quarter of the burst, by the order rows were seen committed."""
    size = len(seen) // 4
    part = seen[quarter * size:(quarter + 1) * size]
    return (len(part) - 1) / (part[-1] - part[0]) if len(part) > 1 and part[-1] > part[0] else math.nan


def per_message_us(seconds: float, messages: int) -> float:
    return seconds / messages * 1e6 if messages else math.nan


def report(runs: dict[str, Run], paced_seconds: float) -> None:
    """The three receivers side by side, Heartbeat against the bare client, and the latency phase."""
    sink, bare, hb = runs["sink"], runs["bare"], runs["heartbeat"]
    print(f"Heartbeat: cost per member message ({hb.messages} messages, plus about one reaction per ten, sent as fast "
          "as the stand-in can; each receiver a child process)\n")
    print(f"{'receiver':<11}{'messages':>9}{'stored':>8}{'sent/s':>9}{'done/s':>9}{'done s':>8}"
          f"{'CPU µs/msg':>12}{'of it kernel':>14}{'stand-in µs/msg':>17}")
    for run in (sink, bare, hb):
        stored = "-" if run.stored is None else str(run.stored)
        print(f"{run.name:<11}{run.messages:>9}{stored:>8}{run.messages / run.push_s:>9.0f}"
              f"{run.messages / run.done_s:>9.0f}{run.done_s:>8.2f}{per_message_us(run.cpu_s, run.messages):>12.0f}"
              f"{run.system_s / run.cpu_s:>14.0%}{per_message_us(run.standin_cpu_s, run.messages):>17.0f}")
    cpu = {name: per_message_us(run.cpu_s, run.messages) for name, run in runs.items()}
    print(f"\nheartbeat/bare: CPU per message {ratio(cpu['heartbeat'], cpu['bare'])}, "
          f"messages per second {ratio(hb.messages / hb.done_s, bare.messages / bare.done_s)}")
    print(f"bare/sink: messages per second {ratio(bare.messages / bare.done_s, sink.messages / sink.done_s)} "
          "(about x1.00 means the bare client kept up with the stand-in, which was then the limit)")
    print(f"Heartbeat's CPU per message beyond discord.py's: {cpu['heartbeat'] - cpu['bare']:.0f} µs")
    if hb.stored is not None and hb.stored < hb.messages:
        print(f"MISSING: {hb.messages - hb.stored} of {hb.messages} burst messages never showed up in the database")
    quarters = ", ".join(f"{rate:.0f}" for rate in hb.quarters)
    print(f"Heartbeat's commits per second in each quarter of the burst: {quarters} (its tables grow as it goes)")
    print(f"burst, arrival to commit (mostly queueing behind earlier messages): "
          f"p50 {percentile(hb.burst_ms, 0.5):.0f} ms, p99 {percentile(hb.burst_ms, 0.99):.0f} ms")
    print(f"\npaced, before the burst, at {PACED_RATE} msg/s for {paced_seconds:.0f} s ({hb.paced} messages, "
          f"{hb.paced_stored} stored): arrival to commit p50 {percentile(hb.paced_ms, 0.5):.1f} ms, "
          f"p99 {percentile(hb.paced_ms, 0.99):.1f} ms, max {max(hb.paced_ms, default=math.nan):.1f} ms; "
          f"CPU {per_message_us(hb.paced_cpu_s, hb.paced):.0f} µs/msg (idle time included)")
    print("(latency: from the member posting to a 5 ms read-only poll of the database seeing the row)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 messages and a 3 s paced phase (a smoke check)")
    parser.add_argument("--messages", type=int, help="messages per receiver (default 5,000; 1,000 with --quick)")
    args = parser.parse_args()
    messages = args.messages or (1_000 if args.quick else 5_000)
    paced_seconds = 3.0 if args.quick else 10.0
    started = time.monotonic()
    runs = {}
    for name in ("sink", "bare", "heartbeat"):
        runs[name] = await receive(name, messages, paced_seconds)
    report(runs, paced_seconds)
    print(f"\n(the whole run took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
