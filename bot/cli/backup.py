"""`python -m bot backup OUT.db`: a consistent copy of the database, safe to take while the bot runs."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from pathlib import Path

from bot.cli._output import database_failure, existing_database, fail, refuse
from bot.settings import Settings
from bot.storage import MigrationError, NotHeartbeatError, SchemaTooNewError, SchemaTooOldError, Storage


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand and its options."""
    backup = modes.add_parser("backup", help="copy the database to a file, safely while the bot runs",
                              description="Copy the database at DATABASE_PATH to OUT with SQLite's online backup: "
                                          "consistent even while the bot writes. Restore by stopping the bot and "
                                          "putting the copy in DATABASE_PATH's place.")
    backup.add_argument("out", type=Path, metavar="OUT.db", help="the new file (must not exist yet)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the database to args.out; refuse to overwrite, and refuse what is not Heartbeat's."""
    out: Path = args.out.expanduser()
    if out.exists():
        return refuse(f"{out} already exists: give a new file name, so no backup is overwritten by mistake.")
    database = existing_database(settings)
    if database is None:
        return 2
    if out.resolve() == database.resolve():
        return refuse("OUT.db is the database itself: give another file name.")
    try:
        asyncio.run(_backup(database, out))
    except (NotHeartbeatError, SchemaTooOldError, SchemaTooNewError) as error:
        return refuse(str(error))
    except (MigrationError, sqlite3.DatabaseError) as error:
        return fail(database_failure(database, error))
    except OSError as error:
        return fail(f"could not write the backup to {out} ({error.strerror or error}): choose a folder you can "
                    "write.")
    print(f"Backed up {database} to {out} ({out.stat().st_size:,} bytes).")
    return 0


async def _backup(database: Path, out: Path) -> None:
    """Write the copy beside its final name, readable by its owner only, then move it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # what members said: the owner's only
    try:
        async with await Storage.open_read_only(database, any_version=True) as storage:
            await storage.backup(partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
