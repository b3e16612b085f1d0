"""Helpers the end-to-end tests share: a series with three questions, moving the bot's clock through it, the
welcome and moderator channels, and waiting for what the bot posts and records."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import aiosqlite

from bot.clock import Clock
from bot.domain.progression import Thresholds
from bot.domain.running import post_key
from bot.standin import StandIn
from bot.standin.model import Message
from bot.standin.sample import SampleServer
from bot.storage import MonthClose

# Tuesday 10 March 2026, 20:58 in New York (EDT since the 8th): two minutes before the chat.
BEFORE = datetime(2026, 3, 11, 0, 58, tzinfo=UTC)
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
QUESTIONS = ["What made you move?", "What surprised you most?", "What would you tell yourself a year ago?"]


async def slash(standin: StandIn, user, command: str, where=None, **options):
    """Run a slash command (in #general unless `where` is given) and return the bot's reply."""
    general = next(c for c in standin.channels.values() if c.name == "general")
    return await (await standin.slash(user, where or general, command, **options)).reply()


async def create_series(standin: StandIn, sample: SampleServer, **options) -> None:
    defaults = {"name": "GetRealChat", "hashtag": "GetRealChat", "channel": sample.channels["chat"],
                "weekday": "Tuesday", "time": "21:00", "zone": "America/New_York", "duration": "30m",
                "spacing": "5m", "first_question": "2m"}
    await slash(standin, sample.admin, "config role", kind="host", role=sample.roles["hosts"])
    reply = await slash(standin, sample.host, "chat create", **{**defaults, **options})
    assert reply.text.startswith("Created"), reply.text
    await standin.wait_until(lambda: sample.guild.scheduled_events)  # scheduling follows the reply
    for question in QUESTIONS:
        await slash(standin, sample.host, "chat questions add", text=question)


async def set_channels(standin: StandIn, sample: SampleServer) -> None:
    """Make #welcome the welcome channel and #mod-log the moderators' channel."""
    for kind, name in (("welcome", "welcome"), ("moderator", "mod-log")):
        reply = await slash(standin, sample.admin, "config channel", kind=kind, channel=sample.channels[name])
        assert reply.text.startswith(f"The {kind} channel is now")


def welcomes(standin: StandIn, sample: SampleServer) -> list[Message]:
    """The bot's posts in #welcome, oldest first."""
    return standin.bot_messages(sample.channels["welcome"])


def alerts(standin: StandIn, sample: SampleServer) -> list[Message]:
    """The join-burst alerts the bot posted in #mod-log."""
    return [m for m in standin.bot_messages(sample.channels["mod-log"]) if "Join burst" in m.content]


async def report_rows(standin: StandIn, sample: SampleServer, **options) -> list[dict[str, str]]:
    """Run /report newcomers as the moderator and read its CSV attachment."""
    reply = await slash(standin, sample.moderator, "report newcomers", **options)
    assert reply.ephemeral
    attachment = reply.message.attachments[0]
    assert attachment["filename"].endswith(".csv")
    return list(csv.DictReader(io.StringIO(standin.attachments[int(attachment["id"])].decode())))


def move_to(clock: Clock, instant: datetime) -> None:
    clock.advance(instant - clock.now())


async def bot_post(standin: StandIn, sample: SampleServer, starts: str, after: int = 0) -> Message:
    return await standin.wait_for_message(
        lambda m: m.channel_id == sample.channels["chat"].id and m.content.startswith(starts), after=after)


async def play_until_question(standin: StandIn, sample: SampleServer, clock: Clock, last: int) -> list[Message]:
    """Move the clock through the chat's start and its questions up to Q`last`, returning the question posts."""
    move_to(clock, START)
    await bot_post(standin, sample, "**Welcome")
    posts = []
    for number in range(1, last + 1):
        move_to(clock, START + 2 * MINUTE + (number - 1) * 5 * MINUTE)
        posts.append(await bot_post(standin, sample, f"**Q{number}:**"))
    return posts


async def retry_until_settled(bot, clock: Clock, key: str):
    """Move the clock to each retry of a post, one attempt at a time, until it is posted or failed."""
    attempts = 0
    while True:
        async def tried_again(before=attempts):
            post = await bot.storage.posts.get(key)
            retry_set = bot.jobs.due(f"post:{key}") is not None
            return post if post.status != "pending" or (post.attempts > before and post.last_error and retry_set) \
                else None
        post = await bot.chats.wait_for(tried_again)
        if post.status != "pending":
            return post
        attempts = post.attempts
        # To the retry's own time, no further: a longer step would bring the chat's next posts due meanwhile.
        move_to(clock, bot.jobs.due(f"post:{key}"))


def chat_posts(standin: StandIn, sample: SampleServer) -> list[Message]:
    return standin.bot_messages(sample.channels["chat"])


async def session_id(bot) -> int:
    running = await bot.storage.sessions.with_status("running") or await bot.storage.sessions.with_status("ended")
    return running[0].id


async def stored(bot, session: int, count: int):
    """Wait until the bot has recorded `count` messages for the session."""
    async def enough():
        messages = await bot.storage.messages.of_session(session)
        return messages if len(messages) >= count else None
    return await bot.chats.wait_for(enough)


async def posted(bot, session: int, kind: str, number: int | None = None) -> None:
    """Wait until the bot has recorded the session's post (`kind`, question `number`) as posted."""
    async def done() -> bool:
        return (await bot.storage.posts.get(post_key(session, kind, number))).status == "posted"
    await bot.chats.wait_for(done)


async def recorded(bot, messages: list[Message]):
    """Wait until the bot has recorded every one of `messages`, and return their stored rows."""
    async def all_there():
        rows = [await bot.storage.messages.get(m.id) for m in messages]
        return rows if all(rows) else None
    return await bot.chats.wait_for(all_there)


async def ledger(bot, session: int) -> list[tuple[int, str]]:
    """The activity ledger's rows for members' messages in a session, as (message_id, kind), in order."""
    async with bot.storage.transaction() as conn, conn.execute(
            "SELECT message_id, kind FROM activity WHERE session_id = ? AND message_id IS NOT NULL "
            "AND kind IN ('message', 'answer') ORDER BY message_id, kind", (session,)) as cursor:
        return [(row[0], row[1]) for row in await cursor.fetchall()]


# Where aiosqlite takes SQL text: noting these sees every statement storage sends.
_SENDING = {aiosqlite.Connection: ("execute", "executemany", "execute_fetchall", "execute_insert"),
            aiosqlite.Cursor: ("execute", "executemany")}


def storage_origin(frame: FrameType) -> str | None:
    """The storage method behind a statement sent from `frame`; None if bot/storage did not send it (a test did)."""
    if not frame.f_globals.get("__name__", "").startswith("bot.storage."):
        return None
    # Database's fetch helpers send for the aggregate's method that called them.
    while frame.f_globals.get("__name__") == "bot.storage._database" and frame.f_back is not None:
        frame = frame.f_back
    return f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}"


@contextmanager
def statements_sent(note: Callable[[str, str], None]) -> Iterator[None]:
    """While the block runs, call note(sql, method) for every statement bot/storage sends (BEGIN and PRAGMAs too)."""
    originals = [(owner, name, getattr(owner, name)) for owner, names in _SENDING.items() for name in names]

    def noting(send: Callable[..., Any]) -> Callable[..., Any]:
        def sending(connection: object, sql: str, *args: Any, **kwargs: Any) -> Any:
            origin = storage_origin(sys._getframe(1))
            if origin is not None:
                note(sql, origin)
            return send(connection, sql, *args, **kwargs)
        return sending

    for owner, name, send in originals:
        setattr(owner, name, noting(send))
    try:
        yield
    finally:
        for owner, name, send in originals:
            setattr(owner, name, send)


@contextmanager
def counted_reads() -> Iterator[list[str]]:
    """The statements that read (SELECT or WITH) storage sends while the block runs, in order."""
    reads: list[str] = []

    def note(sql: str, _: str) -> None:
        if re.match(r"\s*(SELECT|WITH)\b", sql, re.IGNORECASE):
            reads.append(sql)

    with statements_sent(note):
        yield reads


async def record_months(storage, guild_id: int, months, *, timezone: str = "UTC") -> None:
    """Write planned months (MonthInput) as the month closes would: each closed, or provisional if marked so."""
    for month in months:
        close = MonthClose(guild_id, month.month, month.provisional, timezone, Thresholds(),
                           datetime(2026, 7, 1, tzinfo=UTC))
        assert await storage.months.write(close, list(month.rows))
