"""Listening checkpoints (listening_checkpoint): per channel or thread, the newest message id up to which every
message is known to be recorded."""

from __future__ import annotations

from bot.storage._database import Queries


class CheckpointQueries(Queries):
    """Where reading a channel back resumes: storage.checkpoints."""

    async def get(self, channel_id: int) -> int | None:
        """The channel's checkpoint: every message up to this id is recorded (None: never checkpointed)."""
        row = await self._db.fetchone("SELECT message_id FROM listening_checkpoint WHERE channel_id = ?",
                                      (channel_id,))
        return None if row is None else int(row[0])

    async def advance(self, channel_id: int, message_id: int) -> None:
        """Move the channel's checkpoint forward to `message_id`; an older id leaves it where it is."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO listening_checkpoint (channel_id, message_id) VALUES (?, ?) ON CONFLICT (channel_id) "
                "DO UPDATE SET message_id = MAX(message_id, excluded.message_id)", (channel_id, message_id))
