"""Unit tests for the chat recap: its figures, the public post and the Markdown and HTML transcripts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html.parser
import re

import pytest

from bot.domain.recap import (
    MAX_POST_LENGTH,
    ChatMessage,
    ChatQuestion,
    ChatRecord,
    RecapStats,
    recap_stats,
    recap_text,
    transcript_html,
    transcript_markdown,
)

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
    )


QUESTIONS = [
    ChatQuestion(1, "What's your favourite tea?", at(21, 5), 501),
    ChatQuestion(2, "Q2: When do you drink it?", at(21, 15), 502),
    ChatQuestion(3, "Who taught you to make it?", at(21, 25), 503),
]

# Listed out of order on purpose: the recap must sort by time itself.
MESSAGES = [
    msg(ANN, "Ann", "A3: my gran", at(21, 26), 3),
    msg(BOT, "Heartbeat", "Welcome to #GetRealChat! Tonight: tea.", at(21, 0), is_bot=True),
    msg(ANN, "Ann", "Hi all, Ann from Ohio", at(21, 1)),
    msg(CY, "Cy", "First time here!", at(21, 2)),
    msg(BOT, "Heartbeat", "Q1: What's your favourite tea?", at(21, 5), is_bot=True),
    msg(ANN, "Ann", "A1: green tea", at(21, 6), 1, reactions=4,
        jump_url="https://discord.com/channels/1/2/3"),
    msg(BOB, "Bob", "A1: chai <script>alert(1)</script>", at(21, 7), 1, reactions=2),
    msg(CY, "Cy", "A1: rooibos\nwith honey", at(21, 8), 1),
    # A reply between members counts; a reply to oneself and a reply to the bot do not.
    msg(BOB, "Bob", "Ann, green tea is the best", at(21, 9), reply_to=ANN),
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
    msg(BOB, "Bob", "Welcome Cy, glad you came", at(21, 30), reply_to=CY),
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

MENTION = re.compile(r"@everyone|@here|<@[!&]?[0-9]+>")


# ---------------------------------------------------------------------------------------------------
# Figures


def test_recap_stats_of_the_scripted_chat():
    assert recap_stats(RECORD) == RecapStats(
        participants=5,  # Ann, Bob, Cy, @everyone, Eve: Dee only checked in, the bot never counts
        checked_in=3,
        attendees=6,
        messages=15,
        answers=9,
        answers_per_question={1: 5, 2: 3, 3: 1},
        first_timers=["Cy", "Dee"],
        top_answerers=[("Ann", 3), ("Bob", 2), ("Cy", 2), ("@everyone", 1), ("Eve", 1)],
        top_repliers=[("Bob", 2), ("Cy", 1)],
        most_reacted=[(2, "Ann", 6), (1, "Ann", 4), (1, "Bob", 2)],
    )


def test_self_replies_and_replies_to_the_bot_are_not_replies_to_others():
    record = dataclasses.replace(RECORD, messages=[
        msg(BOT, "Heartbeat", "Q1: …", at(21, 5), is_bot=True),
        msg(ANN, "Ann", "me again", at(21, 6), reply_to=ANN),
        msg(ANN, "Ann", "thanks bot", at(21, 7), reply_to=BOT),
        msg(BOT, "Heartbeat", "Welcome Ann!", at(21, 8), reply_to=ANN, is_bot=True),
    ])
    stats = recap_stats(record)
    assert stats.top_repliers == []
    assert stats.messages == 2
    assert stats.participants == 1


def test_every_question_appears_in_answers_per_question_even_without_answers():
    record = dataclasses.replace(RECORD, messages=[msg(ANN, "Ann", "A2: yes", at(21, 16), 2)])
    assert recap_stats(record).answers_per_question == {1: 0, 2: 1, 3: 0}


def test_answers_to_a_number_without_a_question_still_add_up():
    record = dataclasses.replace(RECORD, messages=[msg(ANN, "Ann", "A7: ?", at(21, 16), 7)])
    stats = recap_stats(record)
    assert stats.answers_per_question == {1: 0, 2: 0, 3: 0, 7: 1}
    assert sum(stats.answers_per_question.values()) == stats.answers == 1


def test_bot_messages_marked_as_answers_do_not_count():
    record = dataclasses.replace(RECORD, messages=[
        msg(BOT, "Heartbeat", "A1: example answer", at(21, 5), 1, reactions=9, is_bot=True),
    ])
    stats = recap_stats(record)
    assert (stats.messages, stats.answers, stats.participants, stats.most_reacted) == (0, 0, 0, [])
    assert stats.top_answerers == []


def test_top_answerers_keep_five_and_break_ties_by_name_case_insensitively():
    authors = [(11, "zed", 2), (12, "Amy", 2), (13, "bea", 2), (14, "Cal", 1), (15, "dan", 1), (16, "Ely", 1),
               (17, "Fay", 3)]
    messages = [
        msg(author, name, f"A1: {i}", at(21, 6 + i), 1)
        for author, name, count in authors
        for i in range(count)
    ]
    stats = recap_stats(dataclasses.replace(RECORD, messages=messages))
    assert stats.top_answerers == [("Fay", 3), ("Amy", 2), ("bea", 2), ("zed", 2), ("Cal", 1)]


def test_most_reacted_keeps_three_answers_with_reactions_earliest_first_on_ties():
    messages = [
        msg(ANN, "Ann", "chatter with many reactions", at(21, 3), reactions=50),
        msg(ANN, "Ann", "A1: a", at(21, 6), 1, reactions=0),
        msg(BOB, "Bob", "A1: b", at(21, 7), 1, reactions=3),
        msg(CY, "Cy", "A2: c", at(21, 16), 2, reactions=3),
        msg(EVE, "Eve", "A3: d", at(21, 26), 3, reactions=5),
        msg(DEE, "Dee", "A3: e", at(21, 27), 3, reactions=1),
    ]
    stats = recap_stats(dataclasses.replace(RECORD, messages=messages))
    assert stats.most_reacted == [(3, "Eve", 5), (1, "Bob", 3), (2, "Cy", 3)]


def test_names_come_from_the_last_message_then_the_names_map_then_a_stand_in():
    record = dataclasses.replace(
        RECORD,
        messages=[
            msg(ANN, "Ann", "A1: x", at(21, 6), 1),
            msg(ANN, "Annie", "A1: y", at(21, 7), 1),
        ],
        first_timers=[ANN, DEE, 77, 78, DEE],
        checked_in=[DEE, 77, DEE],
        names={DEE: "Dee", 78: "Dee"},
    )
    stats = recap_stats(record)
    assert stats.top_answerers == [("Annie", 2)]
    # Two newcomers called Dee are both welcomed; the same id listed twice is welcomed once.
    assert stats.first_timers == ["Annie", "Dee", "Dee", "Member 77"]
    assert (stats.checked_in, stats.attendees) == (2, 3)


def test_an_empty_chat_has_zero_figures():
    record = dataclasses.replace(RECORD, messages=[], checked_in=[], first_timers=[])
    stats = recap_stats(record)
    assert stats == RecapStats(0, 0, 0, 0, 0, {1: 0, 2: 0, 3: 0}, [], [], [], [])


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(RECORD, starts_at=dt.datetime(2026, 3, 4, 2, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(RECORD, ended_at=dt.datetime(2026, 3, 4, 3, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        msg(ANN, "Ann", "x", dt.datetime(2026, 3, 4, 2, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        ChatQuestion(1, "x", dt.datetime(2026, 3, 4, 2, 0), None)  # noqa: DTZ001


# ---------------------------------------------------------------------------------------------------
# The public recap post


def test_recap_text_of_the_scripted_chat():
    text = recap_text(RECORD, recap_stats(RECORD))
    start = int(at(21, 0).timestamp())
    assert text == (
        "**#GetRealChat recap** — Tea & \\<b\\>comfort\\</b\\>\n"
        f"With guest Dr. Leaf · <t:{start}:F>\n"
        "\n"
        "👥 6 attendees · 5 participants · 3 checked in\n"
        "💬 15 messages · 9 answers\n"
        "\n"
        "**Answers per question**\n"
        "Q1 · 5 answers\n"
        "Q2 · 3 answers\n"
        "Q3 · 1 answer\n"
        "\n"
        "👋 A warm welcome to our first-timers: Cy and Dee!\n"
        "\n"
        "**Most answers:** Ann (3) · Bob (2) · Cy (2) · @\u200beveryone (1) · Eve (1)\n"
        "\n"
        "**Most replies to others:** Bob (2) · Cy (1)\n"
        "\n"
        "**Most-reacted answers:** A2 by Ann (6 reactions) · A1 by Ann (4 reactions) · A1 by Bob (2 reactions)\n"
        "\n"
        "Thank you all for being here! 💛"
    )
    assert not MENTION.search(text)


@pytest.mark.parametrize("name", ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "hi @everyone", "@@here"])
def test_names_never_become_mentions(name: str):
    record = dataclasses.replace(
        RECORD,
        topic=name,
        guest=name,
        messages=[msg(ANN, name, "A1: x", at(21, 6), 1, reactions=1, reply_to=BOB)],
        first_timers=[ANN],
    )
    text = recap_text(record, recap_stats(record))
    assert not MENTION.search(text), text
    assert "@\u200b" in text


def test_names_are_plain_text_not_markdown():
    name = "**bold** _it_ `code` ||spoiler|| [link](https://x.test) ~~s~~"
    record = dataclasses.replace(RECORD, messages=[msg(ANN, name, "A1: x", at(21, 6), 1)], first_timers=[ANN])
    text = recap_text(record, recap_stats(record))
    # Every Markdown character of the name is backslash-escaped (the name is clipped at 32 characters).
    assert "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\|\\|spoiler\\|… (1)" in text


def test_names_with_line_breaks_stay_on_one_line():
    record = dataclasses.replace(
        RECORD, messages=[msg(ANN, "Ann\n# Fake heading", "A1: x", at(21, 6), 1)], first_timers=[ANN]
    )
    text = recap_text(record, recap_stats(record))
    assert "Ann # Fake heading" in text
    assert "\n#" not in text


def test_recap_without_topic_or_guest():
    record = dataclasses.replace(RECORD, topic=None, guest="  ", hashtag="#GetRealChat")
    first, second = recap_text(record, recap_stats(record)).splitlines()[:2]
    assert first == "**#GetRealChat recap**"
    assert second == f"<t:{int(at(21, 0).timestamp())}:F>"


def test_recap_of_a_quiet_chat_leaves_out_empty_sections():
    record = dataclasses.replace(RECORD, messages=[], checked_in=[DEE], first_timers=[])
    text = recap_text(record, recap_stats(record))
    assert "1 attendee · 0 participants · 1 checked in" in text
    assert "0 messages · 0 answers" in text
    assert "Q1 · 0 answers" in text
    for heading in ("first-timers", "Most answers", "Most replies", "Most-reacted"):
        assert heading not in text


def test_unposted_questions_without_answers_are_left_out_of_the_post():
    questions = [*QUESTIONS, ChatQuestion(4, "Never asked", None, None)]
    record = dataclasses.replace(RECORD, questions=questions)
    stats = recap_stats(record)
    assert stats.answers_per_question[4] == 0
    assert "Q4" not in recap_text(record, stats)


def test_a_huge_chat_still_fits_in_one_discord_message():
    many = 400
    questions = [ChatQuestion(n, f"Question {n}", at(21, 5), 600 + n) for n in range(1, 100)]
    messages = [
        msg(10_000 + i, f"@everyone{'x' * 40}{i}", "A1: " + "y" * 500, at(21, 6), (i % 99) + 1, reply_to=10_001 + i,
            reactions=i)
        for i in range(many)
    ]
    record = dataclasses.replace(
        RECORD,
        topic="<@1> " + "t" * 5000,
        guest="@here " + "g" * 500,
        questions=questions,
        messages=messages,
        first_timers=[10_000 + i for i in range(many)],
    )
    stats = recap_stats(record)
    text = recap_text(record, stats)
    assert len(text) <= MAX_POST_LENGTH
    assert not MENTION.search(text)
    assert text.startswith("**#GetRealChat recap** — ")
    assert "403 attendees · 400 participants" in text
    # Every section survives in some form: the long ones shortened, not dropped.
    assert "**Answers per question**\n99 questions; the busiest was Q1 · 5 answers" in text
    assert "and 390 other newcomers!" in text
    for heading in ("**Most answers:**", "**Most replies to others:**", "**Most-reacted answers:**", "Thank you"):
        assert heading in text


def test_long_welcome_lists_are_summarised():
    names = [f"Newcomer {i:02}" for i in range(13)]
    record = dataclasses.replace(
        RECORD, messages=[], names={100 + i: name for i, name in enumerate(names)},
        first_timers=[100 + i for i in range(13)],
    )
    text = recap_text(record, recap_stats(record))
    assert "Newcomer 08, Newcomer 09 and 3 other newcomers!" in text
    assert "Newcomer 10" not in text


# ---------------------------------------------------------------------------------------------------
# Markdown transcript


EXPECTED_MARKDOWN = """\
# #GetRealChat transcript

- **Topic:** Tea & \\<b\\>comfort\\</b\\>
- **Guest:** Dr. Leaf
- **When:** Tuesday 3 March 2026, 21:00–22:00 EST (America/New_York)
- **UTC:** Wednesday 4 March 2026, 02:00–03:00 UTC

## Before Q1

- **Ann** (21:01): Hi all, Ann from Ohio
- **Cy** (21:02): First time here!

## Q1: What's your favourite tea?

_5 answers_

- **Ann** (21:06): A1: green tea
- **Bob** (21:07): A1: chai \\<script>alert(1)\\</script>
- **Cy** (21:08): A1: rooibos
  with honey
- **@everyone** (21:11): A1: coffee, sorry @Ann
- **Eve** (21:18): A1: late, but mint

## Q2: When do you drink it?

_3 answers_

- **Ann** (21:16): A2: mornings
- **Bob** (21:17): A2: all day
- **Cy** (21:19): A2: same as Bob

## Q3: Who taught you to make it?

_1 answer_

- **Ann** (21:26): A3: my gran

## Other conversation

- **Bob** (21:09): Ann, green tea is the best
- **Ann** (21:10): also oolong
- **Eve** (21:12): thanks bot
- **Bob** (21:30): Welcome Cy, glad you came
"""


def test_transcript_markdown_of_the_scripted_chat():
    assert transcript_markdown(RECORD) == EXPECTED_MARKDOWN


def test_markdown_transcript_leaves_out_bot_messages():
    text = transcript_markdown(RECORD)
    assert "Heartbeat" not in text
    assert "Welcome to #GetRealChat" not in text


def test_markdown_transcript_lists_unanswered_questions_and_resolves_mentions_and_emoji():
    record = dataclasses.replace(RECORD, messages=[
        msg(ANN, "Ann", "A2: <:teapot:123> for <@!2> and <@999> in <#5>, ping <@&7>", at(21, 16), 2),
        msg(BOB, "Bob", "hello", at(21, 17)),
    ])
    text = transcript_markdown(record)
    assert "## Q1: What's your favourite tea?\n\n_No answers._\n\n## Q2" in text
    assert "- **Ann** (21:16): A2: :teapot: for @Bob and @unknown member in #channel, ping @role" in text
    assert "Before Q1" not in text


def test_a_chat_without_posted_questions_is_one_conversation():
    questions = [dataclasses.replace(q, posted_at=None, message_id=None) for q in QUESTIONS]
    record = dataclasses.replace(RECORD, questions=questions, messages=[msg(ANN, "Ann", "anyone here?", at(21, 3))])
    text = transcript_markdown(record)
    assert "## Conversation\n\n- **Ann** (21:03): anyone here?\n" in text
    assert "## Q" not in text


def test_transcript_times_cross_midnight_and_daylight_saving_in_the_series_zone():
    # US clocks sprang forward at 02:00 on Sunday 8 March 2026.
    record = dataclasses.replace(
        RECORD,
        starts_at=dt.datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # 01:30 EST
        ended_at=dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT
        questions=[],
        messages=[msg(ANN, "Ann", "after the change", dt.datetime(2026, 3, 8, 7, 5, tzinfo=UTC))],
    )
    text = transcript_markdown(record)
    assert "**When:** Sunday 8 March 2026, 01:30 EST – 03:30 EDT (America/New_York)" in text
    assert "**UTC:** Sunday 8 March 2026, 06:30–07:30 UTC" in text
    assert "(03:05): after the change" in text

    late = dataclasses.replace(
        RECORD,
        zone="Europe/London",
        starts_at=dt.datetime(2026, 1, 6, 23, 30, tzinfo=UTC),
        ended_at=dt.datetime(2026, 1, 7, 0, 30, tzinfo=UTC),
    )
    assert "**When:** Tuesday 6 January 2026, 23:30 GMT – Wednesday 7 January 2026, 00:30 GMT" in (
        transcript_markdown(late)
    )


def test_markdown_transcript_keeps_html_in_messages_as_text_except_in_code():
    content = "A1: <b>hi</b> `<i>code</i>`\n```\n<div>\n```"
    record = dataclasses.replace(RECORD, messages=[msg(ANN, "Ann", content, at(21, 6), 1)])
    assert "- **Ann** (21:06): A1: \\<b>hi\\</b> `<i>code</i>`\n  ```\n  <div>\n  ```\n" in transcript_markdown(record)


def test_markdown_transcript_escapes_names_but_keeps_message_markdown():
    record = dataclasses.replace(RECORD, messages=[
        msg(ANN, "**Ann**_x", "A1: **really** good", at(21, 6), 1),
        msg(BOB, "Bob", "A1: agree with <@1>", at(21, 7), 1),
    ])
    text = transcript_markdown(record)
    assert "- **\\*\\*Ann\\*\\*\\_x** (21:06): A1: **really** good" in text
    assert "- **Bob** (21:07): A1: agree with @\\*\\*Ann\\*\\*\\_x" in text


# ---------------------------------------------------------------------------------------------------
# HTML transcript


class _Outline(html.parser.HTMLParser):
    """Collect what matters about a page: its tags, section ids, headings, resources and links."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.section_ids: list[str] = []
        self.headings: list[str] = []
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "section" and values.get("id"):
            self.section_ids.append(values["id"] or "")
        if tag in {"h1", "h2"}:
            self._in_heading = True
            self.headings.append("")
        if tag == "a":
            self.hrefs.append(values.get("href") or "")
        if "src" in values or tag == "link":
            self.sources.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"h1", "h2"}:
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings[-1] += data


def outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


def test_html_transcript_structure():
    page = transcript_html(RECORD)
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    parsed = outline(page)
    assert parsed.headings == [
        "#GetRealChat transcript",
        "Before Q1",
        "Q1: What's your favourite tea?",
        "Q2: When do you drink it?",
        "Q3: Who taught you to make it?",
        "Other conversation",
    ]
    assert parsed.section_ids == ["before-q1", "q1", "q2", "q3", "other-conversation"]
    # The summary comes before the chat itself.
    assert page.index('class="summary"') < page.index('id="before-q1"')
    assert page.count("<li>") == 15
    assert "Heartbeat" not in page


def test_html_transcript_shows_the_figures_at_the_top():
    page = transcript_html(RECORD)
    summary = page[page.index('class="summary"'):page.index("<main>")]
    for row in (
        "<dt>Attendees</dt><dd>6</dd>",
        "<dt>Participants</dt><dd>5</dd>",
        "<dt>Checked in</dt><dd>3</dd>",
        "<dt>Messages</dt><dd>15</dd>",
        "<dt>Answers</dt><dd>9</dd>",
        "<dt>Per question</dt><dd>Q1: 5 answers · Q2: 3 answers · Q3: 1 answer</dd>",
        "<dt>First-timers</dt><dd>Cy, Dee</dd>",
        "<dt>Most answers</dt><dd>Ann (3) · Bob (2) · Cy (2) · @everyone (1) · Eve (1)</dd>",
        "<dt>Most replies to others</dt><dd>Bob (2) · Cy (1)</dd>",
    ):
        assert row in summary


def test_html_transcript_escapes_user_strings():
    page = transcript_html(RECORD)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page
    assert "Tea &amp; &lt;b&gt;comfort&lt;/b&gt;" in page
    assert "script" not in outline(page).tags

    nasty = '"><img src=x onerror=alert(1)>'
    record = dataclasses.replace(RECORD, guest=nasty, messages=[msg(ANN, nasty, nasty, at(21, 6), 1)])
    page = transcript_html(record)
    parsed = outline(page)
    assert "img" not in parsed.tags
    assert parsed.sources == []
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_transcript_is_self_contained_and_links_only_https_messages():
    page = transcript_html(RECORD)
    parsed = outline(page)
    assert parsed.sources == []
    assert "<style>" in page
    assert "Content-Security-Policy" in page
    # Ann's A1 has a Discord link; Bob's "javascript:" link must not become clickable.
    assert parsed.hrefs == ["https://discord.com/channels/1/2/3"]
    assert "javascript:" not in page


def test_html_transcript_keeps_line_breaks_and_times():
    page = transcript_html(RECORD)
    assert '<time datetime="2026-03-04T02:08:00+00:00">21:08</time>' in page
    assert "A1: rooibos\nwith honey" in page
    assert "When:</strong> Tuesday 3 March 2026, 21:00–22:00 EST (America/New_York)" in page
