"""Joins and leaves missed while the bot was away, read back from each server's member list at every READY."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.domain import newcomers_away as away
from bot.newcomers._readback import ReadBack
from bot.newcomers._welcomes import Welcomes
from bot.storage import ListedMember

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)


class Roster:
    """Compares each server's member list (complete at READY: guilds are chunked at start) with the members table.

    A member the table lacks, or has as departed, joined while the bot was away: recorded and welcomed as a join
    (see `Welcomes.arrived_while_away`), unless they were there before the bot first saw the server
    (`domain.first_seen`, kept in storage.meta as `first_seen:<server>`): those are recorded quietly, with no
    welcome and no newcomer row. A member the table has as present whom Discord no longer lists has left.
    Seeing a server for the first time also starts reading its chat channels back (`ReadBack`), in the background,
    to learn who posted there before.
    """

    def __init__(self, bot: Heartbeat, welcomes: Welcomes, read_back: ReadBack,
                 notify: Callable[[], Awaitable[None]]) -> None:
        self.bot = bot
        self._welcomes = welcomes
        self._read_back = read_back
        self._notify = notify

    async def catch_up(self) -> None:
        """Read back every server's joins and leaves since the bot last watched; a failing server skips only itself."""
        for guild in self.bot.guilds:
            try:
                await self.reconcile(guild)
            except Exception:
                log.exception("Reading back the members of server %d failed; the next READY tries again", guild.id)
        await self._notify()

    async def reconcile(self, guild: discord.Guild) -> None:
        """Record one server's missed joins (welcoming those still due) and leaves."""
        if not guild.chunked:
            # An incomplete list would read as everyone missing having left: better to wait for a full one.
            log.warning("Server %d's member list is incomplete (%s of %s); not comparing it", guild.id,
                        len(guild.members), guild.member_count)
            return
        storage, now = self.bot.storage, self.bot.clock()
        # Under the join lock, so a live join or leave is recorded before or after this, never in the middle.
        async with self._welcomes.lock(guild.id):
            present = await storage.members.presence(guild.id)
            seen_since = await self._first_seen(guild.id, now)
            listed = {member.id: member for member in guild.members if not member.bot}
            changes = away.roster_changes(
                {user_id: self._welcomes.joined_at(member) if member.joined_at else None
                 for user_id, member in listed.items()}, present, seen_since=seen_since)
            added = await storage.members.record_existing(guild.id, [
                self._listed(listed[user_id], seen_since) for user_id in changes.existing])
            departed = await storage.members.record_leaves(guild.id, changes.left, now)
            alert = await self._welcomes.arrived_while_away(guild.id, [listed[user_id] for user_id in changes.late])
        if added or departed or changes.late:
            log.info("Server %d: %d member(s) recorded as there before me, %d joined and %d left while I was away",
                     guild.id, added, len(changes.late), departed)
        if alert is not None:
            await self._welcomes.burst_alert(guild.id, alert)

    async def _first_seen(self, guild_id: int, now: datetime) -> datetime:
        """When the bot first saw the server (see `domain.first_seen`), decided and stored at the first comparison."""
        key = f"first_seen:{guild_id}"
        stored = await self.bot.storage.meta.get(key)
        if stored is not None:
            return datetime.fromisoformat(stored)
        seen = away.first_seen(await self.bot.storage.members.earliest_join(guild_id), now)
        # Who posted before: read in the background, never holding READY up. Asked for first, so a failure here
        # leaves the server unseen and both are tried again at the next READY.
        await self._read_back.begin(guild_id)
        await self.bot.storage.meta.set(key, seen.isoformat())
        return seen

    def _listed(self, member: discord.Member, seen_since: datetime) -> ListedMember:
        """A member there before the bot, as the members table records them (joined when Discord says, if it does)."""
        return ListedMember(user_id=member.id, display_name=member.display_name,
                            account_created_at=self.bot.clock.from_real(member.created_at),
                            joined_at=self._welcomes.joined_at(member) if member.joined_at else seen_since)
