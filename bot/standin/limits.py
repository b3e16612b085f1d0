"""Discord's limits on what a bot sends, as pure checks of a request's JSON body: a refusal to answer, or None.

The numbers are Discord's own (API docs: Message, Embed limits, Component reference, Uploading Files,
Guild Scheduled Event). Each check names the field the way Discord's "Invalid Form Body" errors do
(`embeds.0.description`), so discord.py shows the bot's developer which part was refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MIB = 1024 * 1024
CONTENT_LIMIT = 2000
NONCE_LIMIT = 25
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBEDS_TOTAL = 6000
ACTION_ROWS = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
# Uploads: 10 MiB a file in a server without boosts, 25 MiB a request.
FILE_LIMIT = 10 * MIB
REQUEST_LIMIT = 25 * MIB

EVENT_NAME_LIMIT = 100
EVENT_DESCRIPTION_LIMIT = 1000
EVENT_LOCATION_LIMIT = 100
EXTERNAL = 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
# The only moves Discord allows: scheduled → active → completed, and scheduled → canceled.
EVENT_MOVES = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}}

INVALID_FORM_BODY = 50035
ENTITY_TOO_LARGE = 40005
FINISHED_EVENT = 180000


@dataclass(frozen=True)
class Refusal:
    """Why Discord refuses a request: the HTTP status, Discord's error code, the field and what is wrong with it."""

    status: int
    code: int
    field: str
    reason: str

    def body(self) -> dict[str, Any]:
        """The error JSON Discord answers with (form errors nested by field path, as discord.py flattens them)."""
        if self.code != INVALID_FORM_BODY:
            return {"message": self.reason, "code": self.code}
        errors: dict[str, Any] = {"_errors": [{"code": "BASE_TYPE_INVALID", "message": self.reason}]}
        for part in reversed(self.field.split(".")):
            errors = {part: errors}
        return {"message": "Invalid Form Body", "code": self.code, "errors": errors}


def _form(field: str, reason: str) -> Refusal:
    return Refusal(400, INVALID_FORM_BODY, field, reason)


def _too_long(field: str, text: Any, limit: int) -> Refusal | None:
    if text is not None and len(str(text)) > limit:
        return _form(field, f"Must be {limit} or fewer in length.")
    return None


def _first(refusals: Iterable[Refusal | None]) -> Refusal | None:
    return next((r for r in refusals if r is not None), None)


def embed_refusal(embeds: list[dict[str, Any]]) -> Refusal | None:
    """Discord's embed limits: ten embeds, each part's length, 25 fields, and 6000 characters in all of them."""
    if len(embeds) > EMBEDS_PER_MESSAGE:
        return _form("embeds", f"Must be {EMBEDS_PER_MESSAGE} or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        at = f"embeds.{index}"
        fields = embed.get("fields") or []
        footer = (embed.get("footer") or {}).get("text")
        author = (embed.get("author") or {}).get("name")
        found = _first([_too_long(f"{at}.title", embed.get("title"), EMBED_TITLE),
                        _too_long(f"{at}.description", embed.get("description"), EMBED_DESCRIPTION),
                        _too_long(f"{at}.footer.text", footer, EMBED_FOOTER),
                        _too_long(f"{at}.author.name", author, EMBED_AUTHOR),
                        _form(f"{at}.fields", f"Must be {EMBED_FIELDS} or fewer in length.")
                        if len(fields) > EMBED_FIELDS else None])
        found = found or _first(
            _too_long(f"{at}.fields.{n}.name", field.get("name"), EMBED_FIELD_NAME)
            or _too_long(f"{at}.fields.{n}.value", field.get("value"), EMBED_FIELD_VALUE)
            for n, field in enumerate(fields))
        if found:
            return found
        parts = [embed.get("title"), embed.get("description"), footer, author]
        parts += [part for field in fields for part in (field.get("name"), field.get("value"))]
        total += sum(len(str(part)) for part in parts if part)
    if total > EMBEDS_TOTAL:
        return _form("embeds", f"Embed size exceeds maximum size of {EMBEDS_TOTAL}")
    return None


def component_refusal(rows: list[dict[str, Any]]) -> Refusal | None:
    """Discord's component limits: five action rows of five, custom ids 1–100 and unique, labels up to 80."""
    if len(rows) > ACTION_ROWS:
        return _form("components", f"Must be {ACTION_ROWS} or fewer in length.")
    seen: set[str] = set()
    for index, row in enumerate(rows):
        items = row.get("components") or []
        if len(items) > BUTTONS_PER_ROW:
            return _form(f"components.{index}.components", f"Must be {BUTTONS_PER_ROW} or fewer in length.")
        for number, item in enumerate(items):
            at = f"components.{index}.components.{number}"
            if found := _too_long(f"{at}.label", item.get("label"), LABEL_LIMIT):
                return found
            if "custom_id" not in item:
                continue  # a link button has a url instead
            custom_id = str(item["custom_id"])
            if not 1 <= len(custom_id) <= CUSTOM_ID_LIMIT:
                return _form(f"{at}.custom_id", f"Must be between 1 and {CUSTOM_ID_LIMIT} in length.")
            if custom_id in seen:
                return _form(f"{at}.custom_id", "Component custom id cannot be duplicated")
            seen.add(custom_id)
    return None


def file_refusal(sizes: Iterable[int], *, file_limit: int = FILE_LIMIT,
                 request_limit: int = REQUEST_LIMIT) -> Refusal | None:
    """Discord's upload limits: each file, and all files of one request together."""
    sizes = list(sizes)
    if any(size > file_limit for size in sizes) or sum(sizes) > request_limit:
        return Refusal(413, ENTITY_TOO_LARGE, "files", "Request entity too large")
    return None


def message_refusal(body: dict[str, Any] | None, file_sizes: Iterable[int] = (), *, file_limit: int = FILE_LIMIT,
                    request_limit: int = REQUEST_LIMIT) -> Refusal | None:
    """What Discord refuses in a message body it is asked to create or edit (the parts present are checked)."""
    body = body or {}
    return _first([file_refusal(file_sizes, file_limit=file_limit, request_limit=request_limit),
                   _too_long("content", body.get("content"), CONTENT_LIMIT),
                   _too_long("nonce", body.get("nonce"), NONCE_LIMIT),
                   embed_refusal(body.get("embeds") or []),
                   component_refusal(body.get("components") or [])])


def event_refusal(body: dict[str, Any], current: dict[str, Any] | None = None) -> Refusal | None:
    """What Discord refuses in creating a scheduled event (current is None) or in changing `current` with `body`."""
    if current is not None:
        status = int(current.get("status") or SCHEDULED)
        if status in (COMPLETED, CANCELED):
            return Refusal(400, FINISHED_EVENT, "status", "Cannot update a finished event")
        wanted = body.get("status")
        if wanted is not None and wanted != status and wanted not in EVENT_MOVES.get(status, set()):
            return _form("status", f"Cannot move a scheduled event from status {status} to {wanted}")
    event = {**(current or {}), **body}
    name = event.get("name") or ""
    if not 1 <= len(name) <= EVENT_NAME_LIMIT:
        return _form("name", f"Must be between 1 and {EVENT_NAME_LIMIT} in length.")
    if found := _too_long("description", event.get("description"), EVENT_DESCRIPTION_LIMIT):
        return found
    if event.get("entity_type") == EXTERNAL:
        location = (event.get("entity_metadata") or {}).get("location") or ""
        if not 1 <= len(location) <= EVENT_LOCATION_LIMIT:
            return _form("entity_metadata.location", f"Must be between 1 and {EVENT_LOCATION_LIMIT} in length.")
        if not event.get("scheduled_end_time"):
            return _form("scheduled_end_time", "External events require an end time.")
    return None


def discord_moves(event: dict[str, Any], now: datetime) -> list[int]:
    """The statuses Discord itself moves an external event through by `now`: active at its start, then completed."""
    status = int(event.get("status") or SCHEDULED)
    if event.get("entity_type") != EXTERNAL:
        return []
    moves = []
    start, end = event.get("scheduled_start_time"), event.get("scheduled_end_time")
    if status == SCHEDULED and start and datetime.fromisoformat(start) <= now:
        status = ACTIVE
        moves.append(status)
    if status == ACTIVE and end and datetime.fromisoformat(end) <= now:
        moves.append(COMPLETED)
    return moves
