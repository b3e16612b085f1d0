"""Tests for bot.storage: opening, migrations, transactions and the typed queries."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.storage import (
    MIGRATIONS_DIR,
    GuildConfig,
    MigrationError,
    SchemaTooNewError,
    Storage,
)
from bot.storage._migrate import discover_migrations

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GUILD = 111111111111111111
USER = 222222222222222222
ADMIN = 333333333333333333


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A freshly migrated database in a temporary folder."""
    opened = await Storage.open(tmp_path / "hb.db")
    yield opened
    await opened.close()


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
        await storage.set_meta("k", "v")
        assert await storage.get_meta("k") == "v"
    finally:
        await storage.close()


async def test_close_is_idempotent_and_later_use_fails(tmp_path: Path) -> None:
    """close() may be called twice; using a closed Storage raises a clear error."""
    storage = await Storage.open(tmp_path / "hb.db")
    await storage.close()
    await storage.close()
    assert storage.closed
    with pytest.raises(RuntimeError, match="closed"):
        await storage.get_meta("k")


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
        assert await reopened.get_meta("slow") == "done"
    finally:
        await reopened.close()


async def test_reopen_keeps_data(tmp_path: Path) -> None:
    """Configuration, members and meta survive closing and reopening."""
    path = tmp_path / "hb.db"
    async with await Storage.open(path) as storage:
        await storage.update_guild_config(
            GUILD, {"chat_channel_id": 5, "timezone": "Europe/Paris"}, updated_by=ADMIN, now=T0
        )
        await storage.record_member_join(GUILD, USER, "Ada", T0 - timedelta(days=400), T0)
        await storage.set_meta("commands_hash", "abc123")
    async with await Storage.open(path) as storage:
        config = await storage.get_guild_config(GUILD)
        assert config.chat_channel_id == 5
        assert config.timezone == "Europe/Paris"
        assert config.updated_at == T0
        assert config.updated_by == ADMIN
        member = await storage.get_member(GUILD, USER)
        assert member is not None
        assert member.display_name == "Ada"
        assert member.first_joined_at == T0
        assert await storage.get_meta("commands_hash") == "abc123"
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
        await storage.set_meta("k", "v")


async def test_get_guild_config_without_row_is_all_none(storage: Storage) -> None:
    """A server never configured reads back as all-None."""
    config = await storage.get_guild_config(GUILD)
    assert config == GuildConfig(guild_id=GUILD)
    assert all(getattr(config, name) is None for name in GuildConfig.SETTABLE)


async def test_update_guild_config_merges_and_clears(storage: Storage) -> None:
    """Updates change only the given fields; None clears a field; updated_at/by follow the last change."""
    later = T0 + timedelta(hours=1)
    await storage.update_guild_config(GUILD, {"chat_channel_id": 1, "host_role_id": 2}, updated_by=ADMIN, now=T0)
    config = await storage.update_guild_config(
        GUILD, {"host_role_id": None, "timezone": "Asia/Tokyo"}, updated_by=USER, now=later
    )
    assert config.chat_channel_id == 1
    assert config.host_role_id is None
    assert config.timezone == "Asia/Tokyo"
    assert config.updated_at == later
    assert config.updated_by == USER
    assert await storage.get_guild_config(GUILD) == config


async def test_update_guild_config_rejects_unknown_keys_and_stores_nothing(storage: Storage) -> None:
    """An unknown key raises ValueError and none of the other changes are written."""
    with pytest.raises(ValueError, match="guild_id"):
        await storage.update_guild_config(GUILD, {"chat_channel_id": 1, "guild_id": 5}, updated_by=ADMIN, now=T0)
    with pytest.raises(TypeError, match="chat_channel_id"):
        await storage.update_guild_config(GUILD, {"chat_channel_id": "1"}, updated_by=ADMIN, now=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await storage.update_guild_config(
            GUILD,
            {"chat_channel_id": 1},
            updated_by=ADMIN,
            now=datetime(2025, 1, 1),  # noqa: DTZ001
        )
    assert await storage.get_guild_config(GUILD) == GuildConfig(guild_id=GUILD)


async def test_failing_transaction_rolls_back(storage: Storage) -> None:
    """An exception inside transaction() undoes its writes and propagates."""
    await storage.set_meta("kept", "1")

    class Boom(Exception):
        """A deliberate failure."""

    with pytest.raises(Boom):
        async with storage.transaction() as conn:
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('lost', '1')")
            await conn.execute("UPDATE bot_meta SET value = '2' WHERE key = 'kept'")
            raise Boom
    assert await storage.get_meta("lost") is None
    assert await storage.get_meta("kept") == "1"
    # The connection is usable afterwards: the transaction really ended.
    await storage.set_meta("after", "ok")
    assert await storage.get_meta("after") == "ok"


async def test_failing_sql_in_transaction_rolls_back(storage: Storage) -> None:
    """A constraint violation inside transaction() rolls back the earlier statements too."""
    with pytest.raises(sqlite3.IntegrityError):
        async with storage.transaction() as conn:
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('first', '1')")
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('second', NULL)")
    assert await storage.get_meta("first") is None


async def test_nested_transaction_is_a_savepoint(storage: Storage) -> None:
    """Storage methods work inside a transaction; a failed inner block undoes only itself."""
    async with storage.transaction():
        await storage.set_meta("outer", "1")
        with pytest.raises(KeyError):
            async with storage.transaction() as conn:
                await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('inner', '1')")
                raise KeyError("inner")
        assert await storage.get_meta("outer") == "1"
    assert await storage.get_meta("outer") == "1"
    assert await storage.get_meta("inner") is None


async def test_reads_do_not_see_other_tasks_uncommitted_writes(storage: Storage) -> None:
    """A read waits for another task's transaction, so it never sees rows that are then rolled back."""
    inside = asyncio.Event()

    async def doomed_write() -> None:
        async with storage.transaction() as conn:
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('doomed', '1')")
            inside.set()
            await asyncio.sleep(0.02)
            raise RuntimeError("abandon")

    writer = asyncio.create_task(doomed_write())
    await inside.wait()
    assert await storage.get_meta("doomed") is None
    with pytest.raises(RuntimeError, match="abandon"):
        await writer


async def test_meta_set_and_replace(storage: Storage) -> None:
    """set_meta inserts, then replaces; get_meta of an unknown key is None."""
    assert await storage.get_meta("commands_hash") is None
    await storage.set_meta("commands_hash", "one")
    await storage.set_meta("commands_hash", "two")
    assert await storage.get_meta("commands_hash") == "two"


async def test_join_leave_rejoin_counts(storage: Storage) -> None:
    """Join, leave and rejoin update one row: join_count, left_at and the join times."""
    created = T0 - timedelta(hours=3)
    joined = await storage.record_member_join(GUILD, USER, "Ada", created, T0)
    assert joined.join_count == 1
    assert joined.present
    assert joined.account_created_at == created
    assert joined.first_joined_at == joined.last_joined_at == T0
    assert await storage.count_members(GUILD) == 1

    left = T0 + timedelta(days=1)
    assert await storage.record_member_leave(GUILD, USER, left)
    member = await storage.get_member(GUILD, USER)
    assert member is not None
    assert member.left_at == left
    assert not member.present
    assert await storage.count_members(GUILD) == 0
    assert await storage.count_members(GUILD, include_departed=True) == 1

    back = T0 + timedelta(days=2)
    rejoined = await storage.record_member_join(GUILD, USER, "Ada L.", created, back)
    assert rejoined.join_count == 2
    assert rejoined.left_at is None
    assert rejoined.first_joined_at == T0
    assert rejoined.last_joined_at == back
    assert rejoined.display_name == "Ada L."
    assert await storage.count_members(GUILD) == 1


async def test_replayed_events_do_not_inflate_counts(storage: Storage) -> None:
    """A replayed join does not count twice, and a stale leave does not undo a newer rejoin."""
    await storage.record_member_join(GUILD, USER, "Ada", T0, T0)
    replayed = await storage.record_member_join(GUILD, USER, "Ada", T0, T0)
    assert replayed.join_count == 1
    rejoin = T0 + timedelta(hours=2)
    await storage.record_member_join(GUILD, USER, "Ada", T0, rejoin)
    assert not await storage.record_member_leave(GUILD, USER, T0 + timedelta(hours=1))
    member = await storage.get_member(GUILD, USER)
    assert member is not None
    assert member.present
    assert member.join_count == 2


async def test_members_are_per_guild_and_times_normalised_to_utc(storage: Storage) -> None:
    """Members are kept per server; non-UTC aware times come back as the same instant in UTC."""
    plus_two = timezone(timedelta(hours=2))
    joined = datetime(2025, 3, 1, 14, 0, tzinfo=plus_two)
    await storage.record_member_join(GUILD, USER, "Ada", joined, joined)
    await storage.record_member_join(GUILD + 1, USER, "Ada", joined, joined)
    member = await storage.get_member(GUILD, USER)
    assert member is not None
    assert member.last_joined_at == T0
    assert member.last_joined_at.tzinfo == UTC
    assert await storage.count_members(GUILD) == 1
    assert await storage.get_member(GUILD + 2, USER) is None
    assert not await storage.record_member_leave(GUILD + 2, USER, T0)
    with pytest.raises(ValueError, match="joined_at"):
        await storage.record_member_join(GUILD, USER + 1, "Bo", T0, datetime(2025, 1, 1))  # noqa: DTZ001


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
