"""The newcomer report in Discord: its pages, each newcomer's card, and the Review and paging buttons."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot.access import AccessDenied, check_moderator
from bot.domain import newcomers as domain
from bot.domain.errors import UserError
from bot.domain.newcomers import REPORT_DAYS, REPORT_STATUSES, NewcomerRow
from bot.errors import answering

if TYPE_CHECKING:
    from bot.client import Heartbeat

REPORT_PAGE_SIZE = 4  # a message holds 5 rows of buttons: one per newcomer, one for paging


class Review(discord.ui.DynamicItem[discord.ui.Button[Any]],
             template=r"review:(?P<guild>[0-9]+):(?P<user>[0-9]+):(?P<status>reviewed|follow_up|watch)"
                      r"(?::(?P<days>[0-9]+))?"):
    """Reviewed / Follow up / Watch on a newcomer; the id carries everything (the report's period too, for its
    header's counts, when it is not the default 14 days), so it works after a restart."""

    STYLES = {"reviewed": discord.ButtonStyle.success, "follow_up": discord.ButtonStyle.primary,
              "watch": discord.ButtonStyle.danger}

    def __init__(self, guild_id: int, user_id: int, status: str, days: int = domain.NEWCOMER_DAYS) -> None:
        # The default period is left out of the id, so buttons read the same as before the period was in it.
        period = "" if days == domain.NEWCOMER_DAYS else f":{days}"
        super().__init__(discord.ui.Button(label=domain.REVIEW_LABELS[status], style=self.STYLES[status],
                                           custom_id=f"{self.prefix(guild_id, user_id)}{status}{period}"))
        self.guild_id, self.user_id, self.status, self.days = guild_id, user_id, status, days

    @staticmethod
    def prefix(guild_id: int, user_id: int) -> str:
        """How the custom ids of one newcomer's buttons begin."""
        return f"review:{guild_id}:{user_id}:"

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> Review:
        return cls(int(match["guild"]), int(match["user"]), match["status"],
                   int(match["days"]) if match["days"] else domain.NEWCOMER_DAYS)

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await answering(interaction, lambda: self._pressed(interaction))

    async def _pressed(self, interaction: discord.Interaction) -> None:
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        await check_moderator(interaction)
        if interaction.guild_id != self.guild_id:  # a button copied from another server's report
            raise AccessDenied("This button belongs to another server's report.")
        if self.days not in REPORT_DAYS:  # a forged id
            raise UserError("That button is not one I made: run `/report newcomers` again.")
        await bot.newcomers.review(interaction, self.guild_id, self.user_id, self.status, self.days)


class ReportPage(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"newcomers:(?P<days>[0-9]+):(?P<status>[a-z_]+):(?P<page>[0-9]+)"):
    """Paging through /report newcomers (also after a restart)."""

    def __init__(self, days: int, status: str, page: int, label: str, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
                                           custom_id=f"newcomers:{days}:{status}:{page}"))
        self.days, self.status, self.page = days, status, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> ReportPage:
        return cls(int(match["days"]), match["status"], int(match["page"]), "")

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await answering(interaction, lambda: self._pressed(interaction))

    async def _pressed(self, interaction: discord.Interaction) -> None:
        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        await check_moderator(interaction)
        assert interaction.guild_id is not None
        if self.days not in REPORT_DAYS or self.status not in REPORT_STATUSES:  # a forged or stale id
            raise UserError("That page button is not one I made: run `/report newcomers` again.")
        rows = await bot.newcomers.report(interaction.guild_id, self.days, self.status)
        counts = await bot.newcomers.counts(interaction.guild_id, self.days)
        content, embeds, view = report_page(interaction.guild_id, rows, self.days, self.status, self.page, counts)
        await interaction.response.edit_message(content=content, embeds=embeds, view=view)


def newcomer_embed(row: NewcomerRow) -> discord.Embed:
    """One newcomer, as moderators see them in Discord."""
    # A newcomer's own words must not render as a masked link or formatting in moderators' eyes.
    # The same goes for every name: a greeter or reviewer called "[x](https://…)" would be a live link.
    escape = discord.utils.escape_markdown
    shown = replace(row, name=escape(row.name), first_message=escape(row.first_message),
                    greeted_by=escape(row.greeted_by), reviewed_by=escape(row.reviewed_by),
                    first_chat=escape(row.first_chat), first_chat_name=escape(row.first_chat_name))
    embed = discord.Embed(title=f"{shown.name} · {row.review}",
                          description="\n".join(domain.describe_row(shown, in_discord=True)))
    embed.set_footer(text=f"user {row.user_id}")
    return embed


def report_page(guild_id: int, rows: list[NewcomerRow], days: int, status: str, page: int,
                counts: tuple[int, int] | None = None) -> tuple[str, list[discord.Embed], discord.ui.View]:
    """One page of the report: up to four newcomers, each with review buttons, and Previous/Next.

    `counts` (newcomers in the period, unreviewed among them; from `rows` if not given) head the page, and a
    review press brings them up to date. The n-th card's buttons are the n-th row of buttons: `card_index` relies
    on it.
    """
    pages = max(1, -(-len(rows) // REPORT_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * REPORT_PAGE_SIZE:(page + 1) * REPORT_PAGE_SIZE]
    total, unreviewed = counts or domain.report_counts(rows)
    which = "" if status == "all" else f" · showing {status.replace('_', ' ')}"
    content = (f"{domain.report_header(days, total, unreviewed)}{which} · page {page + 1} of {pages}"
               if rows else f"No newcomers in the last {domain.plural(days, 'day')}"
                            f"{'' if status == 'all' else ' with that status'}.")
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(shown):
        for review_status in domain.REVIEW_STATUSES:
            button = Review(guild_id, row.user_id, review_status, days)
            button.item.row = row_index
            view.add_item(button)
    if pages > 1:
        for target, label, disabled in ((max(page - 1, 0), "Previous", page == 0),
                                        (min(page + 1, pages - 1), "Next", page == pages - 1)):
            paging = ReportPage(days, status, target, label, disabled=disabled)
            paging.item.row = REPORT_PAGE_SIZE
            view.add_item(paging)
    return content, [newcomer_embed(row) for row in shown], view


def card_index(message: discord.Message, guild_id: int, user_id: int) -> int | None:
    """Which embed of a report page is this newcomer's card: the one level with the row holding their buttons."""
    prefix = Review.prefix(guild_id, user_id)
    for index, row in enumerate(message.components):
        children = row.children if isinstance(row, discord.ActionRow) else []
        if any((getattr(child, "custom_id", None) or "").startswith(prefix) for child in children):
            return index
    return None


def report_file(rows: list[NewcomerRow], stem: str) -> discord.File:
    """The report as a CSV attachment."""
    return discord.File(io.BytesIO(domain.report_csv(rows).encode()), filename=f"{stem}.csv")
