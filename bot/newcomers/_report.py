"""The moderators' newcomer report: gathered from storage, reviewed card by card, posted weekly and after chats."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot import standing
from bot.domain import newcomers as domain
from bot.domain.newcomers import NewcomerFacts, NewcomerRow
from bot.domain.privacy import FORGOTTEN_MODERATOR, OPTED_OUT
from bot.newcomers._observe import listed
from bot.newcomers._views import card_index, newcomer_embed, report_file, report_page
from bot.permissions import CHANNEL_NEEDS, missing
from bot.posting import alert_hosts, jump_url
from bot.storage import NewcomerChat, NewcomerRecord, Storage

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)

WEEKLY_REPORT = timedelta(days=7)


async def newcomer_report(storage: Storage, guild_id: int, *, now: datetime, days: int | None, status: str = "all",
                          name_of: Callable[[int], str | None] = lambda _: None,
                          only: int | None = None) -> list[NewcomerRow]:
    """The newcomers who joined in the last `days` days (ever, if None; one member, if `only`), unreviewed first.

    Names come from `name_of` (the server as it is now) when it knows them, else from what was stored.
    """
    facts = await newcomer_facts(storage, guild_id, now=now, days=days, name_of=name_of, only=only)
    return [domain.report_row(f) for f in facts if domain.matches_status(f, status)]


async def newcomer_facts(storage: Storage, guild_id: int, *, now: datetime, days: int | None,
                         name_of: Callable[[int], str | None] = lambda _: None,
                         only: int | None = None) -> list[NewcomerFacts]:
    """What is known of each newcomer `newcomer_report` covers (whatever their review), in the report's order.

    Two reads however many newcomers there are: their rows (reviews and stored names included), then their chats.
    """
    since = now - timedelta(days=days) if days is not None else datetime(1970, 1, 1, tzinfo=UTC)
    hidden = await storage.privacy.opted_out(guild_id)  # members who opted out appear in no report
    records = [record for record in await storage.newcomers.for_report(guild_id, since=since, only=only)
               if record.member.user_id not in hidden]
    chats = await storage.activity.chats_of_newcomers(guild_id, since=since, only=only)
    # "Stage now" is the progression engine's, as /profile shows it.
    zone = await standing.zone_of(storage, guild_id, "UTC")  # the server's: its dates in the report's files
    verdicts = await standing.stages(storage, guild_id, [record.member.user_id for record in records], now, zone)

    def name(user_id: int, stored: str | None) -> str:
        return name_of(user_id) or stored or f"member {user_id}"

    facts = [_facts(guild_id, record, chats.get(record.member.user_id, []), verdicts[record.member.user_id].stage,
                    name=name(record.member.user_id, record.member.display_name),
                    greeter=(OPTED_OUT if record.newcomer.greeted_by in hidden
                             else name(record.newcomer.greeted_by, record.greeter_name))
                    if record.newcomer.greeted_by else None,
                    reviewer=(FORGOTTEN_MODERATOR if record.review.reviewer_id == 0
                              else name(record.review.reviewer_id, record.reviewer_name)) if record.review else None,
                    zone=zone.key)
             for record in records]
    return domain.report_order(facts)


def _facts(guild_id: int, record: NewcomerRecord, chats: list[NewcomerChat], stage: str, *, name: str,
           greeter: str | None, reviewer: str | None, zone: str) -> NewcomerFacts:
    """One newcomer's stored rows as the facts the report is made from."""
    member, newcomer, review = record.member, record.newcomer, record.review
    first = chats[0] if chats else None
    return NewcomerFacts(
        user_id=member.user_id, name=name, joined_at=member.last_joined_at,
        account_created_at=member.account_created_at, join_count=member.join_count, left_at=member.left_at,
        first_message_at=newcomer.first_message_at, first_message_text=newcomer.first_message_text,
        first_message_url=jump_url(guild_id, newcomer.first_channel_id, newcomer.first_message_id)
        if newcomer.first_message_id and newcomer.first_channel_id else None,
        link_in_first=newcomer.link_in_first, mass_mentions=newcomer.mass_mentions,
        repeated_text=newcomer.repeated_text,
        first_chat=f"#{first.hashtag}" if first else None, first_chat_at=first.started_at if first else None,
        zone=zone,
        chats_attended=len(chats), greeter_id=newcomer.greeted_by, greeter_name=greeter,
        greeted_at=newcomer.greeted_at,
        stage=stage,
        review=review.status if review else None, reviewed_by=reviewer,
        reviewed_at=review.reviewed_at if review else None)


class Reports:
    """The report for `/report newcomers` and its buttons, and the posts to moderators (job `report:<server>`)."""

    def __init__(self, bot: Heartbeat, notify: Callable[[], Awaitable[None]]) -> None:
        self.bot = bot
        self._notify = notify

    async def restore(self) -> None:
        """Set the weekly report of every server the bot is in."""
        for guild in self.bot.guilds:
            await self.schedule_weekly(guild.id)

    def _name_of(self, guild_id: int) -> Callable[[int], str | None]:
        """Names as the server shows them now (None for someone it doesn't hold)."""
        guild = self.bot.get_guild(guild_id)

        def name_of(user_id: int) -> str | None:
            member = guild.get_member(user_id) if guild else None
            return member.display_name if member else None

        return name_of

    async def report(self, guild_id: int, days: int | None, status: str = "all",
                     only: int | None = None) -> list[NewcomerRow]:
        """The newcomer report with names as the server shows them now."""
        return await newcomer_report(self.bot.storage, guild_id, now=self.bot.clock(), days=days, status=status,
                                     name_of=self._name_of(guild_id), only=only)

    async def file_stem(self, guild_id: int, days: int) -> str:
        """The report file's name, dated by the server's local day: "newcomers-2026-03-10-14d"."""
        today = self.bot.clock().astimezone(await standing.zone_of(self.bot.storage, guild_id, "UTC")).date()
        return f"newcomers-{today.isoformat()}-{days}d"

    async def counts(self, guild_id: int, days: int) -> tuple[int, int]:
        """How many newcomers joined in the last `days` days, and how many of them are unreviewed."""
        return domain.report_counts(await self.report(guild_id, days))

    async def review(self, interaction: discord.Interaction, guild_id: int, user_id: int, status: str,
                     days: int = domain.NEWCOMER_DAYS) -> None:
        """Record a moderator's review and show it on the newcomer's card and in the page's header counts."""
        now = self.bot.clock()
        await self.bot.storage.newcomers.review(guild_id, user_id, status, reviewer_id=interaction.user.id, at=now)
        hidden = await self.bot.privacy.withheld(guild_id)
        if isinstance(interaction.user, discord.Member) and interaction.user.id not in hidden:
            # Kept for the report made without Discord (the CLI, files), which names the reviewer from storage.
            await self.bot.storage.members.remember_name(guild_id, listed(self.bot, interaction.user))
        rows = await self.report(guild_id, None, only=user_id)
        message = interaction.message
        if message is not None and rows:
            card = card_index(message, guild_id, user_id)
            embeds = [newcomer_embed(rows[0]) if index == card else embed for index, embed in enumerate(message.embeds)]
            header = domain.report_header(days, *await self.counts(guild_id, days))
            content = domain.with_header(message.content, header)
            await interaction.response.edit_message(content=content, embeds=embeds)
        else:
            await interaction.response.send_message(f"Marked <@{user_id}> {domain.REVIEW_LABELS[status]}.",
                                                    ephemeral=True)
        log.info("%s marked newcomer %d in server %d: %s", interaction.user, user_id, guild_id, status)
        await self._notify()

    async def post_report(self, guild_id: int, why: str) -> None:
        """Post the unreviewed newcomers (first 14 days) to the moderator channel; nothing if there are none."""
        config = await self.bot.storage.config.get(guild_id)
        channel = self.bot.get_channel(config.moderator_channel_id) if config.moderator_channel_id else None
        if not isinstance(channel, discord.abc.Messageable):
            return
        days = domain.NEWCOMER_DAYS
        facts = await newcomer_facts(self.bot.storage, guild_id, now=self.bot.clock(), days=days,
                                     name_of=self._name_of(guild_id))
        rows = [domain.report_row(f) for f in facts]
        waiting = [row for f, row in zip(facts, rows, strict=True) if domain.matches_status(f, "unreviewed")]
        if not waiting:
            return
        content, embeds, view = report_page(guild_id, waiting, days, "unreviewed", 0, domain.report_counts(rows))
        content = f"{why}: {domain.plural(len(waiting), 'newcomer')} to review. The CSV lists everyone who joined " \
                  f"in the last {days} days; `/report newcomers` pages through them.\n" + content
        try:
            await channel.send(content, embeds=embeds, view=view,
                               file=report_file(rows, await self.file_stem(guild_id, days)))
        except discord.Forbidden as exc:
            # Missing Embed Links or Attach Files: the plain-text alert still gets through, so say what to grant.
            log.warning("The moderator channel of server %d refused the newcomer report: %s", guild_id, exc)
            lacking = missing(channel.permissions_for(channel.guild.me), CHANNEL_NEEDS["moderator"]) \
                if isinstance(channel, discord.TextChannel) else []
            await alert_hosts(self.bot.storage, self.bot, guild_id, domain.report_refused_text(channel.id, lacking))
        except Exception as exc:
            log.warning("Could not post the newcomer report in server %d: %s", guild_id, exc)

    async def schedule_weekly(self, guild_id: int) -> None:
        """Set the weekly newcomer report, a week after the last one (or after the bot first saw the server)."""
        key = f"newcomer_report:{guild_id}"
        last = await self.bot.storage.meta.get(key)
        if last is None:
            last = self.bot.clock().isoformat()
            await self.bot.storage.meta.set(key, last)
        self.bot.jobs.at(f"report:{guild_id}", datetime.fromisoformat(last) + WEEKLY_REPORT, self.weekly, guild_id)

    async def weekly(self, guild_id: int) -> None:
        """The weekly newcomer report."""
        await self.bot.storage.meta.set(f"newcomer_report:{guild_id}", self.bot.clock().isoformat())
        try:
            await self.post_report(guild_id, "Weekly newcomer report")
        finally:
            await self.schedule_weekly(guild_id)
            await self._notify()
