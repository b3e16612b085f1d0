"""Per-resource asyncio locks that exist only while someone holds or waits for them, so they never pile up."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Hashable


class Locks:
    """One asyncio lock per key (a server, a chat), held in a WeakValueDictionary: an idle lock is dropped.

    Hold one as `async with locks(key):`. The statement keeps the lock alive until the block exits, and a task
    waiting to acquire it keeps it alive too, so everyone who asks for a key while it is in use gets the same lock.
    """

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[Hashable, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: Hashable) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def __len__(self) -> int:
        """How many locks are in use (held, or waited for) right now."""
        return len(self._locks)
