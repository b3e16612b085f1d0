"""Contract tests for helpful acts and thanks (act) and reactions giver → receiver (reaction): storage.acts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.chats._ingest import Ingest
from bot.storage import Act, Reaction, Storage, StoredMessage

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
GUILD, OTHER_GUILD = 111111111111111111, 555555555555555555
CHANNEL = 444444444444444444
KAI, MEI, ROB = 222222222222222222, 333333333333333333, 666666666666666666


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A freshly migrated database in a temporary folder."""
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


def _act(message_id: int, kind: str, target: int, *, by: int = KAI, at: datetime = T0, guild: int = GUILD,
         session: int | None = None) -> Act:
    return Act(message_id=message_id, kind=kind, target_user_id=target, guild_id=guild, channel_id=CHANNEL,
               user_id=by, session_id=session, occurred_at=at)


def _reaction(message_id: int, by: int, emoji: str = "🙏", *, author: int = MEI, at: datetime = T0,
              guild: int = GUILD) -> Reaction:
    return Reaction(message_id=message_id, user_id=by, emoji=emoji, guild_id=guild, channel_id=CHANNEL,
                    author_id=author, reacted_at=at)


async def test_a_messages_acts_are_replaced_whole(storage: Storage) -> None:
    await storage.acts.replace({10: [_act(10, "thanks", MEI), _act(10, "helpful", ROB)],
                                11: [_act(11, "helpful", MEI, by=ROB)]})
    assert await storage.acts.of_message(10) == [_act(10, "helpful", ROB), _act(10, "thanks", MEI)]
    await storage.acts.replace({10: [_act(10, "helpful", MEI)]})  # an edit: judged again
    assert await storage.acts.of_message(10) == [_act(10, "helpful", MEI)]
    await storage.acts.replace({10: []})  # edited to say nothing for anyone
    assert await storage.acts.of_message(10) == []
    assert await storage.acts.of_message(11) == [_act(11, "helpful", MEI, by=ROB)]
    await storage.acts.replace({})


async def test_reactions_are_added_once_and_taken_off_by_key(storage: Storage) -> None:
    await storage.acts.react(_reaction(10, KAI))
    await storage.acts.react(_reaction(10, KAI, at=T0 + HOUR))  # again: the first stays
    await storage.acts.react(_reaction(10, KAI, "❤️"))
    await storage.acts.react(_reaction(10, ROB))
    assert await storage.acts.reactions_on(10) == [_reaction(10, KAI, "❤️"), _reaction(10, KAI), _reaction(10, ROB)]
    await storage.acts.unreact((10, KAI, "🙏"))
    await storage.acts.unreact((10, KAI, "🙏"))  # already off
    assert await storage.acts.reactions_on(10) == [_reaction(10, KAI, "❤️"), _reaction(10, ROB)]
    # In order: taken off and put back in one batch leaves it on.
    await storage.acts.react_all([((10, ROB, "🙏"), None), ((10, ROB, "🙏"), _reaction(10, ROB, at=T0 + HOUR))])
    assert await storage.acts.reactions_on(10) == [_reaction(10, KAI, "❤️"), _reaction(10, ROB, at=T0 + HOUR)]
    await storage.acts.react_all([])


async def test_forgetting_messages_takes_their_acts_and_reactions(storage: Storage) -> None:
    await storage.acts.replace({10: [_act(10, "thanks", MEI)], 11: [_act(11, "thanks", MEI)]})
    await storage.acts.react(_reaction(10, KAI))
    await storage.acts.react(_reaction(11, KAI))
    await storage.acts.forget([10])
    await storage.acts.forget([])
    assert await storage.acts.of_message(10) == [] and await storage.acts.reactions_on(10) == []
    assert await storage.acts.of_message(11) != [] and await storage.acts.reactions_on(11) != []


async def test_deleting_a_message_takes_its_acts_and_reactions_in_the_same_step(storage: Storage) -> None:
    session = await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=CHANNEL, name="Chat", hashtag="Chat",
                                                  timezone="UTC", starts_at=T0, topic=None)
    message = StoredMessage(message_id=10, session_id=session.id, author_id=KAI, author_name="Kai", content="thx",
                            created_at=T0, edited_at=None, deleted=False, reply_to_author_id=MEI,
                            question_number=None, reactions=0)
    await storage.messages.save(GUILD, message)
    await storage.acts.replace({10: [_act(10, "thanks", MEI, session=session.id)], 20: [_act(20, "thanks", MEI)]})
    await storage.acts.react(_reaction(10, MEI, author=KAI))
    assert await storage.messages.delete_all([10, 20]) == 1  # 20 was said outside a chat: acts only
    assert await storage.acts.of_message(10) == [] and await storage.acts.of_message(20) == []
    assert await storage.acts.reactions_on(10) == []


async def test_a_members_acts_and_reactions_over_a_window(storage: Storage) -> None:
    await storage.acts.replace({
        1: [_act(1, "thanks", MEI, at=T0 - HOUR)],
        2: [_act(2, "thanks", MEI, at=T0), _act(2, "helpful", ROB, at=T0)],
        3: [_act(3, "helpful", MEI, by=ROB, at=T0 + HOUR)],
        4: [_act(4, "helpful", MEI, at=T0 + 2 * HOUR)],
        5: [_act(5, "thanks", MEI, guild=OTHER_GUILD, at=T0)]})
    window = (T0, T0 + 2 * HOUR)
    assert [(a.message_id, a.kind) for a in await storage.acts.towards(GUILD, MEI, *window)] == [
        (2, "thanks"), (3, "helpful")]
    assert [(a.message_id, a.kind) for a in await storage.acts.by(GUILD, KAI, *window)] == [
        (2, "helpful"), (2, "thanks")]
    await storage.acts.react(_reaction(7, KAI, at=T0 - HOUR))
    await storage.acts.react(_reaction(8, KAI, at=T0))
    await storage.acts.react(_reaction(9, ROB, author=KAI, at=T0))
    assert [r.message_id for r in await storage.acts.reactions_to(GUILD, MEI, *window)] == [8]


async def test_the_ingest_stores_acts_and_reactions_row_by_row_beside_a_row_it_cannot_store(storage: Storage) -> None:
    lost: list[bool] = []

    async def nothing(*args: object) -> None:
        return None
    ingest = Ingest(storage, saved=nothing, notify=nothing, trouble=nothing, lost=lambda: lost.append(True))
    ingest.acts(10, [_act(10, "thanks", MEI)])
    ingest.acts(10, [_act(10, "helpful", MEI)])  # judged again: the later replaces the earlier
    ingest.reacted((10, ROB, "🙏"), _reaction(10, ROB, author=KAI))
    ingest.reacted((11, ROB, "🙏"), _reaction(11, ROB))
    ingest.reacted((11, ROB, "🙏"), None)  # taken off again
    ingest.save(GUILD, StoredMessage(message_id=12, session_id=999, author_id=KAI, author_name="Kai", content="hi",
                                     created_at=T0, edited_at=None, deleted=False, reply_to_author_id=None,
                                     question_number=None, reactions=0))  # no such chat: refused
    await ingest.flush()
    await ingest.close()
    assert await storage.acts.of_message(10) == [_act(10, "helpful", MEI)]
    assert await storage.acts.reactions_on(10) == [_reaction(10, ROB, author=KAI)]
    assert await storage.acts.reactions_on(11) == []
    assert lost == [True]
