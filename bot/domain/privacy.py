"""Members' control of their data: how long message text is kept, when the nightly purge runs, what an export holds,
and the words that stand in for a member who opted out or was forgotten.

Policy: message text (chat messages, newcomers' first messages, transcripts) is kept `retention_days` days (180 unless
a server sets another), then blanked; counts and monthly rollups stay. A member may opt out (nothing new is recorded
about them), opt back in, or be forgotten (their rows erased, their lines in transcripts anonymised).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.errors import UserError
from bot.domain.uploads import FILE_LIMIT

RETENTION_DEFAULT = 180
RETENTION_DAYS = range(7, 3651)  # a week to ten years
PURGE_AT = time(3, 0)  # the nightly purge, in the server's time zone

OPTED_OUT = "a member who opted out"
FORGOTTEN = "a member who was forgotten"
FORGOTTEN_MODERATOR = "a moderator who was forgotten"  # a review they made stays, under reviewer id 0
# What a purged transcript holds instead of its text (the chat's counts stay in the ledger and the monthly rollups).
PURGED_TEXT = "The text of this chat is no longer kept: this server keeps message text for a limited time."
PURGED_HTML = f"<!doctype html><html><body><p>{PURGED_TEXT}</p></body></html>"

# An export's sections, in the order the file lists them, each with what it says (the file explains itself).
SECTIONS: dict[str, str] = {
    "member": "you as the bot saw you join and leave",
    "newcomer": "your first steps here (first message, welcome, flags)",
    "newcomer_reviews": "moderators' reviews of your first steps (who reviewed is not shown)",
    "reviews_made": "reviews you made of newcomers, as a moderator",
    "greetings_given": "newcomers you were the first to greet",
    "chat_messages": "what you said in chats",
    "replies_to_you": "chat messages that replied to you (whose is not shown)",
    "activity": "your ledger: check-ins, answers, replies, greetings, hosting",
    "activity_about_you": "others' ledger rows towards you (whose is not shown)",
    "acts": "helpful acts and thanks you gave",
    "acts_received": "helpful acts and thanks you received (from whom is not shown)",
    "reactions_given": "reactions you gave, where they count",
    "reactions_received": "reactions on your messages (from whom is not shown)",
    "chat_greetings": "your first post at your first chat, and the bot's greeting",
    "cohosted": "chats you co-hosted",
    "chats_started": "chats you started",
    "transcripts": "stored transcripts in which you appear",
    "progression_months": "your stage and figures, month by month",
    "named_leader": "when a moderator named you a leader",
    "leaders_named": "leaders you named",
    "channels_added": "channels you added for progression",
    "series_created": "chat series you created",
    "settings_changed": "settings you were the last to change",
    "prior_poster": "when you were last seen posting before the bot came",
    "history_imports": "history imports you started",
    "optout": "whether you opted out of being recorded",
}


def unnamed(text: str, user_ids: frozenset[int], phrase: str = OPTED_OUT) -> str:
    """Text with its mentions of these members replaced by "@<phrase>" (what others say about them is kept without
    saying who)."""
    if "<@" not in text:
        return text
    for user_id in user_ids:
        text = text.replace(f"<@!{user_id}>", f"@{phrase}").replace(f"<@{user_id}>", f"@{phrase}")
    return text


def check_retention(days: int) -> int:
    """The number of days message text is kept; UserError for a number out of range."""
    if days not in RETENTION_DAYS:
        raise UserError(f"Keep message text for {RETENTION_DAYS.start} to {RETENTION_DAYS.stop - 1} days "
                        f"({RETENTION_DEFAULT} is the default), not {days}.")
    return days


def retention_of(days: int | None) -> int:
    """A server's retention: its own, else the default."""
    return RETENTION_DEFAULT if days is None else days


def purge_cutoff(now: datetime, days: int | None) -> datetime:
    """Text written before this moment is purged."""
    return now - timedelta(days=retention_of(days))


def next_purge(last: datetime | None, now: datetime, zone: ZoneInfo) -> datetime:
    """When a server's nightly purge is next due: the first PURGE_AT (local) after the last purge, or after now if it
    never ran; a night missed while the bot was down is due at once."""
    after = now if last is None else last
    local = after.astimezone(zone)
    due = datetime.combine(local.date(), PURGE_AT, zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), PURGE_AT, zone)
    return max(due, now) if last is not None else due


@dataclass(frozen=True)
class PurgeCounts:
    """What a purge blanks (or would blank) in one server."""

    messages: int
    first_messages: int
    transcripts: int

    def describe(self, days: int) -> str:
        """One line: what went, and the rule."""
        return (f"text older than {days} days: {_count(self.messages, 'chat message')}, "
                f"{_count(self.first_messages, 'first message')}, {_count(self.transcripts, 'transcript')}")


# The counts a forget reports, by the kinds storage erases, in the order they are told.
ERASED_KINDS: dict[str, tuple[str, str]] = {
    "messages": ("chat message", "chat messages"),
    "ledger": ("ledger row", "ledger rows"),
    "acts": ("helpful act or thanks", "helpful acts and thanks"),
    "reactions": ("reaction", "reactions"),
    "newcomer": ("newcomer record", "newcomer records"),
    "reviews": ("review", "reviews"),
    "greetings": ("greeting", "greetings"),
    "months": ("month of progression", "months of progression"),
    "mentions": ("mention by others", "mentions by others"),
    "transcripts": ("transcript", "transcripts"),
    "other": ("other record", "other records"),
}


def erased_summary(counts: Mapping[str, int]) -> str:
    """What a forget erased, kind by kind (nothing: said so)."""
    told = [_count(counts[kind], *names) for kind, names in ERASED_KINDS.items() if counts.get(kind)]
    return ", ".join(told) if told else "nothing was stored about you"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _as_text(value: Any, key: str) -> Any:
    """Ids as strings (JavaScript loses digits past 2**53); everything else as stored."""
    if isinstance(value, int) and not isinstance(value, bool) and (key == "id" or key.endswith(("_id", "_by"))):
        return str(value)
    return value


def export_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with their ids written as strings."""
    return [{key: _as_text(value, key) for key, value in row.items()} for row in rows]


def export_files(guild_id: int, user_id: int, exported_at: datetime, sections: Mapping[str, list[dict[str, Any]]],
                 *, limit: int = FILE_LIMIT, stem: str = "heartbeat-data") -> list[tuple[str, bytes]]:
    """A member's export as JSON: one file, or several parts each under `limit` bytes when it is large.

    Every part names the server, the member and the moment, and explains its sections.
    """
    head = {"server_id": str(guild_id), "user_id": str(user_id), "exported_at": exported_at.isoformat()}

    def encode(part: dict[str, Any]) -> bytes:
        return json.dumps(part, ensure_ascii=False, indent=1).encode()

    def fresh() -> dict[str, Any]:
        return {**head, "sections": {}, "explained": {}}

    # Sizes are counted row by row (re-encoding a growing part at each row would cost its square); the margin
    # covers the indentation and the part's heading and explanations.
    budget = limit - len(encode({**fresh(), "explained": SECTIONS})) - 1024
    parts, size = [fresh()], 0
    for name in SECTIONS:
        part = parts[-1]
        part["sections"][name], part["explained"][name] = [], SECTIONS[name]
        for row in sections.get(name, []):
            cost = len(json.dumps(row, ensure_ascii=False, indent=1).encode()) * 2 + 8
            if size + cost > budget and size > 0:
                part, size = fresh(), 0
                parts.append(part)
                part["sections"][name], part["explained"][name] = [], SECTIONS[name]
            part["sections"][name].append(row)
            size += cost
    if len(parts) == 1:
        return [(f"{stem}.json", encode(parts[0]))]
    for number, part in enumerate(parts, 1):
        part["part"] = f"{number} of {len(parts)}"
    return [(f"{stem}-{number}.json", encode(part)) for number, part in enumerate(parts, 1)]
