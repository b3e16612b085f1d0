"""`python -m bot transcript`: print or save the transcripts of finished chats, read from the database."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from datetime import date
from pathlib import Path

from bot.cli._output import database_failure, existing_database, fail, refuse, write_stdout
from bot.domain.errors import UserError
from bot.domain.series import parse_date
from bot.plans import chat_day, past_chats
from bot.settings import Settings
from bot.storage import (
    ChatSession,
    MigrationError,
    NotHeartbeatError,
    SchemaTooNewError,
    SchemaTooOldError,
    Storage,
    TranscriptForm,
)

# The stored form each --format prints.
FORMS: dict[str, TranscriptForm] = {"md": "markdown", "html": "html"}


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand and its options."""
    transcript = modes.add_parser("transcript", help="print or save the transcript of a finished chat",
                                  description="Export transcripts kept in the database (DATABASE_PATH); "
                                              "needs no token.")
    transcript.add_argument("--guild", type=int, metavar="ID", help="only chats in this server")
    transcript.add_argument("--series", metavar="NAME", help="only chats of this series (any letter case)")
    transcript.add_argument("--date", metavar="YYYY-MM-DD", help="the chat's local date (default: the latest)")
    transcript.add_argument("--format", choices=("md", "html"), default="md", help="Markdown (default) or HTML")
    transcript.add_argument("--out", type=Path, metavar="DIR",
                            help="write <hashtag>-<date>.<ext> files in DIR and print their paths "
                                 "(default: print the transcript)")
    transcript.add_argument("--all", action="store_true", help="export every matching chat (needs --out)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Print the newest matching transcript, or write the matching ones to --out; 2 when there is nothing to export."""
    if args.all and args.out is None:
        return refuse("--all writes one file per chat: add --out DIR to say where.")
    try:
        day = parse_date(args.date) if args.date is not None else None
    except UserError as error:
        return refuse(f"--date {error}")
    database = existing_database(settings)
    if database is None:
        return 2
    try:
        return asyncio.run(_export(database, args, day))
    except (NotHeartbeatError, SchemaTooOldError, SchemaTooNewError) as error:
        return refuse(str(error))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        return fail(database_failure(database, error))


async def _export(database: Path, args: argparse.Namespace, day: date | None) -> int:
    """Print or write the matching chats' transcripts, newest first, holding one transcript at a time."""
    async with await Storage.open_read_only(database) as storage:
        if args.guild is not None and args.guild not in (servers := await storage.transcripts.guilds()):
            held = f"server{'s' if len(servers) > 1 else ''} {', '.join(map(str, servers))}" if servers else "no server"
            return refuse(f"server {args.guild} is not in {database}, which holds transcripts of {held}.")
        chats = past_chats(await storage.transcripts.sessions(args.guild), series=args.series, day=day)
        if not chats:
            wanted = "".join([f" of series '{args.series}'" if args.series else "",
                              f" on {day.isoformat()}" if day else "",
                              f" in server {args.guild}" if args.guild else ""])
            return refuse(f"no finished chat{wanted} has a transcript in {database}: one is kept when a chat ends.")
        if args.out is None:
            write_stdout(await _text(storage, chats[0], args.format))
            return 0
        used: set[str] = set()
        for chat in chats if args.all else chats[:1]:
            path = args.out / f"{_file_name(chat, used)}.{args.format}"
            try:
                await asyncio.to_thread(_write_file, path, await _text(storage, chat, args.format))
            except OSError as error:
                return fail(f"could not write to {args.out}: {error}")
            print(path)
    return 0


async def _text(storage: Storage, chat: ChatSession, extension: str) -> str:
    """The chat's transcript in the form the file extension names, read on its own."""
    text = await storage.transcripts.text(chat.id, FORMS[extension])
    assert text is not None  # listed because it has one, and transcripts are never removed
    return text


def _file_name(chat: ChatSession, used: set[str]) -> str:
    """<hashtag>-<local date>, with the session id added when an earlier file took that name."""
    stem = f"{chat.hashtag}-{chat_day(chat).isoformat()}"
    # Two chats with one hashtag on one day (two servers, a second ad hoc chat): keep both.
    name = stem if stem not in used else f"{stem}-{chat.id}"
    used.add(name)
    return name


def _write_file(path: Path, text: str) -> None:
    """Write one transcript file (and its folder), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A transcript holds what members said: created readable by its owner only, never briefly by others.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as file:
        file.write(text)
