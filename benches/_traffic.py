"""What the benchmarks share: members' traffic, the bot as a child process, and the database read from outside.

The bot under test always runs in its own process (`python -m bot`, or `benches/_child.py` for a bot on a fast
clock), so the stand-in and the load it generates never share the bot's event loop or its CPU time: on Discord,
the members and the gateway are not on the bot's machine either. The stand-in queues gateway events
(`StandIn(queue_gateway=True)`), so members post at their own pace however slowly the bot reads. What the bot
stored is judged only from its SQLite file, opened read-only with the `sqlite3` module, never from its internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import signal
import sqlite3
import sys
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from bot.standin import InteractionRecord, StandIn
from bot.standin.model import Message, User
from bot.standin.sample import SampleServer

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "_child.py"
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


# ---------------------------------------------------------------------------------------------- bot time

@dataclass(frozen=True)
class BotClock:
    """How the bot's clock maps to real time: bot time `start` was the real (epoch) instant `epoch`, at `speed`x."""

    start: datetime
    epoch: float
    speed: float = 1.0

    @classmethod
    def real(cls) -> BotClock:
        """The real clock (what `python -m bot` runs on)."""
        now = time.time()
        return cls(datetime.fromtimestamp(now, UTC), now)

    @classmethod
    def fast(cls, start: datetime, speed: float) -> BotClock:
        """A clock that shows `start` now and runs `speed` times faster than real time."""
        return cls(start, time.time(), speed)

    def now(self) -> datetime:
        """The bot's time now."""
        return self.start + timedelta(seconds=(time.time() - self.epoch) * self.speed)

    def to_real(self, when: datetime) -> datetime:
        """The real instant at which the bot's clock shows `when`."""
        return datetime.fromtimestamp(self.epoch + (when - self.start).total_seconds() / self.speed, UTC)

    def child_args(self) -> list[str]:
        """How `_child.py heartbeat` is told to run on this clock."""
        return ["--start", self.start.isoformat(), "--epoch", repr(self.epoch), "--speed", repr(self.speed)]


# ---------------------------------------------------------------------------------------------- the bot's process

def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a running process, all its threads included (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan, math.nan
    # Fields 14 and 15 of stat(5) (utime, stime); after the ")" that closes the name, field 3 is index 0.
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


class BotProcess:
    """A bot as a real child process on the stand-in: started, killed with SIGKILL or stopped with SIGTERM at will.

    `argv` follows the interpreter: ["-m", "bot"] for Heartbeat itself, [str(CHILD), "bare"] for a bench child.
    Its output goes to `log` (appended across restarts), never to a pipe that could fill up and stall it.
    """

    def __init__(self, argv: list[str], standin: StandIn, database: Path, log: Path, *,
                 env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.database = database
        self.log = log
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTBEAT_", "DATABASE_"))}
        self.env.update(DISCORD_TOKEN=standin.token, HEARTBEAT_DISCORD_URL=standin.url, DATABASE_PATH=str(database),
                        PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING", **(env or {}))
        self.process: asyncio.subprocess.Process | None = None
        self._output: IO[bytes] | None = None

    async def start(self) -> None:
        """Start the process (in the database's folder, so no stray .env is read)."""
        if self._output is None:
            self._output = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, *self.argv, cwd=self.database.parent, env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=self._output, stderr=self._output)

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def cpu(self) -> float:
        """CPU seconds (user and system) the running process has used so far."""
        return sum(cpu_times(self.pid))

    def system_cpu(self) -> float:
        """System CPU seconds (the kernel working for it: sockets, file writes, fsync) it has used so far."""
        return cpu_times(self.pid)[1]

    async def kill(self) -> None:
        """SIGKILL: no clean shutdown, no last commit; wait until it is gone."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait for a clean exit (SIGKILL after `timeout`); return the exit code."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                await self.kill()
        if self._output is not None:
            self._output.close()
            self._output = None
        return self.process.returncode

    def tail(self, lines: int = 15) -> str:
        """The end of the process's output, to show when something went wrong."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def scaled_defaults(folder: Path, speed: float) -> dict[str, str]:
    """The environment that gives a bot on a `speed`x clock the shipped defaults, its grace stretched to match.

    The misfire grace (how late a post may still go out) is counted in bot time; at 60x the shipped 5 minutes would
    be 5 real seconds, and a question 6 s late would be skipped instead of posted late, as it never would be.
    """
    with (ROOT / "config" / "defaults.toml").open("rb") as file:
        defaults = tomllib.load(file)
    defaults["misfire_grace_seconds"] = round(defaults.get("misfire_grace_seconds", 300) * speed)
    path = folder / "defaults.toml"
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in defaults.items()), encoding="utf-8")
    return {"HEARTBEAT_DEFAULTS": str(path)}


async def wait_up(standin: StandIn, sample: SampleServer, timeout: float = 60) -> float:
    """Wait until the bot answers /about (asked again every 2 s until one is answered); return the seconds it took.

    Answered means connected with its commands loaded; a bot that is busy catching up may still answer slowly, so an
    answer to any of the commands asked counts, however late it comes.
    """
    started = time.monotonic()
    await standin.wait_until(lambda: standin.global_commands, timeout=timeout)
    asked: list[InteractionRecord] = []
    while True:
        asked.append(await standin.slash(sample.members[0], sample.channels["general"], "about"))
        with contextlib.suppress(TimeoutError):
            await standin.wait_until(lambda: any(record.replies for record in asked), timeout=2)
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the bot did not answer /about within {timeout:.0f} s")


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


# ---------------------------------------------------------------------------------------------- the database, read-only

@dataclass(frozen=True)
class QuestionPost:
    """A question's scheduled post as the database shows it."""

    number: int
    due_at: datetime
    status: str
    message_id: int | None


class Stored:
    """The bot's database file opened read-only, as an outsider: what is committed, nothing else."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self._conn: sqlite3.Connection | None = None

    def __enter__(self) -> Stored:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        # A connection is reopened after an error: the bot may have been killed mid-write, or not created it yet.
        for attempt in range(2):
            try:
                if self._conn is None:
                    self._conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5,
                                                 check_same_thread=False)
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error:
                self.close()
                if attempt:
                    raise
        return []

    def count(self) -> int:
        """Member messages stored (every row of chat_message is one)."""
        return int(self._query("SELECT COUNT(*) FROM chat_message")[0][0])

    def ids_from(self, lowest: int) -> list[int]:
        """Stored message ids from `lowest` up (ids grow with time, so this stays small while the bot keeps up)."""
        return [int(row[0]) for row in self._query(
            "SELECT message_id FROM chat_message WHERE message_id >= ?", (lowest,))]

    def among(self, ids: list[int]) -> list[int]:
        """Those of `ids` that are stored."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [int(row[0]) for row in self._query(
            f"SELECT message_id FROM chat_message WHERE message_id IN ({marks})", tuple(ids))]

    def running_session(self) -> int | None:
        """The id of the running chat session, if any."""
        rows = self._query("SELECT id FROM chat_session WHERE status = 'running' ORDER BY id DESC LIMIT 1")
        return int(rows[0][0]) if rows else None

    def questions(self, session_id: int) -> list[QuestionPost]:
        """A session's question posts, first to last."""
        rows = self._query("SELECT question_number, due_at, status, message_id FROM scheduled_post "
                           "WHERE session_id = ? AND kind = 'question' ORDER BY due_at", (session_id,))
        return [QuestionPost(int(n), datetime.fromisoformat(str(due)), str(status),
                             None if message is None else int(message))
                for n, due, status, message in rows]


GAP_CHECK = 500  # unseen messages below the highest seen one, looked up in each poll


class CommitWatch:
    """Notes when each sent message first shows up committed in the database, polling it read-only in a thread.

    A thread, so the poll keeps its rhythm while the event loop is busy sending: sqlite3 lets go of the GIL while
    it reads. The moment a row is seen is at most one poll interval (plus a read) after its commit. Ids grow in the
    order messages are sent, so each poll reads the rows above the highest id seen so far, plus the unseen ones
    below it (at most GAP_CHECK of them): little more than what was committed since the last poll.
    """

    def __init__(self, database: Path, traffic: Traffic, interval: float = 0.005) -> None:
        self._stored = Stored(database)
        self._traffic = traffic
        self._interval = interval
        self.seen_at: dict[int, float] = {}
        self._front = 0  # index in traffic.order of the oldest message not seen yet
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="commit-watch", daemon=True)

    def __enter__(self) -> CommitWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._stored.close()

    def _run(self) -> None:
        order, seen = self._traffic.order, self.seen_at
        highest = 0
        while not self._stop.wait(self._interval):
            while self._front < len(order) and order[self._front] in seen:
                self._front += 1
            if self._front == len(order):
                continue
            # Rows above the highest seen, and the few not seen below it (committed out of order, or not yet).
            behind: list[int] = []
            for message_id in itertools.islice(order, self._front, None):
                if message_id >= highest or len(behind) == GAP_CHECK:
                    break
                if message_id not in seen:
                    behind.append(message_id)
            with contextlib.suppress(sqlite3.Error):
                found = self._stored.ids_from(max(highest + 1, order[self._front])) + self._stored.among(behind)
                now = time.monotonic()
                for message_id in found:
                    seen.setdefault(message_id, now)
                    highest = max(highest, message_id)

    def all_seen(self, ids: list[int]) -> bool:
        """Whether every one of `ids` has been seen committed."""
        return all(i in self.seen_at for i in ids)

    def latencies_ms(self, ids: list[int]) -> list[float]:
        """Send-to-seen milliseconds of those of `ids` that were seen."""
        sent_at = self._traffic.sent_at
        return [(self.seen_at[i] - sent_at[i]) * 1000 for i in ids if i in self.seen_at]

    async def wait(self, ids: list[int], *, stall: float, timeout: float) -> bool:
        """Wait until all of `ids` are seen (True), or none is seen for `stall` s, or `timeout` s pass (False)."""
        started = changed = time.monotonic()
        pending = list(ids)
        while pending:
            now = time.monotonic()
            still = [i for i in pending if i not in self.seen_at]
            if len(still) != len(pending):
                changed = now
            pending = still
            if pending and (now - changed > stall or now - started > timeout):
                return False
            await asyncio.sleep(0.01)
        return True


@dataclass(frozen=True)
class Settled:
    """The stored count once it settled (or the wait ended), how long that took, and whether the bot was still busy."""

    count: int
    seconds: float
    still_busy: bool


async def settle(database: Path, expected: int, *, cpu: Callable[[], float], timeout: float,
                 quiet_for: float = 3.0) -> Settled:
    """Wait until `expected` messages are stored, or the count stops growing while the bot idles, or `timeout` passes.

    Idle: under 5% of a core over the last `quiet_for` s. A bot deep in a backlog may store nothing for a while
    and still be working its way towards storing more, so a flat count alone does not mean it has finished.
    """
    started = changed = time.monotonic()
    count = -1
    samples: deque[tuple[float, float]] = deque()
    with Stored(database) as stored:
        while True:
            with contextlib.suppress(sqlite3.Error):
                now_count = stored.count()
                if now_count != count:
                    count, changed = now_count, time.monotonic()
            now, used = time.monotonic(), cpu()
            samples.append((now, used))
            while samples[0][0] < now - quiet_for:
                samples.popleft()
            idle = math.isnan(used) or used - samples[0][1] < 0.05 * quiet_for
            if count >= expected or (now - changed > quiet_for and idle):
                return Settled(count, now - started, False)
            if now - started > timeout:
                return Settled(count, now - started, True)
            await asyncio.sleep(0.05)


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
        with contextlib.suppress(TimeoutError):
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
