"""Per-resource asyncio locks that exist only while someone holds or waits for them, so they never pile up."""

from __future__ import annotations

import asyncio
import weakref


class Locks:
    """One asyncio lock per id, held in a WeakValueDictionary: an idle lock is dropped, so the map stays small.

    Hold one as `async with locks(some_id):`. The statement keeps the lock alive until the block exits, and a task
    waiting to acquire it keeps it alive too, so everyone who asks for an id while it is in use gets the same lock.
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, resource_id: int) -> asyncio.Lock:
        lock = self._locks.get(resource_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[resource_id] = lock
        return lock

    def __len__(self) -> int:
        """How many locks are in use (held, or waited for) right now."""
        return len(self._locks)
