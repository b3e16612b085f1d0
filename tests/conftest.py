"""Fixtures: a stand-in Discord with the sample server, and the real bot connected to it with a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.client import Heartbeat, use_discord_at
from bot.settings import Defaults, Settings
from bot.standin import StandIn
from bot.standin.sample import SampleServer, build_sample


@dataclass
class Running:
    """A bot started against the stand-in, and the task running it."""

    bot: Heartbeat
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 5)


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

    async def start(**overrides: object) -> Running:
        bot = Heartbeat(overrides.pop("settings", settings), identify_delay=0,  # type: ignore[arg-type]
                        guild_ready_timeout=0.01, **overrides)  # type: ignore[arg-type]
        task = asyncio.create_task(bot.start(standin.token))
        ready = asyncio.create_task(bot.connected.wait())
        done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()  # raises what stopped the bot
        assert ready in done, "the bot did not become ready within 10 s"
        run = Running(bot, task)
        running.append(run)
        return run

    yield start
    for run in running:
        if not run.bot.is_closed():
            await run.stop()


@pytest.fixture
async def heartbeat(start_bot: Callable[..., object]) -> Running:
    return await start_bot()  # type: ignore[misc]


@pytest.fixture
async def bot(start_bot: Callable[..., object], clock: object) -> object:
    """The bot on the test module's `clock` fixture (each chat test module sets its own instant)."""
    return (await start_bot(clock=clock)).bot  # type: ignore[attr-defined,misc]
