"""`/chat`: hosts set up weekly chat series and their questions; everyone can list what is coming."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import host_only
from bot.chats import transcript_files
from bot.choices import zone_choices
from bot.client import Heartbeat
from bot.domain import questions as question_list
from bot.domain.errors import UserError
from bot.domain.running import parse_reminders
from bot.domain.schedule import WEEKDAY_NAMES, parse_duration
from bot.domain.series import (
    build_spec,
    clean_hashtag,
    clean_topic,
    local_day,
    moved_starts,
    option,
    parse_date,
    session_on,
    upcoming_sessions,
)
from bot.domain.timeline import DEFAULT_SPACING, format_duration, validate_plan
from bot.errors import report
from bot.plans import plan_of, slot_of
from bot.storage import ChatSession, DuplicateName, Series

Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
Pacing = Literal["fixed", "adaptive"]


def when(instant: datetime) -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"{discord.utils.format_dt(instant, 'F')} ({discord.utils.format_dt(instant, 'R')})"


def describe(series: Series, next_starts: list[datetime]) -> str:
    """One series for `/chat list`: when it runs, where, and its next sessions."""
    head = (f"**{series.name}** · #{series.hashtag} · {WEEKDAY_NAMES[series.weekday]}s "
            f"{series.local_time:%H:%M} {series.timezone} in <#{series.channel_id}>")
    if series.paused:
        return head + "\nPaused: `/chat resume` brings it back."
    return head + "\n" + "\n".join(f"• {when(start)}" for start in next_starts)


class ConfirmDelete(discord.ui.View):
    """Delete / Cancel buttons that only the host who asked can press."""

    def __init__(self, cog: Chat, series: Series, asked: discord.Interaction) -> None:
        super().__init__(timeout=120)
        self.cog, self.series, self.asked = cog, series, asked
        self.host_id = asked.user.id

    async def on_timeout(self) -> None:
        # Dead buttons would answer "This interaction failed"; say what happened instead.
        with contextlib.suppress(discord.HTTPException):
            await self.asked.edit_original_response(content=f"Kept **{self.series.name}** (no answer in time).",
                                                    view=None)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.host_id:
            raise UserError("Only the host who asked to delete this series can confirm it.")
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception,
                       item: discord.ui.Item[ConfirmDelete]) -> None:
        await report(interaction, error)

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger, custom_id="chat-delete-confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmDelete]) -> None:
        await self.cog.bot.chats.scheduling.retire_series(self.series)
        await self.cog.bot.storage.delete_series(self.series.id)
        self.stop()
        await interaction.response.edit_message(
            content=f"Deleted **{self.series.name}**. Transcripts of past sessions are kept.", view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="chat-delete-cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmDelete]) -> None:
        self.stop()
        await interaction.response.edit_message(content=f"Kept **{self.series.name}**.", view=None)


@app_commands.guild_only()
class Chat(commands.GroupCog, group_name="chat", group_description="Weekly hashtag chats"):
    """Series and questions. Listing is open to all; everything that changes a chat is for hosts."""

    questions = app_commands.Group(name="questions", description="The questions for a session")

    def __init__(self, bot: Heartbeat) -> None:
        self.bot = bot
        super().__init__()

    # -- helpers -------------------------------------------------------------------------------------

    async def _series(self, interaction: discord.Interaction, name: str | None) -> Series:
        """The named series, or the server's only one when no name is given."""
        assert interaction.guild_id is not None
        if name:
            series = await self.bot.storage.find_series(interaction.guild_id, name)
            if series is None:
                raise UserError(f"There is no series called '{name}': `/chat list` shows them.")
            return series
        every = await self.bot.storage.list_series(interaction.guild_id)
        if not every:
            raise UserError("This server has no chat series yet: a host can start one with `/chat create`.")
        if len(every) > 1:
            raise UserError(f"This server has {len(every)} series: name one with the series option.")
        return every[0]

    async def _next_starts(self, series: Series, count: int) -> list[datetime]:
        skipped = await self.bot.storage.skipped_starts(series.id)
        return upcoming_sessions(slot_of(series), self.bot.clock(), count, skipped)

    async def _session(self, series: Series, date: str | None) -> ChatSession:
        """The session on a local date, or the next one to come."""
        if date:
            start = session_on(slot_of(series), parse_date(date), self.bot.clock())
            if start in await self.bot.storage.skipped_starts(series.id):
                raise UserError(f"The {date} session is skipped: pick another date.")
        else:
            start = (await self._next_starts(series, 1))[0]
        return await self.bot.storage.session_for(series, start)

    async def _tonights_or_next(self, series: Series) -> ChatSession:
        """For /chat start: a session missed within its own hour (an outage, a busy channel), else the next one."""
        now = self.bot.clock()
        recent = await self.bot.storage.future_sessions(series.id, now - timedelta(seconds=series.duration_seconds))
        missed = [s for s in recent if s.starts_at <= now]
        if missed:
            if missed[0].status == "skipped":
                await self.bot.storage.set_session_status(missed[0].id, "planned")
            return await self.bot.storage.get_session(missed[0].id) or missed[0]
        return await self._session(series, None)

    async def series_choices(self, interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        every = await self.bot.storage.list_series(interaction.guild_id)
        return [app_commands.Choice(name=s.name, value=s.name) for s in every
                if current.lower() in s.name.lower()][:25]

    # -- series --------------------------------------------------------------------------------------

    @app_commands.command(name="create", description="Set up a weekly chat series")
    @app_commands.describe(name="A name for the series, e.g. GetRealChat", hashtag="The chat's hashtag",
                           channel="Where the chat runs", weekday="The day it runs every week",
                           time="Local start time, e.g. 21:00 or 9pm", zone="IANA time zone (server default if empty)",
                           duration="How long it runs, e.g. 60m", spacing="Time between questions, e.g. 10m or 8m",
                           first_question="When Q1 comes after the start, e.g. 5m",
                           pacing="fixed: on the clock; adaptive: when answers die down",
                           reminders="When to remind people before each chat, e.g. 24h, 1h (or none)",
                           threads="Open a thread on each question for its answers")
    @host_only
    async def create(self, interaction: discord.Interaction, name: str, hashtag: str, channel: discord.TextChannel,
                     weekday: Weekday, time: str, zone: str | None = None, duration: str = "60m",
                     spacing: str = "10m", first_question: str = "5m", pacing: Pacing = "fixed",
                     reminders: str = "24h, 1h", threads: bool = False) -> None:
        assert interaction.guild_id is not None
        config = await self.bot.storage.get_guild_config(interaction.guild_id)
        spec = build_spec(name=name, hashtag=hashtag, weekday=weekday, local_time=time,
                          zone=zone or config.timezone or self.bot.settings.defaults.timezone,
                          duration=duration, spacing=spacing, first_question=first_question, pacing=pacing)
        leads = option("reminders", parse_reminders, reminders)
        try:
            series = await self.bot.storage.create_series(
                guild_id=interaction.guild_id, name=spec.name, hashtag=spec.hashtag, channel_id=channel.id,
                weekday=spec.slot.weekday, local_time=spec.slot.local_time, timezone=spec.slot.zone,
                duration_seconds=int(spec.plan.duration.total_seconds()),
                spacing_seconds=int(spec.plan.spacing.total_seconds()),
                first_question_seconds=int(spec.plan.first_question.total_seconds()), pacing=spec.plan.pacing,
                reminders=_seconds(leads), use_threads=threads, created_by=interaction.user.id,
                now=self.bot.clock())
        except DuplicateName:
            raise UserError(f"A series called '{spec.name}' already exists: pick another name, "
                            "or change it with `/chat edit`.") from None
        plan = (f"{format_duration(spec.plan.duration)} long, Q1 after {format_duration(spec.plan.first_question)}, "
                f"then every {format_duration(spec.plan.spacing)} ({spec.plan.pacing} pacing)")
        await interaction.response.send_message(
            f"Created {describe(series, await self._next_starts(series, 3))}\n{plan}.\n"
            "Add questions with `/chat questions add` or `/chat questions import`.", ephemeral=True)
        # Reply first: the scheduled event and reminders that follow talk to Discord, which can be slow.
        await self.bot.chats.scheduling.schedule_series(series.id)

    @app_commands.command(name="list", description="Every chat series here, with its next three sessions")
    async def list_series(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        every = await self.bot.storage.list_series(interaction.guild_id)
        if not every:
            raise UserError("No chats are scheduled here yet: a host can start one with `/chat create`.")
        blocks = [describe(series, await self._next_starts(series, 3)) for series in every]
        # An embed holds 4096 characters, about 15 series; a server with more sees the first ones and a count.
        shown, length = [], 0
        for block in blocks:
            if length + len(block) > 3900:
                break
            shown.append(block)
            length += len(block) + 2
        more = f"\n\n…and {len(blocks) - len(shown)} more." if len(shown) < len(blocks) else ""
        await interaction.response.send_message(embed=discord.Embed(description="\n\n".join(shown) + more),
                                                ephemeral=True)

    @app_commands.command(name="edit", description="Change a series; unset options keep their value")
    @app_commands.describe(series="Which series", name="New name", hashtag="New hashtag", channel="New channel",
                           weekday="New day", time="New local start time", zone="New IANA time zone",
                           duration="New length", spacing="New time between questions",
                           first_question="New delay before Q1", pacing="New pacing",
                           reminders="New reminder times, e.g. 24h, 1h (or none)",
                           threads="Open a thread on each question for its answers")
    @host_only
    async def edit(self, interaction: discord.Interaction, series: str | None = None, name: str | None = None,
                   hashtag: str | None = None, channel: discord.TextChannel | None = None,
                   weekday: Weekday | None = None, time: str | None = None, zone: str | None = None,
                   duration: str | None = None, spacing: str | None = None, first_question: str | None = None,
                   pacing: Pacing | None = None, reminders: str | None = None, threads: bool | None = None) -> None:
        current = await self._series(interaction, series)
        spec = build_spec(
            name=name or current.name, hashtag=hashtag or current.hashtag,
            weekday=weekday or WEEKDAY_NAMES[current.weekday], local_time=time or f"{current.local_time:%H:%M}",
            zone=zone or current.timezone, duration=duration or f"{current.duration_seconds}s",
            spacing=spacing or f"{current.spacing_seconds}s",
            first_question=first_question or f"{current.first_question_seconds}s", pacing=pacing or current.pacing)
        leads = current.reminders if reminders is None else _seconds(option("reminders", parse_reminders, reminders))
        future = await self.bot.storage.future_sessions(current.id, self.bot.clock())
        new_starts = moved_starts(slot_of(current), spec.slot, [s.starts_at for s in future])
        try:
            updated = await self.bot.storage.update_series(current.id, moved=dict(zip([s.id for s in future],
                                                                                       new_starts, strict=True)),
                                                           changes={
                "name": spec.name, "hashtag": spec.hashtag, "channel_id": channel.id if channel else current.channel_id,
                "weekday": spec.slot.weekday, "local_time": spec.slot.local_time, "timezone": spec.slot.zone,
                "duration_seconds": int(spec.plan.duration.total_seconds()),
                "spacing_seconds": int(spec.plan.spacing.total_seconds()),
                "first_question_seconds": int(spec.plan.first_question.total_seconds()), "pacing": spec.plan.pacing,
                "reminders": leads, "use_threads": current.use_threads if threads is None else threads})
        except DuplicateName:
            raise UserError(f"A series called '{spec.name}' already exists: pick another name.") from None
        await interaction.response.send_message(
            f"Updated {describe(updated, await self._next_starts(updated, 3))}", ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(updated.id)

    @app_commands.command(name="pause", description="Stop a series from running until resumed")
    @app_commands.describe(series="Which series")
    @host_only
    async def pause(self, interaction: discord.Interaction, series: str | None = None) -> None:
        chosen = await self._series(interaction, series)
        await self.bot.storage.update_series(chosen.id, {"paused": True})
        await interaction.response.send_message(f"Paused **{chosen.name}**: no sessions run until "
                                                "`/chat resume`.", ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(chosen.id)

    @app_commands.command(name="resume", description="Let a paused series run again")
    @app_commands.describe(series="Which series")
    @host_only
    async def resume(self, interaction: discord.Interaction, series: str | None = None) -> None:
        chosen = await self.bot.storage.update_series((await self._series(interaction, series)).id, {"paused": False})
        await interaction.response.send_message(
            f"Resumed {describe(chosen, await self._next_starts(chosen, 3))}", ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(chosen.id)

    @app_commands.command(name="skip", description="Skip one session of a series")
    @app_commands.describe(date="The local date of the session to skip, YYYY-MM-DD", series="Which series")
    @host_only
    async def skip(self, interaction: discord.Interaction, date: str, series: str | None = None) -> None:
        chosen = await self._series(interaction, series)
        session = await self._session(chosen, date)
        if session.status != "planned":
            raise UserError(f"The {date} session is already {session.status}.")
        await self.bot.storage.set_session_status(session.id, "skipped")
        await interaction.response.send_message(
            f"Skipping {when(session.starts_at)}. {describe(chosen, await self._next_starts(chosen, 3))}",
            ephemeral=True)
        await self.bot.chats.scheduling.schedule_series(chosen.id)

    @app_commands.command(name="delete", description="Delete a series (asks you to confirm)")
    @app_commands.describe(series="Which series")
    @host_only
    async def delete(self, interaction: discord.Interaction, series: str | None = None) -> None:
        chosen = await self._series(interaction, series)
        await interaction.response.send_message(
            f"Delete **{chosen.name}** and its planned sessions? Past transcripts are kept.",
            view=ConfirmDelete(self, chosen, interaction), ephemeral=True)

    # -- running the hour ----------------------------------------------------------------------------

    async def _live(self, interaction: discord.Interaction) -> ChatSession:
        assert interaction.guild_id is not None
        return await self.bot.chats.live.current(interaction.guild_id, interaction.channel_id)

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
            tag = clean_hashtag(hashtag)
            length = parse_duration(duration or "60m")
            # An ad hoc chat has no prepared questions; the spacing only paces ones added with /chat next.
            plan = validate_plan(duration=length, spacing=min(DEFAULT_SPACING, length / 2), first_question="0")
            where = channel.id if channel else interaction.channel_id
            assert where is not None
            config = await self.bot.storage.get_guild_config(interaction.guild_id)
            session = await self.bot.storage.create_adhoc_session(
                guild_id=interaction.guild_id, channel_id=where, name=tag, hashtag=tag,
                timezone=config.timezone or self.bot.settings.defaults.timezone, starts_at=self.bot.clock(),
                topic=clean_topic(topic) if topic else None)
            try:
                started = await self.bot.chats.live.start(session, plan, started_by=interaction.user.id)
            except UserError:
                await self.bot.storage.delete_session(session.id)  # nothing stored half-way
                raise
            extra = "Post questions with `/chat next text:…`."
        else:
            if channel or duration:
                raise UserError("channel and duration are for ad hoc chats (with a hashtag); "
                                "a series runs in its own channel for its own length.")
            chosen = await self._series(interaction, series)
            session = await self._tonights_or_next(chosen)
            if topic:
                await self.bot.storage.replace_questions(session.id, await self.bot.storage.questions(session.id),
                                                         topic=clean_topic(topic))
                session = await self.bot.storage.get_session(session.id) or session
            started = await self.bot.chats.live.start(session, plan_of(chosen), started_by=interaction.user.id)
            count = len(await self.bot.storage.questions(started.id))
            extra = f"{count} question{'' if count == 1 else 's'} ready." if count else \
                "No questions are loaded: post them with `/chat next text:…`."
        assert started.ends_at is not None
        await interaction.response.send_message(
            f"Started **#{started.hashtag}** in <#{started.channel_id}>; it ends "
            f"{discord.utils.format_dt(started.ends_at, 't')}. {extra}", ephemeral=True)

    @app_commands.command(name="next", description="Post the next question now (or a new one you type)")
    @app_commands.describe(text="A new question to ask now (default: the next prepared one)")
    @host_only
    async def next(self, interaction: discord.Interaction, text: str | None = None) -> None:
        session = await self._live(interaction)
        await interaction.response.defer(ephemeral=True)
        number = await self.bot.chats.live.next_question(session, text)
        await interaction.followup.send(f"Posted Q{number} in <#{session.channel_id}>.", ephemeral=True)

    @app_commands.command(name="hold", description="Hold the question clock (no new questions until continue)")
    @host_only
    async def hold(self, interaction: discord.Interaction) -> None:
        session = await self._live(interaction)
        await self.bot.chats.live.hold(session)
        await interaction.response.send_message(
            f"Holding #{session.hashtag}: no new questions until `/chat continue`.", ephemeral=True)

    @app_commands.command(name="continue", description="Restart the question clock after a hold")
    @host_only
    async def carry_on(self, interaction: discord.Interaction) -> None:
        session = await self._live(interaction)
        held_for = await self.bot.chats.live.carry_on(session)
        await interaction.response.send_message(
            f"Carrying on with #{session.hashtag}; the rest of the chat moved {format_duration(held_for)} later.",
            ephemeral=True)

    @app_commands.command(name="extend", description="Make the running chat longer")
    @app_commands.describe(by="How much longer, e.g. 15m")
    @host_only
    async def extend(self, interaction: discord.Interaction, by: str) -> None:
        session = await self._live(interaction)
        ends = await self.bot.chats.live.extend(session, parse_duration(by))
        await interaction.response.send_message(
            f"#{session.hashtag} now ends {discord.utils.format_dt(ends, 't')}.", ephemeral=True)

    @app_commands.command(name="end", description="End the running chat now; the recap follows")
    @host_only
    async def end(self, interaction: discord.Interaction) -> None:
        session = await self._live(interaction)
        await interaction.response.defer(ephemeral=True)
        await self.bot.chats.live.end(session)
        await interaction.followup.send(f"Ended #{session.hashtag}; the recap follows within a minute.",
                                        ephemeral=True)

    @app_commands.command(name="notify", description="Get pinged before each chat (run again to stop)")
    async def notify(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(await self.bot.chats.promotion.toggle_notify(interaction.user),
                                                ephemeral=True)

    @app_commands.command(name="transcript", description="The recap and transcript of a past chat")
    @app_commands.describe(date="The chat's local date, YYYY-MM-DD (default: the latest)", series="Which series")
    async def transcript(self, interaction: discord.Interaction, date: str | None = None,
                         series: str | None = None) -> None:
        assert interaction.guild_id is not None
        past = await self.bot.storage.transcribed_sessions(interaction.guild_id)
        if series:
            past = [s for s in past if s.series_name.lower() == series.lower()]
        if date:
            day = parse_date(date)
            past = [s for s in past if local_day(s.started_at or s.starts_at, s.timezone) == day]
        if not past:
            raise UserError("No finished chat matches that" + (f" on {date}" if date else "") +
                            ": transcripts appear here once a chat has ended.")
        session = past[0]
        kept = await self.bot.storage.get_transcript(session.id)
        assert kept is not None
        await interaction.response.send_message(
            f"#{session.hashtag}, {discord.utils.format_dt(session.started_at or session.starts_at, 'D')}:",
            files=transcript_files(session, kept), ephemeral=True)

    # -- questions -----------------------------------------------------------------------------------

    async def _edit_questions(self, interaction: discord.Interaction, series: str | None, date: str | None,
                              change: Callable[[list[str]], list[str]]) -> None:
        """Apply one change to a session's question list in one transaction, then show the result."""
        session = await self._session(await self._series(interaction, series), date)
        updated = await self.bot.storage.change_questions(session.id, change)
        await interaction.response.send_message(embed=_question_listing(session, updated), ephemeral=True)

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
        parsed = question_list.parse_question_file(file.filename, await file.read())
        session = await self._session(await self._series(interaction, series), date)
        await self.bot.storage.replace_questions(session.id, parsed.questions, topic=parsed.topic, guest=parsed.guest)
        session = await self.bot.storage.get_session(session.id) or session
        await interaction.response.send_message(embed=_question_listing(session, parsed.questions), ephemeral=True)
        if session.series_id is not None:  # the event shows the new topic and guest
            await self.bot.chats.scheduling.schedule_series(session.series_id)

    @questions.command(name="list", description="Show a session's questions")
    @app_commands.describe(series="Which series", date="Session date, YYYY-MM-DD (default: the next one)")
    @host_only
    async def questions_list(self, interaction: discord.Interaction, series: str | None = None,
                             date: str | None = None) -> None:
        session = await self._session(await self._series(interaction, series), date)
        await interaction.response.send_message(
            embed=_question_listing(session, await self.bot.storage.questions(session.id)), ephemeral=True)

    for command in (edit, pause, resume, skip, delete, start, transcript, questions_add, questions_edit,
                    questions_remove, questions_move, questions_import, questions_list):
        command.autocomplete("series")(series_choices)
    create.autocomplete("zone")(zone_choices)
    edit.autocomplete("zone")(zone_choices)
    del command


def _seconds(leads: tuple[timedelta, ...]) -> tuple[int, ...]:
    return tuple(int(lead.total_seconds()) for lead in leads)


def _question_listing(session: ChatSession, questions: list[str]) -> discord.Embed:
    """A session's questions as hosts see them: an embed, since 12 long questions exceed a message's 2000."""
    head = f"**#{session.hashtag}** {when(session.starts_at)}"
    if session.topic:
        head += f" — {session.topic}"
    if session.guest:
        head += f"\nGuest: {session.guest}"
    if not questions:
        return discord.Embed(description=head + "\nNo questions yet: add them with `/chat questions add` "
                             "or `/chat questions import`.")
    return discord.Embed(description=head + "\n" + "\n".join(f"**Q{n}:** {text}"
                                                              for n, text in enumerate(questions, 1)))


async def setup(bot: Heartbeat) -> None:
    await bot.add_cog(Chat(bot))
