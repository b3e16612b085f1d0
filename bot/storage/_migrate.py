"""Forward-only schema migrations: numbered .sql files applied in order, tracked in PRAGMA user_version.

How to add a migration
----------------------
Add ``bot/storage/migrations/NNNN_short_name.sql`` with the next number (no gaps, no duplicates).
Never edit a migration that has landed; write a new one instead. The file holds plain SQL only: no
``BEGIN``, ``COMMIT`` or ``PRAGMA user_version`` -- the runner wraps each file as one script::

    BEGIN;
    <the file>
    PRAGMA user_version=N;
    COMMIT;

Why one script: ``executescript()`` commits any open transaction before it runs, so a ``BEGIN``
issued outside the script would not protect a half-applied migration. Inside the script, a failing
statement stops it with the transaction still open, the runner rolls back, and the database stays
at the previous version with no partial tables.

Migrations run with foreign keys ON (PRAGMA foreign_keys is ignored inside a transaction), so a
future migration that rebuilds a table other tables reference needs the runner extended first.

A command that only reads (``python -m bot transcript``, ``report``) opens the file with ``open_read_only``
instead: nothing is created, migrated or written, and a file at any other schema than this code's is refused.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_NAME = re.compile(r"^(?P<number>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# Only whole transaction statements match, so a trigger body's BEGIN ... END; does not trip it.
_FORBIDDEN = re.compile(
    r"^\s*(?:(?:BEGIN|COMMIT|ROLLBACK)(?:\s+(?:DEFERRED|IMMEDIATE|EXCLUSIVE))?(?:\s+TRANSACTION)?\s*;"
    r"|END\s+TRANSACTION\s*;|PRAGMA\s+user_version\b)",
    re.IGNORECASE | re.MULTILINE,
)


class MigrationError(Exception):
    """The schema could not be brought up to date; the message names the file or the version at fault."""


class SchemaTooNewError(MigrationError):
    """The database was written by a newer Heartbeat whose migrations this version does not have."""


class SchemaTooOldError(MigrationError):
    """A database to be read as it is was written by an older Heartbeat: starting the bot upgrades it."""


class NotHeartbeatError(MigrationError):
    """The file is an SQLite database, but not one Heartbeat made."""


# Tables every Heartbeat database has had since 0001: a file with none of them is someone else's.
_SIGNATURE = {"guild_config", "bot_meta", "members"}


@dataclass(frozen=True)
class Migration:
    """One migration file: its number (the user_version it leads to), its name and its path."""

    number: int
    name: str
    path: Path

    def script(self) -> str:
        """Return the file wrapped as one transaction that also records the new version."""
        sql = self.path.read_text(encoding="utf-8")
        # The lone ';' closes a final statement written without one, so the PRAGMA is never glued onto it.
        return f"BEGIN;\n{sql}\n;\nPRAGMA user_version={self.number};\nCOMMIT;"


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """List the migrations in `directory` in order, rejecting bad names, gaps, duplicates and BEGIN/COMMIT."""
    if not directory.is_dir():
        raise MigrationError(f"The migrations folder {directory} does not exist.")
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(
                f"Migration file {path.name} must be named like 0001_short_name.sql (lower case, digits, _)."
            )
        sql = path.read_text(encoding="utf-8")
        if _FORBIDDEN.search(sql):
            raise MigrationError(
                f"Migration file {path.name} must not contain BEGIN, COMMIT, ROLLBACK or "
                "PRAGMA user_version: the runner adds them."
            )
        migrations.append(Migration(int(match["number"]), match["name"], path))
    if not migrations:
        # Most likely an install that dropped the package data; running without tables would fail obscurely.
        raise MigrationError(f"No migration files found in {directory}; is the package installed with its data?")
    for expected, migration in enumerate(migrations, start=1):
        if migration.number != expected:
            raise MigrationError(
                f"Migration file {migration.path.name} should be number {expected:04d}: "
                "migrations are numbered 0001, 0002, ... without gaps or duplicates."
            )
    return migrations


async def schema_version(conn: aiosqlite.Connection) -> int:
    """Return the database's PRAGMA user_version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def apply_migrations(conn: aiosqlite.Connection, migrations: list[Migration]) -> int:
    """Apply every migration newer than the database's version, each atomically; return the final version."""
    current = await schema_version(conn)
    latest = migrations[-1].number if migrations else 0
    if current > latest:
        raise SchemaTooNewError(
            f"This database is at schema version {current} but this Heartbeat only knows up to {latest}: "
            "it was written by a newer Heartbeat, so upgrade Heartbeat (or restore a backup) instead."
        )
    for migration in migrations:
        if migration.number <= current:
            continue
        log.info("Applying migration %s", migration.path.name)
        try:
            await conn.executescript(migration.script())
        except Exception as error:
            # A failed statement leaves the script's transaction open; roll back so nothing half-done stays.
            await conn.rollback()
            raise MigrationError(
                f"Migration {migration.path.name} failed and was rolled back, "
                f"leaving the database at version {current}: {error}"
            ) from error
        current = migration.number
    return current


async def open_read_only(path: Path | str, migrations: list[Migration], *,
                         any_version: bool = False) -> aiosqlite.Connection:
    """Open an existing database to read only, after checking it holds exactly this Heartbeat's schema.

    Nothing is created or written, whatever the file holds: a missing file, or one that is not Heartbeat's or is
    at another schema version, raises (sqlite3.OperationalError, NotHeartbeatError, SchemaTooOldError or
    SchemaTooNewError) with the file unchanged. `any_version` accepts any Heartbeat schema (a backup copies any).
    """
    file, uri = await asyncio.to_thread(_read_only_uri, path)
    conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout=5000")  # the bot may be writing to it right now
        await conn.execute("PRAGMA query_only=ON")  # refuses writing statements as well
        await _check_schema(conn, file, [] if any_version else migrations, any_version=any_version)
    except BaseException:
        await conn.close()
        raise
    return conn


def _read_only_uri(path: Path | str) -> tuple[Path, str]:
    """The path as the user meant it, and the URI opening it read-only (blocking: it resolves the path)."""
    path = Path(path).expanduser()
    # mode=ro: SQLite neither creates the file nor writes to it. as_uri() escapes ?, # and % in the name.
    return path, f"{path.resolve().as_uri()}?mode=ro"


async def _check_schema(conn: aiosqlite.Connection, path: Path, migrations: list[Migration], *,
                        any_version: bool = False) -> None:
    """Raise, with a sentence saying what to do, unless the database is Heartbeat's at this code's version (or at
    any version, with `any_version`)."""
    current = await schema_version(conn)
    latest = migrations[-1].number if migrations else 0
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = {row[0] for row in await cursor.fetchall()}
    if current == 0 or not tables & _SIGNATURE:
        raise NotHeartbeatError(f"{path} is not a Heartbeat database (it has none of Heartbeat's tables, and "
                                "nothing in it was changed): set DATABASE_PATH to the database the bot uses.")
    if any_version:
        return
    if current > latest:
        raise SchemaTooNewError(f"{path} was written by a newer Heartbeat (schema version {current}; this one "
                                f"knows up to {latest}): upgrade Heartbeat to read it.")
    if current < latest:
        raise SchemaTooOldError(f"{path} was written by an older Heartbeat (schema version {current}; this one "
                                f"reads {latest}): start the bot once to upgrade it, then run this again.")
