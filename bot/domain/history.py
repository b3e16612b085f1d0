"""A community's past, as the importer reads it: one message of a channel, wherever it came from (Discord's history
API or a DiscordChatExporter file). The import pipeline turns these into the ledger rows the live bot writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PastMessage:
    """A message said in the past in a server's channel (or thread), with what the ledger needs of it."""

    message_id: int
    channel_id: int  # the thread's own id inside a thread
    parent_id: int | None  # the channel a thread belongs to (None: not in a thread)
    author_id: int
    author_name: str
    author_is_bot: bool
    content: str  # raw text: <@id> mentions as Discord writes them, where the source keeps them
    created_at: datetime  # aware
    edited_at: datetime | None = None
    reply_to: int | None = None  # the message id it replies to
    mentions: tuple[int, ...] = ()  # members it pings (an automatic reply ping included, as Discord lists it)
    mention_everyone: bool = False
    reactions: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (emoji, who reacted), where the source lists them
    system: bool = False  # a join notice, a pin, a thread created: not something a member said
