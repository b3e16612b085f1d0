"""Fixtures: a stand-in Discord with the sample server, and the real bot connected to it with a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.client import Heartbeat, use_discord_at
from bot.clock import Clock
from bot.settings import Defaults, Settings
from bot.standin import StandIn
from bot.standin.sample import SampleServer, build_sample
from tests.helpers import BEFORE


@dataclass
class Running:
    """A bot started against the stand-in, and the task running it."""

    bot: Heartbeat
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 5)

    async def crash(self) -> None:
        """Die as a killed process does: no close, nothing done on the way out. Its timers and its gateway stop
        where they are; the database keeps what was committed (the file is closed when the test ends)."""
        await self.bot.jobs.shutdown(drain_seconds=0)
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    async def until(self, waiting: Awaitable[object], what: str) -> None:
        """Wait (10 s at most) for `waiting`, unless the bot stops first: then raise what stopped it."""
        waited = asyncio.ensure_future(waiting)
        done, _ = await asyncio.wait({self.task, waited}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if waited not in done:
            waited.cancel()
        if self.task in done:
            self.task.result()  # raises what stopped the bot
        assert waited in done, f"the bot did not get to {what} within 10 s"


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    async with StandIn() as server:
        use_discord_at(server.url)
        yield server


@pytest.fixture
def sample(standin: StandIn) -> SampleServer:
    return build_sample(standin)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(token="standin-token", database_path=tmp_path / "data" / "heartbeat.db", log_level="DEBUG",
                    sync_guild_id=None, defaults=Defaults())


@pytest.fixture
async def start_bot(standin: StandIn, settings: Settings) -> AsyncIterator[Callable[..., object]]:
    """Start a Heartbeat (call again after stopping to restart it on the same database)."""
    running: list[Running] = []

    async def start(*, before_ready: Callable[[Heartbeat], Awaitable[object]] | None = None, ready: bool = True,
                    **overrides: object) -> Running:
        """Start a bot and wait until it is ready (unless `ready` is False).

        `before_ready(bot)` runs in the moment after the bot's READY and before its on_ready (the stand-in holds
        the member list back meanwhile, as for a big server), with events flowing: what members do as it returns.
        """
        bot = Heartbeat(overrides.pop("settings", settings), identify_delay=0,  # type: ignore[arg-type]
                        guild_ready_timeout=0.01, **overrides)  # type: ignore[arg-type]
        if before_ready is not None:
            standin.hold_member_lists()
        run = Running(bot, asyncio.create_task(bot.start(standin.token)))
        running.append(run)
        if before_ready is not None:
            await run.until(standin.wait_until(lambda: standin.held_member_requests, timeout=10), "READY")
            await before_ready(bot)
            await standin.release_member_lists()
        if ready:
            await run.until(bot.connected.wait(), "on_ready")
        return run

    yield start
    for run in running:
        if not run.bot.is_closed():
            await run.stop()


@pytest.fixture
async def heartbeat(start_bot: Callable[..., object]) -> Running:
    return await start_bot()  # type: ignore[misc]


@pytest.fixture
def clock() -> Clock:
    """The bot's clock, frozen two minutes before the sample chat; a module needing another instant overrides it."""
    return Clock.frozen(BEFORE)


@pytest.fixture
async def bot(start_bot: Callable[..., object], clock: object) -> object:
    """The bot on the test module's `clock` fixture (each chat test module sets its own instant)."""
    return (await start_bot(clock=clock)).bot  # type: ignore[attr-defined,misc]
