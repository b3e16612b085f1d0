"""Records who joins and leaves, with account age: the facts newcomer welcomes and reports build on."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.client import Heartbeat


class Members(commands.Cog):
    """Listens to member joins and leaves (needs the Server Members intent)."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        clock = self.bot.clock
        await self.bot.storage.record_member_join(member.guild.id, member.id, member.display_name,
                                                  clock.from_real(member.created_at),
                                                  clock.from_real(member.joined_at) if member.joined_at else clock())

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # The raw event fires even for members the cache never held.
        await self.bot.storage.record_member_leave(payload.guild_id, payload.user.id, self.bot.clock())


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Members(bot))
