"""What the per-message path keeps in memory: keys already seen, and rows true while the database's generation holds."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class Seen:
    """A set of the last `size` keys added: the oldest are forgotten first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def __contains__(self, key: Hashable) -> bool:
        """Whether `key` is remembered (without refreshing it)."""
        return key in self._keys

    def add(self, key: Hashable) -> bool:
        """Remember `key`; False if it was remembered already."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._keys)


class Memo(Generic[Value]):
    """Up to `size` values loaded from storage, each reused until any commit could have changed it.

    `generation` is the database's (Storage.generation): it moves at every commit except the chat-message group
    commits, so during a busy chat a value (the running session, whether an author is a newcomer) is read once,
    not once per message.
    """

    def __init__(self, generation: Callable[[], int], size: int) -> None:
        self._generation = generation
        self._size = size
        self._kept: OrderedDict[Hashable, tuple[int, Value]] = OrderedDict()
        self._loading: dict[Hashable, tuple[int, asyncio.Future[Value]]] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[Value]]) -> Value:
        """The value for `key`: kept if nothing was committed since it was loaded, else `await load()` again."""
        generation = self._generation()
        kept = self._kept.get(key)
        if kept is not None and kept[0] == generation:
            self._kept.move_to_end(key)
            return kept[1]
        # A burst of messages asks for the same key at once: one load answers them all.
        loading = self._loading.get(key)
        if loading is None or loading[0] != generation:
            loading = (generation, asyncio.ensure_future(load()))
            self._loading[key] = loading
            loading[1].add_done_callback(lambda _: self._loaded(key, *loading))
        return await asyncio.shield(loading[1])

    def _loaded(self, key: Hashable, generation: int, load: asyncio.Future[Value]) -> None:
        """Keep a finished load, stamped with the generation from before the read (a commit during it shows)."""
        if self._loading.get(key) == (generation, load):
            del self._loading[key]
        if load.cancelled() or load.exception() is not None:
            return
        self._kept[key] = (generation, load.result())
        self._kept.move_to_end(key)
        if len(self._kept) > self._size:
            self._kept.popitem(last=False)
