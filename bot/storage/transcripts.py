"""Finished sessions' recaps and transcripts (transcript)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from bot.storage._database import Queries, from_text, required, to_text
from bot.storage.sessions import ChatSession

# The two forms a transcript is kept in: the column holding each.
TranscriptForm = Literal["markdown", "html"]


@dataclass(frozen=True)
class Transcript:
    """A finished session's recap and transcripts."""

    session_id: int
    recap: str
    markdown: str
    html: str
    created_at: datetime


class TranscriptQueries(Queries):
    """Recaps and transcripts: storage.transcripts."""

    async def save(self, transcript: Transcript) -> None:
        """Keep a finished session's recap and transcripts (replacing an earlier copy)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO transcript (session_id, recap, markdown, html, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (session_id) DO UPDATE SET recap = excluded.recap, markdown = excluded.markdown, "
                "html = excluded.html, created_at = excluded.created_at",
                (transcript.session_id, transcript.recap, transcript.markdown, transcript.html,
                 to_text(transcript.created_at, "created_at")))

    async def get(self, session_id: int) -> Transcript | None:
        """A session's stored recap and transcripts."""
        row = await self._db.fetchone("SELECT * FROM transcript WHERE session_id = ?", (session_id,))
        if row is None:
            return None
        return Transcript(session_id=row["session_id"], recap=row["recap"], markdown=row["markdown"],
                          html=row["html"], created_at=required(from_text(row["created_at"])))

    async def text(self, session_id: int, form: TranscriptForm) -> str | None:
        """One form of a session's transcript, read without the other form or the recap; None if none is kept."""
        if form not in get_args(TranscriptForm):
            raise ValueError(f"Not a transcript form: {form}")
        # The column name is one of TranscriptForm's two values, checked above.
        row = await self._db.fetchone(f"SELECT {form} FROM transcript WHERE session_id = ?", (session_id,))
        return None if row is None else str(row[0])

    async def sessions(self, guild_id: int | None = None) -> list[ChatSession]:
        """Sessions that have a transcript (in one server, if given), newest first."""
        sql = "SELECT s.* FROM chat_session s JOIN transcript t ON t.session_id = s.id"
        if guild_id is not None:
            sql += " WHERE s.guild_id = ?"
        rows = await self._db.fetchall(sql + " ORDER BY s.started_at DESC", () if guild_id is None else (guild_id,))
        return [ChatSession._from_row(row) for row in rows]

    async def guilds(self) -> list[int]:
        """The servers that have a chat with a transcript, in id order."""
        # One index lookup per server with chats (the next id above the last), rather than reading every chat.
        return await self._db.ids(
            "WITH RECURSIVE server(id) AS (SELECT MIN(guild_id) FROM chat_session UNION ALL "
            "SELECT (SELECT MIN(guild_id) FROM chat_session WHERE guild_id > server.id) FROM server "
            "WHERE server.id IS NOT NULL) SELECT id FROM server WHERE id IS NOT NULL AND EXISTS ("
            "SELECT 1 FROM chat_session s JOIN transcript t ON t.session_id = s.id WHERE s.guild_id = server.id)")
