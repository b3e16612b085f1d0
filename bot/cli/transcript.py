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
from bot.storage import MigrationError, Storage

# (session id, {"md": …, "html": …}, "<hashtag>-<local date>")
Found = tuple[int, dict[str, str], str]


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
        found = asyncio.run(_find_transcripts(database, args.guild, args.series, day))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        return fail(database_failure(database, error))
    if not found:
        wanted = "".join([f" of series '{args.series}'" if args.series else "",
                          f" on {day.isoformat()}" if day else "", f" in server {args.guild}" if args.guild else ""])
        return refuse(f"no finished chat{wanted} has a transcript in {database}: one is kept when a chat ends.")
    if args.out is None:
        write_stdout(found[0][1][args.format])
        return 0
    try:
        for path in _write_files(found if args.all else found[:1], args.out, args.format):
            print(path)
    except OSError as error:
        return fail(f"could not write to {args.out}: {error}")
    return 0


def _write_files(found: list[Found], out: Path, extension: str) -> list[Path]:
    """Write each transcript as <hashtag>-<date>.<extension> in `out` and return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    paths = []
    for session_id, texts, stem in found:
        # Two chats with one hashtag on one day (two servers, a second ad hoc chat): keep both.
        name = stem if stem not in used else f"{stem}-{session_id}"
        used.add(name)
        path = out / f"{name}.{extension}"
        # A transcript holds what members said: created readable by its owner only, never briefly by others.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as file:
            file.write(texts[extension])
        paths.append(path)
    return paths


async def _find_transcripts(database: Path, guild_id: int | None, series: str | None,
                            day: date | None) -> list[Found]:
    """The matching chats' transcripts, newest first."""
    async with await Storage.open(database) as storage:
        found = []
        for session in past_chats(await storage.transcripts.sessions(guild_id), series=series, day=day):
            kept = await storage.transcripts.get(session.id)
            if kept is not None:
                stem = f"{session.hashtag}-{chat_day(session).isoformat()}"
                found.append((session.id, {"md": kept.markdown, "html": kept.html}, stem))
        return found
