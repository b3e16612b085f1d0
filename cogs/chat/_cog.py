"""The `/chat` command group: each command reads its options, calls the chat service, and replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import host_only
from bot.chats import transcript_post
from bot.choices import zone_choices
from bot.client import Heartbeat
from bot.domain import questions as question_list
from bot.domain.errors import UserError
from bot.domain.running import parse_reminders
from bot.domain.schedule import parse_duration
from bot.domain.series import build_spec, clean_hashtag, clean_topic, option, parse_edit
from bot.domain.timeline import adhoc_plan, format_duration
from bot.storage import Series
from cogs.chat._lookups import (
    chosen_series,
    chosen_session,
    next_starts,
    past_chat,
    running_chat,
    running_chats,
    server_zone,
    session_on_or_next,
)
from cogs.chat._replies import (
    describe,
    ended,
    plan_summary,
    question_embeds,
    questions_ready,
    series_listing,
    transcript_heading,
    when,
)
from cogs.chat._views import ConfirmDelete

Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
Pacing = Literal["fixed", "adaptive"]


@app_commands.guild_only()
class Chat(commands.GroupCog, group_name="chat", group_description="Weekly hashtag chats"):
    """Series and questions. Listing is open to all; everything that changes a chat is for hosts."""

    questions = app_commands.Group(name="questions", description="The questions for a session")

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        super().__init__()

    async def series_choices(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        every = await self.bot.storage.series.all(interaction.guild_id)
        return [app_commands.Choice(name=s.name, value=s.name) for s in every
                if current.lower() in s.name.lower()][:25]

    async def _described(self, series: Series) -> str:
        """A series and its next three sessions, as `/chat list` shows it."""
        return describe(series, await next_starts(self.bot.storage, self.bot.clock, series, 3))

    # -- series --------------------------------------------------------------------------------------

    @app_commands.command(name="create", description="Set up a weekly chat series")
    @app_commands.describe(name="A name for the series, e.g. GetRealChat", hashtag="The chat's hashtag",
                           channel="Where the chat runs", weekday="The day it runs every week",
                           time="Local start time, e.g. 21:00 or 9pm", zone="IANA time zone (server default if empty)",
                           duration="How long it runs, e.g. 60m", spacing="Time between questions, e.g. 10m or 8m",
                           first_question="When Q1 comes after the start, e.g. 5m",
                           pacing="fixed: on the clock; adaptive: when answers die down",
                           reminders="When to remind people before each chat, e.g. 24h, 1h (or none)",
                           threads="Open a thread on each question for its answers",
                           most_answers="List who answered most in the recap (default on)")
    @host_only
    async def create(self, interaction: discord.Interaction, name: str, hashtag: str, channel: discord.TextChannel,
                     weekday: Weekday, time: str, zone: str | None = None, duration: str = "60m",
                     spacing: str = "10m", first_question: str = "5m", pacing: Pacing = "fixed",
                     reminders: str = "24h, 1h", threads: bool = False, most_answers: bool = True) -> None:
        assert interaction.guild_id is not None
        default_zone = await server_zone(self.bot.storage, interaction.guild_id, self.bot.settings.defaults.timezone)
        spec = build_spec(name=name, hashtag=hashtag, weekday=weekday, local_time=time, zone=zone or default_zone,
                          duration=duration, spacing=spacing, first_question=first_question, pacing=pacing)
        leads = option("reminders", parse_reminders, reminders)
        series = await self.bot.chats.series.create(interaction.guild_id, spec, channel_id=channel.id, reminders=leads,
                                                    use_threads=threads, created_by=interaction.user.id,
                                                    most_answers=most_answers)
        await interaction.response.send_message(
            f"Created {await self._described(series)}\n{plan_summary(spec.plan)}.\n"
            "Add questions with `/chat questions add` or `/chat questions import`.", ephemeral=True)
        # Reply first: the scheduled event and reminders that follow talk to Discord, which can be slow.
        await self.bot.chats.scheduling.schedule_series(series.id)

    @app_commands.command(name="list", description="Every chat series here, with its next three sessions")
    async def list_series(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        every = await self.bot.storage.series.all(interaction.guild_id)
        if not every:
            raise UserError("No chats are scheduled here yet: a host can start one with `/chat create`.")
        blocks = [await self._described(series) for series in every]
        await interaction.response.send_message(embed=series_listing(blocks), ephemeral=True)

    @app_commands.command(name="edit", description="Change a series; unset options keep their value")
    @app_commands.describe(series="Which series", name="New name", hashtag="New hashtag", channel="New channel",
                           weekday="New day", time="New local start time", zone="New IANA time zone",
                           duration="New length", spacing="New time between questions", pacing="New pacing",
                           first_question="New delay before Q1", reminders="New reminder times, e.g. 24h, 1h (or none)",
                           threads="Open a thread on each question for its answers",
                           most_answers="List who answered most in the recap")
    @host_only
    async def edit(self, interaction: discord.Interaction, series: str | None = None, name: str | None = None,
                   hashtag: str | None = None, channel: discord.TextChannel | None = None,
                   weekday: Weekday | None = None, time: str | None = None, zone: str | None = None,
                   duration: str | None = None, spacing: str | None = None, first_question: str | None = None,
                   pacing: Pacing | None = None, reminders: str | None = None, threads: bool | None = None,
                   most_answers: bool | None = None) -> None:
        current = await chosen_series(self.bot.storage, interaction, series)
        edit = parse_edit(name=name, hashtag=hashtag, channel_id=channel.id if channel else None, weekday=weekday,
                          local_time=time, zone=zone, duration=duration, spacing=spacing,
                          first_question=first_question, pacing=pacing, reminders=reminders, use_threads=threads,
                          most_answers=most_answers)
        updated = await self.bot.chats.series.edit(current.id, edit)
        await interaction.response.send_message(f"Updated {await self._described(updated)}", ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(updated.id)

    @app_commands.command(name="pause", description="Stop a series from running until resumed")
    @app_commands.describe(series="Which series")
    @host_only
    async def pause(self, interaction: discord.Interaction, series: str | None = None) -> None:
        chosen = await chosen_series(self.bot.storage, interaction, series)
        await self.bot.storage.series.update(chosen.id, {"paused": True})
        await interaction.response.send_message(f"Paused **{chosen.name}**: no sessions run until "
                                                "`/chat resume`.", ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(chosen.id)

    @app_commands.command(name="resume", description="Let a paused series run again")
    @app_commands.describe(series="Which series")
    @host_only
    async def resume(self, interaction: discord.Interaction, series: str | None = None) -> None:
        chosen = await chosen_series(self.bot.storage, interaction, series)
        resumed = await self.bot.storage.series.update(chosen.id, {"paused": False})
        await interaction.response.send_message(f"Resumed {await self._described(resumed)}", ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(chosen.id)

    @app_commands.command(name="skip", description="Skip one session of a series")
    @app_commands.describe(date="The local date of the session to skip, YYYY-MM-DD", series="Which series")
    @host_only
    async def skip(self, interaction: discord.Interaction, date: str, series: str | None = None) -> None:
        chosen = await chosen_series(self.bot.storage, interaction, series)
        session = await session_on_or_next(self.bot.storage, self.bot.clock, chosen, date)
        await self.bot.chats.series.skip(session, date)
        await interaction.response.send_message(
            f"Skipping {when(session.starts_at)}. {await self._described(chosen)}", ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(chosen.id)

    @app_commands.command(name="delete", description="Delete a series (asks you to confirm)")
    @app_commands.describe(series="Which series")
    @host_only
    async def delete(self, interaction: discord.Interaction, series: str | None = None) -> None:
        chosen = await chosen_series(self.bot.storage, interaction, series)
        await interaction.response.send_message(
            f"Delete **{chosen.name}** and its planned sessions? Past transcripts are kept.",
            view=ConfirmDelete(self.bot, chosen, interaction), ephemeral=True)

    # -- running the hour ----------------------------------------------------------------------------

    @app_commands.command(name="start", description="Start a chat now: a series' next session, or an ad hoc chat")
    @app_commands.describe(series="Which series (its next session starts now)", topic="Today's topic",
                           hashtag="For an ad hoc chat outside any series: its hashtag",
                           channel="Ad hoc chat: where it runs (default: here)",
                           duration="Ad hoc chat: how long it runs, e.g. 45m (default 60m)")
    @host_only
    async def start(self, interaction: discord.Interaction, series: str | None = None, topic: str | None = None,
                    hashtag: str | None = None, channel: discord.TextChannel | None = None,
                    duration: str | None = None) -> None:
        assert interaction.guild_id is not None
        if hashtag:
            if series:
                raise UserError("Give either a series or a hashtag for an ad hoc chat, not both.")
            tag, plan = clean_hashtag(hashtag), adhoc_plan(parse_duration(duration or "60m"))
            where = channel.id if channel else interaction.channel_id
            assert where is not None
            # Starting makes several Discord calls: answer the interaction first (Discord allows 3 s).
            await interaction.response.defer(ephemeral=True)
            started = await self.bot.chats.live.start_adhoc(
                guild_id=interaction.guild_id, channel_id=where, hashtag=tag, plan=plan,
                timezone=await server_zone(self.bot.storage, interaction.guild_id, self.bot.settings.defaults.timezone),
                topic=clean_topic(topic) if topic else None, started_by=interaction.user.id)
            extra = "Post questions with `/chat next text:…`."
        else:
            if channel or duration:
                raise UserError("channel and duration are for ad hoc chats (with a hashtag); "
                                "a series runs in its own channel for its own length.")
            chosen = await chosen_series(self.bot.storage, interaction, series)
            await interaction.response.defer(ephemeral=True)
            started = await self.bot.chats.live.start_series(chosen, topic=clean_topic(topic) if topic else None,
                                                             started_by=interaction.user.id)
            extra = questions_ready(len(await self.bot.storage.sessions.questions(started.id)))
        assert started.ends_at is not None
        await interaction.followup.send(
            f"Started **#{started.hashtag}** in <#{started.channel_id}>; it ends "
            f"{discord.utils.format_dt(started.ends_at, 't')}. {extra}", ephemeral=True)

    @app_commands.command(name="next", description="Post the next question now (or a new one you type)")
    @app_commands.describe(text="A new question to ask now (default: the next prepared one)")
    @host_only
    async def next(self, interaction: discord.Interaction, text: str | None = None) -> None:
        session = await running_chat(self.bot.chats, interaction)
        await interaction.response.defer(ephemeral=True)
        number = await self.bot.chats.live.next_question(session, text)
        await interaction.followup.send(f"Posted Q{number} in <#{session.channel_id}>.", ephemeral=True)

    @app_commands.command(name="hold", description="Hold the question clock (no new questions until continue)")
    @host_only
    async def hold(self, interaction: discord.Interaction) -> None:
        session = await running_chat(self.bot.chats, interaction)
        await self.bot.chats.live.hold(session)
        await interaction.response.send_message(
            f"Holding #{session.hashtag}: no new questions until `/chat continue`.", ephemeral=True)

    @app_commands.command(name="continue", description="Restart the question clock after a hold")
    @host_only
    async def carry_on(self, interaction: discord.Interaction) -> None:
        session = await running_chat(self.bot.chats, interaction)
        held_for = await self.bot.chats.live.carry_on(session)
        await interaction.response.send_message(
            f"Carrying on with #{session.hashtag}; the rest of the chat moved {format_duration(held_for)} later.",
            ephemeral=True)

    @app_commands.command(name="extend", description="Make the running chat longer")
    @app_commands.describe(by="How much longer, e.g. 15m")
    @host_only
    async def extend(self, interaction: discord.Interaction, by: str) -> None:
        session = await running_chat(self.bot.chats, interaction)
        ends = await self.bot.chats.live.extend(session, parse_duration(by))
        await interaction.response.send_message(
            f"#{session.hashtag} now ends {discord.utils.format_dt(ends, 't')}.", ephemeral=True)

    @app_commands.command(name="end", description="End the running chat now; the recap follows")
    @host_only
    async def end(self, interaction: discord.Interaction) -> None:
        sessions = await running_chats(self.bot.chats, interaction)
        await interaction.response.defer(ephemeral=True)
        for session in sessions:
            await self.bot.chats.live.end(session)
        await interaction.followup.send(ended(sessions), ephemeral=True)

    @app_commands.command(name="notify", description="Get pinged before each chat (run again to stop)")
    async def notify(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(await self.bot.chats.promotion.toggle_notify(interaction.user),
                                                ephemeral=True)

    @app_commands.command(name="transcript", description="The recap and transcript of a past chat")
    @app_commands.describe(date="The chat's local date, YYYY-MM-DD (default: the latest)", series="Which series")
    async def transcript(self, interaction: discord.Interaction, date: str | None = None,
                         series: str | None = None) -> None:
        assert interaction.guild_id is not None
        session, kept = await past_chat(self.bot.storage, self.bot.clock, interaction.guild_id, date=date,
                                        series=series)
        await interaction.response.defer(ephemeral=True)  # two files to upload: answer Discord's 3 s first
        content, files = transcript_post(session, kept, transcript_heading(session))
        await interaction.followup.send(content, files=files, ephemeral=True)

    # -- questions -----------------------------------------------------------------------------------

    async def _edit_questions(self, interaction: discord.Interaction, series: str | None, date: str | None,
                              change: Callable[[list[str]], list[str]]) -> None:
        """Apply one change to a session's question list in one transaction, then show the result."""
        session = await chosen_session(self.bot.storage, self.bot.clock, interaction, series, date)
        updated = await self.bot.storage.sessions.change_questions(session.id, change)
        await interaction.response.send_message(embeds=question_embeds(session, updated), ephemeral=True)

    @questions.command(name="add", description="Add a question to the next session (or a given date)")
    @app_commands.describe(text="The question", position="Where to put it (1 = first; default: last)",
                           series="Which series", date="Session date, YYYY-MM-DD (default: the next one)")
    @host_only
    async def questions_add(self, interaction: discord.Interaction, text: str, position: int | None = None,
                            series: str | None = None, date: str | None = None) -> None:
        await self._edit_questions(interaction, series, date,
                                   lambda qs: question_list.insert_question(qs, text, position))

    @questions.command(name="edit", description="Reword a question")
    @app_commands.describe(number="The question number", text="The new wording", series="Which series",
                           date="Session date, YYYY-MM-DD (default: the next one)")
    @host_only
    async def questions_edit(self, interaction: discord.Interaction, number: int, text: str,
                             series: str | None = None, date: str | None = None) -> None:
        await self._edit_questions(interaction, series, date,
                                   lambda qs: question_list.edit_question(qs, number, text))

    @questions.command(name="remove", description="Remove a question")
    @app_commands.describe(number="The question number", series="Which series",
                           date="Session date, YYYY-MM-DD (default: the next one)")
    @host_only
    async def questions_remove(self, interaction: discord.Interaction, number: int, series: str | None = None,
                               date: str | None = None) -> None:
        await self._edit_questions(interaction, series, date,
                                   lambda qs: question_list.remove_question(qs, number))

    @questions.command(name="move", description="Move a question to another position")
    @app_commands.describe(number="The question to move", to="Its new number", series="Which series",
                           date="Session date, YYYY-MM-DD (default: the next one)")
    @host_only
    async def questions_move(self, interaction: discord.Interaction, number: int, to: int,
                             series: str | None = None, date: str | None = None) -> None:
        await self._edit_questions(interaction, series, date,
                                   lambda qs: question_list.move_question(qs, number, to))

    @questions.command(name="import", description="Replace a session's questions from a .txt, .md or .toml file")
    @app_commands.describe(file="One question per line (.txt/.md), or questions = [...] in .toml",
                           series="Which series", date="Session date, YYYY-MM-DD (default: the next one)")
    @host_only
    async def questions_import(self, interaction: discord.Interaction, file: discord.Attachment,
                               series: str | None = None, date: str | None = None) -> None:
        if file.size > question_list.MAX_FILE_BYTES:
            raise UserError(f"That file is over {question_list.MAX_FILE_BYTES // 1000} KB: "
                            "a question list is a few lines of text.")
        await interaction.response.defer(ephemeral=True)  # the download may take longer than Discord's 3 s
        parsed = question_list.parse_question_file(file.filename, await file.read())
        session = await chosen_session(self.bot.storage, self.bot.clock, interaction, series, date)
        await self.bot.storage.sessions.replace_questions(session.id, parsed.questions, topic=parsed.topic,
                                                          guest=parsed.guest)
        session = await self.bot.storage.sessions.get(session.id) or session
        await interaction.followup.send(embeds=question_embeds(session, parsed.questions), ephemeral=True)
        if session.series_id is not None:  # the event shows the new topic and guest
            await self.bot.chats.scheduling.schedule_series(session.series_id)

    @questions.command(name="list", description="Show a session's questions")
    @app_commands.describe(series="Which series", date="Session date, YYYY-MM-DD (default: the next one)")
    @host_only
    async def questions_list(self, interaction: discord.Interaction, series: str | None = None,
                             date: str | None = None) -> None:
        session = await chosen_session(self.bot.storage, self.bot.clock, interaction, series, date)
        await interaction.response.send_message(
            embeds=question_embeds(session, await self.bot.storage.sessions.questions(session.id)), ephemeral=True)

    for command in (edit, pause, resume, skip, delete, start, transcript, questions_add, questions_edit,
                    questions_remove, questions_move, questions_import, questions_list):
        command.autocomplete("series")(series_choices)
    create.autocomplete("zone")(zone_choices)
    edit.autocomplete("zone")(zone_choices)
    del command

