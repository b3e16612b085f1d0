"""`/chat`: hosts set up weekly chat series and their questions; everyone can list what is coming."""

from __future__ import annotations

from bot.client import Heartbeat
from cogs.chat._cog import Chat

__all__ = ["Chat", "setup"]


async def setup(bot: Heartbeat) -> None:
    """Add the `/chat` commands to the bot."""
    await bot.add_cog(Chat(bot))
