"""Helpful acts and thanks said in messages (act), and reactions giver → receiver (reaction): storage.acts.

Both are written by the ingest in its group commits: a message's acts are replaced whole whenever it is judged
again (an edit, a read-back), and a deleted message takes its acts and the reactions on it away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.storage._database import Queries, from_text, required, to_text

# A reaction's key: (message id, who reacted, the emoji as str(emoji): "🙏", or "<:name:id>" for a custom one).
ReactionKey = tuple[int, int, str]


@dataclass(frozen=True)
class Act:
    """One thing a message does for another member: 'helpful' or 'thanks' from user_id towards target_user_id."""

    message_id: int
    kind: str  # 'helpful' or 'thanks'
    target_user_id: int
    guild_id: int
    channel_id: int  # where it was said (a thread's own id in a thread)
    user_id: int
    session_id: int | None  # the chat running in that channel when it was said, if any
    occurred_at: datetime  # when the message was posted (not edited), bot time

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> Act:
        return cls(message_id=row["message_id"], kind=row["kind"], target_user_id=row["target_user_id"],
                   guild_id=row["guild_id"], channel_id=row["channel_id"], user_id=row["user_id"],
                   session_id=row["session_id"], occurred_at=required(from_text(row["occurred_at"])))


@dataclass(frozen=True)
class Reaction:
    """A member's reaction to another member's message (any emoji; the server's thanks emoji make it thanks)."""

    message_id: int
    user_id: int  # who reacted
    emoji: str
    guild_id: int
    channel_id: int
    author_id: int  # whose message it is
    reacted_at: datetime  # bot time

    @property
    def key(self) -> ReactionKey:
        return (self.message_id, self.user_id, self.emoji)

    @classmethod
    def _from_row(cls, row: aiosqlite.Row) -> Reaction:
        return cls(message_id=row["message_id"], user_id=row["user_id"], emoji=row["emoji"],
                   guild_id=row["guild_id"], channel_id=row["channel_id"], author_id=row["author_id"],
                   reacted_at=required(from_text(row["reacted_at"])))


class ActQueries(Queries):
    """Acts and reactions: storage.acts."""

    async def replace(self, acts: Mapping[int, Sequence[Act]]) -> None:
        """Make each message's acts exactly these (message id → its acts; an empty list clears them), in one go."""
        if not acts:
            return
        async with self._db.transaction() as conn:
            await conn.executemany("DELETE FROM act WHERE message_id = ?", [(message_id,) for message_id in acts])
            await conn.executemany(
                "INSERT OR IGNORE INTO act (message_id, kind, target_user_id, guild_id, channel_id, user_id, "
                "session_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(a.message_id, a.kind, a.target_user_id, a.guild_id, a.channel_id, a.user_id, a.session_id,
                  to_text(a.occurred_at, "occurred_at"))
                 for message_id, rows in acts.items() for a in rows if a.message_id == message_id])

    async def forget(self, message_ids: Sequence[int]) -> None:
        """Deleted messages: their acts and the reactions on them go."""
        if not message_ids:
            return
        async with self._db.transaction() as conn:
            await conn.executemany("DELETE FROM act WHERE message_id = ?", [(m,) for m in message_ids])
            await conn.executemany("DELETE FROM reaction WHERE message_id = ?", [(m,) for m in message_ids])

    async def react(self, reaction: Reaction) -> None:
        """Store one reaction (see react_all)."""
        await self.react_all([(reaction.key, reaction)])

    async def unreact(self, key: ReactionKey) -> None:
        """Take one reaction off (see react_all)."""
        await self.react_all([(key, None)])

    async def react_all(self, changes: Sequence[tuple[ReactionKey, Reaction | None]]) -> None:
        """Apply reactions added (a Reaction) and taken off (None), in order; adding one already there keeps it."""
        if not changes:
            return
        async with self._db.transaction() as conn:
            for key, reaction in changes:
                if reaction is None:
                    await conn.execute("DELETE FROM reaction WHERE message_id = ? AND user_id = ? AND emoji = ?",
                                       key)
                else:
                    await conn.execute(
                        "INSERT OR IGNORE INTO reaction (message_id, user_id, emoji, guild_id, channel_id, "
                        "author_id, reacted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (*key, reaction.guild_id, reaction.channel_id, reaction.author_id,
                         to_text(reaction.reacted_at, "reacted_at")))

    async def of_message(self, message_id: int) -> list[Act]:
        """A message's acts, by kind and member."""
        rows = await self._db.fetchall("SELECT * FROM act WHERE message_id = ? ORDER BY kind, target_user_id",
                                       (message_id,))
        return [Act._from_row(row) for row in rows]

    async def reactions_on(self, message_id: int) -> list[Reaction]:
        """The reactions on a message, by member and emoji."""
        rows = await self._db.fetchall("SELECT * FROM reaction WHERE message_id = ? ORDER BY user_id, emoji",
                                       (message_id,))
        return [Reaction._from_row(row) for row in rows]

    async def towards(self, guild_id: int, user_id: int, since: datetime, until: datetime) -> list[Act]:
        """The acts towards a member in [since, until), oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM act WHERE guild_id = ? AND target_user_id = ? AND occurred_at >= ? AND occurred_at < ? "
            "ORDER BY occurred_at, message_id, kind",
            (guild_id, user_id, to_text(since, "since"), to_text(until, "until")))
        return [Act._from_row(row) for row in rows]

    async def by(self, guild_id: int, user_id: int, since: datetime, until: datetime) -> list[Act]:
        """The acts a member did in [since, until), oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM act WHERE guild_id = ? AND user_id = ? AND occurred_at >= ? AND occurred_at < ? "
            "ORDER BY occurred_at, message_id, kind",
            (guild_id, user_id, to_text(since, "since"), to_text(until, "until")))
        return [Act._from_row(row) for row in rows]

    async def reactions_to(self, guild_id: int, author_id: int, since: datetime, until: datetime) -> list[Reaction]:
        """The reactions others put on a member's messages in [since, until), oldest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM reaction WHERE guild_id = ? AND author_id = ? AND reacted_at >= ? AND reacted_at < ? "
            "ORDER BY reacted_at, message_id, user_id, emoji",
            (guild_id, author_id, to_text(since, "since"), to_text(until, "until")))
        return [Reaction._from_row(row) for row in rows]
