"""Capture: members' messages, edits, deletes, reactions and check-ins in a live chat, recorded in the ledger."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime

import discord

from bot.clock import Clock
from bot.domain.answers import resolve_answer
from bot.storage import ChatSession, Storage, StoredMessage

# Someone posted in a running chat: (session_id, user_id, message_id, at). The newcomer desk's `first_post`.
FirstPost = Callable[[int, int, int, datetime], Awaitable[None]]


class Capture:
    """Records what people say and do in a running chat: the transcript lines and the activity they count as."""

    def __init__(self, storage: Storage, clock: Clock, *, first_post: FirstPost,
                 notify: Callable[[], Awaitable[None]]) -> None:
        self._storage = storage
        self._clock = clock
        self._first_post = first_post
        self._notify = notify
        self._deleted: deque[int] = deque(maxlen=1000)

    async def record(self, message: discord.Message) -> bool:
        """Record a member's message in a live chat (the transcript line and the activity it counts as); True if so.

        Recording a message again (read back, or edited) rewrites its one row and its ledger rows.
        """
        if message.author.bot or message.guild is None:
            return False
        # In a series that answers in threads, a message in Q3's thread answers Q3.
        parent_id = getattr(message.channel, "parent_id", None)
        started_by = await self._storage.posts.for_message(message.channel.id) if parent_id is not None else None
        session = await self._storage.sessions.in_channel(parent_id or message.channel.id)
        if session is None or message.id in self._deleted:
            return False
        thread_question = None
        if started_by and started_by.kind == "question" \
                and started_by.session_id == session.id:  # last week's thread is not this week's question
            thread_question = started_by.question_number
        posts = [p for p in await self._storage.posts.of_session(session.id)
                 if p.kind == "question" and p.status == "posted"]
        reply_to_question, reply_to_author = await self._replied_to(
            message, {p.message_id: p.question_number for p in posts})
        number = resolve_answer(message.content, reply_to_question,
                                [p.question_number for p in posts if p.question_number is not None],
                                thread_question=thread_question)
        await self._storage.messages.save(session.guild_id, self._stored(message, session, reply_to_author, number))
        await self._first_post(session.id, message.author.id, message.id,
                               self._clock.from_real(message.created_at))
        await self._notify()
        return True

    async def _replied_to(self, message: discord.Message,
                          questions: dict[int | None, int | None]) -> tuple[int | None, int | None]:
        """The question a message replies to, else the member it answers (by reply, else by first mention)."""
        reply_to_question, reply_to_author = None, None
        reference = message.reference
        if reference is not None and reference.message_id is not None:
            reply_to_question = questions.get(reference.message_id)
            if reply_to_question is None:
                replied = await self._storage.messages.get(reference.message_id)
                if replied is not None:
                    reply_to_author = replied.author_id
                elif isinstance(reference.resolved, discord.Message) and not reference.resolved.author.bot:
                    reply_to_author = reference.resolved.author.id
        if reply_to_author is None:
            mentioned = [user for user in message.mentions if not user.bot and user.id != message.author.id]
            reply_to_author = mentioned[0].id if mentioned else None
        return reply_to_question, reply_to_author

    def _stored(self, message: discord.Message, session: ChatSession, reply_to_author: int | None,
                number: int | None) -> StoredMessage:
        """The ledger's row for a message, in bot time."""
        return StoredMessage(
            message_id=message.id, session_id=session.id, author_id=message.author.id,
            author_name=message.author.display_name, content=message.content,
            created_at=self._clock.from_real(message.created_at),
            edited_at=self._clock.from_real(message.edited_at) if message.edited_at else None, deleted=False,
            reply_to_author_id=reply_to_author, question_number=number,
            reactions=sum(reaction.count for reaction in message.reactions))

    async def recapture(self, message: discord.Message) -> None:
        """An edited chat message is judged again (it may have become, or stopped being, an answer)."""
        stored = await self._storage.messages.get(message.id)
        if stored is None:
            return
        live = await self._storage.sessions.in_channel(getattr(message.channel, "parent_id", None)
                                                       or message.channel.id)
        # An old message edited during a later chat stays with the chat it was said in.
        if live is not None and live.id == stored.session_id:
            await self.record(message)

    async def forget(self, message_id: int) -> None:
        """A deleted chat message leaves the transcript and the activity ledger."""
        # Remembered briefly, so a delete that overtakes the message's own recording still wins.
        self._deleted.append(message_id)
        if await self._storage.messages.delete(message_id):
            await self._notify()

    async def react(self, message_id: int, delta: int) -> None:
        """Count a reaction added to (or taken off) a chat message, for the recap's most-reacted answers."""
        await self._storage.messages.add_reaction(message_id, delta)
        await self._notify()

    async def check_in(self, session_id: int, user: discord.abc.User, guild_id: int | None) -> str:
        """Record "I'm here" (pressed in server `guild_id`) and say so to the member."""
        session = await self._storage.sessions.get(session_id)
        if session is not None and session.guild_id != guild_id:  # an id copied or forged from another server
            return "This button belongs to another server's chat."
        if session is None or session.status != "running":
            return "This chat has ended; the next one is in `/chat list`. Thanks for coming by!"
        fresh = await self._storage.activity.record_checkin(session.guild_id, session_id, user.id, self._clock())
        await self._notify()
        if not fresh:
            return f"You're already checked in to #{session.hashtag}."
        return f"You're checked in to #{session.hashtag}. Welcome! Answer with A1:, A2: … whenever you like."
