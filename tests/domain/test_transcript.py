"""Unit tests for the chat transcripts: Markdown and HTML, grouped by question."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import html.parser
import re

from bot.domain.transcript import transcript_html, transcript_markdown
from tests.domain.scripted_chat import ANN, BOB, CY, QUESTIONS, RECORD, UTC, at, msg

# ---------------------------------------------------------------------------------------------------
# Markdown transcript


EXPECTED_MARKDOWN = """\
# #GetRealChat transcript

- **Topic:** Tea & \\<b\\>comfort\\</b\\>
- **Guest:** Dr. Leaf
- **When:** Tuesday 3 March 2026, 21:00–22:00 EST (America/New_York)

## Summary

- **Attendees:** 6
- **Participants:** 5
- **Checked in:** 3
- **Messages:** 15
- **Answers:** 9
- **Per question:** Q1: 5 answers · Q2: 3 answers · Q3: 1 answer
- **First-timers:** Cy, Dee
- **Most answers:** Ann (3) · Bob (2) · Cy (2) · @everyone (1) · Eve (1)
- **Most replies to others:** Bob (2) · Cy (1)
- **Most-reacted answers:** A2 by Ann (6 reactions) · A1 by Ann (4 reactions) · A1 by Bob (2 reactions)

## Before Q1

- **Ann** (21:01): Hi all, Ann from Ohio
- **Cy** (21:02): First time here!
  - **Bob** (21:30): Welcome Cy, glad you came

## Q1: What's your favourite tea?

_5 answers_

- **Ann** (21:06): A1: green tea
  - **Bob** (21:09): Ann, green tea is the best
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

- **Ann** (21:10): also oolong
- **Eve** (21:12): thanks bot
"""


def test_transcript_markdown_of_the_scripted_chat():
    assert transcript_markdown(RECORD) == EXPECTED_MARKDOWN


def test_markdown_transcript_carries_the_same_summary_as_the_html_one():
    for most_answers in (True, False):
        markdown = transcript_markdown(RECORD, most_answers=most_answers)
        page = transcript_html(RECORD, most_answers=most_answers)
        md_rows = re.findall(r"^- \*\*([^*:]+):\*\* (.*)$", markdown.split("## Summary")[1].split("\n## ")[0], re.M)
        html_rows = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page)
        assert md_rows == [(label, html.unescape(value)) for label, value in html_rows]
        assert ("Most answers" in dict(md_rows)) is most_answers


def test_a_reply_and_a_reply_to_it_sit_under_the_answer_in_both_forms():
    answer = msg(ANN, "Ann", "A1: green tea", at(21, 6), 1)
    reply = msg(BOB, "Bob", "same!", at(21, 9), reply_to=ANN, reply_to_message=answer)
    again = msg(ANN, "Ann", "glad to hear it\nreally", at(21, 12), reply_to=BOB, reply_to_message=reply)
    other = msg(CY, "Cy", "A1: rooibos", at(21, 8), 1)
    # A reply that is itself an answer stays an answer of its own question.
    answering = msg(CY, "Cy", "A2: after dinner, like Ann", at(21, 16), 2, reply_to=ANN, reply_to_message=answer)
    record = dataclasses.replace(RECORD, messages=[again, reply, other, answer, answering])
    markdown = transcript_markdown(record)
    assert ("_2 answers_\n\n- **Ann** (21:06): A1: green tea\n  - **Bob** (21:09): same!\n"
            "    - **Ann** (21:12): glad to hear it\n      really\n- **Cy** (21:08): A1: rooibos\n") in markdown
    assert "## Q2: When do you drink it?\n\n_1 answer_\n\n- **Cy** (21:16): A2: after dinner" in markdown
    assert "Other conversation" not in markdown

    page = transcript_html(record)
    q1 = page[page.index('id="q1"'):page.index('id="q2"')]
    assert re.search(r"A1: green tea</span>\n<ol class=\"messages\">\n<li>.*same!</span>\n"
                     r"<ol class=\"messages\">\n<li>.*glad to hear it\nreally</span></li>\n</ol></li>\n</ol></li>\n"
                     r"<li>.*A1: rooibos", q1), q1
    assert "Other conversation" not in page


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
    assert "UTC" not in text
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


def test_transcripts_are_dated_by_the_chats_own_day_never_in_utc():
    # 21:00 in New York on Tuesday 3 March is 02:00 UTC on Wednesday 4 March: the transcript says Tuesday.
    for text in (transcript_markdown(RECORD), transcript_html(RECORD)):
        assert "Tuesday 3 March 2026, 21:00–22:00 EST (America/New_York)" in text
        assert "UTC" not in text and "4 March" not in text


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


def test_html_transcript_leaves_out_most_answers_when_the_series_turned_it_off():
    page = transcript_html(RECORD, most_answers=False)
    summary = page[page.index('class="summary"'):page.index("<main>")]
    assert "Most answers" not in summary
    assert "<dt>Most replies to others</dt><dd>Bob (2) · Cy (1)</dd>" in summary


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
    assert '<time datetime="2026-03-03T21:08:00-05:00">21:08</time>' in page
    assert "A1: rooibos\nwith honey" in page
    assert "When:</strong> Tuesday 3 March 2026, 21:00–22:00 EST (America/New_York)" in page
