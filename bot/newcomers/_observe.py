"""What members say, as the desk notes it: newcomers' first messages and flags, and who greets a newcomer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain import newcomers as domain
from bot.domain.privacy import unnamed
from bot.memo import Memo
from bot.newcomers._caches import RecentPosts
from bot.storage import ListedMember, Newcomer

if TYPE_CHECKING:
    from bot.client import Heartbeat

NEWCOMERS_KEPT = 10_000  # members whose newcomer row (or its absence) is kept in memory


def listed(bot: Heartbeat, member: discord.Member) -> ListedMember:
    """A member as `storage.members.remember_name` keeps them: their name now, their account and join times."""
    created = bot.clock.from_real(member.created_at)
    return ListedMember(user_id=member.id, display_name=member.display_name, account_created_at=created,
                        joined_at=bot.clock.from_real(member.joined_at) if member.joined_at else bot.clock())


def mentions_in(message: discord.Message) -> int:
    """How many members, roles and crowds (@everyone, @here) a message pings."""
    return len(message.raw_mentions) + len(message.raw_role_mentions) + int(message.mention_everyone)


class Observer:
    """Reads every server message once: a newcomer's own, and members replying to or mentioning newcomers."""

    def __init__(self, bot: Heartbeat, notify: Callable[[], Awaitable[None]]) -> None:
        self.bot = bot
        self._notify = notify
        # Newcomers' recent posts, for "the same text in 3 channels within 10 minutes" (a short window: memory will do).
        self._recent = RecentPosts(domain.REPEAT_WINDOW)
        # Whether an author (or whoever they address) is a newcomer: asked of every message, so kept in memory.
        self._newcomers: Memo[Newcomer | None] = Memo(lambda: bot.storage.generation, NEWCOMERS_KEPT)

    async def observe(self, message: discord.Message) -> None:
        """Note a newcomer's first message and flags, and any member greeting a newcomer."""
        if message.author.bot or message.guild is None:
            return
        hidden = await self.bot.privacy.withheld(message.guild.id)
        if message.author.id in hidden:  # opted out: nothing they say is noted, first message or greeting
            return
        at = self.bot.clock.from_real(message.created_at)
        newcomer = await self._newcomer(message.guild.id, message.author.id)
        if newcomer is not None:
            await self._watch(message, newcomer, at, hidden)
        if mentions_in(message) >= domain.MASS_MENTIONS:
            return  # pinging a crowd is not greeting anyone
        changed = False
        for target in await self._addressed(message):
            if target != message.author.id and target not in hidden:
                changed |= await self._greeted(message, target, at)
        if changed:
            await self._notify()

    async def _newcomer(self, guild_id: int, user_id: int) -> Newcomer | None:
        """The member's newcomer row, if they have one."""
        return await self._newcomers.get((guild_id, user_id),
                                         lambda: self.bot.storage.newcomers.get(guild_id, user_id))

    async def _addressed(self, message: discord.Message) -> list[int]:
        """Whom a message speaks to: whoever it replies to (those the bot welcomed, under a welcome) and mentions."""
        assert message.guild is not None
        targets: list[int] = []
        reference = message.reference
        if reference is not None and isinstance(reference.resolved, discord.Message):
            replied = reference.resolved
            if replied.author.id == getattr(self.bot.user, "id", None):  # "welcome!" under the bot's welcome post
                targets += await self.bot.storage.welcomes.welcomed_in(message.guild.id, replied.id)
            else:
                targets.append(replied.author.id)
        targets += [user.id for user in message.mentions]
        return list(dict.fromkeys(targets))

    async def _greeted(self, message: discord.Message, target: int, at: datetime) -> bool:
        """Record the message as the first human greeting of `target`, if they are a newcomer nobody greeted yet."""
        assert message.guild is not None
        guild_id, storage = message.guild.id, self.bot.storage
        greeted = await self._newcomer(guild_id, target)
        if greeted is None or greeted.greeted_by is not None:
            return False
        member = await storage.members.get(guild_id, target)
        if member is None or not timedelta(0) <= at - member.last_joined_at <= domain.GREETING_WINDOW:
            return False
        session = await storage.sessions.in_channel(getattr(message.channel, "parent_id", None) or message.channel.id)
        recorded = await storage.newcomers.record_greeting(guild_id, target, message.author.id, at=at,
                                                           message_id=message.id,
                                                           session_id=session.id if session else None)
        if recorded and isinstance(message.author, discord.Member):  # the report names the greeter, files too
            await storage.members.remember_name(guild_id, listed(self.bot, message.author))
        return recorded

    async def _watch(self, message: discord.Message, newcomer: Newcomer, at: datetime,
                     hidden: frozenset[int]) -> None:
        """Note a newcomer's first message, and flag mass mentions and the same text across channels."""
        assert message.guild is not None
        guild_id, user_id, storage = message.guild.id, message.author.id, self.bot.storage
        member = await storage.members.get(guild_id, user_id)
        if member is None or at - member.last_joined_at > timedelta(days=domain.NEWCOMER_DAYS):
            return
        text = message.content
        if newcomer.first_message_id is None:
            await storage.newcomers.note_first_message(guild_id, user_id, message_id=message.id,
                                                       channel_id=message.channel.id,
                                                       at=at, text=domain.first_message_excerpt(
                                                           unnamed(text, hidden)),
                                                       link=domain.has_link(text))
        if mentions_in(message) >= domain.MASS_MENTIONS and not newcomer.mass_mentions:
            await storage.newcomers.flag(guild_id, user_id, "mass_mentions")
        recent = self._recent.add((guild_id, user_id), (message.channel.id, domain.fingerprint(text), at))
        if not newcomer.repeated_text and domain.repeated_across_channels(recent, at):
            await storage.newcomers.flag(guild_id, user_id, "repeated_text")
        await self._notify()
