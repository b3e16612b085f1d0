"""Series: a host's weekly chat series stored as they set it up or change it, its sessions following."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.domain.errors import UserError
from bot.domain.series import SeriesSpec, moved_starts
from bot.plans import slot_of
from bot.storage import ChatSession, DuplicateName, Series, Storage


def _seconds(leads: tuple[timedelta, ...]) -> tuple[int, ...]:
    """Reminder leads as the whole seconds a series stores."""
    return tuple(int(lead.total_seconds()) for lead in leads)


class SeriesEditor:
    """Creates and changes series; when the weekly slot moves, the planned and skipped sessions move with it."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock

    async def create(self, guild_id: int, spec: SeriesSpec, *, channel_id: int, reminders: tuple[timedelta, ...],
                     use_threads: bool, created_by: int) -> Series:
        """Store a new series as specified; a name the server already uses is a UserError."""
        try:
            return await self._storage.series.create(
                guild_id=guild_id, name=spec.name, hashtag=spec.hashtag, channel_id=channel_id,
                weekday=spec.slot.weekday, local_time=spec.slot.local_time, timezone=spec.slot.zone,
                duration_seconds=int(spec.plan.duration.total_seconds()),
                spacing_seconds=int(spec.plan.spacing.total_seconds()),
                first_question_seconds=int(spec.plan.first_question.total_seconds()), pacing=spec.plan.pacing,
                reminders=_seconds(reminders), use_threads=use_threads, created_by=created_by, now=self._clock())
        except DuplicateName:
            raise UserError(f"A series called '{spec.name}' already exists: pick another name, "
                            "or change it with `/chat edit`.") from None

    async def edit(self, current: Series, spec: SeriesSpec, *, channel_id: int | None,
                   reminders: tuple[timedelta, ...] | None, use_threads: bool | None) -> Series:
        """Change a series to `spec` (None keeps a value); a name the server already uses is a UserError."""
        future = await self._storage.sessions.future(current.id, self._clock())
        new_starts = moved_starts(slot_of(current), spec.slot, [s.starts_at for s in future])
        changes = {
            "name": spec.name, "hashtag": spec.hashtag,
            "channel_id": current.channel_id if channel_id is None else channel_id,
            "weekday": spec.slot.weekday, "local_time": spec.slot.local_time, "timezone": spec.slot.zone,
            "duration_seconds": int(spec.plan.duration.total_seconds()),
            "spacing_seconds": int(spec.plan.spacing.total_seconds()),
            "first_question_seconds": int(spec.plan.first_question.total_seconds()), "pacing": spec.plan.pacing,
            "reminders": current.reminders if reminders is None else _seconds(reminders),
            "use_threads": current.use_threads if use_threads is None else use_threads}
        try:
            return await self._storage.series.update(
                current.id, changes, moved=dict(zip([s.id for s in future], new_starts, strict=True)))
        except DuplicateName:
            raise UserError(f"A series called '{spec.name}' already exists: pick another name.") from None

    async def skip(self, session: ChatSession, date: str) -> None:
        """Skip a planned session (`date`, as the host wrote it, names it); any other session is a UserError."""
        if session.status != "planned":
            raise UserError(f"The {date} session is already {session.status}.")
        await self._storage.sessions.set_status(session.id, "skipped")
