"""How does the welcome desk cope with a raid?

A raid is hundreds of accounts joining within seconds. Each join is recorded, judged (welcome, too-new
account, rejoin) and counted towards a burst, under one lock per server so joins and leaves keep their order.
This benchmark joins members one at a time, each waited for (the baseline), then fires a raid of RAID joins
at once against the local Discord stand-in, and prints the cost per join, the raid's throughput, and what the
server saw: how many welcome posts and moderator alerts (the aim: at most 2 and exactly 1).
Nothing is asserted; it only prints numbers.

Run from the repository root (after `pip install -e .`): python benches/join_burst.py
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.client import Heartbeat, use_discord_at
from bot.clock import Clock
from bot.settings import Defaults, Settings
from bot.standin import StandIn
from bot.standin.sample import SampleServer, build_sample

BASELINE_JOINS = 20
RAID = 500
CLOCK_START = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)


async def _start(standin: StandIn, database: Path, clock: Clock) -> tuple[Heartbeat, asyncio.Task[None]]:
    settings = Settings(token=standin.token, database_path=database, log_level="WARNING", sync_guild_id=None,
                        defaults=Defaults())
    bot = Heartbeat(settings, identify_delay=0, guild_ready_timeout=0.01, clock=clock)
    task = asyncio.create_task(bot.start(standin.token))
    await asyncio.wait_for(bot.connected.wait(), 10)
    return bot, task


async def _configure(standin: StandIn, sample: SampleServer) -> None:
    for kind, name in (("welcome", "welcome"), ("moderator", "mod-log")):
        record = await standin.slash(sample.admin, sample.channels["general"], "config channel", kind=kind,
                                     channel=sample.channels[name])
        await record.reply()


async def _recorded(bot: Heartbeat, guild_id: int, user_ids: list[int]) -> bool:
    return all([await bot.storage.newcomers.get(guild_id, user_id) for user_id in user_ids])


async def measure() -> None:
    with tempfile.TemporaryDirectory(prefix="heartbeat-bench-") as scratch:
        async with StandIn() as standin:
            use_discord_at(standin.url)
            sample = build_sample(standin)
            clock = Clock.frozen(CLOCK_START)
            bot, task = await _start(standin, Path(scratch) / "bench.db", clock)
            try:
                await _configure(standin, sample)
                guild = sample.guild.id

                # Baseline: one join at a time, a quiet minute apart, each waited for.
                single = []
                for n in range(BASELINE_JOINS):
                    user = standin.add_user(f"Visitor {n}")
                    started = time.perf_counter()
                    await standin.join(sample.guild, user)
                    await bot.newcomers.wait_for(lambda u=user: _recorded(bot, guild, [u.id]), timeout=30)
                    single.append((time.perf_counter() - started) * 1000)
                    clock.advance(timedelta(minutes=1))
                await bot.newcomers.wait_for(lambda: _no_waiting(bot, guild), timeout=60)
                await standin.wait_until(lambda: len(standin.bot_messages(sample.channels["welcome"]))
                                         == BASELINE_JOINS, timeout=10)
                quiet_posts = len(standin.bot_messages(sample.channels["welcome"]))

                # The raid: every join sent at once; then the clock moves past the burst's minute.
                raiders = [standin.add_user(f"Raider {n}", account_age=timedelta(hours=2) if n % 4 == 0
                                            else timedelta(days=30)) for n in range(RAID)]
                welcomes_before = quiet_posts
                started = time.perf_counter()
                for raider in raiders:
                    await standin.join(sample.guild, raider)
                await bot.newcomers.wait_for(lambda: _recorded(bot, guild, [r.id for r in raiders]), timeout=300)
                raid_ms = (time.perf_counter() - started) * 1000
                clock.advance(timedelta(minutes=2))
                await bot.newcomers.wait_for(lambda: _no_waiting(bot, guild), timeout=60)
                await standin.wait_until(lambda: len(standin.bot_messages(sample.channels["welcome"]))
                                         > welcomes_before, timeout=10)
                raid_posts = len(standin.bot_messages(sample.channels["welcome"])) - welcomes_before
                alerts = [m for m in standin.bot_messages(sample.channels["mod-log"]) if "Join burst" in m.content]
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    per_join_quiet = statistics.median(single)
    per_join_raid = raid_ms / RAID
    print(f"Heartbeat: the welcome desk under a raid ({RAID} joins sent at once; baseline {BASELINE_JOINS} "
          "joins one at a time)")
    print()
    print(f"{'run':<10}{'joins':>7}{'ms/join':>10}{'joins/s':>10}{'welcome posts':>15}{'alerts':>8}")
    print(f"{'baseline':<10}{BASELINE_JOINS:>7}{per_join_quiet:>10.2f}{1000 / per_join_quiet:>10.0f}"
          f"{quiet_posts:>15}{0:>8}")
    print(f"{'raid':<10}{RAID:>7}{per_join_raid:>10.2f}{1000 / per_join_raid:>10.0f}{raid_posts:>15}{len(alerts):>8}")
    print()
    print(f"raid/baseline: ms per join x{per_join_raid / per_join_quiet:.2f} (the baseline includes a full round trip "
          "per join; the raid's joins overlap)")
    print(f"raid welcomes: {raid_posts} post(s) for {RAID} joins (aim: at most 2); alerts: {len(alerts)} (aim: 1)")


async def _no_waiting(bot: Heartbeat, guild_id: int) -> bool:
    return not await bot.storage.welcomes.waiting(guild_id)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(measure())
