"""Transcripts: a finished chat's recap, Markdown and HTML built from what was recorded, stored, and attached."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import discord

from bot.clock import Clock
from bot.domain.chat_record import ChatMessage, ChatQuestion, ChatRecord
from bot.domain.privacy import OPTED_OUT
from bot.domain.recap import recap_stats, recap_text
from bot.domain.transcript import transcript_html, transcript_markdown
from bot.domain.uploads import Upload, fit_uploads, note_left_out
from bot.plans import chat_day
from bot.posting import jump_url
from bot.storage import ChatSession, Storage, Transcript

# A server's members who opted out of being recorded.
Withheld = Callable[[int], Awaitable[frozenset[int]]]


def transcript_post(session: ChatSession, transcript: Transcript, text: str) -> tuple[str, list[discord.File]]:
    """A post's text and the chat's transcripts that fit Discord's upload limits (those left out named in the text)."""
    stem = f"{session.hashtag}-{chat_day(session).isoformat()}"
    fitted = fit_uploads([Upload(f"{stem}.md", transcript.markdown.encode()),
                          Upload(f"{stem}.html", transcript.html.encode())])
    files = [discord.File(io.BytesIO(u.data), filename=u.filename) for u in fitted.uploads]
    return note_left_out(text, fitted.left_out), files


class Transcripts:
    """Builds and stores a session's recap and transcripts (names come from the server as it is now)."""

    def __init__(self, storage: Storage, client: discord.Client, clock: Clock, *,
                 flush: Callable[[], Awaitable[None]], withheld: Withheld) -> None:
        self._storage = storage
        self._client = client
        self._clock = clock
        self._flush = flush  # the chat's last messages may still be on their way to the database
        self._withheld = withheld  # members who opted out: "a member who opted out", and none of their words

    async def build(self, session: ChatSession) -> Transcript:
        """Build, store and return a session's recap and transcripts from what was recorded."""
        await self._flush()
        return await self._build(session)

    async def rebuild(self, session_id: int) -> bool:
        """Build a chat's stored transcript again from its rows as they are now (inside a transaction: no flush,
        which would wait for it); False if the chat has none."""
        session = await self._storage.sessions.get(session_id)
        if session is None or await self._storage.transcripts.get(session_id) is None:
            return False
        await self._build(session)
        return True

    async def _build(self, session: ChatSession) -> Transcript:
        questions = await self._questions(session)
        hidden = await self._withheld(session.guild_id)
        messages = [ChatMessage(message_id=m.message_id, author_id=m.author_id,
                                author_name=OPTED_OUT if m.author_id in hidden else m.author_name,
                                content="" if m.author_id in hidden else m.content, created_at=m.created_at,
                                question_number=m.question_number, reply_to_author_id=m.reply_to_author_id,
                                reactions=m.reactions, jump_url=jump_url(session.guild_id, session.channel_id,
                                                                         m.message_id),
                                reply_to_message_id=m.reply_to_message_id)
                    for m in await self._storage.messages.of_session(session.id)]
        checked_in = await self._storage.activity.checked_in(session.id)
        record = ChatRecord(series_name=session.series_name, hashtag=session.hashtag, topic=session.topic,
                            guest=session.guest, starts_at=session.started_at or session.starts_at,
                            ended_at=session.ended_at or self._clock(), zone=session.timezone,
                            questions=questions, messages=messages, checked_in=checked_in,
                            first_timers=await self._storage.activity.first_timers(session.id),
                            names=self._names(session, messages, checked_in, hidden))
        # A series may leave out who answered most; an ad hoc chat (or a deleted series') keeps the default.
        series = None if session.series_id is None else await self._storage.series.get(session.series_id)
        most_answers = series.most_answers if series is not None else True
        transcript = Transcript(session_id=session.id,
                                recap=recap_text(record, recap_stats(record), most_answers=most_answers),
                                markdown=transcript_markdown(record, most_answers=most_answers),
                                html=transcript_html(record, most_answers=most_answers), created_at=self._clock())
        await self._storage.transcripts.save(transcript)
        return transcript

    async def _questions(self, session: ChatSession) -> list[ChatQuestion]:
        """The questions that went out, with when and as which message."""
        posts = {p.question_number: p for p in await self._storage.posts.of_session(session.id) if p.kind == "question"}
        return [ChatQuestion(n, text, posts[n].posted_at, posts[n].message_id)
                for n, text in enumerate(await self._storage.sessions.questions(session.id), 1)
                if n in posts and posts[n].status == "posted"]

    def _names(self, session: ChatSession, messages: list[ChatMessage], checked_in: list[int],
               hidden: frozenset[int]) -> dict[int, str]:
        """Who said what by the name they wrote under; members who only checked in, by their name here now; members
        who opted out (mentioned by others too) as such."""
        names = {m.author_id: m.author_name for m in messages}
        names.update((user_id, OPTED_OUT) for user_id in hidden)
        guild = self._client.get_guild(session.guild_id)
        for user_id in checked_in:
            member = guild.get_member(user_id) if guild else None
            names.setdefault(user_id, member.display_name if member else f"member {user_id}")
        return names
