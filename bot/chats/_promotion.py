"""Promotion: reminders before a series' next session, its Discord scheduled event, and the opt-in notify role."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

import discord

from bot.clock import Clock
from bot.domain import running
from bot.domain.errors import UserError
from bot.storage import ChatSession, Series, Storage

log = logging.getLogger(__name__)

# Put a keyed post on the job queue: (key, due). Delivery's `schedule`.
SchedulePost = Callable[[str, datetime], None]


class ScheduledEvents:
    """The Discord scheduled event advertising a session (best effort: it needs Manage Events)."""

    def __init__(self, storage: Storage, client: discord.Client, clock: Clock) -> None:
        self._storage = storage
        self._client = client
        self._clock = clock

    async def sync(self, series: Series, session: ChatSession) -> None:
        """Create or update the Discord scheduled event advertising a session (best effort: needs Manage Events)."""
        guild = self._client.get_guild(series.guild_id)
        if guild is None or session.starts_at <= self._clock():
            return
        channel = guild.get_channel(series.channel_id)
        fields: dict[str, Any] = {
            "name": running.event_name(series.hashtag),
            "description": running.event_description(session.topic, session.guest),
            "start_time": session.starts_at, "end_time": session.starts_at + timedelta(seconds=series.duration_seconds),
            "location": running.event_location(channel.name if channel else None, series.name)}
        try:
            if session.event_id is not None:
                try:
                    event = await guild.fetch_scheduled_event(session.event_id)
                    await event.edit(**fields)
                    return
                except discord.NotFound:
                    pass  # deleted by someone in Discord: make a new one
            event = await guild.create_scheduled_event(entity_type=discord.EntityType.external,
                                                       privacy_level=discord.PrivacyLevel.guild_only, **fields)
            await self._storage.sessions.set_event(session.id, event.id)
        except discord.HTTPException as exc:
            log.warning("Could not create or update the scheduled event for #%s: %s", series.hashtag, exc)

    async def delete(self, session: ChatSession) -> None:
        """Take down a session's event (gone already counts as done)."""
        guild = self._client.get_guild(session.guild_id)
        if guild is None or session.event_id is None:
            return
        try:
            event = await guild.fetch_scheduled_event(session.event_id)
            await event.delete()
        except discord.NotFound:
            pass
        except discord.HTTPException as exc:
            log.warning("Could not delete the scheduled event of session %d: %s", session.id, exc)
            return
        await self._storage.sessions.set_event(session.id, None)

    async def move(self, session: ChatSession, step: Literal["start", "end"]) -> None:
        """Mark the session's Discord scheduled event live at the start and over at the close (best effort)."""
        guild = self._client.get_guild(session.guild_id)
        if guild is None or session.event_id is None:
            return
        try:
            event = await guild.fetch_scheduled_event(session.event_id)
            # Discord allows only scheduled → active → completed, and moves external events itself; someone may
            # also have ended or cancelled it by hand. Move it only where that step is allowed (discord.py raises
            # ValueError otherwise), so the chat itself never waits on its advertisement.
            if step == "start" and event.status is discord.EventStatus.scheduled:
                await event.start()
            elif step == "end" and event.status is discord.EventStatus.active:
                await event.end()
        except discord.HTTPException as exc:
            log.warning("Could not %s the scheduled event of session %d: %s", step, session.id, exc)


    async def move_end(self, session: ChatSession, ends_at: datetime) -> None:
        """Keep the session's Discord event open until the chat's new end: Discord completes it at its end time."""
        guild = self._client.get_guild(session.guild_id)
        if guild is None or session.event_id is None:
            return
        try:
            event = await guild.fetch_scheduled_event(session.event_id)
            # A completed or cancelled event cannot be changed (Discord answers 400): leave it as it is.
            if event.status in (discord.EventStatus.scheduled, discord.EventStatus.active):
                await event.edit(end_time=ends_at)
        except discord.HTTPException as exc:
            log.warning("Could not move the end of the scheduled event of session %d: %s", session.id, exc)


class Promotion:
    """Advertises a series' next session (reminder posts and its event) and hands out the notify role."""

    def __init__(self, storage: Storage, clock: Clock, *, events: ScheduledEvents,
                 schedule_post: SchedulePost) -> None:
        self._storage = storage
        self._clock = clock
        self._events = events
        self._schedule_post = schedule_post

    async def promote(self, series: Series, upcoming: ChatSession | None) -> None:
        """Reminders and a Discord scheduled event for the next session only; none for anything else."""
        wanted = [] if upcoming is None else running.plan_reminders(
            upcoming.id, upcoming.starts_at, tuple(timedelta(seconds=s) for s in series.reminders), self._clock())
        await self._storage.posts.plan_reminders(series.id, series.channel_id, upcoming.id if upcoming else None,
                                                 wanted)
        for post in wanted:
            self._schedule_post(post.key, post.due_at)
        for stale in await self._storage.sessions.with_events(series.id):
            if (upcoming is None or stale.id != upcoming.id) and stale.status in ("planned", "skipped"):
                await self._events.delete(stale)
        if upcoming is not None:
            await self._events.sync(series, upcoming)

    async def toggle_notify(self, user: discord.abc.User) -> str:
        """Give or take the server's notify role: members choose to be pinged before chats."""
        if not isinstance(user, discord.Member):
            raise UserError("Use this in the server, not in a direct message.")
        config = await self._storage.config.get(user.guild.id)
        role = user.guild.get_role(config.notify_role_id) if config.notify_role_id else None
        if role is None:
            raise UserError("This server has no notify role yet: an admin can choose one with `/config role`.")
        try:
            if role in user.roles:
                await user.remove_roles(role, reason="Asked to stop chat reminders")
                return f"You will no longer be pinged for chats (removed @{role.name})."
            await user.add_roles(role, reason="Asked for chat reminders")
        except discord.Forbidden:
            raise UserError(f"I can't hand out @{role.name}: an admin must give me Manage Roles and put my role "
                            "above it.") from None
        return f"You will be pinged before each chat (added @{role.name}). Press again or use `/chat notify` to stop."
