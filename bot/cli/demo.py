"""`python -m bot demo`: the real bot, cogs and SQLite rehearsing a scene against the local Discord stand-in.

The bot's clock stands still at a fixed evening and the scene moves it, so the hour-long chat at the end
plays out in a moment, every step awaited (a post appearing, a message recorded) rather than slept for,
and the times in the output are the same at every run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli import _screenshots
from bot.cli._demo_output import write_output
from bot.cli._output import refuse
from bot.client import Heartbeat, use_discord_at
from bot.clock import Clock
from bot.domain.newcomers import NEWCOMER_DAYS
from bot.domain.progression import STAGES
from bot.domain.running import post_key
from bot.reporting import progression_report
from bot.settings import Settings, config_file
from bot.standin import InteractionRecord, Message, StandIn, User
from bot.standin.sample import SampleServer, build_sample

EXAMPLE_QUESTIONS = config_file("questions", "example.toml")

# The scene's server runs on New York time; its weekly chat is on Tuesdays at 21:00 (EDT since 8 March).
ZONE = ZoneInfo("America/New_York")
CHAT_START = datetime(2026, 3, 10, 21, 0, tzinfo=ZONE)
# Where the bot's clock stands when the scene begins: ten minutes before the chat, no reminder still due.
SCENE_START = CHAT_START - timedelta(minutes=10)
ANSWER_GAP = timedelta(seconds=40)  # the bot-clock time between one scripted message and the next


class SceneLog:
    """A readable account of what members did and what the bot posted, printed and kept for demo-output/."""

    def __init__(self, sample: SampleServer, *, quiet: bool, now: Callable[[], datetime]) -> None:
        self.sample = sample
        self.quiet = quiet
        self.now = now  # the bot's clock: relative times ("in 10 minutes") are relative to it
        self.started = time.monotonic()
        self.lines: list[str] = []
        self.seen = 0

    def _name(self, text: str) -> str:
        """Replace <#id>, <@id>, <@&id> and <t:unix:style> with readable names and times."""
        text = re.sub(r"<t:(\d+)(?::(\w))?>", lambda match: _timestamp(match, self.now()), text)
        for channel in self.sample.guild.channels.values():
            text = text.replace(f"<#{channel.id}>", f"#{channel.name}")
        for role in self.sample.guild.roles.values():
            text = text.replace(f"<@&{role.id}>", f"@{role.name}")
        for user in self.sample.standin.users.values():
            text = text.replace(f"<@{user.id}>", f"@{user.name}")
        return text

    def add(self, who: str, what: str) -> None:
        # Real seconds since the start, then the bot's time in the server's zone.
        line = f"[{time.monotonic() - self.started:6.2f}s {self.now().astimezone(ZONE):%H:%M:%S}] {who}: " \
               f"{self._name(what)}"
        self.lines.append(line)
        if not self.quiet:
            print(line, flush=True)

    def flush_posts(self) -> None:
        """Log the bot's public posts made since the last flush, with whom they pinged."""
        for message in self.sample.standin.bot_messages():
            if message.id > self.seen:
                self.seen = message.id
                channel = self.sample.standin.channels[message.channel_id]
                pinged = [f"<@{u}>" for u in message.pinged_users] + [f"<@&{r}>" for r in message.pinged_roles]
                pings = ("pings " + ", ".join(pinged)) if pinged or message.pinged_everyone else "pings nobody"
                extras = [f"[button: {c['label']}]" for row in message.components for c in row.get("components", [])
                          if c.get("label")]
                extras += [f"[attached: {a['filename']}]" for a in message.attachments]
                self.add("Heartbeat", f"posts in #{channel.name} ({pings}): {message.text}"
                         + "".join("\n" + extra for extra in extras))

    async def reply(self, record: InteractionRecord) -> str:
        reply = await record.reply()
        self.flush_posts()
        self.add("Heartbeat", f"answers {record.user.name}{' (only they see it)' if reply.ephemeral else ''}: "
                 f"{reply.text}")
        return reply.text


def _timestamp(match: re.Match[str], now: datetime) -> str:
    """A Discord timestamp as a reader in New York (the scene's server's zone) sees it, the zone named; relative ones
    ("R") as "in 3 days" from `now`."""
    instant = datetime.fromtimestamp(int(match[1]), UTC)
    if match[2] != "R":
        return f"{instant.astimezone(ZONE):%a %d %b %Y %H:%M %Z}"
    seconds = (instant - now).total_seconds()
    if abs(seconds) < 1:
        return "just now"
    amount, unit = next((round(abs(seconds) / size), name) for size, name in
                        ((86400, "days"), (3600, "hours"), (60, "minutes"), (1, "seconds")) if abs(seconds) >= size
                        or size == 1)
    return f"in {amount} {unit}" if seconds >= 0 else f"{amount} {unit} ago"


async def _slash(scene: SceneLog, standin: StandIn, user: User, where: str, command: str, **options: Any) -> str:
    # Channels and roles by name, an attached file by its filename.
    shown = " ".join(f"{k}:{v[0] if isinstance(v, tuple) else getattr(v, 'name', v)}" for k, v in options.items())
    scene.add(user.name, f"/{command} {shown}".rstrip())
    return await scene.reply(await standin.slash(user, scene.sample.channels[where], command, **options))


async def play_scene(standin: StandIn, sample: SampleServer, scene: SceneLog) -> None:
    """Online, configured by an admin, a member refused, a join, /about, an announcement, a series and its questions."""
    channels, roles = sample.channels, sample.roles
    await _slash(scene, standin, sample.admin, "general", "config status")
    await _slash(scene, standin, sample.admin, "general", "config channel", kind="chat", channel=channels["chat"])
    await _slash(scene, standin, sample.admin, "general", "config channel", kind="welcome",
                 channel=channels["welcome"])
    await _slash(scene, standin, sample.admin, "general", "config channel", kind="moderator",
                 channel=channels["mod-log"])
    await _slash(scene, standin, sample.admin, "general", "config role", kind="host", role=roles["hosts"])
    # The reply says the hosts could not be pinged; the admin does what it says.
    scene.add(sample.admin.name, f"turns on “Allow anyone to @mention this role” for @{roles['hosts'].name}")
    await standin.edit_role(sample.guild, roles["hosts"], mentionable=True)
    await standin.edit_role(sample.guild, roles["moderators"], mentionable=True)  # join-burst alerts ping them
    await _slash(scene, standin, sample.admin, "general", "config role", kind="moderator", role=roles["moderators"])
    await _slash(scene, standin, sample.admin, "general", "config role", kind="helper", role=roles["helpers"])
    await _slash(scene, standin, sample.admin, "general", "config role", kind="notify", role=roles["notify"])
    await _slash(scene, standin, sample.admin, "general", "config timezone", zone="America/New_York")
    await _slash(scene, standin, sample.admin, "general", "config status")

    await _slash(scene, standin, sample.members[3], "general", "announce", text="Free pizza in #general!")

    newcomer = standin.add_user("Kai", account_age=timedelta(days=400, hours=1))
    scene.add("Kai", "joins the server")
    await standin.join(sample.guild, newcomer)
    await _slash(scene, standin, newcomer, "general", "about")

    await _slash(scene, standin, sample.host, "general", "announce",
                 text="@everyone #GetRealChat is back tonight at 9pm: bring a friend!")
    await _slash(scene, standin, sample.moderator, "general", "report joins", days=7)

    await _slash(scene, standin, sample.host, "general", "chat create", name="GetRealChat", hashtag="#GetRealChat",
                 channel=channels["chat"], weekday="Tuesday", time="21:00", spacing="8m")
    await _slash(scene, standin, sample.host, "general", "chat questions import",
                 file=("example.toml", EXAMPLE_QUESTIONS.read_bytes()))
    await _slash(scene, standin, sample.members[5], "general", "chat list")


async def play_newcomers(standin: StandIn, sample: SampleServer, scene: SceneLog, bot: Heartbeat,
                         clock: Clock) -> None:
    """Kai's welcome and first hello, a helper greeting them, and a small raid: one combined welcome, one alert."""
    await _slash(scene, standin, sample.admin, "general", "welcome set", template="Hi @everyone, meet {member}!")
    await _slash(scene, standin, sample.admin, "general", "welcome preview")

    async def move(by: timedelta, why: str) -> None:
        clock.advance(by)
        scene.add("Clock", f"moves on {int(by.total_seconds())} s: {why}")
        await bot.jobs.idle()  # what came due has run, so the log shows it at this step, every time

    await move(timedelta(seconds=10), "welcomes wait a few seconds, so people joining together share one")
    await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id)
    scene.flush_posts()

    kai = next(user for user in standin.users.values() if user.name == "Kai")
    hello = await _says(scene, standin, bot, kai, sample.channels["general"], "hi all! just moved here from Lisbon")
    await move(timedelta(minutes=3), "a few minutes pass")
    await _says(scene, standin, bot, sample.helper, sample.channels["general"],
                "Welcome Kai! Tuesday's chat is the best way in", reply_to=hello)

    raiders = [standin.add_user(f"Raider {n}", account_age=timedelta(hours=3) if n % 3 == 0 else timedelta(days=60))
               for n in range(7)]
    for raider in raiders:
        clock.advance(timedelta(seconds=1))
        await bot.jobs.idle()
        scene.add(raider.name, "joins the server")
        await standin.join(sample.guild, raider)
        await bot.newcomers.wait_for(partial(bot.storage.newcomers.get, sample.guild.id, raider.id))
    await standin.wait_for_message(lambda m: m.channel_id == sample.channels["mod-log"].id and "burst" in m.content)
    scene.flush_posts()
    await move(timedelta(seconds=60), "a minute into the burst")
    await standin.wait_for_message(lambda m: m.channel_id == sample.channels["welcome"].id and "others" in m.content)
    scene.flush_posts()


async def _says(scene: SceneLog, standin: StandIn, bot: Heartbeat, user: User, channel: Any, text: str,
                reply_to: Message | None = None) -> Message:
    """A member posts outside the chat; waits until the bot has looked at it."""
    scene.add(user.name, f"replies to {reply_to.author.name} in #{channel.name}: {text}" if reply_to
              else f"says in #{channel.name}: {text}")
    message = await standin.say(user, channel, text, reply_to=reply_to)

    async def noticed() -> bool:
        if reply_to is not None:
            greeted = await bot.storage.newcomers.get(sample_guild(standin), reply_to.author.id)
            return greeted is not None and greeted.greeting_message_id == message.id
        newcomer = await bot.storage.newcomers.get(sample_guild(standin), user.id)
        return newcomer is not None and newcomer.first_message_id == message.id
    await bot.newcomers.wait_for(noticed)
    return message


def sample_guild(standin: StandIn) -> int:
    return next(iter(standin.guilds))


class ChatScript:
    """Members taking part in the chat, each step logged and awaited until the bot has recorded it."""

    def __init__(self, standin: StandIn, sample: SampleServer, scene: SceneLog, bot: Heartbeat, clock: Clock):
        self.standin, self.sample, self.scene, self.bot, self.clock = standin, sample, scene, bot, clock
        self.chat = sample.channels["chat"]
        self.last_post = 0  # the id of the bot's latest post waited for
        self.spoken: set[int] = set()  # members who have posted in the chat (their first post queues a greeting)

    async def move_clock(self, to: datetime, why: str) -> None:
        self.clock.advance(to - self.clock.now())
        self.scene.add("Clock", f"moves on to {to.astimezone(ZONE):%a %d %b %Y %H:%M %Z}: {why}")
        await self.settle()

    async def settle(self) -> None:
        """Let what came due on the moved clock run, and log what it posted: the same log at every run."""
        await self.bot.jobs.idle()
        self.scene.flush_posts()

    async def bot_posts(self, starts: str) -> Message:
        """Wait for the bot's next post in the chat channel that starts with `starts`, and log it."""
        message = await self.standin.wait_for_message(
            lambda m: m.channel_id == self.chat.id and m.content.startswith(starts), after=self.last_post)
        self.last_post = message.id
        self.scene.flush_posts()
        return message

    async def when_due(self, kind: str, number: int | None = None) -> datetime:
        """When the running chat's post is due, as the bot planned it from the series."""
        sessions = await self.bot.storage.sessions.with_status("running")
        post = await self.bot.storage.posts.get(post_key(sessions[0].id, kind, number))
        assert post is not None, f"the bot planned no {kind} post"
        return post.due_at

    async def recorded(self, message: Message) -> None:
        """Wait until the bot has stored the message as it now reads (after an edit, too)."""
        async def stored() -> bool:
            kept = await self.bot.storage.messages.get(message.id)
            return kept is not None and kept.content == message.content
        await self.bot.chats.wait_for(stored)

    async def says(self, user: User, text: str, *, reply_to: Message | None = None, to: str = "") -> Message:
        self.clock.advance(ANSWER_GAP)  # people take a moment to type
        await self.settle()  # a greeting for first-time chatters may come due meanwhile
        self.scene.add(user.name, f"replies to {to} in #{self.chat.name}: {text}" if reply_to
                       else f"says in #{self.chat.name}: {text}")
        message = await self.standin.say(user, self.chat, text, reply_to=reply_to)
        await self.recorded(message)
        if user.id not in self.spoken:
            self.spoken.add(user.id)
            await self.greeting_queued(user)
        return message

    async def greeting_queued(self, user: User) -> None:
        """Wait until a first-time chatter's greeting is queued, so its job is set before the clock moves on."""
        async def queued() -> bool:
            session = (await self.bot.storage.sessions.with_status("running"))[0]
            return user.id in [waiting for waiting, _ in await self.bot.storage.greetings.waiting(session.id)]
        await self.bot.newcomers.wait_for(queued)

    async def edits(self, message: Message, text: str) -> None:
        self.clock.advance(ANSWER_GAP)
        await self.settle()
        self.scene.add(message.author.name, f"edits their answer to: {text}")
        await self.standin.edit(message, text)
        await self.recorded(message)

    async def reacts(self, user: User, message: Message, emoji: str) -> None:
        self.scene.add(user.name, f"reacts {emoji} to {message.author.name}'s message")
        kept = await self.bot.storage.messages.get(message.id)
        before = kept.reactions if kept else 0
        await self.standin.react(user, message, emoji)

        async def counted() -> bool:
            kept = await self.bot.storage.messages.get(message.id)
            return kept is not None and kept.reactions > before
        await self.bot.chats.wait_for(counted)

    async def checks_in(self, user: User, opening: Message) -> None:
        button = next(cid for cid in opening.custom_ids() if cid.startswith("checkin:"))
        self.scene.add(user.name, "presses I'm here")
        await self.scene.reply(await self.standin.click(user, opening, button))

    async def question(self, number: int) -> Message:
        await self.move_clock(await self.when_due("question", number), f"Q{number} is due")
        return await self.bot_posts(f"**Q{number}:**")


async def play_chat(standin: StandIn, sample: SampleServer, scene: SceneLog, bot: Heartbeat, clock: Clock) -> None:
    """The series' first chat: started by the weekly trigger, answered, edited, closed and recapped."""
    script = ChatScript(standin, sample, scene, bot, clock)
    priya, marcus, lena, tomas, aisha, jonah, mei, rafael, grace = sample.members[:9]
    # Greetings for first-time chatters go out two minutes after the first of them: wait for them like any post.
    kai = next(user for user in standin.users.values() if user.name == "Kai")  # the newcomer of the first scene

    # The series' scheduled event is the last thing set up after /chat create answers: then the start is set too.
    await standin.wait_until(lambda: sample.guild.scheduled_events)
    await script.move_clock(CHAT_START, "the series' start time; the weekly trigger starts the chat")
    opening = await script.bot_posts("**Welcome to #GetRealChat!**")
    for lurker in (grace, kai, priya):
        await script.checks_in(lurker, opening)

    q1 = await script.question(1)
    moved = await script.says(priya, "A1: A job offer in Toronto I couldn't turn down")
    await script.says(marcus, "a1) love, honestly. She was already here")
    await script.says(lena, "A 1: cheaper rent, and a fresh start")
    await script.says(tomas, "My sister lived here, so it felt less scary", reply_to=q1, to="Q1")
    await script.says(aisha, "Same here Priya, which company?", reply_to=moved, to="Priya")
    await script.reacts(marcus, moved, "🔥")
    await script.reacts(lena, moved, "❤️")

    await script.question(2)
    dark = await script.says(jonah, "A2: how early it gets dark")
    await script.says(mei, "A2: the subway map, honestly")
    await script.says(kai, "A2: how friendly my neighbours are")
    await script.edits(dark, "A2: how early it gets dark in winter: 4:30pm!")

    await script.question(3)
    await script.says(rafael, "A3: a Sunday run club. Small wins!")
    await script.says(priya, "A3: the library's language exchange")
    await script.question(4)
    await script.says(aisha, "A4: jollof like my mum's; a Nigerian spot downtown comes close")
    await script.question(5)
    await script.says(lena, "A5: that the first winter is the hardest, and it passes")
    await script.question(6)
    await script.says(marcus, "A6: say yes to every invitation for the first month")

    recap_due = await script.when_due("recap")  # the session is no longer running once the closing is out
    await script.move_clock(await script.when_due("closing"), "the chat's hour is up")
    await script.bot_posts("**That's a wrap for #GetRealChat!**")
    await script.move_clock(recap_due, "the recap is due")
    await script.bot_posts("**#GetRealChat recap**")
    report = await standin.wait_for_message(
        lambda m: m.channel_id == sample.channels["mod-log"].id and m.content.startswith("After #GetRealChat"))
    scene.flush_posts()
    newest = next(user for user in standin.users.values() if user.name == "Raider 6")
    scene.add(sample.moderator.name, "presses Watch on Raider 6's card")
    await scene.reply(await standin.click(sample.moderator, report, f"review:{sample.guild.id}:{newest.id}:watch"))
    await _slash(scene, standin, sample.moderator, "general", "report newcomers", status="unreviewed")


# The weeks after the first chat, compressed: who answers each Tuesday, and in April Priya starts helping.
WEEKS = [CHAT_START + timedelta(weeks=n) for n in range(1, 8)]  # 17 March to 28 April
MONTH_ENDS = {datetime(2026, 4, 1, tzinfo=ZONE): "March", datetime(2026, 5, 1, tzinfo=ZONE): "April"}


async def play_weeks(standin: StandIn, sample: SampleServer, scene: SceneLog, bot: Heartbeat, clock: Clock) -> None:
    """Seven more weekly chats across two month ends, so members' journeys show: Priya answers every week and
    starts helping in April, a moderator names Tomás a leader, and each month closes at midnight New York time."""
    script = ChatScript(standin, sample, scene, bot, clock)
    script.spoken = {user.id for user in standin.users.values()}  # only first-timers wait for a greeting
    script.last_post = max(message.id for message in standin.bot_messages())
    priya, marcus, lena, tomas, aisha, jonah, mei = sample.members[:7]
    kai = next(user for user in standin.users.values() if user.name == "Kai")
    for start in WEEKS:
        for month_end, month in MONTH_ENDS.items():
            if script.clock.now() < month_end <= start:
                await close_month(script, month_end, month)
        if start.month == 4 and start.day <= 7:
            await _slash(scene, standin, sample.moderator, "general", "progression name", member=tomas)
        await _slash(scene, standin, sample.host, "general", "chat questions add",
                     text=f"What was the best part of your week ({start:%d %B})?")
        await script.move_clock(start, "the weekly chat starts")
        await script.bot_posts("**Welcome to #GetRealChat!**")
        await script.question(1)
        answers = {user.name: await script.says(user, f"A1: {user.name}'s week of {start:%d %b}")
                   for user in (priya, marcus, *((lena,) if start == WEEKS[0] else ()),
                                *((kai,) if start == WEEKS[1] else ()), *((aisha, jonah, mei) if start.month == 4
                                                                         else ()))}
        if start.month == 4 and start.day <= 21:  # Priya helps three people, and two of them thank her
            for name in {7: ("Aisha", "Jonah"), 14: ("Mei", "Aisha"), 21: ("Jonah",)}[start.day]:
                helped = await script.says(priya, f"Same for me, {name}. Try the Sunday market!",
                                           reply_to=answers[name], to=name)
                if (name, start.day) == ("Aisha", 7):
                    await script.says(aisha, "thanks Priya, I will!", reply_to=helped, to="Priya")
                if (name, start.day) == ("Mei", 14):
                    await script.reacts(mei, helped, "🙏")
        recap_due = await script.when_due("recap")
        await script.move_clock(await script.when_due("closing"), "the chat's hour is up")
        await script.bot_posts("**That's a wrap for #GetRealChat!**")
        await script.move_clock(recap_due, "the recap is due")
        await script.bot_posts("**#GetRealChat recap**")
    await close_month(script, datetime(2026, 5, 1, tzinfo=ZONE), "April")
    await _slash(scene, standin, priya, "general", "profile")
    await _slash(scene, standin, sample.moderator, "general", "report progression", months=3)


async def close_month(script: ChatScript, end: datetime, month: str) -> None:
    """Move to a month's end (midnight, New York) and wait for the bot to close it."""
    await script.move_clock(end, f"{month} ends: Heartbeat closes the month for every member")
    label = f"{end.year}-{end.month - 1:02d}"

    async def closed() -> bool:
        return any(c.month == label and not c.provisional
                   for c in await script.bot.storage.months.closes(script.sample.guild.id))
    await script.bot.progression.wait_for(closed)
    rows = await script.bot.storage.months.rows(script.sample.guild.id, label, label)
    counts = {stage: sum(row.stage == stage for row in rows) for stage in STAGES}
    script.scene.add("Heartbeat", f"closes {month}: " + ", ".join(f"{n} {stage}" for stage, n in counts.items()))


def add_parser(modes: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the subcommand and its options."""
    demo = modes.add_parser("demo", help="rehearse a scene offline against a local Discord stand-in")
    demo.add_argument("--output", type=Path, default=Path("demo-output"), help="folder for what the demo produced")
    demo.add_argument("--quiet", action="store_true", help="print only the summary line")
    _screenshots.add_option(demo)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Play the scene and write demo-output/ (refused at once if that folder cannot be written)."""
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=args.output):
            pass
    except OSError as error:
        return refuse(f"the demo cannot write its output to {args.output} ({error.strerror or error}): "
                      "pass --output with a folder you can write, such as --output demo-output.")
    return asyncio.run(run_demo(settings, args.output, quiet=args.quiet, screenshots=args.screenshots))


async def run_demo(settings: Settings, output: Path, *, quiet: bool = False, screenshots: str | None = None) -> int:
    """Run the scene with a throwaway database; write the log, the bot's posts and the database to `output`."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="heartbeat-demo-") as scratch:
        database = Path(scratch) / "demo.db"
        async with StandIn() as standin:
            use_discord_at(standin.url)
            sample = build_sample(standin, now=SCENE_START.astimezone(UTC))
            clock = Clock.frozen(SCENE_START.astimezone(UTC))
            scene = SceneLog(sample, quiet=quiet, now=clock.now)
            bot = Heartbeat(replace(settings, token=standin.token, database_path=database, sync_guild_id=None),
                            identify_delay=0, guild_ready_timeout=0.05, clock=clock)
            runner = asyncio.create_task(bot.start(standin.token))
            try:
                async with asyncio.timeout(120):
                    ready = asyncio.create_task(bot.connected.wait())
                    done, _ = await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
                    if runner in done:
                        runner.result()
                    scene.add("Heartbeat", f"is online in {sample.guild.name} with "
                              f"{len(standin.global_commands)} slash commands")
                    await play_scene(standin, sample, scene)
                    await play_newcomers(standin, sample, scene, bot, clock)
                    await play_chat(standin, sample, scene, bot, clock)
                    newcomers = await bot.newcomers.report(sample.guild.id, NEWCOMER_DAYS)
                    await play_weeks(standin, sample, scene, bot, clock)
                    progression = await progression_report(bot.storage, sample.guild.id, months=3,
                                                           name=sample.guild.name)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
            write_output(output, scene.lines, standin, database, newcomers, progression, zone=ZONE,
                         scene_start=SCENE_START)
            if failed := await _screenshots.capture(output, standin, database, ZONE, screenshots):
                return failed
    print(f"Demo finished: {len(scene.lines)} steps; output in {output}/")
    return 0
