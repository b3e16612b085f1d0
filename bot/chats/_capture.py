"""Capture: members' messages, edits, deletes, reactions and check-ins in a live chat, recorded in the ledger; and,
through `Acts`, the helpful acts and thanks in every message where they count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.chats._acts import Acts, Replied
from bot.chats._ingest import Ingest, Saved
from bot.clock import Clock
from bot.domain.acts import asks_something
from bot.domain.answers import resolve_answer
from bot.domain.privacy import unnamed
from bot.memo import Memo, Seen
from bot.storage import ChatSession, Storage, StoredMessage

# Someone posted in a running chat: (session_id, user_id, message_id, at). The newcomer desk's `first_post`.
FirstPost = Callable[[int, int, int, datetime], Awaitable[None]]
# Channels and threads whose chat is kept in memory; past that the least recently heard is read again when needed.
VIEWS_KEPT = 1000


@dataclass(frozen=True)
class ChatView:
    """The chat a channel or question thread belongs to, as capture needs it for each message."""

    session: ChatSession | None  # None: no chat is taking messages here
    questions: dict[int, int]  # a posted question's message id → its number
    thread_question: int | None = None  # in a question's thread: that question's number


NO_CHAT = ChatView(None, {})


def first_posts(first_post: FirstPost) -> Saved:
    """Tell the newcomer desk of messages once they are committed (it judges first-timers from the ledger)."""
    async def saved(messages: list[tuple[int, StoredMessage]]) -> None:
        for _, message in messages:
            await first_post(message.session_id, message.author_id, message.message_id, message.created_at)
    return saved


class Capture:
    """Records what people say and do in a running chat: the transcript lines and the activity they count as.

    Each message is judged in memory (the chat of its channel is read once per change, not once per message)
    and handed to the ingest, which commits in batches.
    """

    def __init__(self, storage: Storage, clock: Clock, ingest: Ingest, *,
                 notify: Callable[[], Awaitable[None]], withheld: Callable[[int], Awaitable[frozenset[int]]]) -> None:
        self._storage = storage
        self._clock = clock
        self._ingest = ingest
        self._notify = notify
        self._withheld = withheld  # members who opted out: nothing of theirs, or about them, is recorded
        self._views: Memo[ChatView] = Memo(lambda: storage.generation, VIEWS_KEPT)
        self._deleted = Seen(1000)
        self.acts = Acts(storage, clock, ingest, withheld)

    async def record(self, message: discord.Message, *, latest: bool = True) -> bool:
        """Record a member's message in a live chat (the transcript line and the activity it counts as); True if so.

        Wherever acts count (chat channels, opted-in channels), running chat or not, its helpful acts and thanks are
        judged too. Recording a message again (read back, or edited) rewrites its one row and its ledger rows.
        """
        if message.author.bot or message.guild is None or message.id in self._deleted:
            return False
        hidden = await self._withheld(message.guild.id)
        if message.author.id in hidden:
            return False
        view = await self.view(message.channel)
        places = await self.acts.places(message.guild.id)
        counts = view.session is not None or places.count(message.channel.id, getattr(message.channel, "parent_id",
                                                                                       None))
        if not counts:
            return False
        replied = await self._replied(message, view)
        number = resolve_answer(message.content, replied.question, view.questions.values(),
                                thread_question=view.thread_question)
        if view.session is not None:
            reply_to_author = replied.author_id or self._first_mention(message)
            if reply_to_author in hidden:
                reply_to_author = None
            # A Discord reply to a member's message (not to a question or the bot) is shown under it in the transcript.
            reply_to_message = message.reference.message_id \
                if replied.author_id is not None and message.reference is not None else None
            self._ingest.save(view.session.guild_id,
                              self._stored(message, view.session, reply_to_author, number, hidden, reply_to_message))
        self.acts.judge(message, places, replied, session_id=view.session.id if view.session else None,
                        answered_or_asked=number is not None or asks_something(message.content), latest=latest,
                        hidden=hidden)
        return view.session is not None

    async def view(self, channel: discord.abc.Messageable) -> ChatView:
        """The chat taking messages in a channel or question thread, from memory while nothing has changed."""
        channel_id = getattr(channel, "id", 0)
        parent_id = getattr(channel, "parent_id", None)
        return await self._views.get((channel_id, parent_id), lambda: self._read_view(channel_id, parent_id))

    async def _read_view(self, channel_id: int, parent_id: int | None) -> ChatView:
        # In a series that answers in threads, a message in Q3's thread answers Q3.
        started_by = await self._storage.posts.for_message(channel_id) if parent_id is not None else None
        session = await self._storage.sessions.in_channel(parent_id or channel_id)
        if session is None:
            return NO_CHAT
        thread_question = None
        if started_by and started_by.kind == "question" \
                and started_by.session_id == session.id:  # last week's thread is not this week's question
            thread_question = started_by.question_number
        questions = {p.message_id: p.question_number for p in await self._storage.posts.of_session(session.id)
                     if p.kind == "question" and p.status == "posted"
                     and p.message_id is not None and p.question_number is not None}
        return ChatView(session, questions, thread_question)

    async def _replied(self, message: discord.Message, view: ChatView) -> Replied:
        """The question a message replies to, else the member's message it replies to."""
        reference = message.reference
        if reference is None or reference.message_id is None:
            return Replied()
        question = view.questions.get(reference.message_id)
        if question is not None:
            return Replied(question=question)
        # Discord sends the message replied to along with the reply; the database is asked only if not.
        if isinstance(reference.resolved, discord.Message):
            replied = reference.resolved
            if replied.author.bot:
                return Replied()
            return Replied(author_id=replied.author.id, answered_or_asked=self._answered_or_asked(replied, view))
        if (remembered := self.acts.remembered(reference.message_id)) is not None:
            return remembered
        if stored := (self._ingest.pending(reference.message_id)
                      or await self._storage.messages.get(reference.message_id)):
            return Replied(author_id=stored.author_id,
                           answered_or_asked=stored.question_number is not None or asks_something(stored.content))
        return Replied()

    @staticmethod
    def _answered_or_asked(message: discord.Message, view: ChatView) -> bool:
        """Whether a message (in the same channel) answered a posted question or asked something."""
        reference = message.reference
        replied_question = view.questions.get(reference.message_id) \
            if reference is not None and reference.message_id is not None else None
        return resolve_answer(message.content, replied_question, view.questions.values(),
                              thread_question=view.thread_question) is not None or asks_something(message.content)

    @staticmethod
    def _first_mention(message: discord.Message) -> int | None:
        """The first member a message mentions, other than its author (the activity ledger's reply without one)."""
        mentioned = [user for user in message.mentions if not user.bot and user.id != message.author.id]
        return mentioned[0].id if mentioned else None

    def _stored(self, message: discord.Message, session: ChatSession, reply_to_author: int | None,
                number: int | None, hidden: frozenset[int], reply_to_message: int | None = None) -> StoredMessage:
        """The ledger's row for a message, in bot time (mentions of members who opted out do not name them)."""
        return StoredMessage(
            message_id=message.id, session_id=session.id, author_id=message.author.id,
            author_name=message.author.display_name, content=unnamed(message.content, hidden),
            created_at=self._clock.from_real(message.created_at),
            edited_at=self._clock.from_real(message.edited_at) if message.edited_at else None, deleted=False,
            reply_to_author_id=reply_to_author, question_number=number,
            reactions=sum(reaction.count for reaction in message.reactions), reply_to_message_id=reply_to_message)

    async def recapture(self, message: discord.Message) -> None:
        """An edited message is judged again (it may have become, or stopped being, an answer, help or thanks)."""
        if message.author.bot or message.guild is None or message.id in self._deleted:
            return
        hidden = await self._withheld(message.guild.id)
        if message.author.id in hidden:
            return
        stored = self._ingest.pending(message.id) or await self._storage.messages.get(message.id)
        view = await self.view(message.channel)
        if stored is not None and view.session is not None and view.session.id == stored.session_id:
            await self.record(message, latest=False)
            return
        # Outside the chat it was said in (an old message edited during a later chat stays with its own chat, and
        # one said with no chat running stays outside any), only its acts are judged again.
        places = await self.acts.places(message.guild.id)
        if stored is None and not places.count(message.channel.id, getattr(message.channel, "parent_id", None)):
            return
        if stored is None and view.session is not None:
            view = ChatView(None, view.questions, view.thread_question)
        replied = await self._replied(message, view)
        answered = (stored.question_number is not None if stored else False) or asks_something(message.content)
        self.acts.judge(message, places, replied, session_id=stored.session_id if stored else None,
                        answered_or_asked=answered, latest=False, hidden=hidden)

    def forget(self, message_id: int) -> None:
        """A deleted chat message leaves the transcript and the activity ledger."""
        # Remembered briefly, so a delete that overtakes the message's own recording still wins.
        self._deleted.add(message_id)
        self.acts.forget(message_id)
        self._ingest.delete(message_id)

    def react(self, message_id: int, delta: int) -> None:
        """Count a reaction added to (or taken off) a chat message, for the recap's most-reacted answers."""
        self._ingest.react(message_id, delta)

    async def check_in(self, session_id: int, user: discord.abc.User, guild_id: int | None) -> str:
        """Record "I'm here" (pressed in server `guild_id`) and say so to the member."""
        session = await self._storage.sessions.get(session_id)
        if session is not None and session.guild_id != guild_id:  # an id copied or forged from another server
            return "This button belongs to another server's chat."
        if session is None or session.status != "running":
            return "This chat has ended; the next one is in `/chat list`. Thanks for coming by!"
        if user.id in await self._withheld(session.guild_id):
            return (f"Welcome to #{session.hashtag}! You opted out of being recorded here, so your check-in is not "
                    "kept; `/privacy optin` to be counted again.")
        fresh = await self._storage.activity.record_checkin(session.guild_id, session_id, user.id, self._clock())
        await self._notify()
        if not fresh:
            return f"You're already checked in to #{session.hashtag}."
        return f"You're checked in to #{session.hashtag}. Welcome! Answer with A1:, A2: … whenever you like."
