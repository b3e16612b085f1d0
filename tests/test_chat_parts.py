"""The chat parts' own rules: per-chat locks that do not pile up, and a package whose parts are handed what they use."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

from bot.chats._kinds import PostKinds
from bot.domain.running import KINDS
from bot.locks import Locks

CHATS = Path(__file__).resolve().parent.parent / "bot" / "chats"


async def test_a_lock_is_shared_while_in_use_and_dropped_when_idle():
    locks = Locks()
    entered: list[str] = []

    async def hold(name: str, release: asyncio.Event) -> None:
        async with locks(7):
            entered.append(name)
            await release.wait()

    first_done, second_done = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(hold("first", first_done))
    await asyncio.sleep(0)
    second = asyncio.create_task(hold("second", second_done))
    await asyncio.sleep(0)
    assert entered == ["first"]  # the second waits on the same lock
    assert len(locks) == 1
    first_done.set()
    await first
    await asyncio.sleep(0)
    assert entered == ["first", "second"]
    second_done.set()
    await second
    assert len(locks) == 0  # nobody holds or waits for it: forgotten
    assert not locks(7).locked()


async def test_locks_for_different_ids_do_not_block_each_other():
    locks = Locks()
    async with locks(1):
        assert not locks(2).locked()
        assert locks(1).locked()


def test_the_chat_parts_never_reach_through_the_bot():
    # Imports inside functions are checked for the whole tree in tests/test_architecture.py.
    for path in CHATS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstring = ast.get_docstring(tree)
        assert docstring and docstring.splitlines()[0].strip(), f"{path.name} has no one-line docstring"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "bot" and isinstance(node.value, ast.Name) \
                    and node.value.id == "self":
                raise AssertionError(f"{path.name}:{node.lineno} looks a service up on self.bot")


def test_the_table_of_post_kinds_has_every_kind_the_database_allows():
    unused = None  # the table is only built here, never run, so no collaborator is called
    kinds = PostKinds(unused, unused, grace=unused, events=unused, transcripts=unused, greet=unused,
                      post_report=unused, after_question=unused, listen=unused)
    assert set(kinds.table()) == set(KINDS)
