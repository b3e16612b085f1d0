"""Helpers the end-to-end tests share: a series with three questions, moving the bot's clock through it, the
welcome and moderator channels, and waiting for what the bot posts and records."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import aiosqlite

from bot.clock import Clock
from bot.domain.progression import Thresholds
from bot.domain.progression_render import read_spreadsheet_id
from bot.domain.running import post_key
from bot.standin import StandIn
from bot.standin.model import Message
from bot.standin.sample import SampleServer
from bot.storage import MonthClose, Storage

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
    """Run /report newcomers as the moderator and read its CSV attachment (ids written ="123…", read back as "123")."""
    reply = await slash(standin, sample.moderator, "report newcomers", **options)
    assert reply.ephemeral
    attachment = reply.message.attachments[0]
    assert attachment["filename"].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(standin.attachments[int(attachment["id"])].decode())))
    for row in rows:
        assert row["user_id"].startswith('="'), row["user_id"]
        row["user_id"] = str(read_spreadsheet_id(row["user_id"]))
    return rows


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


async def play_weekly_chat(standin: StandIn, sample: SampleServer, bot, clock: Clock, starts: datetime, *,
                           after: int, say: Callable[[Message], Awaitable[list[Message]]],
                           posted: Callable[[Message], None] = lambda _: None) -> int:
    """One week of the sample series with one question: its question added, the clock moved through the opening,
    Q1, the wrap and the recap. `say(q1)` is what members say (awaited until recorded); `posted` sees each of the
    bot's four posts as it comes. Returns the recap's id (the next week's `after`)."""
    chat = sample.channels["chat"]

    async def bot_posts(starting: str, since: int) -> Message:
        message = await standin.wait_for_message(lambda m: m.channel_id == chat.id and m.content.startswith(starting),
                                                 after=since)
        posted(message)
        return message

    await slash(standin, sample.host, "chat questions add", text=f"What did this week teach you ({starts:%Y-%m-%d})?")
    move_to(clock, starts)
    opening = await bot_posts("**Welcome", after)
    move_to(clock, starts + 2 * MINUTE)
    question = await bot_posts("**Q1:**", opening.id)
    await recorded(bot, await say(question))
    move_to(clock, starts + 30 * MINUTE)
    await bot_posts("**That's a wrap", question.id)
    move_to(clock, starts + 30 * MINUTE + timedelta(seconds=30))
    return (await bot_posts("**#GetRealChat recap**", question.id)).id


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


def holders_of(path, user_id: int) -> list[str]:
    """Every `table.column` of the SQLite file at `path` that holds `user_id`: as a number, or written inside text
    (a mention, JSON, a transcript)."""
    found: list[str] = []
    text = str(user_id)
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            for column in columns:
                hits = conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" = ? OR '
                                    f'instr(CAST("{column}" AS TEXT), ?) > 0', (user_id, text)).fetchone()[0]
                if hits:
                    found.append(f"{table}.{column}")
    return found


def t(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


async def store_everything(storage: Storage, who: int, other: int, guild: int, session: int, at: datetime) -> None:
    """`who` in every table that holds a member's id, towards `other` and from them; `other`'s own rows too."""
    s = session
    script = f"""
            INSERT OR IGNORE INTO guild_config (guild_id, updated_at, updated_by) VALUES ({guild}, '{t(at)}', {who});
            INSERT OR IGNORE INTO welcome_config (guild_id, updated_at, updated_by) VALUES ({guild}, '{t(at)}', {who});
            INSERT OR IGNORE INTO progression_config (guild_id, updated_at, updated_by)
                VALUES ({guild}, '{t(at)}', {who});
            INSERT OR IGNORE INTO progression_channel VALUES ({guild}, 42, {who}, '{t(at)}');
            INSERT INTO chat_series (id, guild_id, name, hashtag, channel_id, weekday, local_time, timezone,
                duration_seconds, spacing_seconds, first_question_seconds, created_by, created_at)
                VALUES ({s}, {guild}, 'Chat{s}', 'Chat', 42, 1, '21:00', 'UTC', 1800, 300, 120, {who}, '{t(at)}');
            INSERT INTO chat_session (id, guild_id, channel_id, series_name, hashtag, timezone, starts_at, status,
                started_by, started_at) VALUES ({s}, {guild}, 42, 'Chat', 'Chat', 'UTC', '{t(at)}', 'ended', {who},
                '{t(at)}');
            INSERT INTO session_cohost VALUES ({s}, {who});
            INSERT INTO members (guild_id, user_id, display_name, account_created_at, first_joined_at, last_joined_at)
                VALUES ({guild}, {who}, 'Kai', '{t(at)}', '{t(at)}', '{t(at)}'),
                       ({guild}, {other}, 'Mei', '{t(at)}', '{t(at)}', '{t(at)}');
            INSERT INTO newcomer (guild_id, user_id, welcome, first_message_at, first_message_text, greeted_by)
                VALUES ({guild}, {who}, 'welcomed', '{t(at)}', 'hi all', {other}),
                       ({guild}, {other}, 'welcomed', '{t(at)}', 'hello <@{who}>', {who});
            INSERT INTO newcomer_review (guild_id, user_id, status, reviewer_id, reviewed_at)
                VALUES ({guild}, {who}, 'watch', {other}, '{t(at)}'), ({guild}, {other}, 'reviewed', {who}, '{t(at)}');
            INSERT INTO chat_message (message_id, session_id, author_id, author_name, content, created_at,
                reply_to_author_id, question_number) VALUES
                ({s}01, {s}, {who}, 'Kai', 'A1: the sea', '{t(at)}', NULL, 1),
                ({s}02, {s}, {other}, 'Mei', 'thanks <@{who}>, and <@!{who}> again', '{t(at)}', {who}, NULL);
            INSERT INTO activity (guild_id, user_id, kind, session_id, message_id, target_user_id, occurred_at)
                VALUES ({guild}, {who}, 'answer', {s}, {s}01, NULL, '{t(at)}'),
                       ({guild}, {who}, 'checkin', {s}, NULL, NULL, '{t(at)}'),
                       ({guild}, {other}, 'reply', {s}, {s}02, {who}, '{t(at)}');
            INSERT INTO act VALUES ({s}02, 'thanks', {who}, {guild}, 42, {other}, {s}, '{t(at)}'),
                                   ({s}01, 'helpful', {other}, {guild}, 42, {who}, {s}, '{t(at)}');
            INSERT INTO reaction VALUES ({s}01, {other}, '🙏', {guild}, 42, {who}, '{t(at)}'),
                                        ({s}02, {who}, '❤️', {guild}, 42, {other}, '{t(at)}');
            INSERT INTO chat_greeting (session_id, user_id, first_message_id, first_at) VALUES
                ({s}, {who}, {s}01, '{t(at)}');
            INSERT INTO progression_month (guild_id, month, user_id, name, stage, reasons) VALUES
                ({guild}, '2026-02', {who}, 'Kai', 'leader', 'named'),
                ({guild}, '2026-02', {other}, 'Mei', 'lurker', '');
            INSERT INTO progression_named VALUES ({guild}, {who}, {other}, '{t(at)}'),
                                                 ({guild}, {other}, {who}, '{t(at)}');
            INSERT INTO prior_poster VALUES ({guild}, {who}, '{t(at)}');
            INSERT OR IGNORE INTO history_import (guild_id, source, status, started_by, started_at, updated_at)
                VALUES ({guild}, 'discord', 'done', {who}, '{t(at)}', '{t(at)}');
            INSERT INTO transcript VALUES ({s}, 'recap: Kai', '- **Kai**: A1: the sea', '<p>Kai</p>', '{t(at)}');
        """
    async with storage.transaction() as conn:
        for statement in script.split(";\n"):
            if statement.strip():
                await conn.execute(statement)
