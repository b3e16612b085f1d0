"""Contract tests for the reads behind the newcomer report and the command line: whole answers in one query each."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import (
    MIGRATIONS_DIR,
    NewcomerReview,
    NotHeartbeatError,
    SchemaTooNewError,
    SchemaTooOldError,
    Storage,
    Transcript,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GUILD, OTHER_GUILD = 111111111111111111, 555555555555555555
USER = 222222222222222222
MOD = 333333333333333333
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A freshly migrated database in a temporary folder."""
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


async def arrive(storage: Storage, user_id: int, *, at: datetime, guild_id: int = GUILD) -> None:
    """A member joins at `at` and is welcomed."""
    await storage.members.record_join(guild_id, user_id, f"user{user_id}", at - 400 * DAY, at)
    await storage.welcomes.set_arrival(guild_id, user_id, "welcomed")


async def test_for_report_gives_newcomers_since_with_latest_review_and_stored_names(storage: Storage) -> None:
    """for_report: joins since a moment, newest first (ties by id), with the latest review and the stored names of
    greeter and reviewer (None for someone never recorded); the same members, rows and reviews as since and
    latest_reviews."""
    await storage.members.record_join(GUILD, MOD, "Mira", T0 - 400 * DAY, T0 - 300 * DAY)
    await storage.members.record_existing(GUILD, [])
    for user_id, at in ((USER, T0), (USER + 2, T0 + HOUR), (USER + 1, T0 + HOUR), (USER + 3, T0 - 10 * DAY)):
        await arrive(storage, user_id, at=at)
    await arrive(storage, USER + 9, at=T0, guild_id=OTHER_GUILD)
    await storage.newcomers.record_greeting(GUILD, USER, MOD, at=T0 + HOUR, message_id=7, session_id=None)
    await storage.newcomers.record_greeting(GUILD, USER + 1, USER + 77, at=T0 + HOUR, message_id=8, session_id=None)
    await storage.newcomers.review(GUILD, USER, "watch", reviewer_id=MOD, at=T0 + HOUR)
    await storage.newcomers.review(GUILD, USER, "reviewed", reviewer_id=USER + 88, at=T0 + 2 * HOUR)
    await storage.newcomers.review(GUILD, USER + 2, "follow_up", reviewer_id=MOD, at=T0 + 2 * HOUR)

    records = await storage.newcomers.for_report(GUILD, since=T0 - DAY)
    assert [r.member.user_id for r in records] == [USER + 1, USER + 2, USER]
    by_id = {r.member.user_id: r for r in records}
    assert by_id[USER].review == NewcomerReview("reviewed", USER + 88, T0 + 2 * HOUR)
    assert (by_id[USER].greeter_name, by_id[USER].reviewer_name) == ("Mira", None)
    assert (by_id[USER + 1].greeter_name, by_id[USER + 1].review) == (None, None)
    assert by_id[USER + 2].reviewer_name == "Mira"
    pairs = {m.user_id: (m, n) for m, n in await storage.newcomers.since(GUILD, T0 - DAY)}
    assert {user_id: (r.member, r.newcomer) for user_id, r in by_id.items()} == pairs
    reviews = await storage.newcomers.latest_reviews(GUILD)
    assert {user_id: r.review for user_id, r in by_id.items() if r.review} == reviews

    assert [r.member.user_id for r in await storage.newcomers.for_report(GUILD, since=T0 - 30 * DAY, only=USER + 3)] \
        == [USER + 3]
    assert await storage.newcomers.for_report(GUILD, since=T0 - DAY, only=USER + 3) == []
    assert await storage.newcomers.for_report(GUILD, since=T0, only=MOD) == []  # a member, not a newcomer


async def test_chats_of_newcomers_is_chats_of_for_each_member_who_joined_since(storage: Storage) -> None:
    """chats_of_newcomers: each member joined since the moment (or just `only`) mapped to their chats_of."""
    chats = [await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=5, name="GetRealChat",
                                                 hashtag="GetRealChat", timezone="UTC", starts_at=T0 + n * DAY,
                                                 topic=None) for n in (2, 1)]
    await arrive(storage, USER, at=T0)
    await arrive(storage, USER + 1, at=T0)
    await arrive(storage, USER + 2, at=T0 - 10 * DAY)
    for chat in chats:
        for user_id in (USER, USER + 2):
            await storage.activity.record_checkin(GUILD, chat.id, user_id, chat.starts_at)

    found = await storage.activity.chats_of_newcomers(GUILD, since=T0 - DAY)
    assert found == {USER: await storage.activity.chats_of(GUILD, USER)}
    assert [c.session_id for c in found[USER]] == [chats[1].id, chats[0].id]  # oldest first
    assert await storage.activity.chats_of_newcomers(GUILD, since=T0 - 30 * DAY, only=USER + 2) == {
        USER + 2: await storage.activity.chats_of(GUILD, USER + 2)}
    assert await storage.activity.chats_of_newcomers(OTHER_GUILD, since=T0 - 30 * DAY) == {}


async def test_transcripts_text_reads_one_form_of_one_transcript(storage: Storage) -> None:
    """text gives the Markdown or the HTML of one session's transcript; None when none is kept; no other columns."""
    chat = await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=5, name="GetRealChat",
                                               hashtag="GetRealChat", timezone="UTC", starts_at=T0, topic=None)
    assert await storage.transcripts.text(chat.id, "markdown") is None
    await storage.transcripts.save(Transcript(chat.id, "recap", "# md", "<p>html</p>", T0))
    assert await storage.transcripts.text(chat.id, "markdown") == "# md"
    assert await storage.transcripts.text(chat.id, "html") == "<p>html</p>"
    with pytest.raises(ValueError, match="recap"):
        await storage.transcripts.text(chat.id, "recap")  # type: ignore[arg-type]


async def test_guilds_lists_the_servers_with_members_or_with_transcripts(storage: Storage) -> None:
    """members.guilds: servers with a member recorded; transcripts.guilds: servers with a kept transcript."""
    assert await storage.members.guilds() == []
    assert await storage.transcripts.guilds() == []
    for guild_id in (OTHER_GUILD, GUILD, GUILD):
        await arrive(storage, USER + guild_id % 7, at=T0, guild_id=guild_id)
    assert await storage.members.guilds() == [GUILD, OTHER_GUILD]
    planned = await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=5, name="A", hashtag="A",
                                                  timezone="UTC", starts_at=T0, topic=None)
    kept = await storage.sessions.create_adhoc(guild_id=OTHER_GUILD, channel_id=6, name="B", hashtag="B",
                                               timezone="UTC", starts_at=T0, topic=None)
    await storage.transcripts.save(Transcript(kept.id, "recap", "# md", "<p>", T0))
    assert await storage.transcripts.guilds() == [OTHER_GUILD]
    await storage.transcripts.save(Transcript(planned.id, "recap", "# md", "<p>", T0))
    assert await storage.transcripts.guilds() == [GUILD, OTHER_GUILD]


# --- opening to read only ----------------------------------------------------------------------------------


def fingerprint(path: Path) -> str:
    """The file's bytes, summed up."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_open_read_only_reads_a_database_and_writes_nothing(tmp_path: Path) -> None:
    """A database at this code's schema is read as it is; writing through it fails; its file does not change."""
    path = tmp_path / "hb.db"
    async with await Storage.open(path) as storage:
        await arrive(storage, USER, at=T0)
    before = fingerprint(path)
    async with await Storage.open_read_only(path) as storage:
        assert [m.user_id for m, _ in await storage.newcomers.since(GUILD, T0)] == [USER]
        with pytest.raises(sqlite3.OperationalError, match="readonly|query_only"):
            await storage.meta.set("written", "yes")
    assert fingerprint(path) == before


async def test_open_read_only_refuses_another_programs_database_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    """A file with none of Heartbeat's tables is refused, one sentence saying so, and gains nothing."""
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('buy milk')")
    before = fingerprint(path)
    with pytest.raises(NotHeartbeatError, match=f"^{path} is not a Heartbeat database .*set DATABASE_PATH"):
        await Storage.open_read_only(path)
    assert fingerprint(path) == before
    with pytest.raises(sqlite3.OperationalError):
        await Storage.open_read_only(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


async def test_open_read_only_refuses_an_older_or_newer_schema(tmp_path: Path) -> None:
    """An older schema is to be upgraded by starting the bot; a newer one needs a newer Heartbeat."""
    shipped = sorted(MIGRATIONS_DIR.glob("*.sql"))
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    for migration in shipped[:-1]:
        (earlier / migration.name).write_text(migration.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "old.db"
    await (await Storage.open(path, migrations_dir=earlier)).close()
    before = fingerprint(path)
    with pytest.raises(SchemaTooOldError, match=f"version {len(shipped) - 1}; .*start the bot once to upgrade it"):
        await Storage.open_read_only(path)
    assert fingerprint(path) == before

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaTooNewError, match="newer Heartbeat .*version 99"):
        await Storage.open_read_only(path)
