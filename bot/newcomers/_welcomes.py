"""The welcome desk: joins and leaves recorded, join bursts noticed, and welcomes posted (combined) and DMed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain import newcomers as domain
from bot.domain import newcomers_away as away
from bot.domain.series import upcoming_sessions
from bot.locks import Locks
from bot.plans import slot_of
from bot.posting import alert_hosts, alert_moderators, edit_alert, nonce
from bot.storage import Member, WelcomeConfig

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)

RETRY_WELCOME = timedelta(seconds=30)


class Welcomes:
    """Records joins and leaves in order, and posts the waiting welcomes under the job `welcome:<server>`."""

    def __init__(self, bot: Heartbeat, notify: Callable[[], Awaitable[None]]) -> None:
        self.bot = bot
        self._notify = notify
        self._locks = Locks()

    async def restore(self) -> None:
        """Post the welcomes still waiting from before a restart (those now too late are dropped then)."""
        for guild_id in await self.bot.storage.welcomes.guilds_waiting():
            self.bot.jobs.at(f"welcome:{guild_id}", self.bot.clock(), self.send_welcomes, guild_id)

    def lock(self, guild_id: int) -> asyncio.Lock:
        """The server's join lock: its joins and leaves are recorded one at a time, in the order they come."""
        return self._locks(guild_id)

    async def arrived(self, member: discord.Member) -> None:
        """A member joined: record it, decide their welcome, watch for a burst."""
        guild_id = member.guild.id
        # Only database work under the lock (no Discord calls), so joins are recorded as fast as they come.
        async with self._locks(guild_id):
            welcome = await self.record_arrival(member)
            alert = welcome is not None and await self._plan_welcome(guild_id, waiting=welcome == "waiting")
        if welcome is None:  # a replayed join, or a regular back: nothing to welcome
            await self._notify()
            return
        if alert:
            await self.burst_alert(guild_id)
        log.info("%s joined server %d: welcome %s", member, guild_id, welcome)
        await self._notify()

    async def arrived_while_away(self, guild_id: int, members: list[discord.Member]) -> str | None:
        """Members who joined while the bot was away, oldest first: each recorded and decided as a live join at
        its own join time, one welcome planned for those still due; the burst alert to raise, if they came in one.

        The caller holds the server's join lock.
        """
        now, arrivals = self.bot.clock(), []
        for member in members:
            welcome = await self.record_arrival(member)
            if welcome is not None:
                arrivals.append((self.joined_at(member), welcome))
        if not arrivals:
            return None
        log.info("%d member(s) joined server %d while I was away", len(arrivals), guild_id)
        _, config, _ = await self._burst(guild_id, now)  # a burst over is cleared; one still on was reported
        bursting = await self._plan_welcome(guild_id, waiting=any(welcome == "waiting" for _, welcome in arrivals))
        if config.burst_since is not None:
            return None
        joins = await self.bot.storage.members.join_times(guild_id, since=min(at for at, _ in arrivals) - self._window)
        missed = away.away_burst_alert(arrivals, joins, now, joins=self.bot.settings.defaults.welcome_burst_joins,
                                       window=self._window)
        return missed or (await self.burst_alert_text(guild_id) if bursting else None)

    def joined_at(self, member: discord.Member) -> datetime:
        """When Discord says the member joined, in bot time (now, if Discord does not say)."""
        clock = self.bot.clock
        return clock.from_real(member.joined_at) if member.joined_at else clock()

    async def record_arrival(self, member: discord.Member) -> str | None:
        """Record a join at its Discord join time with its welcome decision; None if it was recorded already, or if
        the member posted here before the bot came (storage.prior_posters): a regular is no newcomer, so has no
        newcomer row and no welcome.

        The caller holds the server's join lock.
        """
        storage, guild_id, joined_at = self.bot.storage, member.guild.id, self.joined_at(member)
        before = await storage.members.get(guild_id, member.id)
        previous = await storage.newcomers.get(guild_id, member.id)
        recorded = await storage.members.record_join(guild_id, member.id, member.display_name,
                                                     self.bot.clock.from_real(member.created_at), joined_at)
        if before is not None and recorded.join_count == before.join_count:
            return None
        if previous is None and await storage.prior_posters.known(guild_id, [member.id]):
            return None
        welcome = domain.arrival(previously_welcomed=previous is not None and previous.welcomed_at is not None,
                                 left_at=before.left_at if before else None, joined_at=joined_at,
                                 account_created_at=recorded.account_created_at,
                                 new_account_age=timedelta(hours=self.bot.settings.defaults.new_account_hours),
                                 now=self.bot.clock())
        await storage.welcomes.set_arrival(guild_id, member.id, welcome)
        return welcome

    async def _plan_welcome(self, guild_id: int, *, waiting: bool) -> bool:
        """Set the welcome job if someone waits (unless one is set already); whether a join burst is on."""
        now = self.bot.clock()
        bursting, config, _ = await self._burst(guild_id, now)
        if bursting and config.burst_since is None:
            config = await self.bot.storage.welcomes.update_config(guild_id, burst_since=now)
        if waiting and f"welcome:{guild_id}" not in self.bot.jobs.pending():
            # An earlier join already set the post; moving it later would starve it in a steady trickle.
            due = domain.welcome_due(now, bursting=bursting, last_welcome_at=config.last_welcome_at)
            self.bot.jobs.at(f"welcome:{guild_id}", due, self.send_welcomes, guild_id)
        return bursting

    @property
    def _window(self) -> timedelta:
        return timedelta(seconds=self.bot.settings.defaults.welcome_burst_window_seconds)

    async def _burst(self, guild_id: int, now: datetime) -> tuple[bool, WelcomeConfig, int]:
        """Whether a join burst is on now, the welcome config (a finished burst cleared), and the joins counted."""
        joins = await self.bot.storage.members.join_times(guild_id, since=now - self._window)
        bursting = domain.in_burst(joins, now, joins=self.bot.settings.defaults.welcome_burst_joins,
                                   window=self._window)
        config = await self.bot.storage.welcomes.config(guild_id)
        if not bursting and config.burst_since is not None:  # the last burst is over: the next one alerts again
            config = await self.bot.storage.welcomes.update_config(guild_id, burst_since=None)
        return bursting, config, len(joins)

    async def _joined_in_burst(self, guild_id: int, waiting: list[Member]) -> bool:
        """Whether any of the waiting members joined during a burst."""
        arrivals = [member.last_joined_at for member in waiting]
        joins = await self.bot.storage.members.join_times(guild_id, since=min(arrivals) - self._window)
        return domain.joined_in_burst(arrivals, joins, joins=self.bot.settings.defaults.welcome_burst_joins,
                                      window=self._window)

    async def _alert(self, guild_id: int, text: str) -> None:
        """Tell the server's hosts something went wrong (see bot/posting.py)."""
        await alert_hosts(self.bot.storage, self.bot, guild_id, text)

    async def burst_alert_text(self, guild_id: int) -> str | None:
        """The alert of the burst on now, counting every join since its first; None if no burst is on."""
        storage = self.bot.storage
        config = await storage.welcomes.config(guild_id)
        if config.burst_since is None:
            return None
        # The burst was noticed at its (joins + 1)-th join, all within the window before: its first join is there.
        times = await storage.members.join_times(guild_id, since=config.burst_since - self._window)
        if not times:
            return None
        since = min(times)
        held = await storage.welcomes.count_held(guild_id, since=since)
        return domain.burst_alert_text(len(times), held, since=since, window=self._window,
                                       threshold=self.bot.settings.defaults.welcome_burst_joins)

    async def burst_alert(self, guild_id: int, first: str | None = None) -> None:
        """Raise the burst's alert (`first`, if given, else the count so far) at its first join, and edit it at each
        later one, so it counts every join.

        One at a time per server, so the last edit carries the latest count. The alert's post is kept in
        storage.meta (`burst_alert:<server>`, with the burst's start) so a restart mid-burst still edits it.
        """
        async with self._locks(("burst alert", guild_id)):
            text = await self.burst_alert_text(guild_id)
            config = await self.bot.storage.welcomes.config(guild_id)
            if text is None or config.burst_since is None:  # a burst over before the bot saw it: nothing to edit
                if first is not None:
                    await alert_moderators(self.bot.storage, self.bot, guild_id, first)
                return
            key, burst = f"burst_alert:{guild_id}", config.burst_since.isoformat()
            posted = await self.bot.storage.meta.get(key)
            started, _, where = (posted or "").partition(" ")
            if started == burst and where:
                channel_id, message_id = (int(part) for part in where.split(":"))
                await edit_alert(self.bot.storage, self.bot, guild_id, channel_id, message_id, text)
                return
            message = await alert_moderators(self.bot.storage, self.bot, guild_id, first or text)
            await self.bot.storage.meta.set(key, f"{burst} {message.channel.id}:{message.id}" if message else burst)

    async def left(self, guild_id: int, user_id: int) -> None:
        """A member left: recorded in the same order as joins, so a join-then-leave is never read backwards."""
        now = self.bot.clock()
        async with self._locks(guild_id):
            await self.bot.storage.members.record_leave(guild_id, user_id, now)
        await self._notify()

    async def send_welcomes(self, guild_id: int) -> None:
        """Post the waiting welcomes: one for one joiner, one combined post for several."""
        async with self._locks(("welcome", guild_id)):
            await self._send_welcomes(guild_id)
        await self._notify()

    async def _send_welcomes(self, guild_id: int) -> None:
        storage, now = self.bot.storage, self.bot.clock()
        waiting = await storage.welcomes.waiting(guild_id)
        stale = [m.user_id for m in waiting if now - m.last_joined_at > domain.WELCOME_TOO_LATE]
        if stale:
            await storage.welcomes.mark(guild_id, stale, status="missed", at=now, message_id=None)
        ids = [m.user_id for m in waiting if m.user_id not in stale]
        if not ids:
            return
        _, config, _ = await self._burst(guild_id, now)
        if config.burst_since is not None and config.last_welcome_at is not None \
                and now < config.last_welcome_at + domain.BURST_WELCOME_INTERVAL:
            self.bot.jobs.at(f"welcome:{guild_id}", config.last_welcome_at + domain.BURST_WELCOME_INTERVAL,
                             self.send_welcomes, guild_id)
            return
        carry_on, message_id = await self._post_welcome(guild_id, ids, config.template, now)
        if not carry_on:
            return
        # A welcome delayed (by a restart, say) past its burst is still a burst's welcome: no flood of DMs.
        dm = config.dm and config.burst_since is None and not await self._joined_in_burst(guild_id, waiting)
        # Recorded straight after the post, before any DM, so a stop in between cannot repeat the post.
        await storage.welcomes.mark(guild_id, ids, status="welcomed" if message_id or dm else "missed", at=now,
                                    message_id=message_id)
        await storage.welcomes.update_config(guild_id, last_welcome_at=now)
        if dm:
            await self._direct_welcomes(guild_id, ids, config.template)
        log.info("Welcomed %d member(s) in server %d", len(ids), guild_id)

    async def _post_welcome(self, guild_id: int, ids: list[int], template: str | None,
                            now: datetime) -> tuple[bool, int | None]:
        """Post one welcome naming `ids` in the welcome channel: (False if it is to be tried again, the post's id)."""
        guild_config = await self.bot.storage.config.get(guild_id)
        channel = self.bot.get_channel(guild_config.welcome_channel_id) if guild_config.welcome_channel_id else None
        if not isinstance(channel, discord.abc.Messageable):
            return True, None
        text = await self.welcome_text(guild_id, template, domain.welcome_names([f"<@{i}>" for i in ids]))
        named = ids if len(ids) <= domain.NAMED_IN_COMBINED + 1 else ids[:domain.NAMED_IN_COMBINED]
        try:
            message = await channel.send(text, nonce=nonce(f"welcome:{guild_id}:{ids[0]}:{len(ids)}"),
                                         allowed_mentions=discord.AllowedMentions(
                                             users=[discord.Object(i) for i in named]))
        except discord.Forbidden:
            await self._alert(guild_id, f"I could not post welcomes in <#{channel.id}>: "
                                        "give me View Channel and Send Messages there.")
            return True, None
        except Exception as exc:  # Discord errors and dropped connections alike: try again shortly
            log.warning("Welcome in server %d failed (%s); trying again in 30 s", guild_id, exc)
            self.bot.jobs.at(f"welcome:{guild_id}", now + RETRY_WELCOME, self.send_welcomes, guild_id)
            return False, None
        return True, message.id

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
        """A welcome filled in for this server and its chat running now, else its next chat."""
        guild = self.bot.get_guild(guild_id)
        running = [s for s in await self.bot.storage.sessions.with_status("running") if s.guild_id == guild_id]
        if running:
            return domain.render_welcome(template, member=member, server=guild.name if guild else "the server",
                                         next_chat=running[0].starts_at, hashtag=running[0].hashtag,
                                         channel_id=running[0].channel_id, live=True)
        start, hashtag, channel_id = await self.next_chat(guild_id)
        return domain.render_welcome(template, member=member, server=guild.name if guild else "the server",
                                     next_chat=start, hashtag=hashtag, channel_id=channel_id)

    async def next_chat(self, guild_id: int) -> tuple[datetime | None, str | None, int | None]:
        """The server's next planned chat: when, its hashtag and channel (Nones if nothing is planned)."""
        storage, now = self.bot.storage, self.bot.clock()
        found: tuple[datetime | None, str | None, int | None] = (None, None, None)
        for series in await storage.series.all(guild_id):
            if series.paused:
                continue
            skipped = await storage.sessions.skipped_starts(series.id)
            for start in upcoming_sessions(slot_of(series), now, 1, skipped):
                if found[0] is None or start < found[0]:
                    found = (start, series.hashtag, series.channel_id)
        return found
