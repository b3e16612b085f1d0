"""What people say: in a running chat its messages, edits, deletes and reactions are captured (and the gateway's
comings and goings tell when a gap may have opened); in chat and opted-in channels, helpful acts, thanks and
reactions giver → receiver; anywhere in the server, newcomers' first messages and the members who greet them."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.client import Heartbeat


class Live(commands.Cog):
    """Listens in chat channels (needs the Message Content intent to read answers)."""

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_connect(self) -> None:
        self.bot.chats.listening.connected()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self.bot.chats.listening.resumed()

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        self.bot.chats.listening.disconnected()

    # Two listeners, not one: each runs even if the other fails.
    @commands.Cog.listener("on_message")
    async def capture(self, message: discord.Message) -> None:
        await self.bot.chats.listening.heard(message)

    @commands.Cog.listener("on_message")
    async def observe(self, message: discord.Message) -> None:
        await self.bot.newcomers.observe(message)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.bot.chats.capture.recapture(payload.message)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self.bot.chats.capture.forget(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in payload.message_ids:
            self.bot.chats.capture.forget(message_id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.user_id != getattr(self.bot.user, "id", None):
            self.bot.chats.capture.react(payload.message_id, +1)
            await self._reacted(payload)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.user_id != getattr(self.bot.user, "id", None):
            self.bot.chats.capture.react(payload.message_id, -1)
            await self._reacted(payload)

    async def _reacted(self, payload: discord.RawReactionActionEvent) -> None:
        """The reaction giver → receiver, unless a bot gave it or wrote the message."""
        me = getattr(self.bot.user, "id", None)
        guild = self.bot.get_guild(payload.guild_id) if payload.guild_id is not None else None
        author = payload.message_author_id
        author_member = guild.get_member(author) if guild is not None and author is not None else None
        bots = (payload.member is not None and payload.member.bot) or (author is not None and author == me) \
            or (author_member is not None and author_member.bot)
        channel = self.bot.get_channel(payload.channel_id)
        await self.bot.chats.capture.acts.reacted(payload, parent_id=getattr(channel, "parent_id", None), bots=bots)

async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Live(bot))
