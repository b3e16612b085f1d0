"""The newcomer desk as the rest of the bot sees it: one object whose parts each do one job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.changes import Changes
from bot.newcomers._greetings import Greetings
from bot.newcomers._observe import Observer
from bot.newcomers._readback import ReadBack
from bot.newcomers._report import Reports
from bot.newcomers._roster import Roster
from bot.newcomers._welcomes import Welcomes

if TYPE_CHECKING:
    from bot.client import Heartbeat


class Newcomers:
    """Welcomes, first-chat greetings, human greetings, flags and reports; one per bot.

    Every part signals the same `Changes` after it records something, so `wait_for` sees all of them.
    """

    def __init__(self, bot: Heartbeat) -> None:
        changes = Changes()
        self.wait_for = changes.wait_for
        self._welcomes = Welcomes(bot, changes.notify)
        self._greetings = Greetings(bot, changes.notify)
        self._observer = Observer(bot, changes.notify)
        self._reports = Reports(bot, changes.notify)
        self._read_back = ReadBack(bot, changes.notify)
        self._roster = Roster(bot, self._welcomes, self._read_back, changes.notify)
        # The desk's surface, each answered by the part that does that job.
        self.arrived = self._welcomes.arrived
        self.left = self._welcomes.left
        self.catch_up = self._roster.catch_up
        self.read_back = self._read_back.add
        self.send_welcomes = self._welcomes.send_welcomes
        self.welcome_text = self._welcomes.welcome_text
        self.next_chat = self._welcomes.next_chat
        self.observe = self._observer.observe
        self.first_post = self._greetings.first_post
        self.greet = self._greetings.greet
        self.report = self._reports.report
        self.review = self._reports.review
        self.counts = self._reports.counts
        self.file_stem = self._reports.file_stem
        self.post_report = self._reports.post_report
        self.schedule_weekly = self._reports.schedule_weekly
        self.weekly = self._reports.weekly

    async def restore(self) -> None:
        """Rebuild jobs for waiting welcomes, waiting greetings, weekly reports and unfinished read-backs."""
        await self._welcomes.restore()
        await self._greetings.restore()
        await self._reports.restore()
        await self._read_back.restore()
