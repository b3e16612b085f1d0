"""Newcomers: welcomes on join (combined during bursts), greetings for first-time chatters, human greetings and
flags noticed in newcomers' messages, and the moderators' newcomer report with its review buttons.

What is waiting (a welcome, a greeting) lives in the database and is rebuilt into jobs at every start, so a
restart does not drop one; each is marked done the moment it is posted, and carries a nonce, so it is not repeated.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.changes import Changes
from bot.domain import newcomers as domain
from bot.domain.newcomers import NewcomerFacts, NewcomerRow
from bot.domain.series import local_day, upcoming_sessions
from bot.plans import slot_of
from bot.posting import alert_hosts, jump_url, nonce
from bot.storage import Newcomer, Storage, WelcomeConfig

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)

REPORT_PAGE_SIZE = 4  # a message holds 5 rows of buttons: one per newcomer, one for paging
WEEKLY_REPORT = timedelta(days=7)


async def newcomer_report(storage: Storage, guild_id: int, *, now: datetime, days: int | None, status: str = "all",
                          name_of: Callable[[int], str | None] = lambda _: None,
                          only: int | None = None) -> list[NewcomerRow]:
    """The newcomers who joined in the last `days` days (ever, if None; one member, if `only`), unreviewed first.

    Names come from `name_of` (the server as it is now) when it knows them, else from what was stored.
    """
    since = now - timedelta(days=days) if days is not None else datetime(1970, 1, 1, tzinfo=UTC)
    pairs = [pair for pair in await storage.newcomers_since(guild_id, since) if only in (None, pair[0].user_id)]
    reviews = await storage.latest_reviews(guild_id)
    stored_names = {member.user_id: member.display_name for member, _ in pairs}

    async def name(user_id: int) -> str:
        found = name_of(user_id) or stored_names.get(user_id)
        if found is None and (member := await storage.get_member(guild_id, user_id)) is not None:
            found = member.display_name
        return found or f"member {user_id}"

    facts = []
    for member, newcomer in pairs:
        chats = await storage.chats_of(guild_id, member.user_id)
        first = chats[0] if chats else None
        first_chat = f"#{first.hashtag} on {local_day(first.started_at, first.timezone).isoformat()}" if first else None
        review = reviews.get(member.user_id)
        facts.append(NewcomerFacts(
            user_id=member.user_id, name=await name(member.user_id), joined_at=member.last_joined_at,
            account_created_at=member.account_created_at, join_count=member.join_count, left_at=member.left_at,
            first_message_at=newcomer.first_message_at, first_message_text=newcomer.first_message_text,
            first_message_url=jump_url(guild_id, newcomer.first_channel_id, newcomer.first_message_id)
            if newcomer.first_message_id and newcomer.first_channel_id else None,
            link_in_first=newcomer.link_in_first, mass_mentions=newcomer.mass_mentions,
            repeated_text=newcomer.repeated_text,
            first_chat=first_chat,
            chats_attended=len(chats), greeter_id=newcomer.greeted_by,
            greeter_name=await name(newcomer.greeted_by) if newcomer.greeted_by else None,
            greeted_at=newcomer.greeted_at,
            stage=domain.stage({c.session_id: c.started_at for c in chats if c.answered},
                               hosted=any(c.hosted for c in chats)),
            review=review.status if review else None,
            reviewed_by=await name(review.reviewer_id) if review else None,
            reviewed_at=review.reviewed_at if review else None))
    chosen = [f for f in domain.report_order(facts) if domain.matches_status(f, status)]
    return [domain.report_row(f) for f in chosen]


class Review(discord.ui.DynamicItem[discord.ui.Button[Any]],
             template=r"review:(?P<guild>[0-9]+):(?P<user>[0-9]+):(?P<status>reviewed|follow_up|watch)"):
    """Reviewed / Follow up / Watch on a newcomer; the id carries everything, so it works after a restart."""

    STYLES = {"reviewed": discord.ButtonStyle.success, "follow_up": discord.ButtonStyle.primary,
              "watch": discord.ButtonStyle.danger}

    def __init__(self, guild_id: int, user_id: int, status: str) -> None:
        super().__init__(discord.ui.Button(label=domain.REVIEW_LABELS[status], style=self.STYLES[status],
                                           custom_id=f"review:{guild_id}:{user_id}:{status}"))
        self.guild_id, self.user_id, self.status = guild_id, user_id, status

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],  # type: ignore[override]
                             match: Any) -> Review:
        return cls(int(match["guild"]), int(match["user"]), match["status"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        from bot.access import AccessDenied, check_moderator

        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        try:
            await check_moderator(interaction)
            if interaction.guild_id != self.guild_id:  # a button copied from another server's report
                raise AccessDenied("This button belongs to another server's report.")
        except AccessDenied as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await bot.newcomers.review(interaction, self.guild_id, self.user_id, self.status)


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
        from bot.access import AccessDenied, check_moderator

        bot: Heartbeat = interaction.client  # type: ignore[assignment]
        try:
            await check_moderator(interaction)
        except AccessDenied as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        assert interaction.guild_id is not None
        rows = await bot.newcomers.report(interaction.guild_id, self.days, self.status)
        content, embeds, view = report_page(interaction.guild_id, rows, self.days, self.status, self.page)
        await interaction.response.edit_message(content=content, embeds=embeds, view=view)


def newcomer_embed(row: NewcomerRow) -> discord.Embed:
    """One newcomer, as moderators see them in Discord."""
    # A newcomer's own words must not render as a masked link or formatting in moderators' eyes.
    shown = replace(row, name=discord.utils.escape_markdown(row.name),
                    first_message=discord.utils.escape_markdown(row.first_message))
    embed = discord.Embed(title=f"{shown.name} · {row.review}", description="\n".join(domain.describe_row(shown)))
    embed.set_footer(text=f"user {row.user_id}")
    return embed


def report_page(guild_id: int, rows: list[NewcomerRow], days: int, status: str,
                page: int) -> tuple[str, list[discord.Embed], discord.ui.View]:
    """One page of the report: up to four newcomers, each with review buttons, and Previous/Next."""
    pages = max(1, -(-len(rows) // REPORT_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * REPORT_PAGE_SIZE:(page + 1) * REPORT_PAGE_SIZE]
    unreviewed = sum(1 for row in rows if row.review == domain.REVIEW_LABELS[None])
    content = (f"**Newcomers, last {days} days** ({len(rows)}, {unreviewed} unreviewed) · page {page + 1} of {pages}"
               if rows else f"No newcomers in the last {days} days{'' if status == 'all' else ' with that status'}.")
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(shown):
        for review_status in domain.REVIEW_STATUSES:
            button = Review(guild_id, row.user_id, review_status)
            button.item.row = row_index
            view.add_item(button)
    if pages > 1:
        for target, label, disabled in ((max(page - 1, 0), "Previous", page == 0),
                                        (min(page + 1, pages - 1), "Next", page == pages - 1)):
            paging = ReportPage(days, status, target, label, disabled=disabled)
            paging.item.row = REPORT_PAGE_SIZE
            view.add_item(paging)
    return content, [newcomer_embed(row) for row in shown], view


def report_file(rows: list[NewcomerRow], stem: str) -> discord.File:
    return discord.File(io.BytesIO(domain.report_csv(rows).encode()), filename=f"{stem}.csv")


class Newcomers:
    """Welcomes, first-chat greetings, human greetings, flags and reports; one per bot."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        self._locks: dict[object, asyncio.Lock] = {}
        # Newcomers' recent posts, for "the same text in 3 channels within 10 minutes" (a short window: memory will do).
        self._recent: dict[tuple[int, int], deque[tuple[int, str, datetime]]] = {}
        # (session, member) pairs already judged for a first-chat greeting: one query per person per chat.
        self._judged: set[tuple[int, int]] = set()
        self._changes = Changes()
        self._notify = self._changes.notify
        self.wait_for = self._changes.wait_for

    async def _alert(self, guild_id: int, text: str) -> None:
        """Tell the server's hosts something went wrong (see bot/posting.py)."""
        await alert_hosts(self.bot.storage, self.bot, guild_id, text)

    def _lock(self, key: object) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def restore(self) -> None:
        """Rebuild jobs for waiting welcomes, waiting greetings and weekly reports."""
        storage = self.bot.storage
        for guild_id in await storage.guilds_with_waiting_welcomes():
            self.bot.jobs.at(f"welcome:{guild_id}", self.bot.clock(), self.send_welcomes, guild_id)
        for session_id in await storage.sessions_with_waiting_greetings():
            await self._schedule_greeting(session_id)
        for guild in self.bot.guilds:
            await self.schedule_weekly(guild.id)

    # -- welcomes -------------------------------------------------------------------------------------

    async def arrived(self, member: discord.Member) -> None:
        """A member joined: record it, decide their welcome, watch for a burst."""
        guild_id, clock, defaults = member.guild.id, self.bot.clock, self.bot.settings.defaults
        joined_at = clock.from_real(member.joined_at) if member.joined_at else clock()
        alert = None
        # Only database work under the lock (no Discord calls), so joins are recorded as fast as they come.
        async with self._lock(guild_id):
            before = await self.bot.storage.get_member(guild_id, member.id)
            previous = await self.bot.storage.get_newcomer(guild_id, member.id)
            recorded = await self.bot.storage.record_member_join(guild_id, member.id, member.display_name,
                                                                 clock.from_real(member.created_at), joined_at)
            if before is not None and recorded.join_count == before.join_count:
                return  # a replayed join
            welcome = domain.arrival(previously_welcomed=previous is not None and previous.welcomed_at is not None,
                                     left_at=before.left_at if before else None, joined_at=joined_at,
                                     account_created_at=recorded.account_created_at,
                                     new_account_age=timedelta(hours=defaults.new_account_hours))
            await self.bot.storage.set_arrival(guild_id, member.id, welcome)
            now = clock()
            bursting, config, joins = await self._burst(guild_id, now)
            if bursting and config.burst_since is None:
                config = await self.bot.storage.update_welcome_config(guild_id, burst_since=now)
                held = await self.bot.storage.count_held(guild_id, since=now - self._window)
                alert = domain.burst_alert_text(joins, self._window, held)
            if welcome == "waiting" and f"welcome:{guild_id}" not in self.bot.jobs.pending():
                # An earlier join already set the post; moving it later would starve it in a steady trickle.
                due = domain.welcome_due(now, bursting=bursting, last_welcome_at=config.last_welcome_at)
                self.bot.jobs.at(f"welcome:{guild_id}", due, self.send_welcomes, guild_id)
        if alert is not None:
            await self._alert(guild_id, alert)
        log.info("%s joined server %d: welcome %s", member, guild_id, welcome)
        await self._notify()

    @property
    def _window(self) -> timedelta:
        return timedelta(seconds=self.bot.settings.defaults.welcome_burst_window_seconds)

    async def _burst(self, guild_id: int, now: datetime) -> tuple[bool, WelcomeConfig, int]:
        """Whether a join burst is on now, the welcome config (a finished burst cleared), and the joins counted."""
        joins = await self.bot.storage.join_times(guild_id, since=now - self._window)
        bursting = domain.in_burst(joins, now, joins=self.bot.settings.defaults.welcome_burst_joins,
                                   window=self._window)
        config = await self.bot.storage.get_welcome_config(guild_id)
        if not bursting and config.burst_since is not None:  # the last burst is over: the next one alerts again
            config = await self.bot.storage.update_welcome_config(guild_id, burst_since=None)
        return bursting, config, len(joins)

    async def left(self, guild_id: int, user_id: int) -> None:
        """A member left: recorded in the same order as joins, so a join-then-leave is never read backwards."""
        now = self.bot.clock()
        async with self._lock(guild_id):
            await self.bot.storage.record_member_leave(guild_id, user_id, now)
        await self._notify()

    async def send_welcomes(self, guild_id: int) -> None:
        """Post the waiting welcomes: one for one joiner, one combined post for several."""
        async with self._lock(("welcome", guild_id)):
            await self._send_welcomes(guild_id)
        await self._notify()

    async def _send_welcomes(self, guild_id: int) -> None:
        storage, now = self.bot.storage, self.bot.clock()
        waiting = await storage.waiting_welcomes(guild_id)
        stale = [m.user_id for m in waiting if now - m.last_joined_at > domain.WELCOME_TOO_LATE]
        if stale:
            await storage.mark_welcomed(guild_id, stale, status="missed", at=now, message_id=None)
        ids = [m.user_id for m in waiting if m.user_id not in stale]
        if not ids:
            return
        _, config, _ = await self._burst(guild_id, now)
        if config.burst_since is not None and config.last_welcome_at is not None \
                and now < config.last_welcome_at + domain.BURST_WELCOME_INTERVAL:
            self.bot.jobs.at(f"welcome:{guild_id}", config.last_welcome_at + domain.BURST_WELCOME_INTERVAL,
                             self.send_welcomes, guild_id)
            return
        guild_config = await storage.get_guild_config(guild_id)
        channel = self.bot.get_channel(guild_config.welcome_channel_id) if guild_config.welcome_channel_id else None
        text = await self.welcome_text(guild_id, config.template, domain.welcome_names([f"<@{i}>" for i in ids]))
        message_id = None
        if isinstance(channel, discord.abc.Messageable):
            named = ids if len(ids) <= domain.NAMED_IN_COMBINED + 1 else ids[:domain.NAMED_IN_COMBINED]
            try:
                message = await channel.send(text, nonce=nonce(f"welcome:{guild_id}:{ids[0]}:{len(ids)}"),
                                             allowed_mentions=discord.AllowedMentions(
                                                 users=[discord.Object(i) for i in named]))
                message_id = message.id
            except discord.Forbidden:
                await self._alert(guild_id, f"I could not post welcomes in <#{channel.id}>: "
                                                      "give me View Channel and Send Messages there.")
            except Exception as exc:  # Discord errors and dropped connections alike: try again shortly
                log.warning("Welcome in server %d failed (%s); trying again in 30 s", guild_id, exc)
                self.bot.jobs.at(f"welcome:{guild_id}", now + timedelta(seconds=30), self.send_welcomes, guild_id)
                return
        dm = config.dm and config.burst_since is None
        # Recorded straight after the post, before any DM, so a stop in between cannot repeat the post.
        await storage.mark_welcomed(guild_id, ids, status="welcomed" if message_id or dm else "missed", at=now,
                                    message_id=message_id)
        await storage.update_welcome_config(guild_id, last_welcome_at=now)
        if dm:
            await self._direct_welcomes(guild_id, ids, config.template)
        log.info("Welcomed %d member(s) in server %d", len(ids), guild_id)

    async def _direct_welcomes(self, guild_id: int, user_ids: list[int], template: str | None) -> None:
        guild = self.bot.get_guild(guild_id)
        for user_id in user_ids:
            member = guild.get_member(user_id) if guild else None
            if member is None:
                continue
            try:
                await member.send(await self.welcome_text(guild_id, template, member.display_name))
            except Exception as exc:  # closed DMs are common and not an error worth more than a line
                log.info("Could not DM a welcome to %s: %s", member, exc)

    async def welcome_text(self, guild_id: int, template: str | None, member: str) -> str:
        """A welcome filled in for this server and its next chat."""
        guild = self.bot.get_guild(guild_id)
        start, hashtag, channel_id = await self.next_chat(guild_id)
        return domain.render_welcome(template or domain.DEFAULT_WELCOME, member=member,
                                     server=guild.name if guild else "the server", next_chat=start, hashtag=hashtag,
                                     channel_id=channel_id)

    async def next_chat(self, guild_id: int) -> tuple[datetime | None, str | None, int | None]:
        """The server's next planned chat: when, its hashtag and channel (Nones if nothing is planned)."""
        storage, now = self.bot.storage, self.bot.clock()
        found: tuple[datetime | None, str | None, int | None] = (None, None, None)
        for series in await storage.list_series(guild_id):
            if series.paused:
                continue
            skipped = await storage.skipped_starts(series.id)
            for start in upcoming_sessions(slot_of(series), now, 1, skipped):
                if found[0] is None or start < found[0]:
                    found = (start, series.hashtag, series.channel_id)
        return found

    # -- what newcomers say, and who greets them ------------------------------------------------------

    async def observe(self, message: discord.Message) -> None:
        """Note a newcomer's first message and flags, and any member greeting a newcomer."""
        if message.author.bot or message.guild is None:
            return
        guild_id, storage = message.guild.id, self.bot.storage
        at = self.bot.clock.from_real(message.created_at)
        newcomer = await storage.get_newcomer(guild_id, message.author.id)
        if newcomer is not None:
            await self._watch(message, newcomer, at)
        mentions = len(message.raw_mentions) + len(message.raw_role_mentions) + int(message.mention_everyone)
        if mentions >= domain.MASS_MENTIONS:
            return  # pinging a crowd is not greeting anyone
        targets: list[int] = []
        reference = message.reference
        if reference is not None and isinstance(reference.resolved, discord.Message):
            replied = reference.resolved
            if replied.author.id == getattr(self.bot.user, "id", None):  # "welcome!" under the bot's welcome post
                targets += await storage.welcomed_in(guild_id, replied.id)
            else:
                targets.append(replied.author.id)
        targets += [user.id for user in message.mentions]
        changed = False
        for target in dict.fromkeys(targets):
            if target == message.author.id:
                continue
            greeted = await storage.get_newcomer(guild_id, target)
            if greeted is None or greeted.greeted_by is not None:
                continue
            member = await storage.get_member(guild_id, target)
            if member is None or not timedelta(0) <= at - member.last_joined_at <= domain.GREETING_WINDOW:
                continue
            session = await storage.session_in_channel(getattr(message.channel, "parent_id", None)
                                                       or message.channel.id)
            changed |= await storage.record_greeting(guild_id, target, message.author.id, at=at,
                                                     message_id=message.id, session_id=session.id if session else None)
        if changed:
            await self._notify()

    async def _watch(self, message: discord.Message, newcomer: Newcomer, at: datetime) -> None:
        assert message.guild is not None
        guild_id, user_id, storage = message.guild.id, message.author.id, self.bot.storage
        member = await storage.get_member(guild_id, user_id)
        if member is None or at - member.last_joined_at > timedelta(days=domain.NEWCOMER_DAYS):
            return
        text = message.content
        if newcomer.first_message_id is None:
            await storage.note_first_message(guild_id, user_id, message_id=message.id, channel_id=message.channel.id,
                                             at=at, text=domain.first_message_excerpt(text),
                                             link=domain.has_link(text))
        mentions = len(message.raw_mentions) + len(message.raw_role_mentions) + int(message.mention_everyone)
        if mentions >= domain.MASS_MENTIONS and not newcomer.mass_mentions:
            await storage.flag_newcomer(guild_id, user_id, "mass_mentions")
        recent = self._recent.setdefault((guild_id, user_id), deque(maxlen=50))
        recent.append((message.channel.id, domain.fingerprint(text), at))
        if not newcomer.repeated_text and domain.repeated_across_channels(list(recent), at):
            await storage.flag_newcomer(guild_id, user_id, "repeated_text")
        await self._notify()

    # -- first-time chatters --------------------------------------------------------------------------

    async def first_post(self, session_id: int, user_id: int, message_id: int, at: datetime) -> None:
        """Someone posted in a running chat: queue a greeting if it is their first chat in the server."""
        if (session_id, user_id) in self._judged:
            return
        self._judged.add((session_id, user_id))
        if not await self.bot.storage.first_timers(session_id, user_id):
            return
        if await self.bot.storage.add_chat_greeting(session_id, user_id, message_id=message_id, at=at):
            await self._schedule_greeting(session_id)
            await self._notify()

    async def _schedule_greeting(self, session_id: int) -> None:
        waiting = await self.bot.storage.waiting_greetings(session_id)
        if not waiting:
            return
        due = waiting[0][1] + domain.GREETING_INTERVAL
        last = await self.bot.storage.last_greeting_at(session_id)
        if last is not None:
            due = max(due, last + domain.GREETING_INTERVAL)
        self.bot.jobs.at(f"greet:{session_id}", due, self.greet, session_id)

    async def greet(self, session_id: int) -> None:
        """Greet the waiting first-time chatters of a running chat in one post."""
        async with self._lock(("greet", session_id)):
            await self._greet(session_id)
        await self._notify()

    async def _greet(self, session_id: int) -> None:
        storage, now = self.bot.storage, self.bot.clock()
        waiting = [user_id for user_id, _ in await storage.waiting_greetings(session_id)]
        session = await storage.get_session(session_id)
        if not waiting or session is None:
            return
        if session.status != "running":
            await storage.mark_greeted(session_id, waiting, status="missed", at=now, message_id=None)
            return
        last = await storage.last_greeting_at(session_id)
        if last is not None and now < last + domain.GREETING_INTERVAL:
            await self._schedule_greeting(session_id)
            return
        # Accounts too new to welcome publicly are not pinged here either; they are in the moderators' report.
        held = {user_id for user_id in waiting
                if (n := await storage.get_newcomer(session.guild_id, user_id)) and n.welcome == "held"}
        named = [user_id for user_id in waiting if user_id not in held][:domain.NAMED_IN_GREETING]
        channel = self.bot.get_channel(session.channel_id)
        if not named or not isinstance(channel, discord.abc.Messageable):
            await storage.mark_greeted(session_id, waiting, status="missed", at=now, message_id=None)
            return
        config, welcome = await storage.get_guild_config(session.guild_id), await storage.get_welcome_config(
            session.guild_id)
        helper = config.helper_role_id if welcome.ping_helpers else None
        shown = [f"<@{user_id}>" for user_id in waiting if user_id not in held]
        try:
            message = await channel.send(domain.greeting_text(session.hashtag, shown, helper),
                                         nonce=nonce(f"greet:{session_id}:{waiting[0]}"),
                                         allowed_mentions=discord.AllowedMentions(
                                             users=[discord.Object(i) for i in named],
                                             roles=[discord.Object(helper)] if helper else False))
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                log.warning("Greeting first-timers in session %d failed: %s; trying again in 30 s", session_id, exc)
                self.bot.jobs.at(f"greet:{session_id}", now + timedelta(seconds=30), self.greet, session_id)
            else:  # refused for good (a permission, a limit): retrying would only repeat it
                log.warning("Greeting first-timers in session %d refused: %s", session_id, exc)
                await storage.mark_greeted(session_id, waiting, status="missed", at=now, message_id=None)
            return
        except Exception as exc:  # a dropped connection
            log.warning("Greeting first-timers in session %d failed: %s; trying again in 30 s", session_id, exc)
            self.bot.jobs.at(f"greet:{session_id}", now + timedelta(seconds=30), self.greet, session_id)
            return
        await storage.mark_greeted(session_id, waiting, status="greeted", at=now, message_id=message.id)

    # -- the report -----------------------------------------------------------------------------------

    async def report(self, guild_id: int, days: int | None, status: str = "all",
                     only: int | None = None) -> list[NewcomerRow]:
        """The newcomer report with names as the server shows them now."""
        guild = self.bot.get_guild(guild_id)

        def name_of(user_id: int) -> str | None:
            member = guild.get_member(user_id) if guild else None
            return member.display_name if member else None

        return await newcomer_report(self.bot.storage, guild_id, now=self.bot.clock(), days=days, status=status,
                                     name_of=name_of, only=only)

    async def review(self, interaction: discord.Interaction, guild_id: int, user_id: int, status: str) -> None:
        """Record a moderator's review and show it on the newcomer's card."""
        now = self.bot.clock()
        await self.bot.storage.review_newcomer(guild_id, user_id, status, reviewer_id=interaction.user.id, at=now)
        rows = await self.report(guild_id, None, only=user_id)
        message = interaction.message
        if message is not None and rows:
            embeds = [newcomer_embed(rows[0]) if embed.footer.text == f"user {user_id}" else embed
                      for embed in message.embeds]
            await interaction.response.edit_message(embeds=embeds)
        else:
            await interaction.response.send_message(f"Marked <@{user_id}> {domain.REVIEW_LABELS[status]}.",
                                                    ephemeral=True)
        log.info("%s marked newcomer %d in server %d: %s", interaction.user, user_id, guild_id, status)
        await self._notify()

    async def post_report(self, guild_id: int, why: str) -> None:
        """Post the unreviewed newcomers (first 14 days) to the moderator channel; nothing if there are none."""
        config = await self.bot.storage.get_guild_config(guild_id)
        channel = self.bot.get_channel(config.moderator_channel_id) if config.moderator_channel_id else None
        if not isinstance(channel, discord.abc.Messageable):
            return
        days = domain.NEWCOMER_DAYS
        rows = await self.report(guild_id, days)
        waiting = [row for row in rows if row.review == domain.REVIEW_LABELS[None]]
        if not waiting:
            return
        content, embeds, view = report_page(guild_id, waiting, days, "unreviewed", 0)
        content = f"{why}: {len(waiting)} newcomer(s) to review. The CSV lists everyone who joined in the last " \
                  f"{days} days; `/report newcomers` pages through them.\n" + content
        try:
            await channel.send(content, embeds=embeds, view=view, file=report_file(rows, f"newcomers-{days}d"))
        except Exception as exc:
            log.warning("Could not post the newcomer report in server %d: %s", guild_id, exc)

    async def schedule_weekly(self, guild_id: int) -> None:
        """Set the weekly newcomer report, a week after the last one (or after the bot first saw the server)."""
        key = f"newcomer_report:{guild_id}"
        last = await self.bot.storage.get_meta(key)
        if last is None:
            last = self.bot.clock().isoformat()
            await self.bot.storage.set_meta(key, last)
        self.bot.jobs.at(f"report:{guild_id}", datetime.fromisoformat(last) + WEEKLY_REPORT, self.weekly, guild_id)

    async def weekly(self, guild_id: int) -> None:
        """The weekly newcomer report."""
        await self.bot.storage.set_meta(f"newcomer_report:{guild_id}", self.bot.clock().isoformat())
        try:
            await self.post_report(guild_id, "Weekly newcomer report")
        finally:
            await self.schedule_weekly(guild_id)
            await self._notify()
