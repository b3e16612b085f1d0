"""A signal that something was recorded: what the demo and tests wait on instead of polling or sleeping."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class Changes:
    """Notified after each write; `wait_for` re-checks a condition at each notification until it holds."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()

    async def notify(self) -> None:
        async with self._condition:
            self._condition.notify_all()

    async def wait_for(self, predicate: Callable[[], Awaitable[Any]], timeout: float = 5.0) -> Any:
        """Wait until `await predicate()` is truthy (and return it), re-checking whenever something is recorded."""
        async with asyncio.timeout(timeout), self._condition:
            while not (result := await predicate()):
                await self._condition.wait()
            return result
