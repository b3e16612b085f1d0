"""Reading a DiscordChatExporter JSON export as a stream of PastMessages, never the whole file at once.

Every key DCE added over the years is optional here (reaction users, roles, emoji codes, reference types …). Dates
carry the exporting machine's offset and are turned to UTC. Emoji outside the BMP come surrogate-escaped and are
read as the characters they are. By default DCE writes a mention as "@nick"; each one of the message's listed
mentions is turned back into "<@id>", as Discord wrote it, so the ledger judges it as the live bot would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

import ijson  # type: ignore[import-untyped]

from bot.domain.history import PastMessage

# What members say: a plain message, a reply, and an application's answer to a slash command or a context menu.
SAID = {"Default", "Reply", "0", "19", "20", "23"}
REPLY = {"Reply", "19"}


class BadExport(Exception):
    """A file that is not a usable export: the message says what is wrong in one sentence."""


@dataclass(frozen=True)
class ExportHeader:
    """What an export says about itself before its messages."""

    guild_id: int
    guild_name: str
    channel_id: int
    channel_name: str
    parent_id: int | None  # a thread's channel


def read_export(stream: BinaryIO, name: str) -> tuple[ExportHeader, Iterator[PastMessage]]:
    """The export's header (read at once) and its messages (read as they are asked for), oldest first as written.

    Raises BadExport for a file that is not JSON, not an export, or an export without a messages list.
    """
    events = ijson.parse(stream)
    header: dict[str, Any] = {}
    try:
        for prefix, event, value in events:
            if prefix == "" and event == "end_map":
                raise BadExport(f"{name} has no messages: export the channel again with its messages.")
            if prefix == "" and event not in ("start_map", "map_key"):
                raise BadExport(f"{name} is not a DiscordChatExporter JSON export.")
            if prefix == "messages" and event == "start_array":
                break
            if event in ("string", "number", "null") and prefix in ("guild.id", "guild.name", "channel.id",
                                                                      "channel.type", "channel.name",
                                                                      "channel.categoryId"):
                header[prefix] = value
        else:
            raise BadExport(f"{name} is empty or not a DiscordChatExporter JSON export.")
    except ijson.JSONError as error:
        raise BadExport(f"{name} is not valid JSON ({_reason(error)}).") from error
    if not _snowflake(header.get("guild.id")) or not _snowflake(header.get("channel.id")):
        raise BadExport(f"{name} is not a DiscordChatExporter export of a server's channel (no guild or channel id).")
    thread = "Thread" in str(header.get("channel.type") or "")
    parent = header.get("channel.categoryId")
    found = ExportHeader(int(header["guild.id"]), str(header.get("guild.name") or ""), int(header["channel.id"]),
                         str(header.get("channel.name") or ""),
                         int(str(parent)) if thread and _snowflake(parent) else None)
    return found, _messages(events, found, name)


def _snowflake(value: object) -> bool:
    return isinstance(value, str) and value.isdigit() or isinstance(value, int)


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:120]


def _messages(events: Iterator[tuple[str, str, Any]], header: ExportHeader, name: str) -> Iterator[PastMessage]:
    try:
        builder: ijson.ObjectBuilder | None = None
        depth = 0
        for prefix, event, value in events:
            if builder is None:
                if prefix == "messages" and event == "end_array":
                    break
                if prefix == "messages.item" and event == "start_map":
                    builder, depth = ijson.ObjectBuilder(), 0
                else:
                    raise BadExport(f"{name} has something other than a message in its messages list.")
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    yield past_message(builder.value, header, name)
                    builder = None
        else:
            raise BadExport(f"{name} ends before its messages do: the file is cut short.")
        for _ in events:  # the rest (messageCount) must still be well-formed
            pass
    except ijson.JSONError as error:
        raise BadExport(f"{name} is not valid JSON or is cut short ({_reason(error)}).") from error


def past_message(raw: dict[str, Any], header: ExportHeader, name: str = "the export") -> PastMessage:
    """One exported message as a PastMessage."""
    try:
        author = raw["author"]
        kind = str(raw.get("type") or "Default")
        mentions = [user for user in raw.get("mentions") or [] if isinstance(user, dict) and user.get("id")]
        content = restore_mentions(str(raw.get("content") or ""), mentions)
        reference = raw.get("reference") or {}
        reply_to = reference.get("messageId") if kind in REPLY and reference.get("type", "Default") == "Default" \
            else None
        return PastMessage(
            message_id=int(raw["id"]), channel_id=header.channel_id, parent_id=header.parent_id,
            author_id=int(author["id"]), author_name=str(author.get("nickname") or author.get("name") or ""),
            author_is_bot=bool(author.get("isBot", False)), content=content,
            created_at=parse_date(raw["timestamp"]),
            edited_at=parse_date(raw["timestampEdited"]) if raw.get("timestampEdited") else None,
            reply_to=int(reply_to) if reply_to else None,
            mentions=tuple(dict.fromkeys(int(user["id"]) for user in mentions if not user.get("isBot", False))),
            mention_everyone="@everyone" in content or "@here" in content,
            reactions=tuple((emoji_text(r.get("emoji") or {}), tuple(int(u["id"]) for u in r.get("users") or []
                                                                     if isinstance(u, dict) and u.get("id")))
                            for r in raw.get("reactions") or [] if isinstance(r, dict)),
            system=kind not in SAID)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BadExport(f"{name} has a message that is not in DiscordChatExporter's format "
                        f"(message {raw.get('id') if isinstance(raw, dict) else '?'}: {error!r}).") from error


def parse_date(text: str) -> datetime:
    """An export's date (any offset, a trimmed fraction) in UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"a date without an offset: {text}")
    return moment.astimezone(UTC)


def restore_mentions(content: str, mentions: list[dict[str, Any]]) -> str:
    """Turn "@nick" back into "<@id>" for each listed mention not already written raw."""
    names: list[tuple[str, int]] = []
    for user in mentions:
        user_id = int(user["id"])
        if f"<@{user_id}>" in content or f"<@!{user_id}>" in content:
            continue
        for key in ("nickname", "name"):
            if user.get(key):
                names.append((str(user[key]), user_id))
    for nick, user_id in sorted(names, key=lambda pair: len(pair[0]), reverse=True):
        content = re.sub(r"@" + re.escape(nick) + r"(?![\w])", f"<@{user_id}>", content)
    return content


def emoji_text(emoji: dict[str, Any]) -> str:
    """A reaction's emoji as the live bot writes it: the emoji itself, or "<:name:id>" for a server's own."""
    name = str(emoji.get("name") or "")
    emoji_id = emoji.get("id")
    if emoji_id:
        return f"<{'a' if emoji.get('isAnimated') else ''}:{name}:{emoji_id}>"
    return name
