"""Unit tests: finding chats in a channel's past, and reading DiscordChatExporter exports."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from bot.domain.history import PastMessage
from bot.domain.schedule import WeeklySlot
from bot.history import BadExport, ChatFinder, FoundChat, Outside, Slot, read_export

CHANNEL, BOT, HOST, KAI, MEI = 10, 1, 2, 3, 4
T0 = datetime(2026, 2, 4, 2, 0, tzinfo=UTC)  # Tuesday 3 February, 21:00 in New York
MINUTE = timedelta(minutes=1)
SERIES = Slot(7, "GetRealChat", "GetRealChat", WeeklySlot(1, time(21), "America/New_York"), timedelta(hours=1))


def said(message_id: int, author: int, text: str, at: datetime, *, bot: bool = False) -> PastMessage:
    return PastMessage(message_id=message_id, channel_id=CHANNEL, parent_id=None, author_id=author,
                       author_name=str(author), author_is_bot=bot, content=text, created_at=at)


def find(messages: list[PastMessage], slots: tuple[Slot, ...] = ()) -> list[FoundChat | Outside]:
    finder = ChatFinder(CHANNEL, slots)
    found = [one for m in messages for one in finder.push(m)]
    return found + finder.end()


def chats(found: list[FoundChat | Outside]) -> list[FoundChat]:
    return [one for one in found if isinstance(one, FoundChat)]


def test_a_run_of_questions_is_one_chat_with_what_was_said_in_it() -> None:
    found = find([said(1, KAI, "hello early", T0 - 30 * MINUTE), said(2, BOT, "**Welcome** to the chat", T0),
                  said(3, BOT, "**Q1:** Why?", T0 + 5 * MINUTE, bot=True),
                  said(4, KAI, "A1: because", T0 + 6 * MINUTE),
                  said(5, BOT, "**Q2:** How?", T0 + 15 * MINUTE, bot=True),
                  said(6, MEI, "Q2 is hard", T0 + 16 * MINUTE), said(7, KAI, "later", T0 + 46 * MINUTE)])
    [chat] = chats(found)
    assert chat.key == f"{CHANNEL}:3" and chat.slot is None
    assert chat.starts_at == T0 - 5 * MINUTE  # ten minutes before its first question
    assert {n for n, _ in chat.questions.values()} == {1, 2}
    assert [m.message_id for m in chat.messages] == [2, 3, 4, 5, 6]  # the hello came too early
    assert [one.message.message_id for one in found if isinstance(one, Outside)] == [1, 7]


def test_a_chat_near_a_series_slot_belongs_to_it_and_starts_at_the_slot() -> None:
    found = find([said(1, KAI, "hi all", T0 + MINUTE), said(2, HOST, "Q1: Why?", T0 + 20 * MINUTE)], (SERIES,))
    [chat] = chats(found)
    assert chat.slot == SERIES and chat.starts_at == T0
    assert [m.message_id for m in chat.messages] == [1, 2]
    # Two hours late is not that slot: a chat of its own.
    [late] = chats(find([said(3, HOST, "Q1: Why?", T0 + 2 * timedelta(hours=1))], (SERIES,)))
    assert late.slot is None


def test_a_members_q2_is_a_message_and_a_new_q1_starts_another_chat() -> None:
    found = find([said(1, HOST, "Q1: One", T0), said(2, KAI, "Q2: my own question", T0 + MINUTE),
                  said(3, HOST, "Q2: Two", T0 + 2 * MINUTE), said(4, HOST, "**Q1:** again", T0 + 3 * MINUTE)])
    first, second = chats(found)
    assert {n for n, _ in first.questions.values()} == {1, 2} and 3 in first.questions
    assert second.key == f"{CHANNEL}:4"


def test_nothing_is_held_longer_than_an_hour_outside_a_chat() -> None:
    finder = ChatFinder(CHANNEL)
    settled = [one for n in range(100) for one in finder.push(said(n, KAI, "chat", T0 + n * 5 * MINUTE))]
    assert len(settled) >= 85 and all(isinstance(one, Outside) for one in settled)
    assert finder.oldest_unsettled is not None and finder.oldest_unsettled > 85


def export(messages: list[dict[str, Any]], *, guild: str = "5", **extra: Any) -> io.BytesIO:
    document = {"guild": {"id": guild, "name": "S", "iconUrl": ""},
                "channel": {"id": "10", "type": "GuildTextChat", "categoryId": None, "category": None,
                            "name": "chat", "topic": None}, "dateRange": {"after": None, "before": None},
                "exportedAt": "2026-05-02T10:00:00.1234567+00:00", "messages": messages,
                "messageCount": len(messages), **extra}
    return io.BytesIO(json.dumps(document, ensure_ascii=True).encode())


OLDEST = {"id": "100", "type": "Default", "timestamp": "2026-02-03T21:02:00-05:00", "timestampEdited": None,
          "isPinned": False, "content": "A1: \U0001F44F", "author": {"id": "3", "name": "kai", "nickname": "Kai"}}


def test_an_export_without_any_later_key_is_read() -> None:
    header, messages = read_export(export([OLDEST]), "old.json")
    assert (header.guild_id, header.channel_id, header.parent_id) == (5, 10, None)
    [message] = list(messages)
    assert message == PastMessage(message_id=100, channel_id=10, parent_id=None, author_id=3, author_name="Kai",
                                  author_is_bot=False, content="A1: 👏",
                                  created_at=datetime(2026, 2, 4, 2, 2, tzinfo=UTC))


def test_local_offsets_trimmed_fractions_replies_reactions_and_mentions() -> None:
    raw = {**OLDEST, "type": "Reply", "timestamp": "2026-07-01T09:00:00.25+02:00",
           "timestampEdited": "2026-07-01T09:01:00+02:00", "content": "thanks @Mei and @Mei Lin, ping <@8>",
           "mentions": [{"id": "4", "name": "mei", "nickname": "Mei Lin", "isBot": False},
                        {"id": "8", "name": "raw", "nickname": "Raw"}, {"id": "9", "name": "b", "isBot": True}],
           "reference": {"type": "Default", "messageId": "99", "channelId": "10", "guildId": "5"},
           "reactions": [{"emoji": {"id": "", "name": "🙏", "code": "pray", "isAnimated": False, "imageUrl": ""},
                          "count": 2, "users": [{"id": "4", "name": "mei"}, {"id": "8", "name": "raw"}]},
                         {"emoji": {"id": "77", "name": "party", "isAnimated": True, "imageUrl": ""}, "count": 1}],
           "inlineEmojis": []}
    [message] = list(read_export(export([raw]), "new.json")[1])
    assert message.created_at == datetime(2026, 7, 1, 7, 0, 0, 250000, tzinfo=UTC)
    assert message.edited_at == datetime(2026, 7, 1, 7, 1, tzinfo=UTC)
    assert message.content == "thanks @Mei and <@4>, ping <@8>"  # only the nickname DCE wrote is a mention
    assert message.mentions == (4, 8) and message.reply_to == 99
    assert message.reactions == (("🙏", (4, 8)), ("<a:party:77>", ()))


def test_system_messages_and_forwards_are_not_replies() -> None:
    joined = {**OLDEST, "id": "101", "type": "GuildMemberJoin", "content": "Joined the server."}
    forward = {**OLDEST, "id": "102", "type": "Reply", "reference": {"type": "Forward", "messageId": "100"}}
    one, two = read_export(export([joined, forward]), "x.json")[1]
    assert one.system and not two.system and two.reply_to is None


@pytest.mark.parametrize(("data", "says"), [
    (b"not json", "not valid JSON"),
    (b"[1, 2]", "not a DiscordChatExporter JSON export"),
    (b'{"guild": {"id": "5"}, "channel": {"id": "10"}}', "has no messages"),
    (b'{"channel": {"id": "10"}, "messages": []}', "no guild or channel id"),
])
def test_a_file_that_is_not_an_export_is_refused_in_one_sentence(data: bytes, says: str) -> None:
    with pytest.raises(BadExport, match=says):
        header, messages = read_export(io.BytesIO(data), "bad.json")
        list(messages)


def test_a_file_cut_short_is_refused() -> None:
    data = export([OLDEST, {**OLDEST, "id": "101"}]).getvalue()
    with pytest.raises(BadExport, match="cut short"):
        list(read_export(io.BytesIO(data[:-60]), "cut.json")[1])
