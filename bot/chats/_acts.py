"""Acts: helpful acts and thanks judged from every member's message where they count, and reactions giver → receiver.

They count in a server's chat channels always (its configured chat channel, every series' channel, a channel
where a chat is running, and their threads), whether or not a chat is running there, and in the channels the
server opted in (and their threads). The places and the server's words of thanks come from a `Memo`, and what
was said lately is kept in memory, so judging a message waits for no database: the acts go to the ingest.

A reply to a newcomer that greets them is recorded as the greeting (activity 'greeting', by the newcomer desk) and,
if it helps or thanks, as an act too: progression counts distinct (message, person) pairs, so it is one helpful act.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import discord

from bot.chats._ingest import Ingest
from bot.clock import Clock
from bot.domain.acts import Said, acts_of, is_mass_mention
from bot.memo import Memo
from bot.places import chat_channels
from bot.storage import Act, Reaction, Storage

RECENT = timedelta(hours=1)  # a mention helps someone whose latest message here answered or asked within this
CHANNELS_KEPT = 1000  # channels whose latest messages are remembered
MESSAGES_KEPT = 10_000  # messages remembered (author, answered or asked), so a reply needs no database read
PLACES_KEPT = 1000  # servers whose places are kept in memory


@dataclass(frozen=True)
class Places:
    """Where a server's acts count, and its own words and emoji of thanks."""

    chat_channels: frozenset[int] = frozenset()
    opted_in: frozenset[int] = frozenset()
    thanks_words: tuple[str, ...] = ()
    thanks_emoji: tuple[str, ...] = ()

    def count(self, channel_id: int, parent_id: int | None = None) -> bool:
        """Whether acts count in a channel (or in a thread of `parent_id`)."""
        places = self.chat_channels | self.opted_in
        return channel_id in places or (parent_id is not None and parent_id in places)


@dataclass(frozen=True)
class Replied:
    """What a message replies to: a posted question, or a member's message (and whether it answered or asked)."""

    question: int | None = None  # the number of the posted question replied to
    author_id: int | None = None  # the member replied to; None for a bot's message or one not known
    answered_or_asked: bool = False


class Acts:
    """Judges messages for the act ledger and records reactions giver → receiver, through the ingest."""

    def __init__(self, storage: Storage, clock: Clock, ingest: Ingest,
                 withheld: Callable[[int], Awaitable[frozenset[int]]]) -> None:
        self._storage = storage
        self._withheld = withheld  # members who opted out: no act or reaction by them or towards them
        self._clock = clock
        self._ingest = ingest
        self._places: Memo[Places] = Memo(lambda: storage.generation, PLACES_KEPT)
        # Per channel: each member's latest message there (when, and whether it answered or asked).
        self._latest: OrderedDict[int, dict[int, tuple[datetime, bool]]] = OrderedDict()
        self._said: OrderedDict[int, tuple[int, bool]] = OrderedDict()  # message id → (author, answered or asked)

    async def places(self, guild_id: int) -> Places:
        """A server's places and words of thanks, from memory while nothing has changed."""
        return await self._places.get(guild_id, lambda: self._read_places(guild_id))

    async def _read_places(self, guild_id: int) -> Places:
        chat = await chat_channels(self._storage, guild_id)
        thresholds = (await self._storage.progression.config(guild_id)).thresholds
        return Places(frozenset(chat), frozenset(await self._storage.progression.channels(guild_id)),
                      thresholds.thanks_words, thresholds.thanks_emoji)

    def remembered(self, message_id: int) -> Replied | None:
        """A message judged lately: its author, and whether it answered or asked."""
        said = self._said.get(message_id)
        return None if said is None else Replied(author_id=said[0], answered_or_asked=said[1])

    def judge(self, message: discord.Message, places: Places, replied: Replied, *, session_id: int | None,
              answered_or_asked: bool, latest: bool, hidden: frozenset[int] = frozenset()) -> None:
        """Hand a message's acts to the ingest (replacing any it had); `latest`: it is new, not an edit."""
        author = message.author.id
        channel_id = message.channel.id
        at = self._clock.from_real(message.created_at)
        content = message.content
        mentioned = tuple(dict.fromkeys(
            user.id for user in message.mentions
            if not user.bot and (f"<@{user.id}>" in content or f"<@!{user.id}>" in content)))
        lately = self._latest.get(channel_id, {})
        recent = frozenset(member for member in mentioned if (seen := lately.get(member)) is not None
                           and seen[1] and at - seen[0] <= RECENT)
        mass = is_mass_mention(len(set(message.raw_mentions)) + len(set(message.raw_role_mentions)),
                               message.mention_everyone or "@everyone" in content or "@here" in content)
        said = Said(author, content, replied_to=replied.author_id if replied.author_id != author else None,
                    replied_answered_or_asked=replied.answered_or_asked, mentioned=mentioned, mass=mass,
                    recent=recent, extra_words=places.thanks_words, thanks_emoji=places.thanks_emoji)
        guild_id = message.guild.id if message.guild is not None else 0
        self._ingest.acts(message.id, [
            Act(message_id=message.id, kind=kind, target_user_id=target, guild_id=guild_id, channel_id=channel_id,
                user_id=author, session_id=session_id, occurred_at=at) for kind, target in acts_of(said)
            if target not in hidden])
        self._remember(message.id, author, answered_or_asked)
        if latest:
            self._note_latest(channel_id, author, at, answered_or_asked)

    def _remember(self, message_id: int, author: int, answered_or_asked: bool) -> None:
        self._said[message_id] = (author, answered_or_asked)
        self._said.move_to_end(message_id)
        while len(self._said) > MESSAGES_KEPT:
            self._said.popitem(last=False)

    def _note_latest(self, channel_id: int, author: int, at: datetime, answered_or_asked: bool) -> None:
        lately = self._latest.setdefault(channel_id, {})
        self._latest.move_to_end(channel_id)
        lately[author] = (at, answered_or_asked)
        if len(lately) > 100:  # a busy channel: forget who spoke over an hour ago
            for member in [m for m, (when, _) in lately.items() if at - when > RECENT]:
                del lately[member]
        while len(self._latest) > CHANNELS_KEPT:
            self._latest.popitem(last=False)

    def forget(self, message_id: int) -> None:
        """A deleted message is no longer a reply's answer or question (the ingest drops its acts and reactions)."""
        self._said.pop(message_id, None)

    async def reacted(self, payload: discord.RawReactionActionEvent, *, parent_id: int | None,
                      bots: bool) -> None:
        """A reaction added or taken off, giver → receiver, where acts count.

        `bots`: the giver or the message's author is a bot (nothing is recorded). Adding one needs the author
        (Discord sends it with the reaction) and another member than the author; taking one off goes by its key.
        """
        if payload.guild_id is None or bots:
            return
        if not (await self.places(payload.guild_id)).count(payload.channel_id, parent_id):
            return
        key = (payload.message_id, payload.user_id, str(payload.emoji))
        if payload.event_type == "REACTION_REMOVE":
            self._ingest.reacted(key, None)
            return
        author = payload.message_author_id
        if author is None or author == payload.user_id:
            return
        if {author, payload.user_id} & await self._withheld(payload.guild_id):
            return
        self._ingest.reacted(key, Reaction(
            message_id=payload.message_id, user_id=payload.user_id, emoji=str(payload.emoji),
            guild_id=payload.guild_id, channel_id=payload.channel_id, author_id=author, reacted_at=self._clock()))
