"""How long until Heartbeat is ready on a big server, and how much memory does it take, against bare discord.py?

Discord sends a large server (over 250 members) with almost nobody listed and the members in chunks of 1,000
afterwards; discord.py waits for every chunk before on_ready, and Heartbeat then reconciles the member list with
its database (everyone on first sight, only the differences on later starts). This benchmark serves one server of
100, 10,000 and 100,000 members from the local Discord stand-in (this process) and starts, each in a fresh child
process so memory is its own:

- a bare `discord.Client` with Heartbeat's intents and member chunking (the baseline): time to on_ready;
- Heartbeat with its cogs and a new SQLite database: time until it is ready (jobs rebuilt, chats read back,
  members reconciled), then once more on the same database (a restart);

and prints the time, the peak memory (RSS) and both as ratios of the baseline. Nothing is asserted.

Run from the repository root (after `pip install -e .`): python benches/startup.py  (--quick: 100 and 10,000)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import discord

from bot.client import Heartbeat, intents, use_discord_at
from bot.settings import Defaults, Settings
from bot.standin import StandIn
from bot.standin.sample import build_sample

SIZES = [100, 10_000, 100_000]
TOKEN = "standin-token"
# discord.py waits this long after the last server arrives before it is ready (both clients alike; Heartbeat's
# default is 2 s). Across processes 10 ms is too short to see the server at all.
GUILD_READY_TIMEOUT = 0.5


async def bare(url: str) -> tuple[float, int]:
    """Seconds from start to on_ready for a bare client with Heartbeat's intents, and the members it holds."""
    use_discord_at(url)
    ready = asyncio.Event()
    client = discord.Client(intents=intents(), chunk_guilds_at_startup=True, guild_ready_timeout=GUILD_READY_TIMEOUT)
    client.event(_setter(ready))
    started = time.perf_counter()
    task = asyncio.create_task(client.start(TOKEN))
    await asyncio.wait_for(ready.wait(), 600)
    seconds = time.perf_counter() - started
    members = sum(len(guild.members) for guild in client.guilds)
    await client.close()
    await asyncio.gather(task, return_exceptions=True)
    return seconds, members


def _setter(ready: asyncio.Event):  # noqa: ANN202 - a discord.py event handler
    async def on_ready() -> None:
        ready.set()
    return on_ready


async def heartbeat(url: str, database: str) -> tuple[float, int]:
    """Seconds from start until Heartbeat is ready (on_ready and its catch-up done), and the members it holds."""
    use_discord_at(url)
    settings = Settings(token=TOKEN, database_path=Path(database), log_level="WARNING", sync_guild_id=None,
                        defaults=Defaults())
    bot = Heartbeat(settings, identify_delay=0, guild_ready_timeout=GUILD_READY_TIMEOUT)
    started = time.perf_counter()
    task = asyncio.create_task(bot.start(TOKEN))
    await asyncio.wait_for(bot.connected.wait(), 600)
    seconds = time.perf_counter() - started
    members = sum(len(guild.members) for guild in bot.guilds)
    await bot.close()
    await asyncio.gather(task, return_exceptions=True)
    return seconds, members


def peak_memory_kb() -> int:
    """This process's peak resident memory since it started (VmHWM: unlike ru_maxrss it is not inherited across
    the fork that started it, so a big parent does not inflate it)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def child(kind: str, url: str, database: str) -> None:
    """In a fresh process: start one client, print its time to ready and its peak memory as JSON."""
    seconds, members = asyncio.run(bare(url) if kind == "bare" else heartbeat(url, database))
    peak_mb = peak_memory_kb() / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": peak_mb, "members": members}))


async def start(kind: str, url: str, database: Path) -> dict[str, float]:
    """Run one child and return what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--child", kind, url, str(database), stdout=subprocess.PIPE)
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"the {kind} client failed (exit {process.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])


async def measure(size: int, scratch: Path) -> dict[str, dict[str, float]]:
    """Serve a server of `size` members and start each client against it."""
    async with StandIn(token=TOKEN) as standin:
        sample = build_sample(standin)
        for n in range(max(0, size - len(sample.guild.members))):
            standin.add_member(sample.guild, standin.add_user(f"member {n}"))
        database = scratch / f"startup-{size}.db"
        runs = {"bare": await start("bare", standin.url, database),
                "first": await start("heartbeat", standin.url, database),
                "restart": await start("heartbeat", standin.url, database)}
    for kind, run in runs.items():  # a client that became ready without the member list measured nothing
        if run["members"] < size:
            raise SystemExit(f"the {kind} client was ready holding {run['members']} of {size} members")
    return runs


def show(results: dict[int, dict[str, dict[str, float]]]) -> None:
    """Print time to ready and peak memory, Heartbeat against the bare client."""
    print("Start-up on one server: time to ready and peak memory, Heartbeat against a bare discord.py client\n")
    print(f"{'members':>9}{'bare s':>8}{'bare MB':>9}{'first s':>9}{'MB':>6}{'×bare':>7}"
          f"{'restart s':>11}{'MB':>6}{'×bare':>7}{'Δ ready s':>11}")
    for size, run in results.items():
        base, first, again = run["bare"], run["first"], run["restart"]
        print(f"{size:>9,}{base['seconds']:>8.2f}{base['rss_mb']:>9.0f}{first['seconds']:>9.2f}"
              f"{first['rss_mb']:>6.0f}{first['rss_mb'] / base['rss_mb']:>7.2f}{again['seconds']:>11.2f}"
              f"{again['rss_mb']:>6.0f}{again['rss_mb'] / base['rss_mb']:>7.2f}"
              f"{again['seconds'] - base['seconds']:>11.2f}")
    print("\nfirst: a new database (every member recorded as already there); restart: the same database again.\n"
          "×bare: peak memory against the bare client's; Δ ready: restart time minus the bare client's.\n"
          f"Both wait {GUILD_READY_TIMEOUT} s for more servers after the last one arrives (discord.py's "
          "guild_ready_timeout), included in every time.\n"
          "targets (100,000 members): memory within 1.2× the bare client's, ready within 1 s of it.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 10,000 members only")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "URL", "DATABASE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    sizes = SIZES[:2] if arguments.quick else SIZES
    with tempfile.TemporaryDirectory(prefix="heartbeat-startup-") as scratch:
        results = {size: asyncio.run(measure(size, Path(scratch))) for size in sizes}
    show(results)


if __name__ == "__main__":
    main()
