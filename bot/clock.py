"""Bot time: the real clock in production; in the demo, tests and benchmarks, a clock that starts at a chosen
instant and may run faster than real time, so an hour-long chat plays out in seconds.

Everything the bot decides by the time of day reads `Clock.now()`. Two conversions link bot time to the real
time that the scheduler and Discord's message ids run on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    """`Clock()` is real time; `Clock(start, speed=600)` starts at `start` and runs 600x; speed 0 stands still."""

    def __init__(self, start: datetime | None = None, *, speed: float = 1.0) -> None:
        if start is not None and start.utcoffset() is None:
            raise ValueError(f"start must be timezone-aware (got {start!r})")
        if speed < 0:
            raise ValueError(f"speed must not be negative (got {speed})")
        self.start = start
        self.speed = speed
        self._real_origin = _to_millisecond(datetime.now(UTC))
        self._monotonic_origin = time.monotonic()
        # Told when the clock is moved or its speed changes, so scheduled jobs can be re-timed.
        self.listeners: list[Callable[[], None]] = []

    @classmethod
    def frozen(cls, at: datetime) -> Clock:
        """A clock that always says `at`: nothing scheduled on it ever comes due."""
        return cls(at, speed=0)

    def now(self) -> datetime:
        """The current bot time, aware UTC."""
        if self.start is None:
            return datetime.now(UTC)
        # Monotonic, so a wall-clock step on the machine cannot make a compressed chat jump.
        elapsed = timedelta(seconds=(time.monotonic() - self._monotonic_origin) * self.speed)
        return (self.start + elapsed).astimezone(UTC)

    __call__ = now

    def advance(self, by: timedelta) -> None:
        """Move a set clock forward (the demo and tests step through a chat this way)."""
        self._rebase(self.now() + by, self.speed)

    def set_speed(self, speed: float) -> None:
        """Run a set clock at another speed from now on (0 stops it)."""
        self._rebase(self.now(), speed)

    def _rebase(self, start: datetime, speed: float) -> None:
        if self.start is None:
            raise RuntimeError("the real clock cannot be moved")
        self.start, self.speed = start, speed
        self._real_origin = _to_millisecond(datetime.now(UTC))
        self._monotonic_origin = time.monotonic()
        for listener in list(self.listeners):
            listener()

    def real_instant(self, when: datetime) -> datetime | None:
        """The real (wall-clock) instant at which this clock will show `when`; None if it never will."""
        if self.start is None:
            return when.astimezone(UTC)
        if self.speed == 0:
            return None
        return datetime.now(UTC) + (when - self.now()) / self.speed

    def from_real(self, real: datetime) -> datetime:
        """A real instant (a message's or an account's creation time) as bot time.

        Instants since the clock was last set run at its speed; older ones keep their real distance, so an
        account made 400 days ago is 400 days old in bot time too. The mapping never reverses order.
        """
        if self.start is None:
            return real.astimezone(UTC)
        if real < self._real_origin:
            return (self.start - (self._real_origin - real)).astimezone(UTC)
        return (self.start + (real - self._real_origin) * self.speed).astimezone(UTC)

    def to_real(self, moment: datetime) -> datetime:
        """A bot-time instant as the real one, the inverse of from_real (to ask Discord for messages after it)."""
        if self.start is None:
            return moment.astimezone(UTC)
        if moment <= self.start or self.speed == 0:
            return (self._real_origin - (self.start - moment)).astimezone(UTC)
        return (self._real_origin + (moment - self.start) / self.speed).astimezone(UTC)

    def seconds_until(self, when: datetime) -> float:
        """Real seconds until the clock shows `when` (0 if it already has; inf if it never will)."""
        remaining = (when - self.now()).total_seconds()
        if remaining <= 0:
            return 0.0
        return remaining / self.speed if self.speed else float("inf")


def _to_millisecond(moment: datetime) -> datetime:
    """Discord ids carry milliseconds: a message created just after the clock was set must not map before it."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
