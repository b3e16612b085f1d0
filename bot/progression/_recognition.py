"""Recognition, off until a server turns it on: a role while a member is a helper or leader, and a short
congratulation in the chat channel when they become one. No leaderboard: nobody is ranked in public."""

from __future__ import annotations

import logging

import discord

from bot.domain.progression import rank
from bot.posting import alert_hosts, describe_error
from bot.storage import Storage

log = logging.getLogger(__name__)

RECOGNISED = rank("helper")  # helper and leader
WHY = {"helper": "for helping others and welcoming newcomers", "leader": "for leading this community"}


class Recognition:
    """Grants and takes back the recognition role, and congratulates, as members' stages move."""

    def __init__(self, storage: Storage, client: discord.Client) -> None:
        self._storage = storage
        self._client = client

    async def moved(self, guild_id: int, user_id: int, was: str, now: str) -> None:
        """A member's stage moved from `was` to `now`."""
        up, down = rank(now) >= RECOGNISED > rank(was), rank(was) >= RECOGNISED > rank(now)
        if not (up or down or (rank(now) > rank(was) >= RECOGNISED)):
            return
        config = await self._storage.progression.config(guild_id)
        guild = self._client.get_guild(guild_id)
        member = guild.get_member(user_id) if guild is not None else None
        if guild is None or member is None:
            return  # gone from the server: nothing to grant
        if config.role_id is not None and (up or down):
            await self._role(guild, member, config.role_id, grant=up)
        if config.congratulate and rank(now) > rank(was):
            await self._congratulate(guild, member, now)

    async def _role(self, guild: discord.Guild, member: discord.Member, role_id: int, *, grant: bool) -> None:
        """Give or take the recognition role; a refusal is told to the hosts, not retried."""
        role = guild.get_role(role_id)
        try:
            if role is None:
                raise LookupError(f"the role {role_id} no longer exists")
            if grant:
                await member.add_roles(role, reason="Heartbeat: reached helper or leader")
            else:
                await member.remove_roles(role, reason="Heartbeat: no longer a helper or leader")
        except (discord.HTTPException, LookupError) as error:
            cause = describe_error(error)
            log.warning("Could not %s the recognition role in server %d: %s", "grant" if grant else "remove",
                        guild.id, cause)
            await alert_hosts(self._storage, self._client, guild.id,
                              f"I could not {'give' if grant else 'take back'} the recognition role "
                              f"{'to' if grant else 'from'} <@{member.id}> ({cause}). Check that my role is above "
                              "it and that I have Manage Roles, or turn it off in `/progression settings`.")

    async def _congratulate(self, guild: discord.Guild, member: discord.Member, stage: str) -> None:
        """A short congratulation in the chat channel, pinging only the member."""
        channel_id = (await self._storage.config.get(guild.id)).chat_channel_id
        channel = guild.get_channel(channel_id) if channel_id is not None else None
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            await channel.send(f"Congratulations <@{member.id}>, you're now a **{stage}** here, {WHY[stage]}. "
                               "Thank you! 💛", allowed_mentions=discord.AllowedMentions(users=[member]))
        except discord.HTTPException as error:
            log.warning("Could not congratulate in server %d: %s", guild.id, describe_error(error))
