"""What members said in a running chat (chat_message), kept in step with the activity ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage._database import Database, Queries, from_text, required, to_text
from bot.storage.acts import ActQueries


@dataclass(frozen=True)
class StoredMessage:
    """A member's message in a running chat, as kept for the transcript and the activity ledger."""

    message_id: int
    session_id: int
    author_id: int
    author_name: str
    content: str
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    reply_to_author_id: int | None
    question_number: int | None
    reactions: int
    # The member's message it is a Discord reply to (None: not a reply, or a reply to a question or the bot).
    reply_to_message_id: int | None = None

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> StoredMessage:
        """Build a StoredMessage from a chat_message row."""
        return cls(message_id=row["message_id"], session_id=row["session_id"], author_id=row["author_id"],
                   author_name=row["author_name"], content=row["content"],
                   created_at=required(from_text(row["created_at"])), edited_at=from_text(row["edited_at"]),
                   deleted=bool(row["deleted"]), reply_to_author_id=row["reply_to_author_id"],
                   question_number=row["question_number"], reactions=row["reactions"],
                   reply_to_message_id=row["reply_to_message_id"])


class MessageQueries(Queries):
    """Chat messages, their edits, deletions and reactions: storage.messages."""

    def __init__(self, db: Database, acts: ActQueries) -> None:
        """Query `db`; a deleted message's acts and reactions go through `acts`."""
        super().__init__(db)
        self._acts = acts

    async def save(self, guild_id: int, message: StoredMessage) -> None:
        """Store or re-store (after an edit) one chat message (see save_all)."""
        await self.save_all([(guild_id, message)])

    async def save_all(self, messages: list[tuple[int, StoredMessage]]) -> None:
        """Store or re-store (guild id, message) pairs, and rewrite their rows in the activity ledger, in one go."""
        if not messages:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO chat_message (message_id, session_id, author_id, author_name, content, created_at, "
                "edited_at, deleted, reply_to_author_id, question_number, reactions, reply_to_message_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET "
                "author_name = excluded.author_name, content = excluded.content, edited_at = excluded.edited_at, "
                "reply_to_author_id = excluded.reply_to_author_id, question_number = excluded.question_number, "
                "reply_to_message_id = excluded.reply_to_message_id",
                [(m.message_id, m.session_id, m.author_id, m.author_name, m.content,
                  to_text(m.created_at, "created_at"),
                  None if m.edited_at is None else to_text(m.edited_at, "edited_at"),
                  m.reply_to_author_id, m.question_number, m.reactions, m.reply_to_message_id)
                 for _, m in messages])
            await self._forget_counted(conn, [m.message_id for _, m in messages])
            await conn.executemany(
                "INSERT INTO activity (guild_id, user_id, kind, session_id, question_number, message_id, "
                "target_user_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(guild_id, m.author_id, kind, m.session_id, number, m.message_id, target,
                  to_text(m.created_at, "created_at"))
                 for guild_id, m in dict((m.message_id, (g, m)) for g, m in messages).values()
                 for kind, number, target in counted_as(m)])

    @staticmethod
    async def _forget_counted(conn: aiosqlite.Connection, message_ids: list[int]) -> None:
        """Take messages' own rows out of the activity ledger (a greeting credited for one stays: it happened)."""
        await conn.executemany("DELETE FROM activity WHERE message_id = ? AND kind IN ('message', 'answer', 'reply')",
                               [(message_id,) for message_id in message_ids])

    async def get(self, message_id: int) -> StoredMessage | None:
        """One stored chat message (deleted ones included)."""
        row = await self._db.fetchone("SELECT * FROM chat_message WHERE message_id = ?", (message_id,))
        return None if row is None else StoredMessage._from_row(row)

    async def delete(self, message_id: int) -> bool:
        """Mark a chat message deleted and take it out of the activity ledger; False if it was not stored."""
        return await self.delete_all([message_id]) == 1

    async def delete_all(self, message_ids: list[int]) -> int:
        """Mark messages deleted and take them out of the activity ledger, with their acts and the reactions on them
        (a message outside a chat has acts only); how many chat messages were stored."""
        if not message_ids:
            return 0
        async with self._db.transaction() as conn:
            cursor = await conn.executemany("UPDATE chat_message SET deleted = 1 WHERE message_id = ?",
                                            [(message_id,) for message_id in message_ids])
            found = cursor.rowcount
            await self._forget_counted(conn, message_ids)
            await self._acts.forget(message_ids)
        return found

    async def add_reaction(self, message_id: int, delta: int) -> None:
        """Count a reaction added (+1) or removed (-1) on a chat message."""
        await self.add_reactions({message_id: delta})

    async def add_reactions(self, deltas: dict[int, int]) -> None:
        """Count reactions added or removed, as the net change per chat message id."""
        if not deltas:
            return
        async with self._db.transaction() as conn:
            await conn.executemany("UPDATE chat_message SET reactions = MAX(0, reactions + ?) WHERE message_id = ?",
                                   [(delta, message_id) for message_id, delta in deltas.items() if delta])

    async def of_session(self, session_id: int) -> list[StoredMessage]:
        """A session's messages that were not deleted, oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM chat_message WHERE session_id = ? AND deleted = 0 ORDER BY created_at, message_id",
            (session_id,))
        return [StoredMessage._from_row(row) for row in rows]

    async def last_answer_at(self, session_id: int, question_number: int) -> datetime | None:
        """When the latest answer to a question came in (adaptive pacing waits for answers to die down)."""
        row = await self._db.fetchone("SELECT MAX(created_at) FROM chat_message WHERE session_id = ? "
                                      "AND question_number = ? AND deleted = 0", (session_id, question_number))
        return None if row is None else from_text(row[0])


def counted_as(message: StoredMessage) -> list[tuple[str, int | None, int | None]]:
    """What a message counts as in the ledger: (kind, question number, the member it replies to)."""
    rows: list[tuple[str, int | None, int | None]] = [("message", None, None)]
    if message.question_number is not None:
        rows.append(("answer", message.question_number, None))
    if message.reply_to_author_id is not None and message.reply_to_author_id != message.author_id:
        rows.append(("reply", None, message.reply_to_author_id))
    return rows
