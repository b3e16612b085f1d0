"""`python -m bot import discordchatexporter --guild ID FILE.json …`: bring a community's past in from exports.

Writes to the database (DATABASE_PATH), so it refuses while the bot runs on it. Every file is checked (JSON, an
export of a channel of --guild, with messages) before anything is written, and the whole import is one
transaction: a file found broken half-way leaves the database as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from bot.cli._lock import AlreadyRunning, instance_lock
from bot.cli._output import database_failure, fail, refuse, write_stdout
from bot.history import BadExport, Importer, Summary, read_export
from bot.settings import Settings
from bot.storage import MigrationError, NotHeartbeatError, SchemaTooNewError, SchemaTooOldError, Storage


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand and its one source."""
    command = modes.add_parser("import", help="bring a community's past chats into the database",
                               description="Import a server's past messages into the database (DATABASE_PATH): "
                                           "the chats found in them, answers, replies, helpful acts, thanks and "
                                           "reactions, then the past months are closed for the progression report.")
    sources = command.add_subparsers(dest="source", metavar="{discordchatexporter}", required=True)
    dce = sources.add_parser("discordchatexporter", help="JSON exports made with DiscordChatExporter",
                             description="Import channels exported with DiscordChatExporter (JSON format), one "
                                         "file per channel or thread.")
    dce.add_argument("--guild", type=int, metavar="ID", required=True, help="the server's id")
    dce.add_argument("files", nargs="+", type=Path, metavar="FILE.json", help="the exports, one per channel")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Check every file, then import them all in one go; 2 for a refusal, 1 for a failure."""
    for path in args.files:
        problem = check(path, args.guild)
        if problem is not None:
            return refuse(problem + " Nothing was imported.")
    database = Path(settings.database_path).expanduser()
    try:
        with instance_lock(database):
            summary = asyncio.run(_import(database, args.guild, args.files, settings.defaults.timezone))
    except AlreadyRunning as error:
        return refuse(f"{error} The import writes to the database, so it waits until the bot is stopped.")
    except BadExport as error:
        return refuse(f"{error} Nothing was imported.")
    except (NotHeartbeatError, SchemaTooOldError, SchemaTooNewError) as error:
        return refuse(str(error))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        return fail(database_failure(database, error))
    months = f"{summary.months[0]} to {summary.months[-1]}" if len(summary.months) > 1 else \
        (summary.months[0] if summary.months else "none")
    write_stdout(f"Imported {summary.messages} messages from {len(args.files)} file(s): {summary.chats} chats, "
                 f"{summary.members} members who posted ({summary.new_members} no longer listed in the server), "
                 f"months closed: {months}.")
    return 0


def check(path: Path, guild_id: int) -> str | None:
    """Why a file cannot be imported into server `guild_id` (one sentence), or None if its start looks right."""
    try:
        with path.open("rb") as stream:
            header, messages = read_export(stream, path.name)
            if header.guild_id != guild_id:
                return (f"{path.name} is an export of server {header.guild_id}, not {guild_id}: export this "
                        "server's channels, or give its id to --guild.")
            if next(messages, None) is None:
                return f"{path.name} has no messages: export the channel again with its messages."
    except BadExport as error:
        return str(error)
    except OSError as error:
        return f"could not read {path}: {error.strerror or error}."
    return None


class _Counted:
    """A file read through, moving the progress bar by the bytes read."""

    def __init__(self, stream: BinaryIO, bar: tqdm) -> None:  # type: ignore[type-arg]
        self._stream = stream
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._bar.update(len(data))
        return data


async def _import(database: Path, guild_id: int, files: list[Path], default_zone: str) -> Summary:
    """Every file's messages through one importer, in one transaction, then the months closed."""
    total = sum(path.stat().st_size for path in files)
    async with await Storage.open(database) as storage:
        with tqdm(total=total, unit="B", unit_scale=True, desc="Importing", disable=None) as bar:
            async with storage.transaction():
                importer = await Importer.start(storage, guild_id, default_zone=default_zone)
                for path in files:
                    with path.open("rb") as stream:
                        header, messages = read_export(_Counted(stream, bar), path.name)  # type: ignore[arg-type]
                        feed = importer.channel(header.channel_id, header.parent_id)
                        page = []
                        for message in messages:
                            page.append(message)
                            if len(page) >= 1000:
                                await feed.add(page)
                                page = []
                        await feed.add(page)
                        await feed.end()
                return await importer.finish(datetime.now(UTC))
