"""`/report joins`, `/report newcomers` and `/report progression`: moderators see who joined, work through each
newcomer, and see how members moved between stages month by month."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import check_moderator
from bot.client import Heartbeat
from bot.domain.errors import UserError
from bot.domain.newcomers import NEWCOMER_DAYS, REPORT_DAYS, join_flags
from bot.domain.progression_report import DEFAULT_REPORT_MONTHS, check_months
from bot.newcomers import report_file, report_page
from bot.reporting import discord_files, progression_page, progression_report

Status = Literal["all", "unreviewed", "reviewed", "follow_up", "watch"]


@app_commands.guild_only()
# No default permissions: the moderator role's members must see it; interaction_check guards it.
class Report(commands.GroupCog, group_name="report", group_description="Reports for moderators"):
    """Moderator commands; interaction_check enforces it on the server side."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        return await check_moderator(interaction)

    @app_commands.command(name="joins", description="Members who joined recently, newest first")
    @app_commands.describe(days="How many days back to look (1-90, default 7)")
    async def joins(self, interaction: discord.Interaction, days: int = 7) -> None:
        assert interaction.guild_id is not None
        if days not in REPORT_DAYS:
            raise UserError(f"Choose between {REPORT_DAYS.start} and {REPORT_DAYS.stop - 1} days.")
        now = self.bot.clock()
        hidden = await self.bot.privacy.withheld(interaction.guild_id)  # opted out: in no report
        members = [member for member in await self.bot.storage.members.recent_joins(
            interaction.guild_id, since=now - timedelta(days=days)) if member.user_id not in hidden]
        if not members:
            await interaction.response.send_message(f"Nobody joined in the last {days} days.", ephemeral=True)
            return
        lines: list[str] = []
        new_account_age = timedelta(hours=self.bot.settings.defaults.new_account_hours)
        for member in members:
            flags = join_flags(joined_at=member.last_joined_at, account_created_at=member.account_created_at,
                               join_count=member.join_count, present=member.present, new_account_age=new_account_age)
            age_days = (member.last_joined_at - member.account_created_at).days
            line = (f"<@{member.user_id}> joined {discord.utils.format_dt(member.last_joined_at, 'R')}, "
                    f"account {age_days} days old" + (f" — {', '.join(flags)}" if flags else ""))
            # An embed description holds 4096 characters: during a raid, show what fits and count the rest.
            if sum(len(x) + 1 for x in lines) + len(line) > 3900:
                break
            lines.append(line)
        more = f"\n…and {len(members) - len(lines)} more." if len(lines) < len(members) else ""
        embed = discord.Embed(title=f"Joined in the last {days} days ({len(members)})",
                              description="\n".join(lines) + more)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="newcomers", description="Each newcomer's first steps, greetings and flags, to review")
    @app_commands.describe(days=f"How many days back to look (1-90, default {NEWCOMER_DAYS})",
                           status="Only newcomers with this review status (default all, unreviewed first)")
    async def newcomers(self, interaction: discord.Interaction, days: int = NEWCOMER_DAYS,
                        status: Status = "all") -> None:
        assert interaction.guild_id is not None
        if days not in REPORT_DAYS:
            raise UserError(f"Choose between {REPORT_DAYS.start} and {REPORT_DAYS.stop - 1} days.")
        rows = await self.bot.newcomers.report(interaction.guild_id, days, status)
        counts = await self.bot.newcomers.counts(interaction.guild_id, days)
        content, embeds, view = report_page(interaction.guild_id, rows, days, status, 0, counts)
        files = [report_file(rows, await self.bot.newcomers.file_stem(interaction.guild_id, days))] if rows else []
        await interaction.response.send_message(content, embeds=embeds, view=view, ephemeral=True, files=files)

    @app_commands.command(name="progression", description="How members moved between stages, month by month")
    @app_commands.describe(months=f"How many months, ending with the latest recorded (1-36, default "
                                  f"{DEFAULT_REPORT_MONTHS})")
    async def progression(self, interaction: discord.Interaction, months: int = DEFAULT_REPORT_MONTHS) -> None:
        assert interaction.guild_id is not None
        check_months(months)  # before the defer, so a mistake is answered at once
        await interaction.response.defer(ephemeral=True)  # months of rows to read, two charts to draw, four files
        report = await progression_report(self.bot.storage, interaction.guild_id, months=months,
                                          name=interaction.guild.name if interaction.guild else "")
        content, embed, view = progression_page(report, months, 0)
        # Drawing takes a moment of CPU: off the event loop, so the gateway and the chats keep going meanwhile.
        files, left_out = await asyncio.to_thread(discord_files, report)
        await interaction.followup.send("\n".join(line for line in (content, left_out) if line), embed=embed,
                                        files=files, view=view, ephemeral=True)


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Report(bot))
