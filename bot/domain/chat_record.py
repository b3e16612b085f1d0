"""A finished hashtag chat as its recap and transcripts read it: the record, and the names and text both show.

Everything here is pure: the caller gathers the chat into a `ChatRecord` (leaving out members who opted out of
being counted); `bot.domain.recap` turns it into figures and the public post, `bot.domain.transcript` into the
Markdown and HTML transcripts. Nothing reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.schedule import require_aware


@dataclass(frozen=True)
class ChatQuestion:
    """One numbered question of a chat, and when and where the bot posted it (None if it never was)."""

    number: int
    text: str
    posted_at: dt.datetime | None
    message_id: int | None

    def __post_init__(self) -> None:
        require_aware("posted_at", self.posted_at)


@dataclass(frozen=True)
class ChatMessage:
    """One message posted in the chat channel during the chat."""

    message_id: int
    author_id: int
    author_name: str
    content: str
    created_at: dt.datetime
    # The question this message answers, None if it is not an answer.
    question_number: int | None
    # Author of the message it replies to or mentions, for "replies to others".
    reply_to_author_id: int | None
    reactions: int = 0
    is_bot: bool = False
    jump_url: str | None = None
    # The message it is a Discord reply to (a member's), for showing a reply under what it answers.
    reply_to_message_id: int | None = None

    def __post_init__(self) -> None:
        require_aware("created_at", self.created_at)


@dataclass(frozen=True)
class ChatRecord:
    """Everything about one finished chat that the recap and the transcripts are made from."""

    series_name: str
    hashtag: str
    topic: str | None
    guest: str | None
    starts_at: dt.datetime
    ended_at: dt.datetime
    zone: str
    questions: Sequence[ChatQuestion]
    messages: Sequence[ChatMessage]
    # User ids who pressed "I'm here".
    checked_in: Collection[int]
    # User ids at their first chat.
    first_timers: Collection[int]
    # User id to display name, for check-ins who never posted.
    names: Mapping[int, str]

    def __post_init__(self) -> None:
        require_aware("starts_at", self.starts_at)
        require_aware("ended_at", self.ended_at)


def in_order(messages: Iterable[ChatMessage]) -> list[ChatMessage]:
    """Return the messages in posting order; the id breaks ties because Discord ids grow with time."""
    return sorted(messages, key=lambda m: (m.created_at, m.message_id))


def display_names(record: ChatRecord) -> dict[int, str]:
    """Map every known user id to a name: the one they last posted under, else the record's names."""
    names = {user_id: name for user_id, name in record.names.items() if name.strip()}
    for message in in_order(record.messages):
        if message.author_name.strip():
            names[message.author_id] = message.author_name
    return names


def name_of(names: Mapping[int, str], user_id: int) -> str:
    """Return a user's name, or a neutral stand-in when nothing told us what they are called."""
    return names.get(user_id) or f"Member {user_id}"


def display_hashtag(record: ChatRecord) -> str:
    """Return the chat's hashtag with exactly one leading "#", falling back to the series name."""
    tag = "".join((record.hashtag or record.series_name).split()).lstrip("#")
    return "#" + tag if tag else "#chat"


def plural(count: int, word: str) -> str:
    """Return "1 answer" / "12 answers"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# The characters that mean something mid-line in Discord's (and CommonMark's) Markdown; "<" also starts
# mentions, timestamps and custom emoji. Line-start markers ("#", "-", ">") need no escape because user
# text is never put at the start of a line.
_MARKDOWN_SPECIALS = re.compile(r"([\\*_~`|<>\[\]])")


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown so user text shows exactly as typed."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)
