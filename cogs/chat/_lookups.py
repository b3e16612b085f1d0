"""What a `/chat` command points at: a series, one of its sessions, the running chat, a past chat, the server's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import discord

from bot.chats import Chats
from bot.clock import Clock
from bot.domain.errors import UserError
from bot.domain.series import parse_date, session_on, upcoming_sessions
from bot.domain.text import excerpt
from bot.plans import past_chats, slot_of
from bot.storage import ChatSession, Series, Storage, Transcript


async def chosen_series(storage: Storage, interaction: discord.Interaction, name: str | None) -> Series:
    """The named series of the interaction's server, or the server's only one when no name is given."""
    guild_id = interaction.guild_id
    assert guild_id is not None  # every /chat command is guild_only
    if name:
        series = await storage.series.find(guild_id, name)
        if series is None:
            raise UserError(f"There is no series called '{excerpt(name)}': `/chat list` shows them.")
        return series
    every = await storage.series.all(guild_id)
    if not every:
        raise UserError("This server has no chat series yet: a host can start one with `/chat create`.")
    if len(every) > 1:
        raise UserError(f"This server has {len(every)} series: name one with the series option.")
    return every[0]


async def next_starts(storage: Storage, clock: Clock, series: Series, count: int) -> list[datetime]:
    """When a series' next `count` sessions start, leaving out skipped ones."""
    skipped = await storage.sessions.skipped_starts(series.id)
    return upcoming_sessions(slot_of(series), clock(), count, skipped)


async def session_on_or_next(storage: Storage, clock: Clock, series: Series, date: str | None) -> ChatSession:
    """The series' session on a local date, or its next one to come."""
    if date:
        start = session_on(slot_of(series), parse_date(date), clock())
        if start in await storage.sessions.skipped_starts(series.id):
            raise UserError(f"The {date} session is skipped: pick another date.")
    else:
        start = (await next_starts(storage, clock, series, 1))[0]
    return await storage.sessions.at(series, start)


async def chosen_session(storage: Storage, clock: Clock, interaction: discord.Interaction, series: str | None,
                         date: str | None) -> ChatSession:
    """The session on a local date (or the next one) of the named series (or the server's only one)."""
    return await session_on_or_next(storage, clock, await chosen_series(storage, interaction, series), date)


async def running_chat(chats: Chats, interaction: discord.Interaction) -> ChatSession:
    """The chat running in the interaction's channel (the one started last), or the server's only running chat."""
    assert interaction.guild_id is not None  # every /chat command is guild_only
    return await chats.live.current(interaction.guild_id, interaction.channel_id)


async def running_chats(chats: Chats, interaction: discord.Interaction) -> list[ChatSession]:
    """Every chat running in the interaction's channel, or the server's only running chat."""
    assert interaction.guild_id is not None  # every /chat command is guild_only
    return await chats.live.running_here(interaction.guild_id, interaction.channel_id)


# A transcript being built when asked for is ready moments after its recap's due time.
BUILD_MARGIN = timedelta(seconds=10)


async def past_chat(storage: Storage, clock: Clock, guild_id: int, *, date: str | None,
                    series: str | None) -> tuple[ChatSession, Transcript]:
    """The latest chat with a transcript, and the transcript; of the named series and on the date when given.

    A chat that has ended but whose recap (and so its transcript) is still to come is newer than any kept one: the
    member is told it is being prepared, and when to ask again.
    """
    day = parse_date(date) if date else None
    with_transcripts = await storage.transcripts.sessions(guild_id)
    await _not_being_prepared(storage, clock, guild_id, {s.id for s in with_transcripts}, series=series, day=day)
    past = past_chats(with_transcripts, series=series, day=day)
    if not past:
        raise UserError("No finished chat matches that" + (f" on {date}" if date else "") +
                        ": transcripts appear here once a chat has ended.")
    kept = await storage.transcripts.get(past[0].id)
    assert kept is not None  # listed because it has one
    return past[0], kept


async def _not_being_prepared(storage: Storage, clock: Clock, guild_id: int, kept: set[int], *, series: str | None,
                              day: date | None) -> None:
    """Refuse, saying when to try again, if a matching chat has ended and its transcript (built as its recap goes out)
    is not kept yet."""
    recaps = {post.session_id: post for post in await storage.posts.pending()
              if post.kind == "recap" and post.session_id is not None and post.session_id not in kept}
    ended = [session for session_id in recaps
             if (session := await storage.sessions.get(session_id)) is not None
             and session.guild_id == guild_id and session.ended_at is not None]
    waiting = past_chats(ended, series=series, day=day)
    if waiting:
        again = max(recaps[waiting[0].id].due_at, clock()) + BUILD_MARGIN
        raise UserError(f"The transcript of #{waiting[0].hashtag} is being prepared now that the chat has ended: "
                        f"try again {discord.utils.format_dt(again, 'R')}.")


async def server_zone(storage: Storage, guild_id: int, default: str) -> str:
    """The server's time zone, or `default` (the bot's) when the server has not set one."""
    config = await storage.config.get(guild_id)
    return config.timezone or default
