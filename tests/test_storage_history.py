"""Contract tests for what an import writes (storage.history) and for rewriting a closed month (storage.months)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.domain.history import PastMessage
from bot.domain.progression import MonthRow, Thresholds
from bot.history import Importer
from bot.storage import ImportedChat, ListedMember, MonthClose, Poster, Storage, StoredMessage

T0 = datetime(2025, 11, 4, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
GUILD, CHANNEL = 111111111111111111, 444444444444444444
KAI, MEI, GONE = 222222222222222222, 333333333333333333, 777777777777777777


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


def _chat(key: str = f"{CHANNEL}:900", *, series: int | None = None, at: datetime = T0) -> ImportedChat:
    return ImportedChat(key=key, guild_id=GUILD, channel_id=CHANNEL, series_id=series, series_name="Imported chat",
                        hashtag="GetRealChat", timezone="America/New_York", starts_at=at, ended_at=at + 30 * MINUTE,
                        questions=("**Q1:** Why?", "", "**Q3:** How?"))


def _message(message_id: int, session_id: int, author: int = KAI, *, number: int | None = 1,
             reply_to: int | None = None) -> StoredMessage:
    return StoredMessage(message_id=message_id, session_id=session_id, author_id=author, author_name="Kai",
                         content="A1: because", created_at=T0 + 3 * MINUTE, edited_at=None, deleted=False,
                         reply_to_author_id=reply_to, question_number=number, reactions=0)


async def _kinds(storage: Storage, session_id: int) -> list[tuple[int, str]]:
    async with storage.transaction() as conn, conn.execute(
            "SELECT message_id, kind FROM activity WHERE session_id = ? ORDER BY message_id, kind",
            (session_id,)) as cursor:
        return [(row[0], row[1]) for row in await cursor.fetchall()]


async def test_an_imported_chat_is_written_once_by_its_key(storage: Storage) -> None:
    session_id, new = await storage.history.add_chat(_chat())
    assert new
    assert await storage.history.add_chat(_chat()) == (session_id, False)
    session = await storage.sessions.get(session_id)
    assert session is not None and session.status == "ended" and session.started_at == T0
    assert session.ended_at == T0 + 30 * MINUTE and session.series_id is None
    assert await storage.sessions.questions(session_id) == ["**Q1:** Why?", "", "**Q3:** How?"]


async def test_a_series_session_planned_at_that_start_becomes_the_imported_chat(storage: Storage) -> None:
    series = await storage.series.create(guild_id=GUILD, name="GetRealChat", hashtag="GetRealChat",
                                         channel_id=CHANNEL, weekday=1, local_time=time(21), timezone="UTC",
                                         duration_seconds=3600, spacing_seconds=300, first_question_seconds=120,
                                         pacing="fixed", created_by=KAI, now=T0 - timedelta(days=30))
    planned = await storage.sessions.at(series, T0)
    assert await storage.history.add_chat(_chat(series=series.id)) == (planned.id, True)
    session = await storage.sessions.get(planned.id)
    assert session is not None and session.status == "ended" and session.started_at == T0
    # Run live at another start: that chat keeps what the bot recorded.
    live = await storage.sessions.at(series, T0 + timedelta(days=7))
    await storage.sessions.set_status(live.id, "planned")
    await storage.sessions.start(live.id, started_at=T0 + timedelta(days=7), started_by=None, duration_seconds=3600,
                                 spacing_seconds=300, pacing="fixed", posts=[])
    assert await storage.history.add_chat(_chat(f"{CHANNEL}:901", series=series.id, at=T0 + timedelta(days=7))) \
        == (live.id, False)


async def test_imported_messages_are_added_once_with_their_ledger_rows(storage: Storage) -> None:
    session_id, _ = await storage.history.add_chat(_chat())
    messages = [_message(1, session_id), _message(2, session_id, MEI, number=None, reply_to=KAI)]
    assert await storage.history.add_messages(GUILD, messages) == 2
    assert await storage.history.add_messages(GUILD, messages) == 0
    assert await storage.history.add_messages(GUILD, []) == 0
    assert await _kinds(storage, session_id) == [(1, "answer"), (1, "message"), (2, "message"), (2, "reply")]
    assert (await storage.messages.get(1)) == messages[0]


async def test_posters_are_recorded_and_unknown_ones_kept_as_having_left(storage: Storage) -> None:
    await storage.members.record_existing(GUILD, [ListedMember(KAI, "Kai", T0 - timedelta(days=900),
                                                               T0 + timedelta(days=40))])
    posters = [Poster(KAI, "Kai", T0 - timedelta(days=900), T0, T0 + timedelta(days=3)),
               Poster(GONE, "Gone", T0 - timedelta(days=500), T0 + MINUTE, T0 + timedelta(days=10))]
    assert await storage.history.add_posters(GUILD, posters) == 1
    assert await storage.history.add_posters(GUILD, posters) == 0
    assert await storage.history.add_posters(GUILD, []) == 0
    kai, gone = await storage.members.get(GUILD, KAI), await storage.members.get(GUILD, GONE)
    assert kai is not None and kai.first_joined_at == T0 and kai.left_at is None and kai.join_count == 0
    assert gone is not None and gone.join_count == 0 and gone.first_joined_at == T0 + MINUTE
    assert gone.left_at == T0 + timedelta(days=10)
    async with storage.transaction() as conn, conn.execute(
            "SELECT user_id, last_posted_at FROM prior_poster ORDER BY user_id") as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert [row[0] for row in rows] == [KAI, GONE]


def _row(month: str, stage: str) -> MonthRow:
    return MonthRow(month=month, user_id=KAI, name="Kai", stage=stage, previous=None, reasons="", below=False,
                    joined_at=None, first_answer_at=None, chats=1, answers=1, replies=0, helpful=0, helped=0,
                    thanks=0, checkins=0, hosted=0, helper_months=0)


async def test_only_an_import_rewrites_a_closed_month(storage: Storage) -> None:
    strict = Thresholds().changed(regular_chats=6)
    close = MonthClose(GUILD, "2025-11", False, "UTC", strict, T0)
    assert await storage.months.write(close, [_row("2025-11", "participant")])
    assert not await storage.months.write(close, [_row("2025-11", "regular")])  # closed: written once
    await storage.months.rewrite(MonthClose(GUILD, "2025-11", False, "UTC", strict, T0 + MINUTE),
                                 [_row("2025-11", "regular")])
    assert [r.stage for r in await storage.months.rows(GUILD, "2025-11", "2025-11")] == ["regular"]
    closes = await storage.months.closes(GUILD)
    assert [(c.month, c.provisional, c.thresholds, c.closed_at) for c in closes] == [
        ("2025-11", False, strict, T0 + MINUTE)]


async def test_an_import_records_nothing_of_a_member_who_opted_out(storage: Storage) -> None:
    await storage.privacy.opt_out(GUILD, MEI, at=T0)
    importer = await Importer.start(storage, GUILD, default_zone="UTC")
    feed = importer.channel(CHANNEL)
    host = 999999999999999999

    def said(message_id: int, author: int, text: str, minutes: int, **more: object) -> PastMessage:
        return PastMessage(message_id=message_id, channel_id=CHANNEL, parent_id=None, author_id=author,
                           author_name=str(author), author_is_bot=author == host, content=text,
                           created_at=T0 + minutes * MINUTE, **more)  # type: ignore[arg-type]

    await feed.add([said(1, host, "**Q1:** What moved you?", 0), said(2, KAI, "A1: work", 1),
                    said(3, MEI, "A1: love", 2), said(4, KAI, f"thanks <@{MEI}>!", 3, reply_to=3, mentions=(MEI,)),
                    said(5, MEI, f"thanks <@{KAI}>!", 4, reply_to=2, mentions=(KAI,))])
    await feed.end()
    await importer.finish(T0 + timedelta(days=40))
    async with storage.transaction() as conn:
        found = [(table, (await (await conn.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {' OR '.join(f'{c} = ?' for c in columns)}",
            (MEI,) * len(columns))).fetchone())[0]) for table, columns in (
            ("chat_message", ("author_id", "reply_to_author_id")), ("activity", ("user_id", "target_user_id")),
            ("act", ("user_id", "target_user_id")), ("prior_poster", ("user_id",)),
            ("progression_month", ("user_id",)))]
    assert found == [(table, 0) for table, _ in found]
    assert [m.author_id for m in await storage.messages.of_session(1)] == [KAI, KAI]  # Kai's are kept
