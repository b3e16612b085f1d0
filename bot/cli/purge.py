"""`python -m bot purge [--dry-run] [--guild ID]`: blank message text older than each server's retention, now.

The running bot does this every night by itself; this is for a database whose bot is stopped, or to see first what
would go (`--dry-run` only reads, and may run beside the bot).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.cli._lock import AlreadyRunning, instance_lock
from bot.cli._output import database_failure, existing_database, fail, refuse, write_stdout
from bot.domain.privacy import purge_cutoff, retention_of
from bot.privacy import purged_key
from bot.settings import Settings
from bot.storage import MigrationError, NotHeartbeatError, SchemaTooNewError, SchemaTooOldError, Storage


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand and its options."""
    purge = modes.add_parser("purge", help="blank message text older than each server's retention",
                             description="Blank chat messages, newcomers' first messages and transcripts older than "
                                         "each server's retention (/config retention, 180 days by default) in the "
                                         "database (DATABASE_PATH); counts and monthly figures are kept.")
    purge.add_argument("--dry-run", action="store_true", help="only show what would be blanked, per server")
    purge.add_argument("--guild", type=int, metavar="ID", help="only this server")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Purge (or show what a purge would blank) per server; 2 for a refusal, 1 for a failure."""
    database = existing_database(settings)
    if database is None:
        return 2
    now = datetime.now(UTC)
    try:
        if args.dry_run:
            lines = asyncio.run(_purge(database, args.guild, now, dry_run=True))
        else:
            with instance_lock(database):
                lines = asyncio.run(_purge(database, args.guild, now, dry_run=False))
    except AlreadyRunning as error:
        return refuse(f"{error} It purges every night by itself; `--dry-run` shows what would go.")
    except (NotHeartbeatError, SchemaTooOldError, SchemaTooNewError) as error:
        return refuse(str(error))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        return fail(database_failure(database, error))
    if lines is None:
        return refuse(f"server {args.guild} has nothing in {database}.")
    write_stdout("\n".join(lines) if lines else "No server in the database has any message text.")
    return 0


async def _servers(storage: Storage, guild_id: int | None) -> list[int] | None:
    """The servers to purge: every one with members or chats, or only `guild_id` (None if it has neither)."""
    servers = sorted(set(await storage.members.guilds()) | set(await storage.transcripts.guilds()))
    if guild_id is None:
        return servers
    return [guild_id] if guild_id in servers else None


async def _purge(database: Path, guild_id: int | None, now: datetime, *, dry_run: bool) -> list[str] | None:
    """A line per server saying what was blanked (or, in a dry run, only read, what would be); None: no such server."""
    opened = Storage.open_read_only(database) if dry_run else Storage.open(database)
    async with await opened as storage:
        servers = await _servers(storage, guild_id)
        if servers is None:
            return None
        lines = []
        for server in servers:
            days = retention_of((await storage.config.get(server)).retention_days)
            if dry_run:
                counts = await storage.privacy.purgeable(server, purge_cutoff(now, days))
            else:
                counts = await storage.privacy.purge(server, purge_cutoff(now, days), at=now, days=days)
                await storage.meta.set(purged_key(server), now.isoformat())
            lines.append(f"server {server}: {'would blank' if dry_run else 'blanked'} {counts.describe(days)}")
        return lines
