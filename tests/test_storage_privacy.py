"""Contract tests for members' data as a whole: storage.privacy (opt-outs, exports, forgetting, purging) and the
retention setting (storage.config.set_retention)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.privacy import FORGOTTEN, PURGED_TEXT, PurgeCounts
from bot.storage import Storage
from bot.storage.privacy import EXPORTS
from tests.helpers import holders_of, store_everything, t

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
GUILD, OTHER_GUILD = 111111111111111111, 555555555555555555
KAI, MEI = 222222222222222222, 333333333333333333
SESSION, OLD_SESSION, OTHER_SESSION = 7, 8, 9


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


async def everything(storage: Storage, who: int = KAI, other: int = MEI, guild: int = GUILD, session: int = SESSION,
                     at: datetime = T0) -> None:
    """`who` in every table that holds a member's id (see tests/helpers.py)."""
    await store_everything(storage, who, other, guild, session, at)


async def test_opting_out_and_back_in(storage: Storage) -> None:
    assert await storage.privacy.opted_out(GUILD) == frozenset()
    assert await storage.privacy.opt_out(GUILD, KAI, at=T0)
    assert not await storage.privacy.opt_out(GUILD, KAI, at=T0 + DAY)  # already: the first moment stays
    assert await storage.privacy.opted_out(GUILD) == {KAI}
    assert await storage.privacy.opted_out(OTHER_GUILD) == frozenset()
    assert (await storage.privacy.export(GUILD, KAI))["optout"] == [{"since": t(T0)}]
    assert await storage.privacy.opt_in(GUILD, KAI)
    assert not await storage.privacy.opt_in(GUILD, KAI)
    assert await storage.privacy.opted_out(GUILD) == frozenset()


async def test_an_export_has_every_section_of_what_is_stored_about_a_member(storage: Storage) -> None:
    await everything(storage)
    await everything(storage, guild=OTHER_GUILD, session=OTHER_SESSION)  # another server's rows stay out of it
    await storage.privacy.opt_out(GUILD, KAI, at=T0)
    exported = await storage.privacy.export(GUILD, KAI)
    assert {name for name, rows in exported.items() if not rows} == set()
    assert len(EXPORTS) == len(exported) + 2  # the three kinds of settings share one section
    assert exported["chat_messages"] == [{
        "message_id": 701, "session_id": SESSION, "author_name": "Kai", "content": "A1: the sea",
        "created_at": t(T0), "edited_at": None, "deleted": 0, "reply_to_author_id": None, "question_number": 1,
        "reactions": 0}]
    assert exported["replies_to_you"] == [{"message_id": 702, "session_id": SESSION, "created_at": t(T0)}]
    assert exported["acts_received"] == [{"message_id": 702, "kind": "thanks", "channel_id": 42,
                                          "session_id": SESSION, "occurred_at": t(T0)}]
    assert exported["newcomer_reviews"] == [{"status": "watch", "reviewed_at": t(T0)}]  # not who reviewed
    assert exported["reviews_made"] == [{"user_id": MEI, "status": "reviewed", "reviewed_at": t(T0)}]
    assert [row["what"] for row in exported["settings_changed"]] == [
        "server settings", "welcome settings", "progression settings"]
    assert exported["transcripts"] == [{"session_id": SESSION, "created_at": t(T0)}]
    assert await storage.privacy.export(GUILD, 999) == {name: [] for name in exported}


async def test_forgetting_leaves_no_trace_of_the_member_and_keeps_others_facts(storage: Storage) -> None:
    await everything(storage)
    await everything(storage, guild=OTHER_GUILD, session=OTHER_SESSION)
    await storage.privacy.opt_out(GUILD, KAI, at=T0)
    assert await storage.privacy.sessions_naming(GUILD, KAI) == [SESSION]
    counts = await storage.privacy.forget(GUILD, KAI, at=T0 + DAY, keep_optout=False)
    assert counts["messages"] == 1 and counts["ledger"] == 2 and counts["acts"] == 2 and counts["reactions"] == 2
    assert counts["mentions"] == 2 and counts["newcomer"] == 1 and counts["reviews"] == 1 and counts["months"] == 1
    assert counts["greetings"] == 2  # their first-chat greeting, and the greeting of Mei credited to them
    # Another server is another matter: only this one forgot them.
    assert await storage.privacy.export(OTHER_GUILD, KAI) != await storage.privacy.export(GUILD, KAI)
    await storage.privacy.forget(OTHER_GUILD, KAI, at=T0 + DAY, keep_optout=False)
    assert holders_of(storage.path, KAI) == []
    # Mei keeps her message (its mention of Kai replaced), her review, her month, her name as a leader.
    mei = await storage.privacy.export(GUILD, MEI)
    assert mei["chat_messages"][0]["content"] == f"thanks @{FORGOTTEN}, and @{FORGOTTEN} again"
    assert mei["chat_messages"][0]["reply_to_author_id"] is None
    assert mei["newcomer"][0]["first_message_text"] == f"hello @{FORGOTTEN}"
    assert [row["stage"] for row in mei["progression_months"]] == ["lurker"]
    assert mei["named_leader"] and mei["newcomer_reviews"] == [{"status": "reviewed", "reviewed_at": t(T0)}]
    kept = await storage.messages.of_session(SESSION)
    assert [(m.author_id, m.author_name, m.content) for m in kept][0] == (0, FORGOTTEN, "")
    assert await storage.privacy.audit(GUILD, since=T0) == [("forget", "a member was forgotten", T0 + DAY)]


async def test_forgetting_at_opt_out_keeps_the_opt_out(storage: Storage) -> None:
    await everything(storage)
    await storage.privacy.opt_out(GUILD, KAI, at=T0)
    await storage.privacy.forget(GUILD, KAI, at=T0, keep_optout=True)
    assert await storage.privacy.opted_out(GUILD) == {KAI}


async def test_a_purge_blanks_only_text_older_than_the_cutoff(storage: Storage) -> None:
    await everything(storage, session=OLD_SESSION, at=T0 - 200 * DAY)
    await everything(storage, who=MEI + 1, other=MEI + 2, at=T0)
    cutoff = T0 - 180 * DAY
    assert await storage.privacy.purgeable(GUILD, cutoff) == PurgeCounts(2, 2, 1)
    assert await storage.privacy.purgeable(GUILD, cutoff) == PurgeCounts(2, 2, 1)  # looking changes nothing
    assert not await storage.privacy.purged_transcript(OLD_SESSION)
    assert await storage.privacy.purge(GUILD, cutoff, at=T0, days=180) == PurgeCounts(2, 2, 1)
    assert await storage.privacy.purgeable(GUILD, cutoff) == PurgeCounts(0, 0, 0)
    assert await storage.privacy.purged_transcript(OLD_SESSION)
    assert not await storage.privacy.purged_transcript(SESSION)
    assert {m.content for m in await storage.messages.of_session(OLD_SESSION)} == {""}
    assert [m.question_number for m in await storage.messages.of_session(OLD_SESSION)] == [1, None]  # counts stay
    assert "A1: the sea" in {m.content for m in await storage.messages.of_session(SESSION)}
    old = await storage.transcripts.get(OLD_SESSION)
    assert old is not None and old.markdown == PURGED_TEXT and old.recap == PURGED_TEXT
    assert await storage.privacy.audit(GUILD, since=T0 - DAY) == [
        ("purge", "text older than 180 days: 2 chat messages, 2 first messages, 1 transcript", T0)]


async def test_retention_is_set_per_server(storage: Storage) -> None:
    assert (await storage.config.get(GUILD)).retention_days is None
    config = await storage.config.set_retention(GUILD, 30, updated_by=KAI, now=T0)
    assert config.retention_days == 30 and config.updated_by == KAI
    assert (await storage.config.set_retention(GUILD, None, updated_by=KAI, now=T0)).retention_days is None
    assert (await storage.config.get(OTHER_GUILD)).retention_days is None


async def test_forgetting_someone_with_nothing_stored_notes_nothing(storage: Storage) -> None:
    counts = await storage.privacy.forget(GUILD, KAI, at=T0, keep_optout=False)
    assert not any(counts.values())
    assert await storage.privacy.audit(GUILD, since=T0) == []
