"""Finding the chats in a channel's past: a run of posts carrying "Q1:", "Q2:" … and what was said around them.

Messages arrive one at a time, oldest first; what is not (yet) known to belong to a chat is held only for the hour
before it could start, so memory follows one chat's messages, never the channel's whole history.

The rules:
- A chat opens at a post starting with "Q1" (as `parse_question_number` reads it), by anyone: the bot, a host or
  another bot. Later "QN" posts (N not asked yet) by a bot or by whoever already asked a question in it are its
  further questions; anyone else's "Q2 …" is an ordinary message.
- If a series is held in that channel and the first question comes from 15 minutes before one of its weekly slots
  to an hour after it, the chat is that series' session and starts at the slot. Otherwise it starts 10 minutes
  before the first question (where an opening post usually is).
- It ends 30 minutes after its last question, or at the series' end if that is later; a new "Q1" ends it at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.answers import parse_question_number
from bot.domain.history import PastMessage
from bot.domain.schedule import WeeklySlot, local_start

BEFORE_SLOT = timedelta(minutes=15)  # a first question this long before a series' slot still belongs to it
AFTER_SLOT = timedelta(hours=1)  # … and up to this long after it
LEAD = timedelta(minutes=10)  # a chat with no series starts this long before its first question
TAIL = timedelta(minutes=30)  # a chat takes messages this long after its last question
HELD = AFTER_SLOT  # messages held back in case a chat starting later takes them in


@dataclass(frozen=True)
class Slot:
    """A series held in a channel: its weekly slot and how long its chats last."""

    series_id: int
    name: str
    hashtag: str
    weekly: WeeklySlot
    duration: timedelta

    def near(self, at: datetime) -> datetime | None:
        """The series' slot a first question at `at` belongs to, if one is near enough."""
        local_day = at.astimezone(self.weekly.tz).date()
        for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1)):
            if day.weekday() == self.weekly.weekday:
                start = local_start(self.weekly, day)
                if start - BEFORE_SLOT <= at <= start + AFTER_SLOT:
                    return start
        return None


@dataclass
class FoundChat:
    """A chat found in a channel: its questions (message id → number and text) and every message said in it."""

    channel_id: int
    first_question: PastMessage
    starts_at: datetime
    slot: Slot | None
    questions: dict[int, tuple[int, str]] = field(default_factory=dict)
    hosts: set[int] = field(default_factory=set)
    messages: list[PastMessage] = field(default_factory=list)
    last_question_at: datetime | None = None

    @property
    def key(self) -> str:
        """What makes importing the same chat twice find it again: its channel and its first question's message."""
        return f"{self.channel_id}:{self.first_question.message_id}"

    @property
    def ends_at(self) -> datetime:
        last = self.last_question_at or self.first_question.created_at
        end = last + TAIL
        if self.slot is not None:
            end = max(end, self.starts_at + self.slot.duration)
        return end

    def asks(self, message: PastMessage) -> int | None:
        """The question number a message asks in this chat, if it is one of its questions."""
        number = parse_question_number(message.content)
        if number is None or number in {n for n, _ in self.questions.values()}:
            return None
        if message.author_is_bot or message.author_id in self.hosts:
            return number
        return None

    def ask(self, message: PastMessage, number: int) -> None:
        self.questions[message.message_id] = (number, message.content)
        self.hosts.add(message.author_id)
        self.last_question_at = message.created_at


@dataclass(frozen=True)
class Outside:
    """A message said outside any chat (it may still help or thank someone)."""

    message: PastMessage


Found = FoundChat | Outside


class ChatFinder:
    """Finds the chats of one channel from its messages, fed oldest first; see the module's rules."""

    def __init__(self, channel_id: int, slots: Sequence[Slot] = ()) -> None:
        self.channel_id = channel_id
        self._slots = tuple(slots)
        self._held: deque[PastMessage] = deque()
        self._chat: FoundChat | None = None

    def push(self, message: PastMessage) -> list[Found]:
        """Take the next message; returns what is settled: chats that ended and messages outside any chat."""
        settled: list[Found] = []
        chat = self._chat
        if chat is not None and (message.created_at > chat.ends_at or self._opens(message)):
            settled.append(chat)
            self._chat = chat = None
        if chat is not None:
            number = chat.asks(message)
            if number is not None:
                chat.ask(message, number)
            chat.messages.append(message)
            return settled
        if self._opens(message):
            self._chat = self._open(message, settled)
            return settled
        self._held.append(message)
        while self._held and message.created_at - self._held[0].created_at > HELD:
            settled.append(Outside(self._held.popleft()))
        return settled

    def end(self) -> list[Found]:
        """No more messages: whatever is held is settled."""
        settled: list[Found] = []
        if self._chat is not None:
            settled.append(self._chat)
            self._chat = None
        settled.extend(Outside(m) for m in self._held)
        self._held.clear()
        return settled

    @property
    def oldest_unsettled(self) -> int | None:
        """The oldest message not settled yet (held, or in a chat still open): a resumed import starts there."""
        if self._chat is not None:
            return min((self._chat.first_question.message_id, *(m.message_id for m in self._chat.messages)))
        return self._held[0].message_id if self._held else None

    @staticmethod
    def _opens(message: PastMessage) -> bool:
        return not message.system and parse_question_number(message.content) == 1

    def _open(self, first: PastMessage, settled: list[Found]) -> FoundChat:
        slot, starts_at = None, first.created_at - LEAD
        for candidate in self._slots:
            start = candidate.near(first.created_at)
            if start is not None:
                slot, starts_at = candidate, min(start, first.created_at)
                break
        chat = FoundChat(self.channel_id, first, starts_at, slot)
        while self._held:
            held = self._held.popleft()
            if held.created_at >= starts_at:
                chat.messages.append(held)
            else:
                settled.append(Outside(held))
        chat.ask(first, 1)
        chat.messages.append(first)
        return chat
