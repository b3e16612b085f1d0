"""Members seen posting before the bot came (prior_poster): read back from a server's chat channels when the bot
first saw it, or found in imported history. They are never greeted as first-time chatters and get no newcomer row."""

from __future__ import annotations

from datetime import datetime

from bot.storage._database import Queries, to_text


class PriorPosterQueries(Queries):
    """Who had posted in a server before the bot was there to see it: storage.prior_posters."""

    async def record(self, guild_id: int, posted: dict[int, datetime]) -> None:
        """Note members (user id → when they last posted) as prior posters; an earlier time never replaces a later."""
        if not posted:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO prior_poster (guild_id, user_id, last_posted_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                "last_posted_at = MAX(last_posted_at, excluded.last_posted_at)",
                [(guild_id, user_id, to_text(at, "at")) for user_id, at in posted.items()])

    async def known(self, guild_id: int, user_ids: list[int]) -> set[int]:
        """Those of `user_ids` who posted in the server before the bot came."""
        found: set[int] = set()
        for start in range(0, len(user_ids), 500):  # well within SQLite's limit on bound parameters
            chunk = user_ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            found.update(await self._db.ids(
                f"SELECT user_id FROM prior_poster WHERE guild_id = ? AND user_id IN ({marks})", (guild_id, *chunk)))
        return found

    async def count(self, guild_id: int) -> int:
        """How many members the server had posting before the bot came."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM prior_poster WHERE guild_id = ?", (guild_id,))
        return int(row[0]) if row is not None else 0
