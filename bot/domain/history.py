"""A community's past, as the importer reads it: one message of a channel, wherever it came from (Discord's history
API or a DiscordChatExporter file). The import pipeline turns these into the ledger rows the live bot writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from bot.domain.errors import UserError


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


_CHANNEL = re.compile(r"<#(\d+)>|(\d{17,20})")


def channel_ids(text: str) -> list[int]:
    """The channels named in a command option ("#help #chat", as Discord writes them: <#id>), in order, once each;
    raises UserError if there are none or something else is there."""
    found = [int(a or b) for a, b in _CHANNEL.findall(text)]
    rest = _CHANNEL.sub("", text).replace(",", " ").strip()
    if not found or rest:
        raise UserError("Name the channels by mentioning them, e.g. `#getreal-chat #help`.")
    return list(dict.fromkeys(found))


def import_start(day: date | None, zone: tzinfo, now: datetime) -> datetime | None:
    """The instant an import starts reading from: the start of `day` in the server's time zone (None: everything);
    raises UserError for a day still to come."""
    if day is None:
        return None
    start = datetime.combine(day, time(0, 0), zone)
    if start > now:
        raise UserError(f"{day.isoformat()} has not happened yet: give a past date to import from, or leave `since` "
                        "out to import everything.")
    return start
