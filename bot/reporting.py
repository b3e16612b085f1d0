"""The progression report gathered from storage (the monthly rollups, never the ledger), and shown in Discord.

`progression_report` is what `/report progression`, `python -m bot report progression` and the demo share;
`report_uploads` is every file of it (Markdown, CSV, JSON and the two charts); `progression_page` one page of it
as an embed with Previous/Next (`ProgressionPage`, which works after a restart: its id carries the months).
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot.access import check_moderator
from bot.charts import cohorts_png, stages_png
from bot.domain.errors import UserError
from bot.domain.progression import MonthRow, months_between, parse_month
from bot.domain.progression_render import report_csv, report_json, report_markdown, report_pages, report_title
from bot.domain.progression_report import (
    MonthInput,
    ProgressionReport,
    build_report,
    check_months,
    check_range,
    last_months,
)
from bot.domain.uploads import Upload, fit_uploads
from bot.errors import answering
from bot.storage import Storage

if TYPE_CHECKING:
    from bot.client import Heartbeat

# The files of a report, by format ("png" is the two charts).
FILE_NAMES = {"md": ("progression.md",), "csv": ("progression.csv",), "json": ("progression.json",),
              "png": ("progression-stages.png", "progression-cohorts.png")}


async def progression_report(storage: Storage, guild_id: int, *, months: int | None = None,
                             first: str | None = None, last: str | None = None,
                             server: str = "this server", name: str = "") -> ProgressionReport:
    """A server's report over the last `months` months, or from `first` to `last` ('YYYY-MM', both included).

    "The last N months" are N calendar months ending with the latest month recorded (the running one, if it is
    written). Without `months`, a missing `first` or `last` is the earliest or latest month recorded. The time
    zone and thresholds are those of the range's latest month; `name` (the server's, if known) titles it. Raises
    UserError, one sentence naming `server`, for months out of 1-36, a month not written YYYY-MM, a range that
    ends before it starts, and a server with nothing recorded (in that range).
    """
    if months is not None:
        check_months(months)
    first = parse_month(first) if first is not None else None
    last = parse_month(last) if last is not None else None
    if first is not None and last is not None:
        check_range(first, last)
    closes = await storage.months.closes(guild_id)
    if not closes:
        raise UserError(f"No progression months are recorded for {server} yet: the report has something to "
                        "show once the bot has recorded its first month there.")
    recorded = [close.month for close in closes]
    if months is not None:
        start, end = last_months(recorded, months)
    else:
        start, end = first or recorded[0], last or recorded[-1]
        check_range(start, end)
    chosen = [close for close in closes if start <= close.month <= end]
    if not chosen:
        raise UserError(f"No progression months are recorded from {start} to {end}; {server} has "
                        f"{recorded[0]} to {recorded[-1]}.")
    hidden = await storage.privacy.opted_out(guild_id)  # members who opted out appear in no report
    rows = [row for row in await storage.months.rows(guild_id, start, end) if row.user_id not in hidden]
    by_month: dict[str, list[MonthRow]] = {month: [] for month in months_between(start, end)}
    for row in rows:
        by_month[row.month].append(row)
    latest = chosen[-1]
    report = build_report(guild_id, [MonthInput(c.month, c.provisional, tuple(by_month[c.month])) for c in chosen],
                          timezone=latest.timezone, thresholds=latest.thresholds)
    return replace(report, server=name) if name else report


def report_uploads(report: ProgressionReport, formats: tuple[str, ...] = ("md", "csv", "json", "png")) -> list[Upload]:
    """The report's files in these formats (names from FILE_NAMES); drawing the charts takes a moment."""
    made: list[Upload] = []
    for kind in formats:
        if kind == "png":
            stages, cohorts = FILE_NAMES["png"]
            made += [Upload(stages, stages_png(report)), Upload(cohorts, cohorts_png(report))]
        else:
            text = {"md": report_markdown, "csv": report_csv, "json": report_json}[kind](report)
            made.append(Upload(FILE_NAMES[kind][0], text.encode()))
    return made


# Past this many member-months the CSV and JSON outgrow Discord's upload limit (and take gigabytes to build for a
# server of 100,000 members), so they are not built for Discord at all: the command line writes them.
ATTACHED_ROWS_AT_MOST = 40_000


def discord_files(report: ProgressionReport) -> tuple[list[discord.File], str]:
    """The two charts, the CSV and the JSON as attachments within Discord's upload limits, and a line naming any
    left out ("" if none)."""
    rows = sum(len(month.members) for month in report.months)
    formats = ("png", "csv", "json") if rows <= ATTACHED_ROWS_AT_MOST else ("png",)
    fitted = fit_uploads(report_uploads(report, formats))
    files = [discord.File(io.BytesIO(u.data), filename=u.filename) for u in fitted.uploads]
    left_out = [*fitted.left_out, *(FILE_NAMES[kind][0] for kind in ("csv", "json") if kind not in formats)]
    if not left_out:
        return files, ""
    return files, (f"-# {', '.join(left_out)}: too big to attach; whoever runs Heartbeat can write them "
                   "with `python -m bot report progression --out DIR`.")


class ProgressionPage(discord.ui.DynamicItem[discord.ui.Button[Any]],
                      template=r"progression:(?P<months>[0-9]+):(?P<page>[0-9]+)"):
    """Previous/Next through /report progression; the report is gathered again, so a page is always current."""

    def __init__(self, months: int, page: int, label: str = "", disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
                                           custom_id=f"progression:{months}:{page}"))
        self.months, self.page = months, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> ProgressionPage:
        return cls(int(match["months"]), int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await answering(interaction, lambda: self._pressed(interaction))

    async def _pressed(self, interaction: discord.Interaction) -> None:
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        await check_moderator(interaction)
        assert interaction.guild_id is not None
        report = await progression_report(bot.storage, interaction.guild_id, months=self.months,
                                          name=interaction.guild.name if interaction.guild else "")
        content, embed, view = progression_page(report, self.months, self.page)
        await interaction.response.edit_message(content=content, embed=embed, view=view)


def progression_page(report: ProgressionReport, months: int,
                     page: int) -> tuple[str, discord.Embed, discord.ui.View]:
    """One page of the report as an embed, with Previous/Next when there is more than one (else no buttons)."""
    pages = report_pages(report)
    page = min(max(page, 0), len(pages) - 1)
    embed = discord.Embed(title=report_title(report)[:256], description=pages[page])
    embed.set_footer(text=f"Page {page + 1} of {len(pages)} · the charts, CSV and JSON are attached")
    view = discord.ui.View(timeout=None)
    if len(pages) == 1:
        return "", embed, view
    for target, label, disabled in ((max(page - 1, 0), "Previous", page == 0),
                                    (min(page + 1, len(pages) - 1), "Next", page == len(pages) - 1)):
        view.add_item(ProgressionPage(months, target, label, disabled=disabled))
    return f"Page {page + 1} of {len(pages)}", embed, view
