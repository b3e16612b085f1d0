"""`python -m bot report newcomers|progression`: the moderators' reports, printed (or written) from the database."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.cli._output import database_failure, existing_database, fail, refuse, write_stdout
from bot.domain.errors import UserError
from bot.domain.newcomers import (
    NEWCOMER_DAYS,
    REPORT_DAYS,
    REPORT_STATUSES,
    NewcomerRow,
    report_csv,
    report_json,
    report_markdown,
)
from bot.domain.progression_report import DEFAULT_REPORT_MONTHS, REPORT_MONTHS, ProgressionReport
from bot.domain.uploads import Upload
from bot.newcomers import newcomer_report
from bot.reporting import progression_report, report_uploads
from bot.settings import Settings
from bot.storage import MigrationError, NotHeartbeatError, SchemaTooNewError, SchemaTooOldError, Storage


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand, its reports and their options."""
    report = modes.add_parser("report", help="print a moderators' report",
                              description="Print reports from the database (DATABASE_PATH); needs no token.")
    reports = report.add_subparsers(dest="report", metavar="{newcomers,progression}", required=True)
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
    progression = reports.add_parser(
        "progression", help="how members moved between stages, month by month",
        description="Print the progression report of one server, as /report progression shows it in Discord, or "
                    "write it into a folder. Made from the months the bot has recorded, the running one included.")
    progression.add_argument("--guild", type=int, metavar="ID", required=True, help="the server's id")
    progression.add_argument("--months", type=int, metavar="N",
                             help=f"the last N months recorded ({REPORT_MONTHS.start}-{REPORT_MONTHS.stop - 1}, "
                                  f"default {DEFAULT_REPORT_MONTHS})")
    progression.add_argument("--from", dest="first", metavar="YYYY-MM", help="the first month (instead of --months)")
    progression.add_argument("--to", dest="last", metavar="YYYY-MM", help="the last month (instead of --months)")
    progression.add_argument("--format", choices=("md", "csv", "json", "png"), default="md",
                             help="Markdown (default), CSV, JSON, or the two charts as PNG (needs --out)")
    progression.add_argument("--out", type=Path, metavar="DIR",
                             help="write the file(s) into DIR instead of printing (progression.md, progression.csv, "
                                  "progression.json, progression-stages.png, progression-cohorts.png)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the report asked for."""
    return _progression(settings, args) if args.report == "progression" else _newcomers(settings, args)


def _newcomers(settings: Settings, args: argparse.Namespace) -> int:
    """Print the newcomer report of --guild in --format; an empty report is an answer too, so 0 unless refused."""
    if args.days not in REPORT_DAYS and not args.all:
        return refuse(f"--days {args.days} is out of range: choose between {REPORT_DAYS.start} and "
                      f"{REPORT_DAYS.stop - 1} days.")
    database = existing_database(settings)
    if database is None:
        return 2
    try:
        rows = asyncio.run(_newcomer_rows(database, args.guild, None if args.all else args.days, args.status))
    except (NotHeartbeatError, SchemaTooOldError, SchemaTooNewError, UnknownServer) as error:
        return refuse(str(error))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        return fail(database_failure(database, error))
    if args.format == "csv":
        write_stdout(report_csv(rows))
    elif args.format == "json":
        write_stdout(report_json(rows))
    else:
        span = "all joins" if args.all else f"last {args.days} days" if args.days != 1 else "last day"
        which = "" if args.status == "all" else f" ({args.status.replace('_', ' ')})"
        write_stdout(report_markdown(rows, title=f"Newcomers in server {args.guild}, {span}{which}"))
    return 0


class UnknownServer(Exception):
    """--guild names a server the database holds nothing of; the message lists the ones it holds."""


async def _newcomer_rows(database: Path, guild_id: int, days: int | None, status: str) -> list[NewcomerRow]:
    """The report's rows, counted back from now (every join, if days is None); names as the database kept them."""
    async with await Storage.open_read_only(database) as storage:
        servers = await storage.members.guilds()
        if guild_id not in servers:
            held = f"server{'s' if len(servers) > 1 else ''} {', '.join(map(str, servers))}" if servers else "no server"
            raise UnknownServer(f"server {guild_id} is not in {database}, which holds members of {held}.")
        return await newcomer_report(storage, guild_id, now=datetime.now(UTC), days=days, status=status)


def _progression(settings: Settings, args: argparse.Namespace) -> int:
    """Print the progression report of --guild in --format, or write it into --out; 2 for a refusal."""
    if args.months is not None and (args.first or args.last):
        return refuse("give either --months or --from/--to, not both.")
    if args.format == "png" and args.out is None:
        return refuse("--format png draws two charts, which need a folder: add --out DIR.")
    database = existing_database(settings)
    if database is None:
        return 2
    months = args.months if args.months is not None or args.first or args.last else DEFAULT_REPORT_MONTHS
    try:
        uploads = asyncio.run(_progression_files(database, args.guild, months, args.first, args.last, args.format))
    except (NotHeartbeatError, SchemaTooOldError, SchemaTooNewError, UserError) as error:
        return refuse(str(error))
    except (MigrationError, OSError, sqlite3.DatabaseError) as error:
        return fail(database_failure(database, error))
    if args.out is None:
        write_stdout(uploads[0].data.decode())
        return 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for upload in uploads:
            (args.out / upload.filename).write_bytes(upload.data)
    except OSError as error:
        return fail(f"could not write into {args.out}: {error.strerror or error}.")
    write_stdout("\n".join(str(args.out / upload.filename) for upload in uploads))
    return 0


async def _progression_files(database: Path, guild_id: int, months: int | None, first: str | None,
                             last: str | None, kind: str) -> list[Upload]:
    """The report's file(s) in one format, read from the database without changing it."""
    async with await Storage.open_read_only(database) as storage:
        report: ProgressionReport = await progression_report(storage, guild_id, months=months, first=first,
                                                             last=last, server=f"server {guild_id}")
    return report_uploads(report, (kind,))
