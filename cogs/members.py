"""Joins and leaves: each join is recorded and welcomed (see bot/newcomers/); leaves are recorded."""

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
        if not member.bot:
            await self.bot.newcomers.arrived(member)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.bot.newcomers.schedule_weekly(guild.id)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # The raw event fires even for members the cache never held.
        await self.bot.newcomers.left(payload.guild_id, payload.user.id)


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Members(bot))
