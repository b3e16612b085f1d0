"""`python -m bot` (live), `python -m bot demo` (offline rehearsal), `python -m bot invite` (the invite URL),
`python -m bot transcript` (past chats' transcripts) and `python -m bot report newcomers` (the moderators'
newcomer report), both read from the database."""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import signal
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import discord

from bot.domain.newcomers import (
    NEWCOMER_DAYS,
    REPORT_STATUSES,
    NewcomerRow,
    report_csv,
    report_json,
    report_markdown,
)
from bot.settings import Settings, SettingsError, load_settings, require_token
from bot.storage import MigrationError

log = logging.getLogger("bot")

# The same span and statuses as /report newcomers in Discord.
REPORT_DAYS = range(1, 91)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one mode; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="Heartbeat, the hashtag-chat Discord bot.")
    modes = parser.add_subparsers(dest="mode", metavar="{run,demo,invite,transcript,report}")
    modes.add_parser("run", help="connect to Discord with DISCORD_TOKEN (the default)")
    demo = modes.add_parser("demo", help="rehearse a scene offline against a local Discord stand-in")
    demo.add_argument("--output", type=Path, default=Path("demo-output"), help="folder for what the demo produced")
    demo.add_argument("--quiet", action="store_true", help="print only the summary line")
    invite = modes.add_parser("invite", help="print the URL that adds the bot to a server")
    invite.add_argument("--client-id", type=int, help="the application id (read from DISCORD_TOKEN if omitted)")
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
    report = modes.add_parser("report", help="print a moderators' report",
                              description="Print reports from the database (DATABASE_PATH); needs no token.")
    reports = report.add_subparsers(dest="report", metavar="{newcomers}", required=True)
    newcomers = reports.add_parser("newcomers", help="each newcomer's first steps, greetings, flags and review",
                                   description="Print the newcomer report of one server, as /report newcomers "
                                               "shows it in Discord.")
    newcomers.add_argument("--guild", type=int, metavar="ID", required=True, help="the server's id")
    newcomers.add_argument("--format", choices=("md", "csv", "json"), default="md",
                           help="Markdown (default), CSV or JSON")
    newcomers.add_argument("--days", type=int, metavar="N", default=NEWCOMER_DAYS,
                           help=f"members who joined in the last N days ({REPORT_DAYS.start}-{REPORT_DAYS.stop - 1}, "
                                f"default {NEWCOMER_DAYS})")
    newcomers.add_argument("--all", action="store_true",
                           help="everyone the bot saw join, however long ago (instead of --days)")
    newcomers.add_argument("--status", choices=REPORT_STATUSES, default="all",
                           help="only newcomers with this review status (default all, unreviewed first)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
        if args.mode == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(settings, args.output, quiet=args.quiet))
        if args.mode == "invite":
            return print_invite(settings, args.client_id)
        if args.mode == "transcript":
            return export_transcripts(settings, args)
        if args.mode == "report":
            return print_newcomer_report(settings, args)
        return run_live(settings)
    except SettingsError as error:
        print(f"heartbeat: {error}", file=sys.stderr)
        return 2


def print_invite(settings: Settings, client_id: int | None) -> int:
    """Print the invite URL; the client id comes from --client-id or the token's first segment."""
    from bot.permissions import invite_url

    if client_id is None and settings.token:
        # A bot token begins with the bot's user id in base64, which is the application id.
        head = settings.token.split(".")[0]
        try:
            client_id = int(base64.b64decode(head + "=" * (-len(head) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            client_id = None
    if client_id is None:
        print("heartbeat: pass --client-id <application id> (General Information page of your Discord application),"
              " or set DISCORD_TOKEN so it can be read from there.", file=sys.stderr)
        return 2
    print(invite_url(client_id))
    return 0


def export_transcripts(settings: Settings, args: argparse.Namespace) -> int:
    """Print the newest matching transcript, or write the matching ones to --out; 2 when there is nothing to export."""
    from bot.domain.errors import UserError
    from bot.domain.series import parse_date

    if args.all and args.out is None:
        return _refuse("--all writes one file per chat: add --out DIR to say where.")
    try:
        day = parse_date(args.date) if args.date is not None else None
    except UserError as error:
        return _refuse(f"--date {error}")
    database = Path(settings.database_path).expanduser()
    # Checked first: opening storage would create an empty database, and a typo in DATABASE_PATH would
    # then look like a server with no chats.
    if not database.is_file():
        return _refuse(f"there is no database at {database} yet: run the bot first, or set DATABASE_PATH "
                       "to the database it uses.")
    try:
        found = asyncio.run(_find_transcripts(database, args.guild, args.series, day))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        print(f"heartbeat: could not open the database at {database}: {error}", file=sys.stderr)
        return 1
    if not found:
        wanted = "".join([f" of series '{args.series}'" if args.series else "",
                          f" on {day.isoformat()}" if day else "", f" in server {args.guild}" if args.guild else ""])
        return _refuse(f"no finished chat{wanted} has a transcript in {database}: one is kept when a chat ends.")
    if not args.all:
        found = found[:1]
    if args.out is None:
        _write_stdout(found[0][1][args.format])
        return 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        used: set[str] = set()
        for session_id, texts, stem in found:
            # Two chats with one hashtag on one day (two servers, a second ad hoc chat): keep both.
            name = stem if stem not in used else f"{stem}-{session_id}"
            used.add(name)
            path = args.out / f"{name}.{args.format}"
            path.write_text(texts[args.format], encoding="utf-8")
            print(path)
    except OSError as error:
        print(f"heartbeat: could not write to {args.out}: {error}", file=sys.stderr)
        return 1
    return 0


async def _find_transcripts(database: Path, guild_id: int | None, series: str | None,
                            day: date | None) -> list[tuple[int, dict[str, str], str]]:
    """(session id, {"md": …, "html": …}, "<hashtag>-<local date>") of the matching chats, newest first."""
    from bot.domain.series import local_day
    from bot.storage import Storage

    async with await Storage.open(database) as storage:
        sessions = await storage.transcribed_sessions(guild_id)
        if series is not None:
            sessions = [s for s in sessions if s.series_name.casefold() == series.strip().casefold()]
        if day is not None:
            sessions = [s for s in sessions if local_day(s.starts_at, s.timezone) == day]
        sessions.sort(key=lambda s: s.started_at or s.starts_at, reverse=True)
        found = []
        for session in sessions:
            kept = await storage.get_transcript(session.id)
            if kept is not None:
                stem = f"{session.hashtag}-{local_day(session.starts_at, session.timezone).isoformat()}"
                found.append((session.id, {"md": kept.markdown, "html": kept.html}, stem))
        return found


def print_newcomer_report(settings: Settings, args: argparse.Namespace) -> int:
    """Print the newcomer report of --guild in --format; an empty report is an answer too, so 0 unless refused."""
    if args.days not in REPORT_DAYS and not args.all:
        return _refuse(f"--days {args.days} is out of range: choose between {REPORT_DAYS.start} and "
                       f"{REPORT_DAYS.stop - 1} days.")
    database = Path(settings.database_path).expanduser()
    # Checked first, as for transcripts: opening storage would create an empty database, and the report of a
    # typo in DATABASE_PATH would then say "no newcomers".
    if not database.is_file():
        return _refuse(f"there is no database at {database} yet: run the bot first, or set DATABASE_PATH "
                       "to the database it uses.")
    try:
        rows = asyncio.run(_newcomer_rows(database, args.guild, None if args.all else args.days, args.status))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        print(f"heartbeat: could not open the database at {database}: {error}", file=sys.stderr)
        return 1
    if args.format == "csv":
        _write_stdout(report_csv(rows))
    elif args.format == "json":
        _write_stdout(report_json(rows))
    else:
        span = "all joins" if args.all else f"last {args.days} days" if args.days != 1 else "last day"
        which = "" if args.status == "all" else f" ({args.status.replace('_', ' ')})"
        _write_stdout(report_markdown(rows, title=f"Newcomers in server {args.guild}, {span}{which}"))
    return 0


async def _newcomer_rows(database: Path, guild_id: int, days: int | None, status: str) -> list[NewcomerRow]:
    """The report's rows, counted back from now (every join, if days is None); names as the database kept them."""
    from bot.newcomers import newcomer_report
    from bot.storage import Storage

    async with await Storage.open(database) as storage:
        return await newcomer_report(storage, guild_id, now=datetime.now(UTC), days=days, status=status)


def _write_stdout(text: str) -> None:
    """Write a transcript or report as UTF-8 whatever the console's encoding (emoji and names in any script)."""
    text = text if text.endswith("\n") else text + "\n"
    raw = getattr(sys.stdout, "buffer", None)
    if raw is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    raw.write(text.encode("utf-8"))
    raw.flush()


def _refuse(sentence: str) -> int:
    print(f"heartbeat: {sentence}", file=sys.stderr)
    return 2


def run_live(settings: Settings) -> int:
    """Connect to Discord and run until SIGINT or SIGTERM."""
    token = require_token(settings)
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), root=True)
    if settings.discord_url:
        from bot.client import use_discord_at

        use_discord_at(settings.discord_url)
    try:
        asyncio.run(_serve(settings, token))
    except discord.LoginFailure:
        print("heartbeat: Discord rejected DISCORD_TOKEN: copy a fresh token from the Bot page of the "
              "Developer Portal into .env.", file=sys.stderr)
        return 1
    except (MigrationError, OSError) as error:
        print(f"heartbeat: could not open the database at {settings.database_path}: {error}", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("heartbeat: enable the Server Members and Message Content intents on the Bot page of the "
              "Developer Portal, then start again.", file=sys.stderr)
        return 1
    return 0


async def _serve(settings: Settings, token: str) -> None:
    """Run the bot; a signal closes it cleanly (scheduler stopped, database flushed and closed)."""
    from bot.client import Heartbeat

    bot = Heartbeat(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = asyncio.create_task(bot.start(token))
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()
        else:
            log.info("Signal received; shutting down")
    finally:
        stopper.cancel()
        await bot.close()
        if not runner.done():
            runner.cancel()


if __name__ == "__main__":
    sys.exit(main())
