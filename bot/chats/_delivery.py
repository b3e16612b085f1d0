"""Delivery: each keyed post made exactly once (render, nonce, attempt, retry, reconcile), failures told to hosts.

Every post is a row in scheduled_post under a stable key. A job only ever says "look at this key now";
what happens is decided from the row: posted already (do nothing), due later (wait), too late (skip and
tell the hosts), or post it. The attempt count is committed before sending, and every send carries a
nonce made from the key, so neither a retry nor a crash between sending and recording posts twice.
What differs between kinds of post (their text, conditions and follow-ups) is in one table (see _kinds.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import discord

from bot.chats._kinds import PostKind, Rendered
from bot.clock import Clock
from bot.domain import running
from bot.jobs import Jobs
from bot.locks import Locks
from bot.posting import describe_error, nonce
from bot.storage import ChatSession, ScheduledPost, Storage

log = logging.getLogger(__name__)

# Tell a server's hosts something went wrong: (guild_id, text). See bot.posting.alert_hosts.
Alert = Callable[[int, str], Awaitable[None]]


class Delivery:
    """Makes scheduled posts when the database says they are due, exactly once, retrying and reconciling."""

    def __init__(self, storage: Storage, client: discord.Client, clock: Clock, jobs: Jobs, *, grace: timedelta,
                 locks: Locks, kinds: Mapping[str, PostKind], alert: Alert,
                 notify: Callable[[], Awaitable[None]]) -> None:
        self._storage = storage
        self._client = client
        self._clock = clock
        self._jobs = jobs
        self._grace = grace
        self._locks = locks
        self._kinds = kinds
        self._alert = alert
        self._notify = notify

    def schedule(self, key: str, due: datetime) -> None:
        """Look at a post's row again when it is due (replacing any earlier job for it)."""
        self._jobs.at(f"post:{key}", due, self.run_post, key)

    async def run_post(self, key: str) -> None:
        """Make one scheduled post if, by the database, it is still wanted now; never twice."""
        post = await self._storage.posts.get(key)
        if post is None or post.session_id is None:
            return
        async with self._locks(post.session_id):
            await self._run_post(key)
        await self._notify()

    async def _run_post(self, key: str) -> None:
        now = self._clock()
        post = await self._storage.posts.get(key)
        session = await self._storage.sessions.get(post.session_id) if post and post.session_id else None
        if post is None or session is None or post.status != "pending":
            return
        if post.due_at > now:  # moved later since this job was set
            self.schedule(key, post.due_at)
            return
        kind = self._kinds[post.kind]
        if not await kind.ready(post, session, now):
            return
        what = running.describe_post(post.kind, session.hashtag, post.question_number)
        # Only a post never tried is judged stale; one being retried keeps its retries, then alerts.
        if kind.stale_if_late and not post.attempts and running.is_too_late(post.due_at, now, self._grace):
            await self._skip_stale(session, post, what, now)
            return
        rendered = await self._render(kind, session, post, what)
        if rendered is None:
            return
        channel = self._client.get_channel(post.channel_id)
        if post.attempts and channel is not None \
                and await self._reconciled(kind, session, post, channel, rendered[0], what, now):
            return
        await self._send(kind, session, post, channel, rendered, what, now)

    async def _render(self, kind: PostKind, session: ChatSession, post: ScheduledPost, what: str) -> Rendered | None:
        """What the post says; None if it cannot be made now (skipped, or failed and set to retry)."""
        try:
            return await kind.render(post, session)
        except LookupError as exc:  # the question was removed after it was scheduled
            await self._storage.posts.not_sent(post.key, str(exc), status="skipped")
        except Exception as exc:  # never leave a post pending with no job: retry it, then tell the hosts
            log.exception("Could not prepare %s", post.key)
            attempt = await self._storage.posts.begin_attempt(post.key)
            if attempt is not None:
                await self._failed(session, attempt, what, exc)
        return None

    async def _reconciled(self, kind: PostKind, session: ChatSession, post: ScheduledPost, channel: Any,
                          content: str, what: str, now: datetime) -> bool:
        """A post tried before: record it if it went out after all, or skip it if a crash left it stale; True if so."""
        sent = await self._find_sent(channel, post, content)
        if sent is not None:
            log.info("%s was already posted (message %d); recording it, not posting again", post.key, sent.id)
            await self._storage.posts.sent(post.key, sent.id, now)
            await kind.sent(session, post, sent, now)
            return True
        if post.last_error is None and kind.stale_if_late and running.is_too_late(post.due_at, now, self._grace):
            # Interrupted mid-send by a crash, not a retry: after a long outage it is stale like any other.
            await self._skip_stale(session, post, what, now)
            return True
        return False

    async def _send(self, kind: PostKind, session: ChatSession, post: ScheduledPost, channel: Any,
                    rendered: Rendered, what: str, now: datetime) -> None:
        """Commit the attempt, then send with the key's nonce; a failure is retried or told to the hosts."""
        content, extra = rendered
        attempt = await self._storage.posts.begin_attempt(post.key)
        if attempt is None:
            return
        try:
            if not isinstance(channel, discord.abc.Messageable):
                raise discord.ClientException(f"channel {post.channel_id} is gone or not a text channel")
            message = await channel.send(content, nonce=nonce(post.key), **extra)
        except Exception as exc:  # HTTP errors, and also aiohttp's disconnects, which are not OSErrors
            await self._failed(session, attempt, what, exc)
            return
        await self._storage.posts.sent(post.key, message.id, now)
        log.info("Posted %s (%s) as message %d", post.key, what, message.id)
        await kind.sent(session, post, message, now)

    async def _skip_stale(self, session: ChatSession, post: ScheduledPost, what: str, now: datetime) -> None:
        """Overdue after an outage: not posted now, the hosts are told, and the chat goes on without it."""
        await self._storage.posts.not_sent(post.key, "overdue after an outage", status="skipped")
        await self._alert(session.guild_id, running.skipped_text(what, post.channel_id, now - post.due_at))
        await self._kinds[post.kind].dropped(session, post, now)

    async def _failed(self, session: ChatSession, post: ScheduledPost, what: str, exc: Exception) -> None:
        """Retry with backoff; after the last try, give up and tell the hosts in the moderator channel."""
        error = describe_error(exc)
        delay = running.retry_delay(post.attempts)
        if delay is not None:
            log.warning("Posting %s failed (try %d): %s; retrying in %s", post.key, post.attempts, error, delay)
            # The retry is asked for before the try is recorded: whoever sees the try recorded sees its retry set.
            self.schedule(post.key, self._clock() + delay)
            await self._storage.posts.not_sent(post.key, error)
            return
        log.error("Posting %s failed %d times; giving up: %s", post.key, post.attempts, error)
        await self._storage.posts.not_sent(post.key, error, status="failed")
        await self._alert(session.guild_id, running.alert_text(what, post.channel_id, error, post.attempts))
        await self._kinds[post.kind].dropped(session, post, self._clock())

    async def _find_sent(self, channel: Any, post: ScheduledPost, content: str) -> discord.Message | None:
        """A post that went out before a crash but was never recorded: look for it in the channel's history.

        The search starts at the session's last recorded post due before this one, so however many messages
        followed it is found (Discord's nonce memory lasts minutes only); with no such post, the recent history.
        """
        wanted = running.signature(content)
        assert self._client.user is not None
        after = await self._anchor(post)
        history = (channel.history(limit=None, after=discord.Object(after), oldest_first=True) if after is not None
                   else channel.history(limit=running.RECONCILE_MESSAGES))
        try:
            async for message in history:
                if message.author.id == self._client.user.id and running.signature(message.content) == wanted \
                        and self._clock.from_real(message.created_at) >= post.due_at - self._grace:
                    return message
        except discord.HTTPException as exc:
            log.warning("Could not read #%s to reconcile %s: %s", channel, post.key, exc)
        return None

    async def _anchor(self, post: ScheduledPost) -> int | None:
        """The message id of the session's newest recorded post due no later than `post`: the post came after it."""
        if post.session_id is None:
            return None
        earlier = [p.message_id for p in await self._storage.posts.of_session(post.session_id)
                   if p.key != post.key and p.message_id is not None and p.channel_id == post.channel_id
                   and p.due_at <= post.due_at]
        return max(earlier, default=None)
