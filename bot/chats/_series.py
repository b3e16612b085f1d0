"""Series: a host's weekly chat series stored as they set it up or change it, its sessions following."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.errors import UserError
from bot.domain.series import SeriesEdit, SeriesSpec, moved_starts
from bot.plans import slot_of, spec_of
from bot.storage import ChatSession, DuplicateName, Series, Storage


def _seconds(leads: tuple[timedelta, ...]) -> tuple[int, ...]:
    """Reminder leads as the whole seconds a series stores."""
    return tuple(int(lead.total_seconds()) for lead in leads)


def _columns(edit: SeriesEdit, spec: SeriesSpec) -> dict[str, Any]:
    """The columns an edit writes: only those of the options given, with their values as `spec` settled them."""
    given = {
        "name": (edit.name, spec.name), "hashtag": (edit.hashtag, spec.hashtag),
        "channel_id": (edit.channel_id, edit.channel_id), "weekday": (edit.weekday, spec.slot.weekday),
        "local_time": (edit.local_time, spec.slot.local_time), "timezone": (edit.zone, spec.slot.zone),
        "duration_seconds": (edit.duration, int(spec.plan.duration.total_seconds())),
        "spacing_seconds": (edit.spacing, int(spec.plan.spacing.total_seconds())),
        "first_question_seconds": (edit.first_question, int(spec.plan.first_question.total_seconds())),
        "pacing": (edit.pacing, spec.plan.pacing),
        "reminders": (edit.reminders, None if edit.reminders is None else _seconds(edit.reminders)),
        "use_threads": (edit.use_threads, edit.use_threads),
        "most_answers": (edit.most_answers, edit.most_answers)}
    return {column: value for column, (option, value) in given.items() if option is not None}


class SeriesEditor:
    """Creates and changes series; when the weekly slot moves, the planned and skipped sessions move with it.

    A channel a series is created on, or moved to, is handed to `chosen` (the newcomer desk's read-back of who
    posted there before the bot came).
    """

    def __init__(self, storage: Storage, clock: Clock, *,
                 chosen: Callable[[int, list[int]], Awaitable[None]]) -> None:
        self._storage = storage
        self._clock = clock
        self._chosen = chosen

    async def create(self, guild_id: int, spec: SeriesSpec, *, channel_id: int, reminders: tuple[timedelta, ...],
                     use_threads: bool, created_by: int, most_answers: bool = True) -> Series:
        """Store a new series as specified; a name the server already uses is a UserError."""
        try:
            series = await self._storage.series.create(
                guild_id=guild_id, name=spec.name, hashtag=spec.hashtag, channel_id=channel_id,
                weekday=spec.slot.weekday, local_time=spec.slot.local_time, timezone=spec.slot.zone,
                duration_seconds=int(spec.plan.duration.total_seconds()),
                spacing_seconds=int(spec.plan.spacing.total_seconds()),
                first_question_seconds=int(spec.plan.first_question.total_seconds()), pacing=spec.plan.pacing,
                reminders=_seconds(reminders), use_threads=use_threads, created_by=created_by, now=self._clock(),
                most_answers=most_answers)
        except DuplicateName:
            raise UserError(f"A series called '{spec.name}' already exists: pick another name, "
                            "or change it with `/chat edit`.") from None
        await self._chosen(guild_id, [channel_id])
        return series

    async def edit(self, series_id: int, edit: SeriesEdit) -> Series:
        """Write only what `edit` changes, judged against the series as stored when it is written.

        Read, merge, check and write are one transaction, so two hosts editing at once both keep their change,
        or (when the two only clash together) the later one is refused as a UserError and nothing of it is
        stored. The planned and skipped sessions move with the weekly slot that ends up stored.
        """
        try:
            async with self._storage.transaction():
                current = await self._storage.series.get(series_id)
                if current is None:
                    raise UserError("That series was just deleted: `/chat list` shows the ones left.")
                spec = edit.applied_to(spec_of(current))
                future = await self._storage.sessions.future(series_id, self._clock())
                new_starts = moved_starts(slot_of(current), spec.slot, [s.starts_at for s in future])
                updated = await self._storage.series.update(
                    series_id, _columns(edit, spec), moved=dict(zip([s.id for s in future], new_starts, strict=True)))
        except DuplicateName:
            raise UserError(f"A series called '{edit.name}' already exists: pick another name.") from None
        if edit.channel_id is not None:
            await self._chosen(updated.guild_id, [updated.channel_id])
        return updated

    async def skip(self, session: ChatSession, date: str) -> None:
        """Skip a planned session (`date`, as the host wrote it, names it); any other session is a UserError."""
        if session.status != "planned":
            raise UserError(f"The {date} session is already {session.status}.")
        await self._storage.sessions.set_status(session.id, "skipped")
