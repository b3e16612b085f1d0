"""The import pipeline: PastMessages, channel by channel and oldest first, into the ledger rows the live bot writes.

Source-agnostic: a DiscordChatExporter file and Discord's own history feed it the same way, a page at a time.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import standing
from bot.domain import progression as domain
from bot.domain.acts import Said, acts_of, asks_something, is_mass_mention
from bot.domain.answers import resolve_answer
from bot.domain.history import PastMessage
from bot.domain.privacy import unnamed
from bot.domain.schedule import WeeklySlot
from bot.history._finding import ChatFinder, Found, FoundChat, Outside, Slot
from bot.places import counted_channels
from bot.progression import judge_month
from bot.storage import Act, ImportedChat, MonthClose, Poster, Reaction, Storage, StoredMessage

RECENT = timedelta(hours=1)  # as live: a mention helps someone whose latest message here answered or asked within this
REMEMBERED = 10_000  # messages remembered (author, answered or asked), for the replies to them
BATCH = 1000  # messages outside any chat written together
_USER_MENTION = re.compile(r"<@!?([0-9]+)>")
_ROLE_MENTION = re.compile(r"<@&([0-9]+)>")
DISCORD_EPOCH_MS = 1420070400000


@dataclass
class Summary:
    """What an import read and wrote."""

    messages: int = 0  # messages read
    chats: int = 0  # chats found
    members: int = 0  # different members seen posting
    new_members: int = 0  # of them, members the server's list did not have (kept as having left)
    months: list[str] = field(default_factory=list)  # months closed (or closed again)


@dataclass(frozen=True)
class Places:
    """Where acts count outside a chat (chat channels, opted-in channels), and the server's words of thanks."""

    channels: frozenset[int]
    thanks_words: tuple[str, ...]
    thanks_emoji: tuple[str, ...]

    def count(self, channel_id: int, parent_id: int | None) -> bool:
        return channel_id in self.channels or (parent_id is not None and parent_id in self.channels)


class Importer:
    """One import into one server: `channel()` per channel, fed its messages, then `finish()`.

    Nothing here opens a transaction of its own over a whole channel: the caller decides what must be all or nothing
    (the command line wraps each run in one; an import from Discord commits page by page and resumes from
    `ChannelImport.cursor`).
    """

    def __init__(self, storage: Storage, guild_id: int, *, zone: ZoneInfo) -> None:
        self._storage = storage
        self.guild_id = guild_id
        self.zone = zone
        self.summary = Summary()
        self._posters: dict[int, Poster] = {}  # seen since they were last saved
        self._counted: set[int] = set()  # every poster saved
        self._first: datetime | None = None
        self._slots: dict[int, list[Slot]] = {}
        self._places = Places(frozenset(), (), ())
        self.hidden: frozenset[int] = frozenset()

    @classmethod
    async def start(cls, storage: Storage, guild_id: int, *, default_zone: str) -> Importer:
        """An importer for a server, knowing its series, places and words of thanks."""
        importer = cls(storage, guild_id, zone=await standing.zone_of(storage, guild_id, default_zone))
        await importer._read_server()
        return importer

    async def _read_server(self) -> None:
        storage, guild_id = self._storage, self.guild_id
        series = await storage.series.all(guild_id)
        for one in series:
            self._slots.setdefault(one.channel_id, []).append(Slot(
                one.id, one.name, one.hashtag, WeeklySlot(one.weekday, one.local_time, one.timezone),
                timedelta(seconds=one.duration_seconds)))
        self.hidden = await storage.privacy.opted_out(guild_id)  # members who asked not to be recorded
        t = (await storage.progression.config(guild_id)).thresholds
        self._places = Places(frozenset(await counted_channels(storage, guild_id)), t.thanks_words, t.thanks_emoji)

    def channel(self, channel_id: int, parent_id: int | None = None) -> ChannelImport:
        """Start importing one channel (or thread): feed it with `add`, oldest message first, then `end` it."""
        return ChannelImport(self, channel_id, parent_id, self._slots.get(channel_id, []))

    def _saw(self, message: PastMessage) -> None:
        self.summary.messages += 1
        if self._first is None or message.created_at < self._first:
            self._first = message.created_at
        if message.author_is_bot or message.system:
            return
        known = self._posters.get(message.author_id)
        first = message.created_at if known is None else min(known.first_at, message.created_at)
        last = message.created_at if known is None else max(known.last_at, message.created_at)
        name = message.author_name or f"member {message.author_id}"
        self._posters[message.author_id] = Poster(message.author_id, name, _account_created(message.author_id),
                                                  first, last)

    async def save_posters(self) -> None:
        """Record who has posted so far (an import page by page, so a resumed one loses none of them)."""
        posters = sorted(self._posters.values(), key=lambda p: p.user_id)
        self._counted.update(self._posters)
        self.summary.new_members += await self._storage.history.add_posters(self.guild_id, posters)
        self._posters.clear()

    async def finish(self, now: datetime) -> Summary:
        """Record who posted, and close the months the messages fall in so reports cover them; returns the summary."""
        await self.save_posters()
        self.summary.members = len(self._counted)
        if self._first is not None:
            self.summary.months = await close_months(self._storage, self.guild_id, self.zone, now,
                                                     domain.month_of(self._first, self.zone))
        return self.summary


def _account_created(user_id: int) -> datetime:
    """When a Discord account was made, from its id."""
    return datetime.fromtimestamp(((user_id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


async def close_months(storage: Storage, guild_id: int, zone: ZoneInfo, now: datetime, first: str) -> list[str]:
    """Close the past months an import touched, oldest first (each month's stages follow from the month before).

    Every month that has ended and was never closed (from `first`, the imported messages' first month, or the
    server's first month written, if earlier) is closed with the server's thresholds; a month from `first` on that
    was already closed is closed again with the thresholds it was judged by. The running month's provisional rows
    are refreshed. Returns the months closed."""
    current = domain.month_of(now, zone)
    written = await storage.months.closes(guild_id)
    closes = {close.month: close for close in written if not close.provisional}
    t = (await storage.progression.config(guild_id)).thresholds
    ended = domain.previous_month(current)
    earliest = min([first, *(close.month for close in written)])
    months = domain.months_between(earliest, ended) if earliest <= ended else []
    done: list[str] = []
    for month in months:
        close = closes.get(month)
        if close is None:
            rows = await judge_month(storage, guild_id, month, zone, now, t)
            await storage.months.write(MonthClose(guild_id, month, False, zone.key, t, now), rows)
        elif month >= first:
            rows = await judge_month(storage, guild_id, month, zone, now, close.thresholds)
            await storage.months.rewrite(MonthClose(guild_id, month, False, close.timezone, close.thresholds, now),
                                         rows)
        else:
            continue  # closed before the messages begin: nothing imported changes it
        done.append(month)
    if first <= current:
        rows = await judge_month(storage, guild_id, current, zone, now, t)
        await storage.months.write(MonthClose(guild_id, current, True, zone.key, t, now), rows)
    return done


class ChannelImport:
    """One channel's messages being imported: chats found and written as they end, acts and reactions judged."""

    def __init__(self, importer: Importer, channel_id: int, parent_id: int | None, slots: list[Slot]) -> None:
        self._importer = importer
        self._storage = importer._storage
        self.channel_id = channel_id
        self.parent_id = parent_id
        self._finder = ChatFinder(channel_id, slots)
        self._said: OrderedDict[int, tuple[int, bool]] = OrderedDict()  # message id → (author, answered or asked)
        self._latest: dict[int, tuple[datetime, bool]] = {}
        self._bots: set[int] = set()
        self._acts: dict[int, list[Act]] = {}
        self._reactions: list[Reaction] = []
        self._outside = 0
        self.newest: int | None = None  # the newest message fed

    @property
    def cursor(self) -> int | None:
        """The newest message whose rows are all written: a resumed import feeds the messages after it again (the
        ones after it that were written already are found by their ids and add nothing)."""
        oldest = self._finder.oldest_unsettled
        if oldest is None:
            return self.newest
        return oldest - 1

    async def add(self, messages: Iterable[PastMessage]) -> None:
        """Feed the next messages (oldest first); chats that ended are written now."""
        hidden = self._importer.hidden
        for message in messages:
            if message.author_id in hidden:
                continue  # opted out: nothing they said is recorded, past or present
            if hidden:  # nor anything about them: no mention of theirs, no reply to them
                message = replace(message, content=unnamed(message.content, hidden),
                                  mentions=tuple(m for m in message.mentions if m not in hidden))
            self._importer._saw(message)
            self.newest = message.message_id
            if message.author_is_bot:
                self._bots.add(message.author_id)
            await self._settle(self._finder.push(message))

    async def end(self) -> None:
        """No more messages in this channel: write what is left."""
        await self._settle(self._finder.end())
        await self._write_outside()

    async def flush(self) -> None:
        """Write the acts judged so far outside any chat, so `cursor` may move past them (an import page by page)."""
        await self._write_outside()

    async def _settle(self, found: list[Found]) -> None:
        for one in found:
            if isinstance(one, Outside):
                if self._importer._places.count(self.channel_id, self.parent_id):
                    self._judge(one.message, session_id=None, replied_question=None, posted=())
                    self._outside += 1
                    if self._outside >= BATCH:
                        await self._write_outside()
            else:
                await self._write_chat(one)

    async def _write_outside(self) -> None:
        if self._acts:
            await self._storage.acts.replace(self._acts)
        if self._reactions:
            await self._storage.acts.react_all([(r.key, r) for r in self._reactions])
        self._acts, self._reactions, self._outside = {}, [], 0

    async def _write_chat(self, chat: FoundChat) -> None:
        importer = self._importer
        numbers = {number: text for number, text in chat.questions.values()}
        slot = chat.slot
        session_id, _ = await self._storage.history.add_chat(ImportedChat(
            key=chat.key, guild_id=importer.guild_id, channel_id=self.channel_id,
            series_id=slot.series_id if slot else None, series_name=slot.name if slot else "Imported chat",
            hashtag=slot.hashtag if slot else _hashtag(chat), timezone=slot.weekly.zone if slot else importer.zone.key,
            starts_at=chat.starts_at, ended_at=chat.messages[-1].created_at,
            questions=tuple(numbers.get(n, "") for n in range(1, max(numbers) + 1))))
        importer.summary.chats += 1
        posted: set[int] = set()
        stored: list[StoredMessage] = []
        await self._write_outside()
        for message in chat.messages:
            asked = chat.questions.get(message.message_id)
            if asked is not None:
                posted.add(asked[0])
            if message.author_is_bot or message.system:
                continue
            question = chat.questions.get(message.reply_to) if message.reply_to is not None else None
            number = self._judge(message, session_id=session_id,
                                 replied_question=question[0] if question else None, posted=posted)
            replied = self._replied_author(message, question is not None)
            stored.append(StoredMessage(
                message_id=message.message_id, session_id=session_id, author_id=message.author_id,
                author_name=message.author_name, content=message.content, created_at=message.created_at,
                edited_at=message.edited_at, deleted=False,
                reply_to_author_id=replied if replied is not None else self._first_mention(message),
                question_number=number, reactions=sum(len(users) for _, users in message.reactions)))
        await self._storage.history.add_messages(importer.guild_id, stored)
        await self._write_outside()

    def _replied_author(self, message: PastMessage, to_question: bool) -> int | None:
        if message.reply_to is None or to_question:
            return None
        said = self._said.get(message.reply_to)
        return None if said is None else said[0]

    def _first_mention(self, message: PastMessage) -> int | None:
        for user_id in message.mentions:
            if user_id != message.author_id and user_id not in self._bots:
                return user_id
        return None

    def _judge(self, message: PastMessage, *, session_id: int | None, replied_question: int | None,
               posted: Iterable[int]) -> int | None:
        """Judge a member's message for acts and reactions (handed to the next write); returns the question it
        answers, if any."""
        if message.author_is_bot or message.system:
            return None
        importer = self._importer
        places = importer._places
        number = resolve_answer(message.content, replied_question, set(posted)) if session_id is not None else None
        answered_or_asked = number is not None or asks_something(message.content)
        replied = self._said.get(message.reply_to) if message.reply_to is not None and replied_question is None \
            else None
        author = message.author_id
        content = message.content
        mentioned = tuple(dict.fromkeys(
            user for user in message.mentions
            if user not in self._bots and (f"<@{user}>" in content or f"<@!{user}>" in content)))
        at = message.created_at
        recent = frozenset(member for member in mentioned if (seen := self._latest.get(member)) is not None
                           and seen[1] and at - seen[0] <= RECENT)
        mass = is_mass_mention(len(set(_USER_MENTION.findall(content))) + len(set(_ROLE_MENTION.findall(content))),
                               message.mention_everyone or "@everyone" in content or "@here" in content)
        replied_author = replied[0] if replied is not None else None
        said = Said(author, content, replied_to=replied_author if replied_author != author else None,
                    replied_answered_or_asked=replied[1] if replied is not None else False, mentioned=mentioned,
                    mass=mass, recent=recent, extra_words=places.thanks_words, thanks_emoji=places.thanks_emoji)
        acts = [Act(message_id=message.message_id, kind=kind, target_user_id=target, guild_id=importer.guild_id,
                    channel_id=self.channel_id, user_id=author, session_id=session_id, occurred_at=at)
                for kind, target in acts_of(said) if target not in importer.hidden]
        if acts:
            self._acts[message.message_id] = acts
        for emoji, users in message.reactions:
            for user in users:
                if user != author and user not in self._bots and user not in importer.hidden:
                    self._reactions.append(Reaction(
                        message_id=message.message_id, user_id=user, emoji=emoji, guild_id=importer.guild_id,
                        channel_id=self.channel_id, author_id=author, reacted_at=at))
        self._said[message.message_id] = (author, answered_or_asked)
        while len(self._said) > REMEMBERED:
            self._said.popitem(last=False)
        self._latest[author] = (at, answered_or_asked)
        if len(self._latest) > 100:
            for member in [m for m, (when, _) in self._latest.items() if at - when > RECENT]:
                del self._latest[member]
        return number


def _hashtag(chat: FoundChat) -> str:
    """A chat's hashtag as its first question or opening names it ("#GetRealChat"), else "chat"."""
    for message in chat.messages[:20]:
        found = re.search(r"#([A-Za-z][A-Za-z0-9_]{1,40})", message.content)
        if found:
            return found.group(1)
    return "chat"
