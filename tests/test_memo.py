"""Memo: rows kept for the per-message path are read once per database generation, however many ask at once."""

from __future__ import annotations

import asyncio

import pytest

from bot.memo import Memo


class Loads:
    """A loader that counts its reads and can be held open."""

    def __init__(self) -> None:
        self.count = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> int:
        self.count += 1
        await self.gate.wait()
        return self.count


async def test_a_value_is_reused_until_the_generation_moves():
    generation, loads = [0], Loads()
    memo: Memo[int] = Memo(lambda: generation[0], 10)
    assert [await memo.get("chat", loads), await memo.get("chat", loads)] == [1, 1]
    generation[0] += 1  # something was committed: it may have changed
    assert await memo.get("chat", loads) == 2


async def test_a_burst_of_asks_shares_one_load():
    loads = Loads()
    loads.gate.clear()
    memo: Memo[int] = Memo(lambda: 0, 10)
    asks = [asyncio.create_task(memo.get("chat", loads)) for _ in range(50)]
    await asyncio.sleep(0)
    loads.gate.set()
    assert await asyncio.gather(*asks) == [1] * 50
    assert loads.count == 1


async def test_a_commit_during_a_load_makes_the_next_ask_load_again():
    generation, loads = [0], Loads()
    loads.gate.clear()
    memo: Memo[int] = Memo(lambda: generation[0], 10)
    first = asyncio.create_task(memo.get("chat", loads))
    await asyncio.sleep(0)
    generation[0] += 1  # committed while the first read was under way: its answer may be from before
    loads.gate.set()
    assert await first == 1
    assert await memo.get("chat", loads) == 2


async def test_a_failed_load_is_not_kept_and_the_oldest_key_goes_first():
    memo: Memo[int] = Memo(lambda: 0, 2)

    async def fails() -> int:
        raise RuntimeError("the database is closed")
    with pytest.raises(RuntimeError):
        await memo.get("chat", fails)
    loads = Loads()
    assert await memo.get("chat", loads) == 1
    await memo.get("b", loads)
    await memo.get("c", loads)  # over the size: "chat", the least recently asked, is forgotten
    assert await memo.get("chat", loads) == 4
