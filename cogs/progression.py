"""`/progression`: which channels count besides the chats, the stage thresholds and recognition, named leaders."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import admin_only, moderator_only
from bot.client import Heartbeat
from bot.domain.errors import UserError
from bot.domain.history import channel_ids, import_start
from bot.domain.progression_settings import changed_thresholds, stage_table_text, thanks_text, thresholds_text
from bot.domain.series import parse_date
from bot.permissions import missing
from bot.places import chat_channels, counted_channels
from bot.storage import ProgressionConfig

# Opted-in channels are read on every message; a server helps in a few places, not dozens.
MAX_CHANNELS = 25
# What the bot needs in an opted-in channel to see help and thanks there.
READ_NEEDS = discord.Permissions(view_channel=True, read_message_history=True)
QUIET = discord.AllowedMentions.none()

CountedChannel = discord.TextChannel | discord.ForumChannel


async def _reply(interaction: discord.Interaction, text: str, embed: discord.Embed | None = None) -> None:
    """Every reply here: only the member who asked sees it, and nothing in it pings."""
    if embed is None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=QUIET)
    else:
        await interaction.response.send_message(text, embed=embed, ephemeral=True, allowed_mentions=QUIET)


def settings_embed(config: ProgressionConfig, guild: discord.Guild) -> discord.Embed:
    """A server's thresholds, its recognition and the stage table they make."""
    role = guild.get_role(config.role_id) if config.role_id else None
    shown = role.mention if role else ("deleted: choose another" if config.role_id else "none")
    if role is not None and not (guild.me.guild_permissions.manage_roles and role.is_assignable()):
        shown += " (I can't hand it out now: give me Manage Roles and move my role above it)"
    embed = discord.Embed(title="Progression settings", description=stage_table_text(config.thresholds))
    embed.add_field(name="Thresholds", value=thresholds_text(config.thresholds), inline=False)
    emoji, words = thanks_text(config.thresholds)
    embed.add_field(name="Thanks", value=emoji, inline=False)
    embed.add_field(name="Words of thanks", value=words, inline=False)
    embed.add_field(name="Recognition", value=f"**Role on reaching helper or leader:** {shown}\n"
                    f"**Congratulate in the chat channel:** {'yes' if config.congratulate else 'no'}",
                    inline=False)
    return embed


def _grantable(role: discord.Role) -> discord.Role:
    """A role the bot can hand out; a UserError saying what to change otherwise."""
    me = role.guild.me
    if role.is_default():
        raise UserError("Pick a specific role: @everyone is every member's already.")
    if role.managed:
        raise UserError(f"{role.name} belongs to an integration, so nobody can hand it out: pick another role.")
    if not me.guild_permissions.manage_roles:
        raise UserError("I need the Manage Roles permission to hand out a role: grant it to my role, then try again.")
    if not role.is_assignable():
        raise UserError(f"I can't hand out {role.name}: move my role above it, or pick a role I can assign.")
    return role


def _member(interaction: discord.Interaction, member: discord.Member, doing: str) -> discord.Member:
    """A member who can be named a leader: a person, not a bot."""
    if interaction.client.user is not None and member.id == interaction.client.user.id:
        raise UserError(f"I can't {doing} myself: leaders are members of the community.")
    if member.bot:
        raise UserError(f"{member.display_name} is a bot: only people can be leaders.")
    return member


@app_commands.guild_only()
# No default permissions: the moderator role's members must see name and unname; each command checks its own.
class Progression(commands.GroupCog, group_name="progression",
                  group_description="How members move from lurker to leader here"):
    """Admin commands (channels, settings) and moderator commands (name, unname), each checked server-side."""

    channels = app_commands.Group(name="channels", description="Channels where helping and thanks also count")

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        super().__init__()

    # -- channels ------------------------------------------------------------------------------------

    @channels.command(name="add", description="Count helping and thanks in a channel besides the chat channels")
    @app_commands.describe(channel="A channel where members help each other, e.g. #help")
    @admin_only
    async def channels_add(self, interaction: discord.Interaction, channel: CountedChannel) -> None:
        assert interaction.guild_id is not None
        if channel.id in await chat_channels(self.bot.storage, interaction.guild_id):
            raise UserError(f"{channel.mention} is a chat channel: helping and thanks there count already.")
        opted = await self.bot.storage.progression.channels(interaction.guild_id)
        if channel.id in opted:
            raise UserError(f"{channel.mention} counts already: `/progression channels list` shows every one.")
        if len(opted) >= MAX_CHANNELS:
            raise UserError(f"{MAX_CHANNELS} channels count already, the most there can be: remove one first.")
        await self.bot.storage.progression.add_channel(interaction.guild_id, channel.id, by=interaction.user.id,
                                                       at=self.bot.clock())
        lacking = missing(channel.permissions_for(channel.guild.me), READ_NEEDS)
        note = (f"\nI lack {', '.join(lacking)} in {channel.mention}: grant them there, or nothing said there can "
                "count." if lacking else "")
        await _reply(interaction, f"Helpful acts and thanks in {channel.mention} now count towards progression.{note}")

    @channels.command(name="remove", description="Stop counting helping and thanks in a channel")
    @app_commands.describe(channel="A channel added with /progression channels add")
    @admin_only
    async def channels_remove(self, interaction: discord.Interaction, channel: CountedChannel) -> None:
        assert interaction.guild_id is not None
        if not await self.bot.storage.progression.remove_channel(interaction.guild_id, channel.id):
            raise UserError(f"{channel.mention} was not added: `/progression channels list` shows the ones that were.")
        await _reply(interaction, f"{channel.mention} no longer counts; what was counted there before stays counted.")

    @channels.command(name="list", description="The channels where helping and thanks count")
    @admin_only
    async def channels_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        chats = sorted(await chat_channels(self.bot.storage, interaction.guild.id))
        opted = await self.bot.storage.progression.channels(interaction.guild.id)
        lines = [f"**Chat channels** (always): {', '.join(f'<#{c}>' for c in chats) or 'none yet'}"]
        if opted:
            shown = [f"<#{c}>" if interaction.guild.get_channel(c) else f"a deleted channel ({c})" for c in opted]
            lines.append(f"**Added:** {', '.join(shown)}")
        else:
            lines.append("**Added:** none; add one with `/progression channels add channel:#help`.")
        await _reply(interaction, "\n".join(lines))

    # -- settings ------------------------------------------------------------------------------------

    @app_commands.command(name="settings", description="Show or change the stage thresholds and recognition")
    @app_commands.describe(
        window_days="Days the figures count back (28-366, default 90)",
        participant_answers="Answers to become a participant (default 1)",
        regular_chats="Chats answered in to become a regular (default 4)",
        regular_months="…spread over this many calendar months (default 2)",
        helper_acts="Helpful acts to become a helper (default 5)",
        helper_people="…towards this many different people (default 3)",
        helper_thanked_by="…and thanked by this many different people (default 2)",
        leader_helper_months="Months in a row as a helper that make a leader (default 3)",
        keep_percent="A stage is lost after a whole month under this share of its requirements (default 75)",
        thanks_emoji="Reactions that count as thanks, separated by spaces or commas ('default' restores)",
        thanks_words="Your own words of thanks, separated by commas or spaces ('default' restores)",
        role="A role handed out on reaching helper or leader",
        no_role="True to stop handing out a role",
        congratulate="Congratulate members in the chat channel when they reach a new stage")
    @admin_only
    async def settings(self, interaction: discord.Interaction, window_days: int | None = None,
                       participant_answers: int | None = None, regular_chats: int | None = None,
                       regular_months: int | None = None, helper_acts: int | None = None,
                       helper_people: int | None = None, helper_thanked_by: int | None = None,
                       leader_helper_months: int | None = None, keep_percent: int | None = None,
                       thanks_emoji: str | None = None, thanks_words: str | None = None,
                       role: discord.Role | None = None, no_role: bool | None = None,
                       congratulate: bool | None = None) -> None:
        assert interaction.guild is not None
        current = await self.bot.storage.progression.config(interaction.guild.id)
        numbers = {"window_days": window_days, "participant_answers": participant_answers,
                   "regular_chats": regular_chats, "regular_months": regular_months, "helper_acts": helper_acts,
                   "helper_people": helper_people, "helper_thanked_by": helper_thanked_by,
                   "leader_helper_months": leader_helper_months, "keep_percent": keep_percent}
        given = [*numbers.values(), thanks_emoji, thanks_words, role, no_role, congratulate]
        if all(value is None for value in given):
            await _reply(interaction, "", settings_embed(current, interaction.guild))
            return
        # Everything is checked before anything is stored: one wrong option keeps the others from being saved.
        if role is not None and no_role:
            raise UserError("Give either a role or no_role:True, not both.")
        thresholds = changed_thresholds(current.thresholds, numbers, thanks_emoji, thanks_words)
        role_id = _grantable(role).id if role is not None else None if no_role else current.role_id
        updated = replace(current, thresholds=thresholds, role_id=role_id,
                          congratulate=current.congratulate if congratulate is None else congratulate)
        await self.bot.storage.progression.save_config(updated, by=interaction.user.id, at=self.bot.clock())
        await _reply(interaction, "Saved. Months already closed keep the numbers they were judged by.",
                     settings_embed(updated, interaction.guild))

    # -- the past ------------------------------------------------------------------------------------

    @app_commands.command(name="import", description="Read this server's past chats back from Discord")
    @app_commands.describe(since="Only messages from this day on, YYYY-MM-DD (default: everything)",
                           channels="Which channels, e.g. #getreal-chat #help (default: the chat and counted ones)")
    @admin_only
    async def import_(self, interaction: discord.Interaction, since: str | None = None,
                      channels: str | None = None) -> None:
        assert interaction.guild is not None
        guild, storage = interaction.guild, self.bot.storage
        zone = await self.bot.progression.zone(guild.id)
        start = import_start(parse_date(since) if since else None, zone, self.bot.clock())
        wanted = channel_ids(channels) if channels else await counted_channels(storage, guild.id)
        if not wanted:
            raise UserError("There is no chat channel yet: set one with `/config channel`, or name channels here.")
        for channel_id in wanted:
            channel = guild.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                raise UserError(f"<#{channel_id}> is not a text channel of this server: name text channels.")
            if lacking := missing(channel.permissions_for(guild.me), READ_NEEDS):
                raise UserError(f"I can't read the history of {channel.mention} (I need {', '.join(lacking)} "
                                "there): grant it, or leave that channel out.")

        async def show(text: str) -> None:
            with contextlib.suppress(discord.HTTPException):  # past 15 minutes the reply can no longer be edited
                await interaction.edit_original_response(content=text, allowed_mentions=QUIET)

        await _reply(interaction, f"Starting to read {', '.join(f'<#{c}>' for c in wanted)} back"
                                  f"{f' from {start:%d %B %Y}' if start else ''}: this reply shows how far it got.")
        if not await self.bot.history.start(guild.id, wanted, since=start, by=interaction.user.id, show=show):
            await show("An import is already running in this server: its summary comes when it ends (in the "
                       "moderator channel if the bot restarted meanwhile).")

    # -- named leaders -------------------------------------------------------------------------------

    @app_commands.command(name="name", description="Name a member a leader")
    @app_commands.describe(member="The member to name a leader")
    @moderator_only
    async def name(self, interaction: discord.Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        _member(interaction, member, "name")
        if member.id in await self.bot.privacy.withheld(interaction.guild_id):
            raise UserError(f"{member.display_name} opted out of being recorded here, so they cannot be named a "
                            "leader.")
        if not await self.bot.storage.progression.name(interaction.guild_id, member.id, by=interaction.user.id,
                                                       at=self.bot.clock()):
            raise UserError(f"{member.display_name} is already named a leader.")
        await _reply(interaction, f"{member.mention} is now a leader, named by you; "
                                  "`/progression unname` takes it back.")
        await self.bot.progression.close_due(interaction.guild_id)  # the running month and any role, at once

    @app_commands.command(name="unname", description="Take back a member's naming as a leader")
    @app_commands.describe(member="The member named a leader")
    @moderator_only
    async def unname(self, interaction: discord.Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        _member(interaction, member, "unname")
        if not await self.bot.storage.progression.unname(interaction.guild_id, member.id):
            raise UserError(f"{member.display_name} was not named a leader, so there is nothing to take back.")
        await _reply(interaction, f"{member.mention} is no longer named a leader; hosting a chat or helping "
                                  "month after month can still make them one.")
        await self.bot.progression.close_due(interaction.guild_id)


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Progression(bot))
