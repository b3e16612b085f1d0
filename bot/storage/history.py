"""What an import of a community's past writes (storage.history): the chats found in it, their messages and ledger
rows, and the members seen posting. Every write is keyed (message ids, a chat's imported_key), so importing the
same messages twice adds nothing, and nothing the live bot recorded is overwritten."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage._database import Database, Queries, from_text, required, to_text
from bot.storage.messages import StoredMessage, counted_as
from bot.storage.prior_posters import PriorPosterQueries


@dataclass(frozen=True)
class ImportedChat:
    """A chat found in imported messages, as its session row is written."""

    key: str  # chat_session.imported_key: the channel and its first question's message
    guild_id: int
    channel_id: int
    series_id: int | None
    series_name: str
    hashtag: str
    timezone: str
    starts_at: datetime
    ended_at: datetime
    questions: tuple[str, ...]  # Q1 first; a number never asked is left empty


@dataclass(frozen=True)
class Poster:
    """Someone seen posting in imported messages: their name, and their first and latest post."""

    user_id: int
    name: str
    account_created_at: datetime
    first_at: datetime
    last_at: datetime


class HistoryQueries(Queries):
    """Imported chats, messages and posters: storage.history."""

    def __init__(self, db: Database, prior_posters: PriorPosterQueries) -> None:
        """Query `db`; who posted is recorded through storage.prior_posters."""
        super().__init__(db)
        self._prior_posters = prior_posters

    async def add_chat(self, chat: ImportedChat) -> tuple[int, bool]:
        """The session of an imported chat, written if new: (its id, whether it was written now).

        A series' session already at that start (planned while the bot was away, or run live) is that chat: one
        that never ran becomes the imported chat; one that ran keeps what the bot recorded.
        """
        starts, ended = to_text(chat.starts_at, "starts_at"), to_text(chat.ended_at, "ended_at")
        async with self._db.transaction() as conn:
            found = await self._db.fetchone("SELECT id FROM chat_session WHERE imported_key = ?", (chat.key,))
            if found is not None:
                return int(found[0]), False
            if chat.series_id is not None:
                found = await self._db.fetchone(
                    "SELECT id, started_at FROM chat_session WHERE series_id = ? AND starts_at = ?",
                    (chat.series_id, starts))
                if found is not None and found[1] is not None:
                    return int(found[0]), False
                if found is not None:
                    await conn.execute(
                        "UPDATE chat_session SET status = 'ended', started_at = ?, ended_at = ?, ends_at = ?, "
                        "imported_key = ?, event_id = NULL WHERE id = ?",
                        (starts, ended, ended, chat.key, found[0]))
                    await conn.execute("DELETE FROM scheduled_post WHERE session_id = ?", (found[0],))
                    await self._questions(chat, int(found[0]))
                    return int(found[0]), True
            cursor = await conn.execute(
                "INSERT INTO chat_session (series_id, guild_id, channel_id, series_name, hashtag, timezone, "
                "starts_at, status, started_at, ended_at, ends_at, imported_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'ended', ?, ?, ?, ?)",
                (chat.series_id, chat.guild_id, chat.channel_id, chat.series_name, chat.hashtag, chat.timezone, starts,
                 starts, ended, ended, chat.key))
            session_id = int(cursor.lastrowid or 0)
            await cursor.close()
            await self._questions(chat, session_id)
            return session_id, True

    async def _questions(self, chat: ImportedChat, session_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO question (session_id, number, text) VALUES (?, ?, ?)",
                [(session_id, number, text) for number, text in enumerate(chat.questions, 1)])

    async def add_messages(self, guild_id: int, messages: Sequence[StoredMessage]) -> int:
        """Store chat messages not stored yet, with their rows in the activity ledger; returns how many were new."""
        if not messages:
            return 0
        async with self._db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO chat_message (message_id, session_id, author_id, author_name, content, created_at, "
                "edited_at, deleted, reply_to_author_id, question_number, reactions) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                [(m.message_id, m.session_id, m.author_id, m.author_name, m.content,
                  to_text(m.created_at, "created_at"),
                  None if m.edited_at is None else to_text(m.edited_at, "edited_at"),
                  m.reply_to_author_id, m.question_number, m.reactions) for m in messages])
            added = conn.total_changes - before
            await conn.executemany(
                "INSERT OR IGNORE INTO activity (guild_id, user_id, kind, session_id, question_number, message_id, "
                "target_user_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(guild_id, m.author_id, kind, m.session_id, number, m.message_id, target,
                  to_text(m.created_at, "created_at"))
                 for m in messages for kind, number, target in counted_as(m)])
        return added

    async def add_posters(self, guild_id: int, posters: Sequence[Poster]) -> int:
        """Record who posted: known to have posted before (prior_poster), and, if the server's member list does not
        have them, kept as a member who has since left (join_count 0). Returns how many members were new."""
        if not posters:
            return 0
        async with self._db.transaction() as conn:
            await self._prior_posters.record(guild_id, {p.user_id: p.last_at for p in posters})
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO members (guild_id, user_id, display_name, account_created_at, first_joined_at, "
                "last_joined_at, left_at, join_count) VALUES (?, ?, ?, ?, ?, ?, ?, 0) "
                "ON CONFLICT (guild_id, user_id) DO NOTHING",
                [(guild_id, p.user_id, p.name, to_text(p.account_created_at, "account_created_at"),
                  to_text(p.first_at, "first_at"), to_text(p.first_at, "first_at"), to_text(p.last_at, "last_at"))
                 for p in posters])
            added = conn.total_changes - before
            # Found there when the bot came (or kept from an earlier import): a member since their first post at the
            # latest, and one who has left was there until their last post at least.
            await conn.executemany(
                "UPDATE members SET first_joined_at = MIN(first_joined_at, ?), "
                "last_joined_at = MIN(last_joined_at, ?), "
                "left_at = CASE WHEN left_at IS NULL THEN NULL ELSE MAX(left_at, ?) END "
                "WHERE guild_id = ? AND user_id = ? AND join_count = 0",
                [(to_text(p.first_at, "first_at"), to_text(p.first_at, "first_at"), to_text(p.last_at, "last_at"),
                  guild_id, p.user_id) for p in posters])
        return added


@dataclass(frozen=True)
class ImportState:
    """An import from Discord: which channels, from when, where each got to, and what it has read so far."""

    guild_id: int
    status: str  # running, done or failed
    channels: tuple[int, ...]
    since: datetime | None
    cursors: dict[int, int]  # channel id → the newest message id whose rows are all written
    messages: int
    chats: int
    started_by: int | None
    started_at: datetime
    error: str | None


def _state(row: aiosqlite.Row) -> ImportState:
    """An ImportState from a history_import row (selected as _STATE)."""
    return ImportState(
        guild_id=row["guild_id"], status=row["status"], channels=tuple(json.loads(row["channels"])),
        since=from_text(row["since"]), cursors={int(k): int(v) for k, v in json.loads(row["cursors"]).items()},
        messages=row["messages"], chats=row["chats"], started_by=row["started_by"],
        started_at=required(from_text(row["started_at"])), error=row["error"])


_STATE = ("SELECT guild_id, status, channels, since, cursors, messages, chats, started_by, started_at, "
          "error FROM history_import")


class ImportStateQueries(Queries):
    """Imports from Discord, one per server at a time, resumable: storage.imports."""

    async def begin(self, guild_id: int, channels: Sequence[int], *, since: datetime | None, by: int,
                    at: datetime) -> ImportState | None:
        """Start an import; None if one is already running in the server (the running one is not touched)."""
        async with self._db.transaction() as conn:
            running = await self._db.fetchone(f"{_STATE} WHERE guild_id = ?", (guild_id,))
            if running is not None and running[1] == "running":
                return None
            await conn.execute(
                "INSERT OR REPLACE INTO history_import (guild_id, source, status, channels, since, cursors, messages, "
                "chats, started_by, started_at, updated_at, error) "
                "VALUES (?, 'discord', 'running', ?, ?, '{}', 0, 0, ?, ?, ?, NULL)",
                (guild_id, json.dumps(list(channels)), None if since is None else to_text(since, "since"), by,
                 to_text(at, "at"), to_text(at, "at")))
        return await self.get(guild_id)

    async def get(self, guild_id: int) -> ImportState | None:
        """The server's latest import, whatever its status."""
        row = await self._db.fetchone(f"{_STATE} WHERE guild_id = ?", (guild_id,))
        return None if row is None else _state(row)

    async def running(self) -> list[ImportState]:
        """Every import still running (to resume at start)."""
        return [_state(row) for row in await self._db.fetchall(f"{_STATE} WHERE status = 'running'")]

    async def advance(self, guild_id: int, channel_id: int, cursor: int, *, messages: int, chats: int,
                      at: datetime) -> None:
        """Record where a channel got to and the running totals (inside the page's own transaction)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE history_import SET cursors = json_set(cursors, '$.' || ?, ?), messages = messages + ?, "
                "chats = chats + ?, updated_at = ? WHERE guild_id = ?",
                (str(channel_id), cursor, messages, chats, to_text(at, "at"), guild_id))

    async def end(self, guild_id: int, *, at: datetime, error: str | None = None) -> None:
        """The import is done (or failed, saying why)."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE history_import SET status = ?, error = ?, updated_at = ? WHERE guild_id = ?",
                               ("failed" if error else "done", error, to_text(at, "at"), guild_id))
