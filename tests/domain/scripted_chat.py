"""The scripted chat that the recap and transcript tests read: a Tuesday #GetRealChat hour in New York."""

from __future__ import annotations

import datetime as dt

from bot.domain.chat_record import ChatMessage, ChatQuestion, ChatRecord

UTC = dt.UTC
BOT = 99
ANN, BOB, CY, EVERYONE, DEE, EVE = 1, 2, 3, 4, 5, 6


def at(hour: int, minute: int) -> dt.datetime:
    """A moment of the scripted chat, given as New York wall-clock time on Tuesday 3 March 2026 (EST)."""
    # EST is UTC-5, so 21:00 local is 02:00 UTC the next day.
    return dt.datetime(2026, 3, 4, hour - 19 if hour >= 19 else hour + 5, minute, tzinfo=UTC)


_ids = iter(range(1000, 2000))


def msg(
    author: int,
    name: str,
    content: str,
    when: dt.datetime,
    question: int | None = None,
    reply_to: int | None = None,
    reactions: int = 0,
    *,
    is_bot: bool = False,
    jump_url: str | None = None,
    reply_to_message: ChatMessage | None = None,
) -> ChatMessage:
    return ChatMessage(
        message_id=next(_ids),
        author_id=author,
        author_name=name,
        content=content,
        created_at=when,
        question_number=question,
        reply_to_author_id=reply_to,
        reactions=reactions,
        is_bot=is_bot,
        jump_url=jump_url,
        reply_to_message_id=reply_to_message.message_id if reply_to_message else None,
    )


QUESTIONS = [
    ChatQuestion(1, "What's your favourite tea?", at(21, 5), 501),
    ChatQuestion(2, "Q2: When do you drink it?", at(21, 15), 502),
    ChatQuestion(3, "Who taught you to make it?", at(21, 25), 503),
]

CY_HELLO = msg(CY, "Cy", "First time here!", at(21, 2))
ANN_A1 = msg(ANN, "Ann", "A1: green tea", at(21, 6), 1, reactions=4, jump_url="https://discord.com/channels/1/2/3")

# Listed out of order on purpose: the recap must sort by time itself.
MESSAGES = [
    msg(ANN, "Ann", "A3: my gran", at(21, 26), 3),
    msg(BOT, "Heartbeat", "Welcome to #GetRealChat! Tonight: tea.", at(21, 0), is_bot=True),
    msg(ANN, "Ann", "Hi all, Ann from Ohio", at(21, 1)),
    CY_HELLO,
    msg(BOT, "Heartbeat", "Q1: What's your favourite tea?", at(21, 5), is_bot=True),
    ANN_A1,
    msg(BOB, "Bob", "A1: chai <script>alert(1)</script>", at(21, 7), 1, reactions=2),
    msg(CY, "Cy", "A1: rooibos\nwith honey", at(21, 8), 1),
    # A reply between members counts; a reply to oneself and a reply to the bot do not.
    # Discord replies: each is shown under the message it replies to in the transcripts.
    msg(BOB, "Bob", "Ann, green tea is the best", at(21, 9), reply_to=ANN, reply_to_message=ANN_A1),
    msg(ANN, "Ann", "also oolong", at(21, 10), reply_to=ANN),
    msg(EVERYONE, "@everyone", "A1: coffee, sorry <@1>", at(21, 11), 1, reactions=1),
    msg(EVE, "Eve", "thanks bot", at(21, 12), reply_to=BOT),
    msg(BOT, "Heartbeat", "Q2: When do you drink it?", at(21, 15), is_bot=True),
    msg(ANN, "Ann", "A2: mornings", at(21, 16), 2, reactions=6),
    msg(BOB, "Bob", "A2: all day", at(21, 17), 2, jump_url="javascript:alert(1)"),
    # A late answer to Q1, posted after Q2.
    msg(EVE, "Eve", "A1: late, but mint", at(21, 18), 1),
    msg(CY, "Cy", "A2: same as Bob", at(21, 19), 2, reply_to=BOB),
    msg(BOT, "Heartbeat", "Q3: Who taught you to make it?", at(21, 25), is_bot=True),
    msg(BOB, "Bob", "Welcome Cy, glad you came", at(21, 30), reply_to=CY, reply_to_message=CY_HELLO),
]

RECORD = ChatRecord(
    series_name="Get Real Chat",
    hashtag="GetRealChat",
    topic="Tea & <b>comfort</b>",
    guest="Dr. Leaf",
    starts_at=at(21, 0),
    ended_at=at(22, 0),
    zone="America/New_York",
    questions=QUESTIONS,
    messages=MESSAGES,
    checked_in=[ANN, CY, DEE],
    first_timers={CY, DEE},
    names={DEE: "Dee", ANN: "Ann (old name)"},
)

