"""What the benchmarks share on the members' side: their traffic, the chat they post in, slash commands, numbers.

The stand-in queues gateway events (`StandIn(queue_gateway=True)`), so members post at their own pace however
slowly the bot reads; the bot itself runs in its own process (`_bot.py`), and what it stored is read from its
database file (`_stored.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _stored import Stored

from bot.standin import InteractionFailed, StandIn
from bot.standin.model import Message, User
from bot.standin.sample import SampleServer

TOKEN = "standin-token"
# Monday noon in New York: a series' weekly trigger (Tuesday 21:00) stays far away; /chat start runs it.
CLOCK_START = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)

ANSWERS = ["a new job", "my partner's family is here", "honestly, the food", "it was cheaper", "adventure!",
           "the winters surprised me", "people are friendlier than I expected", "I'd say: just go for it"]
REPLIES = ["Same here!", "Ha, so true", "Where did you end up?", "That's lovely", "+1", "Tell us more!"]
MENTIONS = ["what do you think?", "you said this last week too!", "totally agree", "welcome back!"]
CHATTER = ["hi everyone!", "first time here 👋", "lol", "this chat moves fast", "brb coffee", "love this topic"]
EMOJI = ["👍", "❤️", "😂", "🎉", "💯"]
# The mix of one member action: answers, Discord replies, mentions, chatter; a reaction follows some messages.
ANSWER, REPLY, MENTION = 0.45, 0.65, 0.75
REACTION = 0.1


# ---------------------------------------------------------------------------------------------- members' traffic

@dataclass
class Traffic:
    """A realistic stream of members' messages in one channel, the same for every run with the same seed.

    About 45% answer the current question ("A3: ..."), 20% reply to a recent message, 10% mention another
    member, the rest is chatter; one message in ten is followed by a reaction to a recent message. The instant each
    message was posted (monotonic, once the stand-in has taken it and given its event to the gateway) is kept.
    """

    standin: StandIn
    sample: SampleServer
    question: Callable[[], int | None] = lambda: None
    seed: int = 2026
    sent_at: dict[int, float] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    reactions: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._recent: deque[Message] = deque(maxlen=50)
        self._channel = self.sample.channels["chat"]

    @property
    def messages(self) -> int:
        """Member messages sent so far (reactions not counted)."""
        return len(self.sent_at)

    async def step(self) -> Message:
        """Send one member message (and now and then a reaction); return the message."""
        rng, members = self._rng, self.sample.members
        user = rng.choice(members)
        roll, question, reply_to = rng.random(), self.question(), None
        if roll < ANSWER and question is not None:
            text = f"A{question}: {rng.choice(ANSWERS)}"
        elif roll < REPLY and self._recent:
            text, reply_to = rng.choice(REPLIES), rng.choice(self._recent)
        elif roll < MENTION:
            other: User = rng.choice(members)
            text = f"<@{other.id}> {rng.choice(MENTIONS)}"
        else:
            text = rng.choice(CHATTER)
        message = await self.standin.say(user, self._channel, text, reply_to=reply_to)
        self.sent_at[message.id] = time.monotonic()
        self.order.append(message.id)
        self._recent.append(message)
        if rng.random() < REACTION:
            await self.standin.react(rng.choice(members), rng.choice(self._recent), rng.choice(EMOJI))
            self.reactions += 1
        return message


async def flood(traffic: Traffic, rate: float, seconds: float) -> float:
    """Send `rate` messages per real second for `seconds`; return the seconds it took.

    Paced on a schedule, not by sleeping a fixed gap: a late tick sends what has come due (at most a tenth of a
    second's worth per tick), so the average rate holds. A rate of 0 only waits.
    """
    started = time.monotonic()
    until = started + seconds
    sent = 0
    burst = max(1, int(rate / 10))
    while (now := time.monotonic()) < until:
        for _ in range(min(int((now - started) * rate) - sent, burst)):
            await traffic.step()
            sent += 1
        await asyncio.sleep(0.002)
    return time.monotonic() - started


# ---------------------------------------------------------------------------------------------- the chat

async def slash_text(standin: StandIn, user: User, channel_name: str, sample: SampleServer, command: str,
                     timeout: float = 30, **options: Any) -> str:
    """Run a slash command and return the text of the bot's first reply."""
    record = await standin.slash(user, sample.channels[channel_name], command, **options)
    return (await record.reply(timeout=timeout)).text


async def start_chat(standin: StandIn, sample: SampleServer, database: Path, *, duration: str, spacing: str,
                     first_question: str, questions: int = 12) -> int:
    """As the host: create a series in #getreal-chat with `questions` questions, start it now; return its session id."""
    async def host(command: str, **options: Any) -> str:
        return await slash_text(standin, sample.host, "general", sample, command, **options)

    said = await slash_text(standin, sample.admin, "general", sample, "config role", kind="host",
                            role=sample.roles["hosts"])
    assert "host" in said.lower(), said
    created = await host("chat create", name="LoadChat", hashtag="LoadChat", channel=sample.channels["chat"],
                         weekday="Tuesday", time="21:00", zone="America/New_York", duration=duration,
                         spacing=spacing, first_question=first_question, reminders="none")
    assert created.startswith("Created"), created
    for number in range(1, questions + 1):
        added = await host("chat questions add", text=f"Question number {number}?")
        assert "most it can hold" not in added, added
    started = await host("chat start")
    assert started.startswith("Started"), started
    with Stored(database) as stored:
        session = stored.running_session()
    assert session is not None, "the chat started but no session is running in the database"
    return session


# ---------------------------------------------------------------------------------------------- slash command probes

PROBES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("about", "member", {}), ("chat list", "member", {}), ("chat questions list", "host", {}))


@dataclass
class Probe:
    """One slash command issued during the run, and how long its first reply took (None: no reply)."""

    command: str
    issued: float
    reply_ms: float | None = None


class Probes:
    """Issue a read-only slash command every `every` seconds (member and host commands in turn) and time replies."""

    def __init__(self, standin: StandIn, sample: SampleServer, *, every: float = 1.0, timeout: float = 30) -> None:
        self._standin = standin
        self._sample = sample
        self._every = every
        self._timeout = timeout
        self.probes: list[Probe] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Probes:
        self._ticker = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        """Issue no more probes; wait for those in flight to be answered or to time out."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _tick(self) -> None:
        started = time.monotonic()
        for number in range(1_000_000):
            await asyncio.sleep(max(0.0, started + number * self._every - time.monotonic()))
            command, who, options = PROBES[number % len(PROBES)]
            task = asyncio.create_task(self._probe(command, who, options))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _probe(self, command: str, who: str, options: dict[str, object]) -> None:
        user = self._sample.host if who == "host" else self._sample.members[1]
        probe = Probe(f"/{command}", time.monotonic())
        self.probes.append(probe)
        record = await self._standin.slash(user, self._sample.channels["general"], command, **options)
        with contextlib.suppress(TimeoutError, InteractionFailed):  # unanswered (or too late for Discord)
            await record.reply(timeout=self._timeout)
            probe.reply_ms = (time.monotonic() - probe.issued) * 1000

    def answered_ms(self, keep: Callable[[Probe], bool] = lambda p: True) -> list[float]:
        """Reply times of the answered probes that `keep` accepts."""
        return [p.reply_ms for p in self.probes if p.reply_ms is not None and keep(p)]


# ---------------------------------------------------------------------------------------------- numbers

def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (with fewer than 100 values, p99 is the maximum); NaN if there are none."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def ms(value: float) -> str:
    """Milliseconds as a whole number, or "-" when there is none."""
    return "-" if math.isnan(value) else f"{value:.0f}"


def ratio(a: float, b: float) -> str:
    """`a / b` as "x1.23", or "-" when it cannot be computed."""
    if not b or math.isnan(a) or math.isnan(b):
        return "-"
    return f"x{a / b:.2f}"
