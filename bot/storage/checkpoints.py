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
        await self.advance_all({channel_id: message_id})

    async def advance_all(self, checkpoints: dict[int, int]) -> None:
        """Move checkpoints forward (channel id → message id); an older id leaves its checkpoint where it is."""
        if not checkpoints:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO listening_checkpoint (channel_id, message_id) VALUES (?, ?) ON CONFLICT (channel_id) "
                "DO UPDATE SET message_id = MAX(message_id, excluded.message_id)", list(checkpoints.items()))
