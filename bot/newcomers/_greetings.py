"""Greetings in a running chat for first-time chatters: queued as they post, greeted in batches."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain import newcomers as domain
from bot.locks import Locks
from bot.memo import Seen
from bot.posting import nonce
from bot.storage import ChatSession

if TYPE_CHECKING:
    from bot.client import Heartbeat

log = logging.getLogger(__name__)

RETRY_GREETING = timedelta(seconds=30)
# (chat, member) pairs remembered as judged. Forgetting one costs only a query: queuing a greeting is idempotent.
JUDGED_KEPT = 10_000


class Greetings:
    """Greets each running chat's first-time chatters, one post at most every two minutes (job `greet:<chat>`)."""

    def __init__(self, bot: Heartbeat, notify: Callable[[], Awaitable[None]]) -> None:
        self.bot = bot
        self._notify = notify
        self._locks = Locks()
        # (session, member) pairs already judged for a first-chat greeting: one query per person per chat.
        self._judged = Seen(JUDGED_KEPT)

    async def restore(self) -> None:
        """Set the greeting job of every chat with first-time chatters still waiting."""
        for session_id in await self.bot.storage.greetings.sessions_waiting():
            await self.schedule(session_id)

    async def first_post(self, session_id: int, user_id: int, message_id: int, at: datetime) -> None:
        """Someone posted in a running chat: queue a greeting if it is their first chat in the server."""
        if (session_id, user_id) in self._judged:
            return
        first_time = await self.bot.storage.activity.first_timers(session_id, user_id)
        if first_time and await self.bot.storage.greetings.add(session_id, user_id, message_id=message_id, at=at):
            await self.schedule(session_id)
            await self._notify()
        # Remembered only once judged without failing: if storing failed, the read-back judges the message again.
        self._judged.add((session_id, user_id))

    async def schedule(self, session_id: int) -> None:
        """Set the chat's next greeting: two minutes after the first waiting post, and after the last greeting."""
        waiting = await self.bot.storage.greetings.waiting(session_id)
        if not waiting:
            return
        due = waiting[0][1] + domain.GREETING_INTERVAL
        last = await self.bot.storage.greetings.last_at(session_id)
        if last is not None:
            due = max(due, last + domain.GREETING_INTERVAL)
        self.bot.jobs.at(f"greet:{session_id}", due, self.greet, session_id)

    async def greet(self, session_id: int) -> None:
        """Greet the waiting first-time chatters of a running chat in one post."""
        async with self._locks(("greet", session_id)):
            await self._greet(session_id)
        await self._notify()

    async def _greet(self, session_id: int) -> None:
        storage, now = self.bot.storage, self.bot.clock()
        waiting = [user_id for user_id, _ in await storage.greetings.waiting(session_id)]
        session = await storage.sessions.get(session_id)
        if not waiting or session is None:
            return
        # Queued before the read-back of the channel found them posting there before the bot came: no first-timers.
        regulars = await storage.prior_posters.known(session.guild_id, waiting)
        if regulars:
            await storage.greetings.mark(session_id, sorted(regulars), status="missed", at=now, message_id=None)
            waiting = [user_id for user_id in waiting if user_id not in regulars]
            if not waiting:
                return
        if session.status != "running":
            await storage.greetings.mark(session_id, waiting, status="missed", at=now, message_id=None)
            return
        last = await storage.greetings.last_at(session_id)
        if last is not None and now < last + domain.GREETING_INTERVAL:
            await self.schedule(session_id)
            return
        # Accounts too new to welcome publicly are not pinged here either; they are in the moderators' report.
        held = {user_id for user_id in waiting
                if (n := await storage.newcomers.get(session.guild_id, user_id)) and n.welcome == "held"}
        named = [user_id for user_id in waiting if user_id not in held][:domain.NAMED_IN_GREETING]
        channel = self.bot.get_channel(session.channel_id)
        if not named or not isinstance(channel, discord.abc.Messageable):
            await storage.greetings.mark(session_id, waiting, status="missed", at=now, message_id=None)
            return
        shown = [f"<@{user_id}>" for user_id in waiting if user_id not in held]
        await self._post(session, channel, waiting, shown, named, now)

    async def _post(self, session: ChatSession, channel: discord.abc.Messageable, waiting: list[int],
                    shown: list[str], named: list[int], now: datetime) -> None:
        """Post the greeting and close the waiting greetings; on a passing failure, try again in 30 s."""
        storage, session_id = self.bot.storage, session.id
        config = await storage.config.get(session.guild_id)
        welcome = await storage.welcomes.config(session.guild_id)
        # The helpers are called once per chat: later batches name the newcomers, the helpers already know.
        first_batch = await storage.greetings.last_at(session_id) is None
        helper = config.helper_role_id if welcome.ping_helpers and first_batch else None
        try:
            message = await channel.send(domain.greeting_text(session.hashtag, shown, helper),
                                         nonce=nonce(f"greet:{session_id}:{waiting[0]}"),
                                         allowed_mentions=discord.AllowedMentions(
                                             users=[discord.Object(i) for i in named],
                                             roles=[discord.Object(helper)] if helper else False))
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                log.warning("Greeting first-timers in session %d failed: %s; trying again in 30 s", session_id, exc)
                self.bot.jobs.at(f"greet:{session_id}", now + RETRY_GREETING, self.greet, session_id)
            else:  # refused for good (a permission, a limit): retrying would only repeat it
                log.warning("Greeting first-timers in session %d refused: %s", session_id, exc)
                await storage.greetings.mark(session_id, waiting, status="missed", at=now, message_id=None)
            return
        except Exception as exc:  # a dropped connection
            log.warning("Greeting first-timers in session %d failed: %s; trying again in 30 s", session_id, exc)
            self.bot.jobs.at(f"greet:{session_id}", now + RETRY_GREETING, self.greet, session_id)
            return
        await storage.greetings.mark(session_id, waiting, status="greeted", at=now, message_id=message.id)
