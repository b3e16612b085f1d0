"""Tests for bot.storage: opening, migrations, transactions and the typed queries."""

from __future__ import annotations

import ast
import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest

from bot.chats._ingest import Ingest
from bot.domain.running import PlannedPost, post_key
from bot.storage import (
    MIGRATIONS_DIR,
    ChannelBusy,
    ChatSession,
    DuplicateName,
    GuildConfig,
    ListedMember,
    MigrationError,
    NewcomerReview,
    SchemaTooNewError,
    Series,
    Storage,
    StoredMessage,
    Transcript,
    WelcomeConfig,
)
from bot.storage._migrate import discover_migrations

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GUILD = 111111111111111111
USER = 222222222222222222
ADMIN = 333333333333333333
CHANNEL = 444444444444444444
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)

_T = TypeVar("_T")


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A freshly migrated database in a temporary folder."""
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


def _found(value: _T | None) -> _T:
    """What a lookup returned, which the test expects to exist."""
    assert value is not None
    return value


def _sqlite(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection for inspecting a database from outside Storage."""
    return sqlite3.connect(path)


def _tables(path: Path) -> set[str]:
    """Names of the tables in the database at `path`."""
    with _sqlite(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _user_version(path: Path) -> int:
    """PRAGMA user_version of the database at `path`."""
    with _sqlite(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _copy_initial(directory: Path) -> Path:
    """A migrations folder holding a copy of the shipped 0001 migration."""
    directory.mkdir()
    (directory / "0001_initial.sql").write_text(
        (MIGRATIONS_DIR / "0001_initial.sql").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return directory


async def _pragma(storage: Storage, name: str) -> object:
    """Read one PRAGMA through the Storage's own connection."""
    async with storage.transaction() as conn, conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def test_open_creates_folders_and_wal_database(tmp_path: Path) -> None:
    """Opening creates missing parent folders, a WAL database with foreign keys on."""
    path = tmp_path / "nested" / "deeper" / "hb.db"
    storage = await Storage.open(path)
    try:
        assert path.is_file()
        assert storage.path == path
        assert await _pragma(storage, "journal_mode") == "wal"
        assert await _pragma(storage, "foreign_keys") == 1
        assert await _pragma(storage, "busy_timeout") == 5000
    finally:
        await storage.close()


async def test_schema_version_is_number_of_migrations(storage: Storage) -> None:
    """After opening, user_version equals the number of shipped migrations."""
    migrations = discover_migrations()
    assert await storage.schema_version() == len(migrations) >= 1


async def test_in_memory_database(tmp_path: Path) -> None:
    """ ":memory:" opens, migrates and works without touching the disk."""
    storage = await Storage.open(":memory:")
    try:
        assert await storage.schema_version() == len(discover_migrations())
        await storage.meta.set("k", "v")
        assert await storage.meta.get("k") == "v"
    finally:
        await storage.close()


async def test_close_is_idempotent_and_later_use_fails(tmp_path: Path) -> None:
    """close() may be called twice; using a closed Storage raises a clear error."""
    storage = await Storage.open(tmp_path / "hb.db")
    await storage.close()
    await storage.close()
    assert storage.closed
    with pytest.raises(RuntimeError, match="closed"):
        await storage.meta.get("k")


async def test_close_waits_for_running_transaction(tmp_path: Path) -> None:
    """close() waits until a transaction in another task has committed."""
    path = tmp_path / "hb.db"
    storage = await Storage.open(path)
    inside = asyncio.Event()

    async def slow_write() -> None:
        async with storage.transaction() as conn:
            inside.set()
            await asyncio.sleep(0.05)
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('slow', 'done')")

    writer = asyncio.create_task(slow_write())
    await inside.wait()
    await storage.close()
    await writer
    reopened = await Storage.open(path)
    try:
        assert await reopened.meta.get("slow") == "done"
    finally:
        await reopened.close()


async def test_reopen_keeps_data(tmp_path: Path) -> None:
    """Configuration, members and meta survive closing and reopening."""
    path = tmp_path / "hb.db"
    async with await Storage.open(path) as storage:
        await storage.config.update(
            GUILD, {"chat_channel_id": 5, "timezone": "Europe/Paris"}, updated_by=ADMIN, now=T0
        )
        await storage.members.record_join(GUILD, USER, "Ada", T0 - timedelta(days=400), T0)
        await storage.meta.set("commands_hash", "abc123")
    async with await Storage.open(path) as storage:
        config = await storage.config.get(GUILD)
        assert config.chat_channel_id == 5
        assert config.timezone == "Europe/Paris"
        assert config.updated_at == T0
        assert config.updated_by == ADMIN
        member = await storage.members.get(GUILD, USER)
        assert member is not None
        assert member.display_name == "Ada"
        assert member.first_joined_at == T0
        assert await storage.meta.get("commands_hash") == "abc123"
        assert await storage.schema_version() == len(discover_migrations())


async def test_failed_migration_rolls_back_and_can_be_fixed(tmp_path: Path) -> None:
    """A migration failing half-way leaves no trace; fixing the file and reopening applies it."""
    migrations = _copy_initial(tmp_path / "migrations")
    bad = migrations / "0002_add_a.sql"
    bad.write_text("CREATE TABLE a(x); INSERT INTO nope VALUES (1);", encoding="utf-8")
    path = tmp_path / "hb.db"

    with pytest.raises(MigrationError, match="0002_add_a.sql"):
        await Storage.open(path, migrations_dir=migrations)
    assert _user_version(path) == 1
    assert "a" not in _tables(path)
    assert "guild_config" in _tables(path)

    bad.write_text("CREATE TABLE a(x); INSERT INTO a VALUES (1);", encoding="utf-8")
    async with await Storage.open(path, migrations_dir=migrations) as storage:
        assert await storage.schema_version() == 2
    assert "a" in _tables(path)


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    """A database from a newer Heartbeat (higher user_version) is not opened."""
    path = tmp_path / "hb.db"
    async with await Storage.open(path):
        pass
    with _sqlite(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaTooNewError, match="newer Heartbeat"):
        await Storage.open(path)
    assert _user_version(path) == 99


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"0001_a.sql": "CREATE TABLE a(x);", "0003_c.sql": "CREATE TABLE c(x);"}, "0003_c.sql"),
        ({"0001_a.sql": "CREATE TABLE a(x);", "0001_b.sql": "CREATE TABLE b(x);"}, "0001_b.sql"),
        ({"1_a.sql": "CREATE TABLE a(x);"}, "1_a.sql"),
        ({"0001_a.sql": "BEGIN;\nCREATE TABLE a(x);\nCOMMIT;"}, "must not contain"),
        ({"0001_a.sql": "CREATE TABLE a(x);\nPRAGMA user_version = 1;"}, "must not contain"),
        ({}, "No migration files"),
    ],
)
async def test_bad_migration_folders_are_rejected(tmp_path: Path, files: dict[str, str], message: str) -> None:
    """Gaps, duplicates, bad names, transaction statements and empty folders are refused before any change."""
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    for name, sql in files.items():
        (migrations / name).write_text(sql, encoding="utf-8")
    with pytest.raises(MigrationError, match=message):
        await Storage.open(tmp_path / "hb.db", migrations_dir=migrations)


async def test_trigger_bodies_are_allowed_in_migrations(tmp_path: Path) -> None:
    """A trigger's BEGIN ... END; is not mistaken for a transaction statement."""
    migrations = _copy_initial(tmp_path / "migrations")
    (migrations / "0002_trigger.sql").write_text(
        "CREATE TABLE log(x);\n"
        "CREATE TRIGGER meta_log AFTER INSERT ON bot_meta\nBEGIN\n"
        "    INSERT INTO log VALUES (new.key);\nEND;",
        encoding="utf-8",
    )
    async with await Storage.open(tmp_path / "hb.db", migrations_dir=migrations) as storage:
        assert await storage.schema_version() == 2
        await storage.meta.set("k", "v")


async def test_config_get_without_row_is_all_none(storage: Storage) -> None:
    """A server never configured reads back as all-None."""
    config = await storage.config.get(GUILD)
    assert config == GuildConfig(guild_id=GUILD)
    assert all(getattr(config, name) is None for name in GuildConfig.SETTABLE)


async def test_config_update_merges_and_clears(storage: Storage) -> None:
    """Updates change only the given fields; None clears a field; updated_at/by follow the last change."""
    later = T0 + timedelta(hours=1)
    await storage.config.update(GUILD, {"chat_channel_id": 1, "host_role_id": 2}, updated_by=ADMIN, now=T0)
    config = await storage.config.update(
        GUILD, {"host_role_id": None, "timezone": "Asia/Tokyo"}, updated_by=USER, now=later
    )
    assert config.chat_channel_id == 1
    assert config.host_role_id is None
    assert config.timezone == "Asia/Tokyo"
    assert config.updated_at == later
    assert config.updated_by == USER
    assert await storage.config.get(GUILD) == config


async def test_config_update_rejects_unknown_keys_and_stores_nothing(storage: Storage) -> None:
    """An unknown key raises ValueError and none of the other changes are written."""
    with pytest.raises(ValueError, match="guild_id"):
        await storage.config.update(GUILD, {"chat_channel_id": 1, "guild_id": 5}, updated_by=ADMIN, now=T0)
    with pytest.raises(TypeError, match="chat_channel_id"):
        await storage.config.update(GUILD, {"chat_channel_id": "1"}, updated_by=ADMIN, now=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await storage.config.update(
            GUILD,
            {"chat_channel_id": 1},
            updated_by=ADMIN,
            now=datetime(2025, 1, 1),  # noqa: DTZ001
        )
    assert await storage.config.get(GUILD) == GuildConfig(guild_id=GUILD)


async def test_failing_transaction_rolls_back(storage: Storage) -> None:
    """An exception inside transaction() undoes its writes and propagates."""
    await storage.meta.set("kept", "1")

    class Boom(Exception):
        """A deliberate failure."""

    with pytest.raises(Boom):
        async with storage.transaction() as conn:
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('lost', '1')")
            await conn.execute("UPDATE bot_meta SET value = '2' WHERE key = 'kept'")
            raise Boom
    assert await storage.meta.get("lost") is None
    assert await storage.meta.get("kept") == "1"
    # The connection is usable afterwards: the transaction really ended.
    await storage.meta.set("after", "ok")
    assert await storage.meta.get("after") == "ok"


async def test_failing_sql_in_transaction_rolls_back(storage: Storage) -> None:
    """A constraint violation inside transaction() rolls back the earlier statements too."""
    with pytest.raises(sqlite3.IntegrityError):
        async with storage.transaction() as conn:
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('first', '1')")
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('second', NULL)")
    assert await storage.meta.get("first") is None


async def test_nested_transaction_is_a_savepoint(storage: Storage) -> None:
    """Storage methods work inside a transaction; a failed inner block undoes only itself."""
    async with storage.transaction():
        await storage.meta.set("outer", "1")
        with pytest.raises(KeyError):
            async with storage.transaction() as conn:
                await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('inner', '1')")
                raise KeyError("inner")
        assert await storage.meta.get("outer") == "1"
    assert await storage.meta.get("outer") == "1"
    assert await storage.meta.get("inner") is None


async def test_reads_do_not_see_other_tasks_uncommitted_writes(storage: Storage) -> None:
    """A read never sees another task's uncommitted rows, here rows that are then rolled back."""
    inside = asyncio.Event()

    async def doomed_write() -> None:
        async with storage.transaction() as conn:
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('doomed', '1')")
            inside.set()
            await asyncio.sleep(0.02)
            raise RuntimeError("abandon")

    writer = asyncio.create_task(doomed_write())
    await inside.wait()
    assert await storage.meta.get("doomed") is None
    with pytest.raises(RuntimeError, match="abandon"):
        await writer


async def test_a_read_from_another_task_goes_around_a_transaction_held_open(tmp_path: Path) -> None:
    """Once a transaction has been open for read_wait, other tasks' reads go around it and see committed rows only."""
    storage = await Storage.open(tmp_path / "hb.db", read_wait=0.01)
    try:
        await storage.meta.set("before", "1")
        inside, release = asyncio.Event(), asyncio.Event()

        async def held_write() -> None:
            async with storage.transaction():
                await storage.meta.set("held", "1")
                inside.set()
                await release.wait()

        writer = asyncio.create_task(held_write())
        await inside.wait()
        # The writer only lets go after these reads return, so a read that waited for it would time out.
        assert await asyncio.wait_for(storage.meta.get("held"), 5) is None
        assert await asyncio.wait_for(storage.meta.get("before"), 5) == "1"
        assert not writer.done()
        release.set()
        await writer
        assert await storage.meta.get("held") == "1"
    finally:
        await storage.close()


async def test_the_task_owning_a_transaction_reads_its_own_uncommitted_rows(storage: Storage) -> None:
    """Inside transaction(), the aggregates' reads see the block's writes, also in a nested savepoint."""
    async with storage.transaction():
        await storage.meta.set("mine", "1")
        assert await storage.meta.get("mine") == "1"
        async with storage.transaction():
            await storage.members.record_join(GUILD, USER, "Ada", T0, T0)
            assert await storage.members.count(GUILD) == 1
        assert await storage.members.get(GUILD, USER) is not None


async def test_a_read_waits_its_turn_behind_a_short_transaction(tmp_path: Path) -> None:
    """A read made while a transaction runs waits for it (within read_wait), so it sees the committed rows."""
    # A generous read_wait: on a loaded machine the short write may take longer than the default half second.
    storage = await Storage.open(tmp_path / "hb.db", read_wait=60)
    inside = asyncio.Event()

    async def short_write() -> None:
        async with storage.transaction() as conn:
            inside.set()
            await asyncio.sleep(0.01)
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('short', 'done')")

    try:
        writer = asyncio.create_task(short_write())
        await inside.wait()
        assert await storage.meta.get("short") == "done"
        await writer
    finally:
        await storage.close()


async def test_a_read_does_not_see_a_transaction_asked_for_after_it(storage: Storage) -> None:
    """Reads and transactions take effect in the order they were asked for, so a later write is not read."""
    inside = asyncio.Event()

    async def short_write() -> None:
        async with storage.transaction():
            inside.set()
            await asyncio.sleep(0.01)

    first = asyncio.create_task(short_write())
    await inside.wait()
    read = asyncio.create_task(storage.meta.get("later"))
    await asyncio.sleep(0)  # the read is now waiting for its turn
    later = asyncio.create_task(storage.meta.set("later", "1"))
    assert await read is None
    await asyncio.gather(first, later)
    assert await storage.meta.get("later") == "1"


async def test_in_memory_reads_wait_for_the_transaction(tmp_path: Path) -> None:
    """ ":memory:" has no readers: a read waits for another task's transaction and then sees its rows."""
    storage = await Storage.open(":memory:", read_wait=0.01)
    try:
        inside, release = asyncio.Event(), asyncio.Event()

        async def held_write() -> None:
            async with storage.transaction():
                await storage.meta.set("held", "1")
                inside.set()
                await release.wait()

        writer = asyncio.create_task(held_write())
        await inside.wait()
        reader = asyncio.create_task(storage.meta.get("held"))
        done, _ = await asyncio.wait({reader}, timeout=0.05)
        assert not done
        release.set()
        assert await reader == "1"
        await writer
    finally:
        await storage.close()


async def test_concurrent_reads_take_turns(storage: Storage) -> None:
    """Many reads at once all complete, in the order they were made."""
    await storage.meta.set("k", "v")
    finished: list[int] = []

    async def read(number: int) -> str | None:
        value = await storage.meta.get("k")
        finished.append(number)
        return value

    assert await asyncio.gather(*(read(n) for n in range(12))) == ["v"] * 12
    assert finished == list(range(12))


async def test_close_closes_the_reader(tmp_path: Path) -> None:
    """After a read around a transaction and close(), no connection is left: SQLite then removes the log."""
    path = tmp_path / "hb.db"
    storage = await Storage.open(path, read_wait=0.01)
    await storage.meta.set("k", "v")
    inside, release = asyncio.Event(), asyncio.Event()

    async def held_write() -> None:
        async with storage.transaction():
            inside.set()
            await release.wait()

    writer = asyncio.create_task(held_write())
    await inside.wait()
    assert await storage.meta.get("k") == "v"  # read around the transaction, on the reader
    release.set()
    await writer
    await storage.close()
    assert not path.with_name("hb.db-wal").exists()
    with pytest.raises(RuntimeError, match="closed"):
        await storage.meta.get("k")


async def test_meta_set_and_replace(storage: Storage) -> None:
    """meta.set inserts, then replaces; meta.get of an unknown key is None."""
    assert await storage.meta.get("commands_hash") is None
    await storage.meta.set("commands_hash", "one")
    await storage.meta.set("commands_hash", "two")
    assert await storage.meta.get("commands_hash") == "two"


async def test_join_leave_rejoin_counts(storage: Storage) -> None:
    """Join, leave and rejoin update one row: join_count, left_at and the join times."""
    created = T0 - timedelta(hours=3)
    joined = await storage.members.record_join(GUILD, USER, "Ada", created, T0)
    assert joined.join_count == 1
    assert joined.present
    assert joined.account_created_at == created
    assert joined.first_joined_at == joined.last_joined_at == T0
    assert await storage.members.count(GUILD) == 1

    left = T0 + timedelta(days=1)
    assert await storage.members.record_leave(GUILD, USER, left)
    member = await storage.members.get(GUILD, USER)
    assert member is not None
    assert member.left_at == left
    assert not member.present
    assert await storage.members.count(GUILD) == 0
    assert await storage.members.count(GUILD, include_departed=True) == 1

    back = T0 + timedelta(days=2)
    rejoined = await storage.members.record_join(GUILD, USER, "Ada L.", created, back)
    assert rejoined.join_count == 2
    assert rejoined.left_at is None
    assert rejoined.first_joined_at == T0
    assert rejoined.last_joined_at == back
    assert rejoined.display_name == "Ada L."
    assert await storage.members.count(GUILD) == 1


async def test_replayed_events_do_not_inflate_counts(storage: Storage) -> None:
    """A replayed join does not count twice, and a stale leave does not undo a newer rejoin."""
    await storage.members.record_join(GUILD, USER, "Ada", T0, T0)
    replayed = await storage.members.record_join(GUILD, USER, "Ada", T0, T0)
    assert replayed.join_count == 1
    rejoin = T0 + timedelta(hours=2)
    await storage.members.record_join(GUILD, USER, "Ada", T0, rejoin)
    assert not await storage.members.record_leave(GUILD, USER, T0 + timedelta(hours=1))
    member = await storage.members.get(GUILD, USER)
    assert member is not None
    assert member.present
    assert member.join_count == 2


async def test_members_are_per_guild_and_times_normalised_to_utc(storage: Storage) -> None:
    """Members are kept per server; non-UTC aware times come back as the same instant in UTC."""
    plus_two = timezone(timedelta(hours=2))
    joined = datetime(2025, 3, 1, 14, 0, tzinfo=plus_two)
    await storage.members.record_join(GUILD, USER, "Ada", joined, joined)
    await storage.members.record_join(GUILD + 1, USER, "Ada", joined, joined)
    member = await storage.members.get(GUILD, USER)
    assert member is not None
    assert member.last_joined_at == T0
    assert member.last_joined_at.tzinfo == UTC
    assert await storage.members.count(GUILD) == 1
    assert await storage.members.get(GUILD + 2, USER) is None
    assert not await storage.members.record_leave(GUILD + 2, USER, T0)
    with pytest.raises(ValueError, match="joined_at"):
        await storage.members.record_join(GUILD, USER + 1, "Bo", T0, datetime(2025, 1, 1))  # noqa: DTZ001


async def test_migration_4_keeps_the_activity_ledger_and_admits_greetings(tmp_path: Path) -> None:
    """Rebuilding the activity table (to allow 'greeting') keeps every row, id and index of a version-3 database."""
    early = tmp_path / "early"
    early.mkdir()
    for migration in sorted(MIGRATIONS_DIR.glob("*.sql"))[:3]:
        (early / migration.name).write_text(migration.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "hb.db"
    async with await Storage.open(path, migrations_dir=early) as storage:
        assert await storage.schema_version() == 3
    with _sqlite(path) as conn:
        conn.execute("INSERT INTO activity (id, guild_id, user_id, kind, session_id, occurred_at) "
                     "VALUES (7, 1, 2, 'checkin', NULL, '2026-03-10T01:00:00.000000+00:00')")
        conn.execute("INSERT INTO activity (id, guild_id, user_id, kind, message_id, target_user_id, occurred_at) "
                     "VALUES (8, 1, 2, 'reply', 99, 3, '2026-03-10T01:01:00.000000+00:00')")
        conn.commit()

    async with await Storage.open(path) as storage:
        assert await storage.schema_version() == len(discover_migrations())
    with _sqlite(path) as conn:
        assert conn.execute("SELECT id, kind, message_id, target_user_id FROM activity ORDER BY id").fetchall() == [
            (7, "checkin", None, None), (8, "reply", 99, 3)]
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'activity' "
                                                   "AND type = 'index'")}
        assert {"activity_once", "activity_member"} <= indexes
        conn.execute("INSERT INTO activity (guild_id, user_id, kind, target_user_id, occurred_at) "
                     "VALUES (1, 3, 'greeting', 2, '2026-03-10T01:02:00.000000+00:00')")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO activity (guild_id, user_id, kind, occurred_at) VALUES (1, 3, 'nonsense', 'x')")


# --- members -------------------------------------------------------------------------------------------


async def test_members_recent_joins_and_join_times(storage: Storage) -> None:
    """recent_joins lists members whose latest join is at or after `since`, newest first; join_times their times."""
    for offset, user in enumerate((USER, USER + 1, USER + 2)):
        await storage.members.record_join(GUILD, user, f"m{offset}", T0, T0 + offset * HOUR)
    await storage.members.record_join(GUILD + 1, USER + 3, "elsewhere", T0, T0 + 5 * HOUR)
    recent = await storage.members.recent_joins(GUILD, since=T0 + HOUR)
    assert [m.user_id for m in recent] == [USER + 2, USER + 1]
    assert sorted(await storage.members.join_times(GUILD, since=T0 + HOUR)) == [T0 + HOUR, T0 + 2 * HOUR]
    assert await storage.members.recent_joins(GUILD, since=T0 + 3 * HOUR) == []


def _listed(user_id: int, joined: datetime, name: str = "Ada") -> ListedMember:
    return ListedMember(user_id=user_id, display_name=name, account_created_at=joined - 400 * timedelta(days=1),
                        joined_at=joined)


async def test_members_record_existing_adds_only_the_unrecorded_as_seen_but_not_seen_joining(storage: Storage) -> None:
    """record_existing adds members with join_count 0, kept out of recent_joins and join_times; others unchanged."""
    await storage.members.record_join(GUILD, USER, "Ada", T0, T0 + HOUR)
    listed = [_listed(USER, T0 - HOUR, "Ada again"), *(_listed(USER + n, T0 + n * MINUTE) for n in range(1, 1201))]
    assert await storage.members.record_existing(GUILD, listed) == 1200  # in several batches
    assert await storage.members.record_existing(GUILD, listed) == 0
    existing = _found(await storage.members.get(GUILD, USER + 1))
    assert existing.join_count == 0 and existing.present
    assert existing.first_joined_at == existing.last_joined_at == T0 + MINUTE
    assert _found(await storage.members.get(GUILD, USER)).display_name == "Ada"  # recorded already: unchanged
    assert await storage.members.count(GUILD) == 1201
    assert [m.user_id for m in await storage.members.recent_joins(GUILD, since=T0)] == [USER]
    assert await storage.members.join_times(GUILD, since=T0) == [T0 + HOUR]
    rejoined = await storage.members.record_join(GUILD, USER + 1, "Ada", T0, T0 + 2 * HOUR)
    assert rejoined.join_count == 1  # a join seen after all


async def test_members_remember_name_refreshes_a_name_or_records_someone_never_seen_joining(storage: Storage) -> None:
    """remember_name refreshes a recorded member's name only; an unrecorded one is added with join_count 0."""
    await storage.members.record_join(GUILD, USER, "Ada", T0, T0 + HOUR)
    await storage.members.remember_name(GUILD, _listed(USER, T0 - HOUR, "Ada Lovelace"))
    ada = _found(await storage.members.get(GUILD, USER))
    assert (ada.display_name, ada.join_count, ada.last_joined_at) == ("Ada Lovelace", 1, T0 + HOUR)
    await storage.members.remember_name(GUILD, _listed(USER + 1, T0 - HOUR, "Mira"))
    mira = _found(await storage.members.get(GUILD, USER + 1))
    assert (mira.display_name, mira.join_count) == ("Mira", 0)
    assert await storage.members.join_times(GUILD, since=T0 - 2 * HOUR) == [T0 + HOUR]  # no join seen for Mira


async def test_members_record_leaves_marks_only_present_members_whose_join_is_not_later(storage: Storage) -> None:
    """record_leaves records many leaves at once, skipping the unknown, the gone and those who joined after."""
    await storage.members.record_existing(GUILD, [_listed(USER, T0)])
    await storage.members.record_join(GUILD, USER + 1, "Bo", T0, T0)
    await storage.members.record_join(GUILD, USER + 2, "Cy", T0, T0 + 3 * HOUR)
    await storage.members.record_join(GUILD, USER + 3, "Di", T0, T0)
    await storage.members.record_leave(GUILD, USER + 3, T0 + MINUTE)
    left = T0 + HOUR
    assert await storage.members.record_leaves(GUILD, [USER, USER + 1, USER + 2, USER + 3, USER + 9], left) == 2
    assert [_found(await storage.members.get(GUILD, u)).left_at for u in range(USER, USER + 4)] == [
        left, left, None, T0 + MINUTE]
    assert await storage.members.record_leaves(GUILD, [], left) == 0


async def test_members_presence_and_earliest_join(storage: Storage) -> None:
    """presence maps every recorded member of one server to present or not; earliest_join is the first join seen."""
    assert await storage.members.presence(GUILD) == {}
    assert await storage.members.earliest_join(GUILD) is None
    await storage.members.record_existing(GUILD, [_listed(USER, T0 - 30 * HOUR)])
    assert await storage.members.earliest_join(GUILD) is None  # there before: no join seen
    await storage.members.record_join(GUILD, USER + 1, "Bo", T0, T0 + HOUR)
    await storage.members.record_join(GUILD, USER + 2, "Cy", T0, T0 + 2 * HOUR)
    await storage.members.record_leave(GUILD, USER + 2, T0 + 3 * HOUR)
    await storage.members.record_join(GUILD + 1, USER + 3, "elsewhere", T0, T0)
    assert await storage.members.presence(GUILD) == {USER: True, USER + 1: True, USER + 2: False}
    assert await storage.members.earliest_join(GUILD) == T0 + HOUR


# --- series --------------------------------------------------------------------------------------------


async def _series(storage: Storage, name: str = "GetRealChat", **overrides: object) -> Series:
    """A weekly series on Tuesdays at 21:00 New York time, with `overrides` applied."""
    values: dict[str, object] = dict(guild_id=GUILD, name=name, hashtag=name, channel_id=CHANNEL, weekday=1,
                                     local_time=time(21, 0), timezone="America/New_York", duration_seconds=1800,
                                     spacing_seconds=300, first_question_seconds=120, pacing="fixed",
                                     created_by=ADMIN, now=T0)
    values.update(overrides)
    return await storage.series.create(**values)  # type: ignore[arg-type]


async def test_series_create_get_find_and_all(storage: Storage) -> None:
    """A created series reads back as stored; find ignores case; all() lists by name, per server or everywhere."""
    series = await _series(storage, reminders=(3600,), use_threads=True)
    assert series.local_time == time(21, 0) and series.reminders == (3600,) and series.use_threads
    assert series.created_at == T0 and not series.paused
    assert await storage.series.get(series.id) == series
    assert await storage.series.get(series.id + 1) is None
    assert await storage.series.find(GUILD, "getrealchat") == series
    assert await storage.series.find(GUILD + 1, "GetRealChat") is None
    other = await _series(storage, "apple", guild_id=GUILD + 1)
    second = await _series(storage, "Zebra")
    assert [s.name for s in await storage.series.all(GUILD)] == ["GetRealChat", "Zebra"]
    assert [s.id for s in await storage.series.all()] == [other.id, series.id, second.id]


async def test_series_most_answers_is_on_unless_created_or_edited_off(storage: Storage) -> None:
    """The recap's most-answers list: on by default, off when created so, and switched by update."""
    assert (await _series(storage)).most_answers
    quiet = await _series(storage, "Quiet", most_answers=False)
    assert not quiet.most_answers and not (await storage.series.get(quiet.id)).most_answers  # type: ignore[union-attr]
    assert (await storage.series.update(quiet.id, {"most_answers": True})).most_answers


async def test_series_create_refuses_a_name_used_in_the_server(storage: Storage) -> None:
    """Names are unique per server, ignoring case; another server may reuse one."""
    await _series(storage)
    with pytest.raises(DuplicateName):
        await _series(storage, "GETREALCHAT")
    await _series(storage, guild_id=GUILD + 1)
    assert len(await storage.series.all(GUILD)) == 1


async def test_series_update_changes_fields_and_carries_unrun_sessions(storage: Storage) -> None:
    """update changes EDITABLE fields; planned and skipped sessions follow (and move), ones that ran do not."""
    series = await _series(storage)
    ran = await storage.sessions.at(series, T0)
    planned = await storage.sessions.at(series, T0 + timedelta(days=7))
    skipped = await storage.sessions.at(series, T0 + timedelta(days=14))
    await storage.sessions.set_status(ran.id, "ended")
    await storage.sessions.set_status(skipped.id, "skipped")
    moved_to = T0 + timedelta(days=8)
    updated = await storage.series.update(
        series.id, {"name": "Renamed", "hashtag": "Renamed", "channel_id": CHANNEL + 1, "timezone": "Europe/Paris",
                    "local_time": time(20, 30), "reminders": (7200, 600), "paused": True},
        moved={planned.id: moved_to})
    assert (updated.name, updated.channel_id, updated.local_time, updated.reminders, updated.paused) == (
        "Renamed", CHANNEL + 1, time(20, 30), (7200, 600), True)
    assert await storage.series.get(series.id) == updated
    for session_id in (planned.id, skipped.id):
        session = await storage.sessions.get(session_id)
        assert session is not None
        assert (session.series_name, session.hashtag, session.channel_id, session.timezone) == (
            "Renamed", "Renamed", CHANNEL + 1, "Europe/Paris")
    assert _found(await storage.sessions.get(planned.id)).starts_at == moved_to
    kept = await storage.sessions.get(ran.id)
    assert kept is not None and (kept.series_name, kept.channel_id, kept.starts_at) == ("GetRealChat", CHANNEL, T0)


async def test_series_update_refuses_unknown_fields_missing_series_and_clashing_names(storage: Storage) -> None:
    """Unknown fields raise ValueError, a missing series KeyError, another series' name DuplicateName."""
    series = await _series(storage)
    await _series(storage, "Other")
    with pytest.raises(ValueError, match="guild_id"):
        await storage.series.update(series.id, {"guild_id": 5})
    with pytest.raises(KeyError):
        await storage.series.update(series.id + 99, {"paused": True})
    with pytest.raises(DuplicateName):
        await storage.series.update(series.id, {"name": "other"})
    assert _found(await storage.series.update(series.id, {"name": "GETREALCHAT"})).name == "GETREALCHAT"


async def test_series_delete_keeps_the_sessions_that_ran(storage: Storage) -> None:
    """delete removes the series and its planned or skipped sessions; sessions that ran stay as history."""
    series = await _series(storage)
    ran = await storage.sessions.at(series, T0)
    planned = await storage.sessions.at(series, T0 + timedelta(days=7))
    await storage.sessions.set_status(ran.id, "ended")
    await storage.series.delete(series.id)
    assert await storage.series.get(series.id) is None
    assert await storage.sessions.get(planned.id) is None
    kept = await storage.sessions.get(ran.id)
    assert kept is not None and kept.series_id is None and kept.status == "ended"


# --- sessions ------------------------------------------------------------------------------------------


def _plan(session_id: int, *numbers: int, at: datetime = T0) -> list[PlannedPost]:
    """An opening at `at` and question posts every five minutes after it."""
    return [PlannedPost(post_key(session_id, "opening"), "opening", at),
            *(PlannedPost(post_key(session_id, "question", n), "question", at + n * 5 * MINUTE, n) for n in numbers)]



async def _running(storage: Storage, *, questions: tuple[int, ...] = (1, 2)) -> ChatSession:
    """A series session started at T0 by USER, with an opening and the given questions scheduled."""
    series = await _series(storage)
    planned = await storage.sessions.at(series, T0)
    started = await storage.sessions.start(planned.id, started_at=T0, started_by=USER, duration_seconds=1800,
                                           spacing_seconds=300, pacing="fixed", posts=_plan(planned.id, *questions))
    assert started is not None
    return started


async def test_sessions_at_creates_a_planned_session_once(storage: Storage) -> None:
    """at() creates the series' session at a start (planned, copying the series) and returns the same one later."""
    series = await _series(storage)
    session = await storage.sessions.at(series, T0)
    assert (session.series_id, session.status, session.starts_at, session.hashtag, session.channel_id) == (
        series.id, "planned", T0, "GetRealChat", CHANNEL)
    assert await storage.sessions.at(series, T0) == session
    assert await storage.sessions.get(session.id) == session
    assert await storage.sessions.get(session.id + 1) is None


async def test_sessions_create_adhoc_and_delete_only_what_never_ran(storage: Storage) -> None:
    """An ad hoc session has no series; delete removes a planned session but never one that ran."""
    adhoc = await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=CHANNEL, name="Pop-up", hashtag="PopUp",
                                                timezone="UTC", starts_at=T0, topic="Spring")
    assert (adhoc.series_id, adhoc.status, adhoc.topic, adhoc.series_name) == (None, "planned", "Spring", "Pop-up")
    await storage.sessions.delete(adhoc.id)
    assert await storage.sessions.get(adhoc.id) is None
    running = await _running(storage)
    await storage.sessions.delete(running.id)
    assert await storage.sessions.get(running.id) is not None


async def test_sessions_skipped_starts_future_and_with_status(storage: Storage) -> None:
    """skipped_starts, future (planned or skipped after a time, soonest first) and with_status (oldest first)."""
    series = await _series(storage)
    week = timedelta(days=7)
    first, second, third = [await storage.sessions.at(series, T0 + n * week) for n in range(3)]
    await storage.sessions.set_status(second.id, "skipped")
    await storage.sessions.set_status(third.id, "running")
    assert await storage.sessions.skipped_starts(series.id) == [T0 + week]
    assert [s.id for s in await storage.sessions.future(series.id, T0 - MINUTE)] == [first.id, second.id]
    assert [s.id for s in await storage.sessions.future(series.id, T0)] == [second.id]
    assert [s.id for s in await storage.sessions.with_status("planned")] == [first.id]
    assert [s.id for s in await storage.sessions.with_status("running")] == [third.id]


async def test_sessions_start_runs_a_planned_session_once(storage: Storage) -> None:
    """start marks a planned session running, schedules its posts and credits the host; None if not planned."""
    session = await _running(storage)
    assert (session.status, session.started_at, session.started_by, session.ends_at) == (
        "running", T0, USER, T0 + timedelta(seconds=1800))
    assert (session.duration_seconds, session.spacing_seconds, session.pacing) == (1800, 300, "fixed")
    assert [p.key for p in await storage.posts.of_session(session.id)] == [
        post_key(session.id, "opening"), post_key(session.id, "question", 1), post_key(session.id, "question", 2)]
    assert (await storage.activity.chats_of(GUILD, USER))[0].hosted
    again = await storage.sessions.start(session.id, started_at=T0, started_by=None, duration_seconds=60,
                                         spacing_seconds=60, pacing="fixed", posts=[])
    assert again is None


async def _start(storage: Storage, session: ChatSession, at: datetime = T0, **options: object) -> ChatSession | None:
    """Start `session` at `at` for half an hour with an opening post, as ADMIN."""
    values: dict[str, object] = dict(started_at=at, started_by=ADMIN, duration_seconds=1800, spacing_seconds=300,
                                     pacing="fixed", posts=_plan(session.id, at=at))
    values.update(options)
    return await storage.sessions.start(session.id, **values)  # type: ignore[arg-type]


async def test_sessions_start_refuses_a_channel_where_a_chat_runs_and_writes_nothing(storage: Storage) -> None:
    """A channel runs one chat: while one runs there, start raises ChannelBusy naming it and stores nothing."""
    running = await _running(storage)
    waiting = await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=CHANNEL, name="Pop-up", hashtag="PopUp",
                                                  timezone="UTC", starts_at=T0 + MINUTE, topic="Spring")
    with pytest.raises(ChannelBusy) as refused:
        await _start(storage, waiting, T0 + MINUTE, topic="Summer")
    assert refused.value.running == running
    assert await storage.sessions.get(waiting.id) == waiting  # still planned, topic and all
    assert await storage.posts.of_session(waiting.id) == []
    assert await storage.activity.chats_of(GUILD, ADMIN) == []

    await storage.sessions.finish(running.id, T0 + MINUTE)
    started = _found(await _start(storage, waiting, T0 + MINUTE, topic="Summer"))
    assert (started.status, started.topic, started.started_by) == ("running", "Summer", ADMIN)


async def test_sessions_start_takes_the_channel_the_session_has_when_it_starts(storage: Storage) -> None:
    """The busy check and the posts use the session's channel as stored at the start, not as the caller saw it."""
    await _running(storage)
    series = await _series(storage, "Night Owls")
    planned = await storage.sessions.at(series, T0)
    await storage.series.update(series.id, {"channel_id": CHANNEL + 1})  # its planned session follows
    started = _found(await _start(storage, planned))
    assert started.channel_id == CHANNEL + 1
    assert {p.channel_id for p in await storage.posts.of_session(started.id)} == {CHANNEL + 1}


async def test_sessions_start_of_two_chats_in_one_channel_at_once_starts_exactly_one(storage: Storage) -> None:
    """Two starts racing for one channel: one runs, the other gets ChannelBusy naming it."""
    first, second = [await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=CHANNEL, name=tag, hashtag=tag,
                                                         timezone="UTC", starts_at=T0, topic=None)
                     for tag in ("First", "Second")]
    outcomes = await asyncio.gather(_start(storage, first), _start(storage, second), return_exceptions=True)
    started = [o for o in outcomes if isinstance(o, ChatSession)]
    refused = [o for o in outcomes if isinstance(o, ChannelBusy)]
    assert len(started) == 1 and len(refused) == 1, outcomes
    assert refused[0].running == started[0]
    assert [s.id for s in await storage.sessions.with_status("running")] == [started[0].id]


async def test_sessions_start_names_the_chat_started_last_when_an_old_database_holds_two(storage: Storage) -> None:
    """A database from before starts were one per channel may hold two running in one; ChannelBusy names the later."""
    earlier, later, third = [await storage.sessions.create_adhoc(
        guild_id=GUILD, channel_id=CHANNEL, name=tag, hashtag=tag, timezone="UTC", starts_at=T0, topic=None)
        for tag in ("Earlier", "Later", "Third")]
    for session, minutes in ((earlier, 0), (later, 5)):
        async with storage.transaction() as conn:
            await conn.execute("UPDATE chat_session SET status = 'running', started_at = ? WHERE id = ?",
                               ((T0 + minutes * MINUTE).isoformat(timespec="microseconds"), session.id))
    with pytest.raises(ChannelBusy) as refused:
        await _start(storage, third, T0 + 10 * MINUTE)
    assert refused.value.running.id == later.id


async def test_sessions_in_channel_until_the_recap_is_out(storage: Storage) -> None:
    """in_channel finds the running chat, and an ended one while its recap is pending; else None."""
    assert await storage.sessions.in_channel(CHANNEL) is None
    session = await _running(storage)
    assert _found(await storage.sessions.in_channel(CHANNEL)).id == session.id
    await storage.posts.add(session.id, CHANNEL, [PlannedPost(post_key(session.id, "recap"), "recap", T0 + HOUR)])
    await storage.sessions.finish(session.id, T0 + HOUR)
    assert _found(await storage.sessions.in_channel(CHANNEL)).id == session.id
    await storage.posts.sent(post_key(session.id, "recap"), 99, T0 + HOUR)
    assert await storage.sessions.in_channel(CHANNEL) is None
    assert await storage.sessions.in_channel(CHANNEL + 1) is None


async def test_sessions_set_times_sets_and_clears(storage: Storage) -> None:
    """set_times sets ends_at, held_at or ended_at, None clears, and unknown names raise ValueError."""
    session = await _running(storage)
    await storage.sessions.set_times(session.id, held_at=T0 + MINUTE, ends_at=T0 + HOUR)
    changed = await storage.sessions.get(session.id)
    assert changed is not None and (changed.held_at, changed.ends_at) == (T0 + MINUTE, T0 + HOUR)
    await storage.sessions.set_times(session.id, held_at=None)
    assert _found(await storage.sessions.get(session.id)).held_at is None
    with pytest.raises(ValueError, match="starts_at"):
        await storage.sessions.set_times(session.id, starts_at=T0)


async def test_sessions_shift_moves_the_end_and_the_pending_posts(storage: Storage) -> None:
    """shift moves ends_at and every pending post by the same amount; posts already made stay."""
    session = await _running(storage)
    opening = post_key(session.id, "opening")
    await storage.posts.sent(opening, 1, T0)
    await storage.sessions.shift(session.id, 2 * MINUTE)
    posts = {p.key: p for p in await storage.posts.of_session(session.id)}
    assert posts[opening].due_at == T0
    assert posts[post_key(session.id, "question", 1)].due_at == T0 + 7 * MINUTE
    assert _found(await storage.sessions.get(session.id)).ends_at == T0 + 32 * MINUTE


async def test_sessions_finish_skips_the_questions_not_yet_posted(storage: Storage) -> None:
    """finish ends a running session (clearing held_at); unposted questions are skipped, other posts stay."""
    session = await _running(storage)
    await storage.posts.add(session.id, CHANNEL, [PlannedPost(post_key(session.id, "closing"), "closing", T0 + HOUR)])
    await storage.sessions.set_times(session.id, held_at=T0)
    await storage.sessions.finish(session.id, T0 + HOUR)
    ended = await storage.sessions.get(session.id)
    assert ended is not None and (ended.status, ended.ended_at, ended.held_at) == ("ended", T0 + HOUR, None)
    statuses = {p.key: (p.status, p.last_error) for p in await storage.posts.of_session(session.id)}
    assert statuses[post_key(session.id, "question", 1)] == ("skipped", "the chat ended first")
    assert statuses[post_key(session.id, "closing")] == ("pending", None)


async def test_sessions_set_event_and_with_events(storage: Storage) -> None:
    """set_event remembers or forgets a scheduled event; with_events lists the series' sessions that have one."""
    series = await _series(storage)
    first = await storage.sessions.at(series, T0)
    await storage.sessions.at(series, T0 + timedelta(days=7))
    await storage.sessions.set_event(first.id, 555)
    assert [(s.id, s.event_id) for s in await storage.sessions.with_events(series.id)] == [(first.id, 555)]
    await storage.sessions.set_event(first.id, None)
    assert await storage.sessions.with_events(series.id) == []


async def test_sessions_questions_replace_and_change(storage: Storage) -> None:
    """replace_questions stores the whole list (and topic or guest); change_questions edits it in one step."""
    series = await _series(storage)
    session = await storage.sessions.at(series, T0)
    assert await storage.sessions.questions(session.id) == []
    await storage.sessions.replace_questions(session.id, ["one", "two"], topic="Spring")
    assert await storage.sessions.questions(session.id) == ["one", "two"]
    await storage.sessions.replace_questions(session.id, ["only"], guest="Dr. Bee")
    kept = await storage.sessions.get(session.id)
    assert kept is not None and (kept.topic, kept.guest) == ("Spring", "Dr. Bee")
    assert await storage.sessions.change_questions(session.id, lambda qs: [*qs, "more"]) == ["only", "more"]
    assert await storage.sessions.questions(session.id) == ["only", "more"]


async def test_sessions_change_questions_stores_nothing_if_the_change_fails(storage: Storage) -> None:
    """An exception from the change leaves the questions as they were."""
    series = await _series(storage)
    session = await storage.sessions.at(series, T0)
    await storage.sessions.replace_questions(session.id, ["one"])

    def broken(questions: list[str]) -> list[str]:
        raise IndexError("no such question")

    with pytest.raises(IndexError):
        await storage.sessions.change_questions(session.id, broken)
    assert await storage.sessions.questions(session.id) == ["one"]


# --- scheduled posts -----------------------------------------------------------------------------------


async def test_posts_add_get_of_session_and_pending(storage: Storage) -> None:
    """add never replaces an existing key; of_session is by due time; pending lists every post still to make."""
    session = await _running(storage, questions=(1,))
    q1 = post_key(session.id, "question", 1)
    await storage.posts.add(session.id, CHANNEL, [PlannedPost(q1, "question", T0 + HOUR, 1)])
    post = await storage.posts.get(q1)
    assert post is not None
    assert (post.kind, post.due_at, post.status, post.attempts, post.question_number) == (
        "question", T0 + 5 * MINUTE, "pending", 0, 1)
    assert await storage.posts.get("session:0:nothing") is None
    assert [p.key for p in await storage.posts.of_session(session.id)] == [post_key(session.id, "opening"), q1]
    await storage.posts.sent(post_key(session.id, "opening"), 1, T0)
    assert [p.key for p in await storage.posts.pending()] == [q1]


async def test_posts_begin_attempt_counts_only_pending_posts(storage: Storage) -> None:
    """begin_attempt counts an attempt and returns the post; None once it was sent (or for an unknown key)."""
    session = await _running(storage)
    opening = post_key(session.id, "opening")
    assert _found(await storage.posts.begin_attempt(opening)).attempts == 1
    assert _found(await storage.posts.begin_attempt(opening)).attempts == 2
    await storage.posts.sent(opening, 77, T0 + MINUTE)
    assert await storage.posts.begin_attempt(opening) is None
    assert await storage.posts.begin_attempt("session:0:nothing") is None


async def test_posts_try_again_revives_only_a_failed_post_and_keeps_it_looked_for(storage: Storage) -> None:
    """try_again makes a failed post pending with attempts 1 (so delivery checks the channel first)."""
    session = await _running(storage)
    q1, opening = post_key(session.id, "question", 1), post_key(session.id, "opening")
    for _ in range(5):
        await storage.posts.begin_attempt(q1)
    await storage.posts.not_sent(q1, "403 Missing Permissions", status="failed")
    await storage.posts.try_again(q1)
    revived = _found(await storage.posts.get(q1))
    assert (revived.status, revived.attempts, revived.last_error) == ("pending", 1, "403 Missing Permissions")
    await storage.posts.sent(opening, 77, T0 + MINUTE)
    await storage.posts.try_again(opening)  # a posted post stays posted
    assert _found(await storage.posts.get(opening)).status == "posted"


async def test_posts_sent_set_thread_and_for_message(storage: Storage) -> None:
    """sent records the message (clearing the error); for_message finds the post by message or thread id."""
    session = await _running(storage)
    q1 = post_key(session.id, "question", 1)
    await storage.posts.not_sent(q1, "429 Too Many Requests")
    await storage.posts.sent(q1, 700, T0 + 6 * MINUTE)
    await storage.posts.set_thread(q1, 701)
    post = await storage.posts.get(q1)
    assert post is not None
    assert (post.status, post.message_id, post.posted_at, post.last_error, post.thread_id) == (
        "posted", 700, T0 + 6 * MINUTE, None, 701)
    assert await storage.posts.for_message(700) == post
    assert await storage.posts.for_message(701) == post
    assert await storage.posts.for_message(702) is None


async def test_posts_not_sent_and_set_due_touch_only_pending_posts(storage: Storage) -> None:
    """not_sent keeps the error (500 characters at most) and the status; set_due moves a pending post only."""
    session = await _running(storage)
    q1, q2 = post_key(session.id, "question", 1), post_key(session.id, "question", 2)
    await storage.posts.not_sent(q1, "x" * 600)
    assert _found(await storage.posts.get(q1)).last_error == "x" * 500
    await storage.posts.not_sent(q1, "gave up", status="failed")
    await storage.posts.not_sent(q1, "too late", status="skipped")
    assert _found(await storage.posts.get(q1)).status == "failed"
    with pytest.raises(ValueError, match="posted"):
        await storage.posts.not_sent(q2, "no", status="posted")
    await storage.posts.set_due(q2, T0 + HOUR)
    await storage.posts.set_due(q1, T0 + HOUR)
    assert _found(await storage.posts.get(q2)).due_at == T0 + HOUR
    assert _found(await storage.posts.get(q1)).due_at == T0 + 5 * MINUTE


async def test_posts_plan_questions_makes_the_unposted_questions_exactly_those_wanted(storage: Storage) -> None:
    """plan_questions re-times wanted questions, adds new ones, skips the rest and revives skipped wanted ones."""
    session = await _running(storage, questions=(1, 2, 3))

    def key(number: int) -> str:
        return post_key(session.id, "question", number)

    await storage.posts.sent(key(1), 1, T0)
    await storage.posts.plan_questions(session.id, CHANNEL, [
        PlannedPost(key(1), "question", T0 + HOUR, 1), PlannedPost(key(2), "question", T0 + 20 * MINUTE, 2),
        PlannedPost(key(4), "question", T0 + 25 * MINUTE, 4)])
    posts = {p.key: p for p in await storage.posts.of_session(session.id)}
    assert (posts[key(1)].status, posts[key(1)].due_at) == ("posted", T0 + 5 * MINUTE)
    assert (posts[key(2)].status, posts[key(2)].due_at) == ("pending", T0 + 20 * MINUTE)
    assert (posts[key(3)].status, posts[key(3)].last_error) == ("skipped", "no longer fits in the chat")
    assert (posts[key(4)].status, posts[key(4)].question_number) == ("pending", 4)
    await storage.posts.plan_questions(session.id, CHANNEL, [PlannedPost(key(3), "question", T0 + HOUR, 3)])
    posts = {p.key: p for p in await storage.posts.of_session(session.id)}
    assert (posts[key(3)].status, posts[key(3)].due_at, posts[key(3)].last_error) == ("pending", T0 + HOUR, None)
    assert posts[key(2)].status == posts[key(4)].status == "skipped"


async def test_posts_plan_reminders_follow_the_series_next_session(storage: Storage) -> None:
    """plan_reminders keeps the series' unsent reminders exactly as wanted; with no session it only skips."""
    series = await _series(storage)
    first = await storage.sessions.at(series, T0)
    second = await storage.sessions.at(series, T0 + timedelta(days=7))
    day, hour = post_key(first.id, "announcement", 86400), post_key(first.id, "announcement", 3600)
    await storage.posts.plan_reminders(series.id, CHANNEL, first.id, [
        PlannedPost(day, "announcement", T0 - timedelta(days=1)), PlannedPost(hour, "announcement", T0 - HOUR)])
    assert [p.key for p in await storage.posts.pending()] == [day, hour]
    moved = post_key(second.id, "announcement", 3600)
    await storage.posts.plan_reminders(series.id, CHANNEL + 1, second.id,
                                       [PlannedPost(moved, "announcement", T0 + timedelta(days=7) - HOUR)])
    assert [(p.key, p.channel_id) for p in await storage.posts.pending()] == [(moved, CHANNEL + 1)]
    assert _found(await storage.posts.get(day)).last_error == (
        "the session moved, was skipped or the series paused")
    await storage.posts.plan_reminders(series.id, CHANNEL, first.id,
                                       [PlannedPost(hour, "announcement", T0 - 2 * HOUR)])
    assert [(p.key, p.due_at) for p in await storage.posts.pending()] == [(hour, T0 - 2 * HOUR)]
    await storage.posts.plan_reminders(series.id, CHANNEL, None, [])
    assert await storage.posts.pending() == []


# --- messages and the activity ledger ------------------------------------------------------------------


def _message(session_id: int, message_id: int, author: int = USER, *, content: str = "hello",
             at: datetime = T0, question: int | None = None, reply_to: int | None = None,
             edited_at: datetime | None = None) -> StoredMessage:
    """A chat message as the runner stores it."""
    return StoredMessage(message_id=message_id, session_id=session_id, author_id=author, author_name="Ada",
                         content=content, created_at=at, edited_at=edited_at, deleted=False,
                         reply_to_author_id=reply_to, question_number=question, reactions=0)


async def _ledger(storage: Storage, message_id: int) -> list[tuple[str, int | None, int | None]]:
    """The activity rows (kind, question_number, target_user_id) written for one message."""
    async with storage.transaction() as conn, conn.execute(
            "SELECT kind, question_number, target_user_id FROM activity WHERE message_id = ? ORDER BY id",
            (message_id,)) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def test_messages_save_get_and_re_save_after_an_edit(storage: Storage) -> None:
    """save stores a message with its ledger rows; saving it again after an edit rewrites both."""
    session = await _running(storage)
    await storage.messages.save(GUILD, _message(session.id, 10, content="A1: yes", question=1, reply_to=ADMIN))
    assert await _ledger(storage, 10) == [("message", None, None), ("answer", 1, None), ("reply", None, ADMIN)]
    edited = _message(session.id, 10, content="just chatting", edited_at=T0 + MINUTE)
    await storage.messages.save(GUILD, edited)
    assert await storage.messages.get(10) == edited
    assert await _ledger(storage, 10) == [("message", None, None)]
    await storage.messages.save(GUILD, _message(session.id, 11, reply_to=USER))  # replying to oneself
    assert await _ledger(storage, 11) == [("message", None, None)]
    assert await storage.messages.get(12) is None


async def test_messages_delete_keeps_the_row_and_a_credited_greeting(storage: Storage) -> None:
    """delete marks the message deleted and drops its ledger rows, but a greeting credited for it stays."""
    session = await _running(storage)
    await storage.members.record_join(GUILD, ADMIN, "Newbie", T0, T0)
    await storage.welcomes.set_arrival(GUILD, ADMIN, "waiting")
    await storage.messages.save(GUILD, _message(session.id, 10, reply_to=ADMIN))
    assert await storage.newcomers.record_greeting(GUILD, ADMIN, USER, at=T0, message_id=10, session_id=session.id)
    assert await storage.messages.delete(10)
    assert not await storage.messages.delete(11)
    assert _found(await storage.messages.get(10)).deleted
    assert await storage.messages.of_session(session.id) == []
    assert await _ledger(storage, 10) == [("greeting", None, ADMIN)]


async def test_messages_reactions_order_and_last_answer(storage: Storage) -> None:
    """Reactions never go below zero; of_session is oldest first; last_answer_at tracks answers."""
    session = await _running(storage)
    assert await storage.messages.last_answer_at(session.id, 1) is None
    await storage.messages.save(GUILD, _message(session.id, 12, at=T0 + 2 * MINUTE, question=1))
    await storage.messages.save(GUILD, _message(session.id, 11, at=T0 + MINUTE, question=1))
    await storage.messages.save(GUILD, _message(session.id, 13, at=T0 + 3 * MINUTE, question=2))
    await storage.messages.add_reaction(11, 1)
    await storage.messages.add_reaction(11, 1)
    await storage.messages.add_reaction(12, -1)
    assert [(m.message_id, m.reactions) for m in await storage.messages.of_session(session.id)] == [
        (11, 2), (12, 0), (13, 0)]
    assert await storage.messages.last_answer_at(session.id, 1) == T0 + 2 * MINUTE
    await storage.messages.delete(12)
    assert await storage.messages.last_answer_at(session.id, 1) == T0 + MINUTE


async def test_checkpoints_start_empty_and_only_move_forward(storage: Storage) -> None:
    """get is None until a channel is checkpointed; advance moves it forward, never back; each channel has its own."""
    thread = CHANNEL + 1
    assert await storage.checkpoints.get(CHANNEL) is None
    await storage.checkpoints.advance(CHANNEL, 20)
    await storage.checkpoints.advance(CHANNEL, 10)  # an older id (say, a read-back that started earlier) is ignored
    assert await storage.checkpoints.get(CHANNEL) == 20
    await storage.checkpoints.advance(CHANNEL, 20)
    await storage.checkpoints.advance(CHANNEL, 30)
    await storage.checkpoints.advance(thread, 5)
    assert (await storage.checkpoints.get(CHANNEL), await storage.checkpoints.get(thread)) == (30, 5)


async def test_checkpoints_are_committed_as_they_advance(tmp_path: Path) -> None:
    """An advanced checkpoint is on disk at once: a process that dies without closing keeps it."""
    path = tmp_path / "hb.db"
    storage = await Storage.open(path)
    try:
        await storage.checkpoints.advance(CHANNEL, 42)
        with _sqlite(path) as conn:  # another connection, as the next start would open
            assert conn.execute("SELECT channel_id, message_id FROM listening_checkpoint").fetchall() == [
                (CHANNEL, 42)]
    finally:
        await storage.close()


async def test_activity_checkins_first_timers_and_chats_of(storage: Storage) -> None:
    """Check-ins count once; first_timers are those with no earlier chat; chats_of lists a member's chats."""
    series = await _series(storage)
    earlier = await storage.sessions.at(series, T0 - timedelta(days=7))
    await storage.sessions.start(earlier.id, started_at=T0 - timedelta(days=7), started_by=None,
                                 duration_seconds=1800, spacing_seconds=300, pacing="fixed", posts=[])
    await storage.messages.save(GUILD, _message(earlier.id, 1, USER, question=1))
    await storage.sessions.finish(earlier.id, T0 - timedelta(days=7) + HOUR)
    session = await storage.sessions.at(series, T0)
    await storage.sessions.start(session.id, started_at=T0, started_by=ADMIN, duration_seconds=1800,
                                 spacing_seconds=300, pacing="fixed", posts=[])
    assert await storage.activity.record_checkin(GUILD, session.id, USER + 2, T0 + MINUTE)
    assert await storage.activity.record_checkin(GUILD, session.id, USER + 1, T0 + 2 * MINUTE)
    assert not await storage.activity.record_checkin(GUILD, session.id, USER + 2, T0 + 3 * MINUTE)
    assert await storage.activity.checked_in(session.id) == [USER + 2, USER + 1]
    for number, author in enumerate((USER, USER + 1, USER + 3), start=10):
        await storage.messages.save(GUILD, _message(session.id, number, author, at=T0 + 5 * MINUTE))
    assert sorted(await storage.activity.first_timers(session.id)) == [USER + 1, USER + 3]
    assert await storage.activity.first_timers(session.id, USER) == []
    assert await storage.activity.first_timers(session.id, USER + 3) == [USER + 3]
    chats = await storage.activity.chats_of(GUILD, USER)
    assert [(c.session_id, c.started_at, c.answered, c.hosted) for c in chats] == [
        (earlier.id, T0 - timedelta(days=7), True, False), (session.id, T0, False, False)]
    assert [(c.session_id, c.hosted) for c in await storage.activity.chats_of(GUILD, ADMIN)] == [(session.id, True)]


# --- transcripts ---------------------------------------------------------------------------------------


async def test_transcripts_save_replace_get_and_sessions(storage: Storage) -> None:
    """save keeps one transcript per session (the latest); sessions lists the transcribed ones, newest first."""
    older = await storage.sessions.create_adhoc(guild_id=GUILD, channel_id=CHANNEL, name="Old", hashtag="Old",
                                                timezone="UTC", starts_at=T0 - HOUR, topic=None)
    await storage.sessions.start(older.id, started_at=T0 - HOUR, started_by=None, duration_seconds=60,
                                 spacing_seconds=60, pacing="fixed", posts=[])
    await storage.sessions.finish(older.id, T0 - HOUR + MINUTE)
    newer = await _running(storage)
    other = await storage.sessions.create_adhoc(guild_id=GUILD + 1, channel_id=CHANNEL, name="X", hashtag="X",
                                                timezone="UTC", starts_at=T0, topic=None)
    assert await storage.transcripts.get(newer.id) is None
    for session_id in (older.id, newer.id, other.id):
        await storage.transcripts.save(Transcript(session_id, "recap", "# md", "<p>", T0))
    latest = Transcript(newer.id, "better recap", "# md 2", "<p>2", T0 + HOUR)
    await storage.transcripts.save(latest)
    assert await storage.transcripts.get(newer.id) == latest
    assert [s.id for s in await storage.transcripts.sessions(GUILD)] == [newer.id, older.id]
    assert {s.id for s in await storage.transcripts.sessions()} == {older.id, newer.id, other.id}


# --- welcomes ------------------------------------------------------------------------------------------


async def test_welcomes_config_defaults_and_update_config(storage: Storage) -> None:
    """A server never set up gets the built-in welcome; update_config changes only the given settings."""
    assert await storage.welcomes.config(GUILD) == WelcomeConfig(guild_id=GUILD)
    updated = await storage.welcomes.update_config(GUILD, template="Hi {mention}", dm=True, updated_by=ADMIN, now=T0)
    assert (updated.template, updated.dm, updated.ping_helpers) == ("Hi {mention}", True, True)
    desk = await storage.welcomes.update_config(GUILD, burst_since=T0, last_welcome_at=T0 + MINUTE)
    assert (desk.template, desk.burst_since, desk.last_welcome_at) == ("Hi {mention}", T0, T0 + MINUTE)
    assert _found(await storage.welcomes.update_config(GUILD, burst_since=None)).burst_since is None
    assert await storage.welcomes.config(GUILD) == await storage.welcomes.update_config(GUILD)
    with pytest.raises(ValueError, match="colour"):
        await storage.welcomes.update_config(GUILD, colour="red")


async def _arrive(storage: Storage, user_id: int, welcome: str = "waiting", *, at: datetime = T0) -> None:
    """A member joins at `at` and their join gets `welcome`."""
    await storage.members.record_join(GUILD, user_id, f"user{user_id}", at - timedelta(days=400), at)
    await storage.welcomes.set_arrival(GUILD, user_id, welcome)


async def test_welcomes_waiting_mark_and_welcomed_in(storage: Storage) -> None:
    """waiting lists present members in join order; mark closes their welcomes; welcomed_in finds them by post."""
    await _arrive(storage, USER + 1, at=T0 + MINUTE)
    await _arrive(storage, USER, at=T0)
    await _arrive(storage, USER + 2, at=T0 + 2 * MINUTE)
    await storage.members.record_leave(GUILD, USER + 2, T0 + 3 * MINUTE)
    assert [m.user_id for m in await storage.welcomes.waiting(GUILD)] == [USER, USER + 1]
    assert await storage.welcomes.guilds_waiting() == [GUILD]
    await storage.welcomes.mark(GUILD, [USER, USER + 1], status="welcomed", at=T0 + HOUR, message_id=900)
    await storage.welcomes.mark(GUILD, [USER + 2], status="missed", at=T0 + HOUR, message_id=None)
    assert await storage.welcomes.waiting(GUILD) == []
    assert await storage.welcomes.guilds_waiting() == []
    assert sorted(await storage.welcomes.welcomed_in(GUILD, 900)) == [USER, USER + 1]
    welcomed, missed = await storage.newcomers.get(GUILD, USER), await storage.newcomers.get(GUILD, USER + 2)
    assert welcomed is not None and (welcomed.welcome, welcomed.welcomed_at) == ("welcomed", T0 + HOUR)
    assert missed is not None and (missed.welcome, missed.welcomed_at) == ("missed", None)
    await storage.welcomes.mark(GUILD, [USER], status="missed", at=T0 + 2 * HOUR, message_id=None)
    assert _found(await storage.newcomers.get(GUILD, USER)).welcome == "welcomed"


async def test_welcomes_count_held_and_set_arrival_keeps_first_steps(storage: Storage) -> None:
    """count_held counts held joins since a time; a rejoin's set_arrival keeps the first message already noted."""
    await _arrive(storage, USER, "held", at=T0)
    await _arrive(storage, USER + 1, "held", at=T0 + HOUR)
    await _arrive(storage, USER + 2, at=T0 + HOUR)
    assert await storage.welcomes.count_held(GUILD, since=T0 + MINUTE) == 1
    assert await storage.welcomes.count_held(GUILD, since=T0) == 2
    await storage.newcomers.note_first_message(GUILD, USER, message_id=5, channel_id=CHANNEL, at=T0, text="hi",
                                               link=False)
    await storage.welcomes.set_arrival(GUILD, USER, "repeat")
    newcomer = await storage.newcomers.get(GUILD, USER)
    assert newcomer is not None and (newcomer.welcome, newcomer.first_message_id) == ("repeat", 5)


# --- newcomers -----------------------------------------------------------------------------------------


async def test_newcomers_get_since_and_first_message(storage: Storage) -> None:
    """get and since read first steps; note_first_message keeps only the first message."""
    assert await storage.newcomers.get(GUILD, USER) is None
    await _arrive(storage, USER, at=T0)
    await _arrive(storage, USER + 1, at=T0 + HOUR)
    assert await storage.newcomers.note_first_message(GUILD, USER, message_id=5, channel_id=CHANNEL, at=T0 + MINUTE,
                                                      text="see https://x.example", link=True)
    assert not await storage.newcomers.note_first_message(GUILD, USER, message_id=6, channel_id=CHANNEL,
                                                          at=T0 + HOUR, text="again", link=False)
    newcomer = await storage.newcomers.get(GUILD, USER)
    assert newcomer is not None
    assert (newcomer.first_message_id, newcomer.first_message_at, newcomer.link_in_first) == (5, T0 + MINUTE, True)
    pairs = await storage.newcomers.since(GUILD, T0)
    assert [(m.user_id, n.user_id) for m, n in pairs] == [(USER + 1, USER + 1), (USER, USER)]
    assert pairs[1][1] == newcomer
    assert [m.user_id for m, _ in await storage.newcomers.since(GUILD, T0 + MINUTE)] == [USER + 1]


async def test_newcomers_flag_greeting_and_reviews(storage: Storage) -> None:
    """flag sets a known flag; record_greeting credits only the first greeter; latest_reviews keeps the last."""
    await _arrive(storage, USER, at=T0)
    await storage.newcomers.flag(GUILD, USER, "mass_mentions")
    with pytest.raises(ValueError, match="greeted_by"):
        await storage.newcomers.flag(GUILD, USER, "greeted_by")
    assert await storage.newcomers.record_greeting(GUILD, USER, ADMIN, at=T0 + MINUTE, message_id=7, session_id=None)
    assert not await storage.newcomers.record_greeting(GUILD, USER, USER + 5, at=T0 + HOUR, message_id=8,
                                                       session_id=None)
    newcomer = await storage.newcomers.get(GUILD, USER)
    assert newcomer is not None
    assert (newcomer.mass_mentions, newcomer.repeated_text) == (True, False)
    assert (newcomer.greeted_by, newcomer.greeted_at, newcomer.greeting_message_id) == (ADMIN, T0 + MINUTE, 7)
    assert await storage.activity.greetings_by(GUILD, ADMIN) == [USER]
    assert await storage.activity.greetings_by(GUILD, USER + 5) == []
    assert await storage.newcomers.latest_reviews(GUILD) == {}
    await storage.newcomers.review(GUILD, USER, "watch", reviewer_id=ADMIN, at=T0)
    await storage.newcomers.review(GUILD, USER, "reviewed", reviewer_id=ADMIN + 1, at=T0 + HOUR)
    assert await storage.newcomers.latest_reviews(GUILD) == {USER: NewcomerReview("reviewed", ADMIN + 1, T0 + HOUR)}


# --- first-time chatters' greetings --------------------------------------------------------------------


async def test_greetings_queue_and_mark(storage: Storage) -> None:
    """add queues a first-time chatter once; waiting lists them by first post; mark closes them."""
    session = await _running(storage)
    assert await storage.greetings.add(session.id, USER + 1, message_id=2, at=T0 + 2 * MINUTE)
    assert await storage.greetings.add(session.id, USER, message_id=1, at=T0 + MINUTE)
    assert not await storage.greetings.add(session.id, USER, message_id=3, at=T0 + 3 * MINUTE)
    assert await storage.greetings.waiting(session.id) == [(USER, T0 + MINUTE), (USER + 1, T0 + 2 * MINUTE)]
    assert await storage.greetings.sessions_waiting() == [session.id]
    assert await storage.greetings.last_at(session.id) is None
    await storage.greetings.mark(session.id, [USER], status="greeted", at=T0 + 5 * MINUTE, message_id=50)
    await storage.greetings.mark(session.id, [USER + 1], status="missed", at=T0 + HOUR, message_id=None)
    await storage.greetings.mark(session.id, [USER], status="missed", at=T0 + 2 * HOUR, message_id=None)
    assert await storage.greetings.waiting(session.id) == []
    assert await storage.greetings.sessions_waiting() == []
    assert await storage.greetings.last_at(session.id) == T0 + 5 * MINUTE


# --- the package's shape -------------------------------------------------------------------------------


def test_storage_modules_and_classes_stay_small() -> None:
    """No storage module is over 400 lines and no class over 300 (STYLE rule 8)."""
    for path in Path(MIGRATIONS_DIR).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 400, f"{path.name} has {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                assert node.end_lineno - node.lineno + 1 <= 300, f"{path.name}:{node.name} is over 300 lines"


async def test_the_ingest_writes_a_batch_row_by_row_when_one_row_cannot_be_stored(storage: Storage) -> None:
    """A row of its own making fails (here: a chat that does not exist): the others are stored, no checkpoint moves
    past the lost one, and its channels are read back instead."""
    session = await _running(storage)
    lost: list[bool] = []

    async def nothing(*args: object) -> None:
        return None
    ingest = Ingest(storage, saved=nothing, notify=nothing, trouble=nothing, lost=lambda: lost.append(True))
    ingest.save(GUILD, _message(session.id, 10))
    ingest.save(GUILD, _message(session.id + 99, 11))  # the foreign key refuses it
    ingest.advance(7, 11)
    await ingest.flush()
    await ingest.close()
    assert await storage.messages.get(10) is not None and await storage.messages.get(11) is None
    assert await storage.checkpoints.get(7) is None
    assert lost == [True]
