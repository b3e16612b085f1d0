"""Chats: the hour a weekly chat runs, from its series to its recap, in parts that are wired together here.

Each part has one job and is given what it uses when it is made:

- `SeriesEditor` (`_series.py`): series stored as hosts set them up or change them, their sessions following.
- `Scheduling` (`_scheduling.py`): series → sessions → jobs; rebuilds them at READY.
- `Promotion` and `ScheduledEvents` (`_promotion.py`): reminders, the notify role, Discord scheduled events.
- `Delivery` (`_delivery.py`): every keyed post exactly once; the kinds of post are one table (`_kinds.py`).
- `LiveSession` (`_session.py`) and `Pacing` (`_pacing.py`): a running chat's steps, and adaptive pacing.
- `Capture` (`_capture.py`): messages, edits, deletes, reactions and check-ins judged for the ledger.
- `Ingest` (`_ingest.py`): chat messages and checkpoints committed in batches, kept through a full disk.
- `Listening` (`_listening.py`): live messages in order, reading back what was missed from each channel's and
  question thread's checkpoint, and when a checkpoint may move.
- `Transcripts` (`_transcripts.py`): the recap and transcripts; `CheckIn` and `NotifyMe` (`_views.py`): the buttons.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import discord

from bot.changes import Changes
from bot.chats._capture import Capture, first_posts
from bot.chats._delivery import Delivery
from bot.chats._ingest import Ingest
from bot.chats._kinds import PostKinds
from bot.chats._listening import Listening
from bot.chats._pacing import Pacing
from bot.chats._promotion import Promotion, ScheduledEvents
from bot.chats._scheduling import Scheduling
from bot.chats._series import SeriesEditor
from bot.chats._session import LiveSession
from bot.chats._transcripts import Transcripts, Withheld, transcript_post
from bot.chats._views import CHECKIN_PREFIX, CheckIn, NotifyMe
from bot.clock import Clock
from bot.jobs import Jobs
from bot.locks import Locks
from bot.posting import alert_hosts
from bot.storage import Storage

__all__ = ["CHECKIN_PREFIX", "Chats", "CheckIn", "NewcomerDesk", "NotifyMe", "transcript_post"]


class NewcomerDesk(Protocol):
    """What the chat tells the newcomer desk (bot.newcomers.Newcomers): a first post, a closing, a recap, and a
    channel chosen for a series."""

    async def first_post(self, session_id: int, user_id: int, message_id: int, at: datetime) -> None:
        """Someone posted in a running chat (it may be their first chat here)."""

    async def greet(self, session_id: int) -> None:
        """The chat is closing: greet the first-timers still waiting now."""

    async def post_report(self, guild_id: int, why: str) -> None:
        """The recap is out: show the moderators the newcomers still to review."""

    async def read_back(self, guild_id: int, channel_ids: list[int]) -> None:
        """Chats will run in these channels: learn who posted there before the bot came, if not read yet."""


class Chats:
    """Every part of running chats, made and connected in one place; one per bot.

    Two loops close here, so two arguments are bound late (looked up when called, not when wired): a series'
    start job starts a session, and starting one re-plans its series (live → scheduling); a question going out
    paces the next one (delivery → pacing).
    """

    def __init__(self, *, client: discord.Client, storage: Storage, clock: Clock, jobs: Jobs, grace: timedelta,
                 newcomers: NewcomerDesk, trouble: Callable[[int | None, str], Awaitable[None]],
                 catch_up_later: Callable[[], None], withheld: Withheld) -> None:
        # Woken whenever a post or a message is recorded: what the demo and tests wait on.
        changes = Changes()
        self.wait_for = changes.wait_for
        sessions = Locks()  # one chat at a time: delivery, the live session and the start job share them
        alert = partial(alert_hosts, storage, client)

        def lost() -> None:  # chat writes were given up: read every channel back once the database takes writes
            self.listening.lost()
            catch_up_later()

        self.ingest = Ingest(storage, saved=first_posts(newcomers.first_post), notify=changes.notify,
                             trouble=trouble, lost=lost)
        self.series = SeriesEditor(storage, clock, chosen=newcomers.read_back)
        self.transcripts = Transcripts(storage, client, clock, flush=self.ingest.flush, withheld=withheld)
        self.events = ScheduledEvents(storage, client, clock)
        self.capture = Capture(storage, clock, self.ingest, notify=changes.notify, withheld=withheld)
        self.listening = Listening(storage, client, self.capture, self.ingest)
        kinds = PostKinds(storage, clock, grace=grace, events=self.events, transcripts=self.transcripts,
                          greet=newcomers.greet, post_report=newcomers.post_report,
                          after_question=lambda session, post, now: self.pacing.after_question(session, post, now),
                          listen=self.listening.listen)
        self.delivery = Delivery(storage, client, clock, jobs, grace=grace, locks=sessions, kinds=kinds.table(),
                                 alert=alert, notify=changes.notify)
        self.pacing = Pacing(storage, clock, jobs, delivery=self.delivery, flush=self.ingest.flush)
        self.promotion = Promotion(storage, clock, events=self.events, schedule_post=self.delivery.schedule)
        self.live = LiveSession(storage, clock, locks=sessions, delivery=self.delivery, events=self.events,
                                replan_series=lambda series_id: self.scheduling.schedule_series(series_id))
        self.scheduling = Scheduling(storage, clock, jobs, grace=grace, locks=sessions, alert=alert,
                                     delivery=self.delivery, pacing=self.pacing, promotion=self.promotion,
                                     live=self.live)
