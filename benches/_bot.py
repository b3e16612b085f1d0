"""The bot under test as a child process: started, killed and restarted at will, its CPU time read from outside.

The bot always runs in its own process (`python -m bot`, or `benches/_child.py` for a bot on a fast clock), so the
stand-in and the load it generates never share the bot's event loop or its CPU time: on Discord, the members and
the gateway are not on the bot's machine either.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import sys
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from bot.standin import InteractionRecord, StandIn
from bot.standin.sample import SampleServer

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "_child.py"


@dataclass(frozen=True)
class BotClock:
    """How the bot's clock maps to real time: bot time `start` was the real (epoch) instant `epoch`, at `speed`x."""

    start: datetime
    epoch: float
    speed: float = 1.0

    @classmethod
    def fast(cls, start: datetime, speed: float) -> BotClock:
        """A clock that shows `start` now and runs `speed` times faster than real time."""
        return cls(start, time.time(), speed)

    def now(self) -> datetime:
        """The bot's time now."""
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.speed)

    def to_real(self, when: datetime) -> datetime:
        """The real instant at which the bot's clock shows `when`."""
        return datetime.fromtimestamp(self.epoch + (when - self.start).total_seconds() / self.speed, UTC)

    def child_args(self) -> list[str]:
        """How `_child.py heartbeat` is told to run on this clock."""
        return ["--start", self.start.isoformat(), "--epoch", repr(self.epoch), "--speed", repr(self.speed)]


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a running process, all its threads included (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan, math.nan
    # Fields 14 and 15 of stat(5) (utime, stime); after the ")" that closes the name, field 3 is index 0.
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class BotProcess:
    """A bot as a real child process on the stand-in: started, killed with SIGKILL or stopped with SIGTERM at will.

    `argv` follows the interpreter: ["-m", "bot"] for Heartbeat itself, [str(CHILD), "bare"] for a bench child.
    Its output goes to `log` (appended across restarts), never to a pipe that could fill up and stall it.
    """

    def __init__(self, argv: list[str], standin: StandIn, database: Path, log: Path, *,
                 env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.database = database
        self.log = log
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_"))}
        self.env.update(DISCORD_TOKEN=standin.token, HEARTBEAT_DISCORD_URL=standin.url, DATABASE_PATH=str(database),
                        PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING", **(env or {}))
        self.process: asyncio.subprocess.Process | None = None
        self._output: IO[bytes] | None = None

    async def start(self) -> None:
        """Start the process (in the database's folder, so no stray .env is read)."""
        if self._output is None:
            self._output = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, *self.argv, cwd=self.database.parent, env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=self._output, stderr=self._output)

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def cpu(self) -> float:
        """CPU seconds (user and system) the running process has used so far."""
        return sum(cpu_times(self.pid))

    def system_cpu(self) -> float:
        """System CPU seconds (the kernel working for it: sockets, file writes, fsync) it has used so far."""
        return cpu_times(self.pid)[1]

    async def kill(self) -> None:
        """SIGKILL: no clean shutdown, no last commit; wait until it is gone."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait for a clean exit (SIGKILL after `timeout`); return the exit code."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                await self.kill()
        if self._output is not None:
            self._output.close()
            self._output = None
        return self.process.returncode

    def tail(self, lines: int = 15) -> str:
        """The end of the process's output, to show when something went wrong."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def scaled_defaults(folder: Path, speed: float) -> dict[str, str]:
    """The environment that gives a bot on a `speed`x clock the shipped defaults, its grace stretched to match.

    The misfire grace (how late a post may still go out) is counted in bot time; at 60x the shipped 5 minutes would
    be 5 real seconds, and a question 6 s late would be skipped instead of posted late, as it never would be.
    """
    with (ROOT / "config" / "defaults.toml").open("rb") as file:
        defaults = tomllib.load(file)
    defaults["misfire_grace_seconds"] = round(defaults.get("misfire_grace_seconds", 300) * speed)
    path = folder / "defaults.toml"
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in defaults.items()), encoding="utf-8")
    return {"HEARTBEAT_DEFAULTS": str(path)}


async def wait_up(standin: StandIn, sample: SampleServer, timeout: float = 60) -> float:
    """Wait until the bot answers /about (asked again every 2 s until one is answered); return the seconds it took.

    Answered means connected with its commands loaded; a bot that is busy catching up may still answer slowly, so an
    answer to any of the commands asked counts, however late it comes.
    """
    started = time.monotonic()
    await standin.wait_until(lambda: standin.global_commands, timeout=timeout)
    asked: list[InteractionRecord] = []
    while True:
        asked.append(await standin.slash(sample.members[0], sample.channels["general"], "about"))
        with contextlib.suppress(TimeoutError):
            await standin.wait_until(lambda: any(record.replies for record in asked), timeout=2)
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the bot did not answer /about within {timeout:.0f} s")
