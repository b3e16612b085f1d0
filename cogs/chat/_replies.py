"""What `/chat` shows: series and their next sessions, a session's questions, times every reader sees locally."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.domain.questions import question_listing
from bot.domain.schedule import WEEKDAY_NAMES
from bot.domain.timeline import ChatPlan, format_duration
from bot.storage import ChatSession, Series

# An embed holds 4096 characters, about 15 series; a server with more sees the first ones and a count.
LISTING_LENGTH = 3900


def when(instant: datetime) -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"{discord.utils.format_dt(instant, 'F')} ({discord.utils.format_dt(instant, 'R')})"


def transcript_heading(session: ChatSession) -> str:
    """What `/chat transcript` says above a chat's files: when it was, as a Discord timestamp (each reader's own zone,
    and how long ago)."""
    return f"#{session.hashtag}, {when(session.started_at or session.starts_at)}:"


def describe(series: Series, next_starts: list[datetime]) -> str:
    """One series for `/chat list`: when it runs, where, and its next sessions."""
    head = (f"**{series.name}** · #{series.hashtag} · {WEEKDAY_NAMES[series.weekday]}s "
            f"{series.local_time:%H:%M} {series.timezone} in <#{series.channel_id}>")
    head += "\nThe recap lists who answered most." if series.most_answers else \
        "\nThe recap leaves out who answered most."
    if series.paused:
        return head + "\nPaused: `/chat resume` brings it back."
    return head + "\n" + "\n".join(f"• {when(start)}" for start in next_starts)


def series_listing(blocks: list[str]) -> discord.Embed:
    """Every series described in one embed, as many as fit, then how many more there are."""
    shown, length = [], 0
    for block in blocks:
        if length + len(block) > LISTING_LENGTH:
            break
        shown.append(block)
        length += len(block) + 2
    more = f"\n\n…and {len(blocks) - len(shown)} more." if len(shown) < len(blocks) else ""
    return discord.Embed(description="\n\n".join(shown) + more)


def plan_summary(plan: ChatPlan) -> str:
    """A chat plan in one phrase: its length, when Q1 comes, the spacing and the pacing."""
    return (f"{format_duration(plan.duration)} long, Q1 after {format_duration(plan.first_question)}, "
            f"then every {format_duration(plan.spacing)} ({plan.pacing} pacing)")


def question_embeds(session: ChatSession, questions: list[str]) -> list[discord.Embed]:
    """A session's questions as hosts see them: embeds, since 12 long questions exceed a message's 2000."""
    return [discord.Embed(description=page) for page in question_listing(
        session.hashtag, session.starts_at, session.topic, session.guest, questions)]


def questions_ready(count: int) -> str:
    """How many prepared questions a series' chat starts with, or how to post some when there are none."""
    if count:
        return f"{count} question{'' if count == 1 else 's'} ready."
    return "No questions are loaded: post them with `/chat next text:…`."


def ended(sessions: list[ChatSession]) -> str:
    """What `/chat end` ended: one chat, or (from a database where they could collide) every chat in the channel."""
    if len(sessions) == 1:
        return f"Ended #{sessions[0].hashtag}; the recap follows within a minute."
    tags = [f"#{session.hashtag}" for session in sessions]
    return f"Ended {', '.join(tags[:-1])} and {tags[-1]}; the recaps follow within a minute."
