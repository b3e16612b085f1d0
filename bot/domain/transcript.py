"""Turn a finished hashtag chat into the transcripts its hosts keep: Markdown and HTML, grouped by question.

Everything here is pure: the caller gathers the chat into a `ChatRecord` (`bot.domain.chat_record`) and
stores what comes back. Nothing reads the clock; dates and times are the chat's own, in the series' zone (the date
is the one the transcript's file is named by), never UTC.

Safety rules: names, topic, guest and messages are user-supplied. The Markdown transcript escapes names
and raw HTML; the HTML transcript escapes every user string and loads nothing from outside the page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bot.domain.chat_record import (
    ChatMessage,
    ChatRecord,
    display_hashtag,
    display_names,
    escape_markdown,
    in_order,
    name_of,
    plural,
)
from bot.domain.recap import RecapStats, recap_stats, shown_questions

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


# ---------------------------------------------------------------------------------------------------
# Mentions and times as readers saw them


_MENTION = re.compile(r"<@!?([0-9]+)>")
_ROLE_MENTION = re.compile(r"<@&[0-9]+>")
_CHANNEL = re.compile(r"<#[0-9]+>")
_CUSTOM_EMOJI = re.compile(r"<a?:([A-Za-z0-9_]+):[0-9]+>")


def _readable(content: str, names: Mapping[int, str], name_format: Callable[[str], str] = str) -> str:
    """Turn Discord's raw mention and emoji syntax into what readers saw in the channel."""
    content = _MENTION.sub(lambda m: "@" + name_format(names.get(int(m[1]), "unknown member")), content)
    content = _ROLE_MENTION.sub("@role", content)
    content = _CHANNEL.sub("#channel", content)
    return _CUSTOM_EMOJI.sub(r":\1:", content)


def _zone(record: ChatRecord) -> dt.tzinfo:
    """Return the series' zone; the series stored a validated IANA name."""
    return zoneinfo.ZoneInfo(record.zone)


def _date(moment: dt.datetime) -> str:
    """Format a date the same way on every machine, whatever its locale: "Tuesday 3 March 2026"."""
    return f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def _span(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> str:
    """Format the chat's hour in one zone: "Tuesday 3 March 2026, 21:00–22:00 EST"."""
    start, end = start.astimezone(tz), end.astimezone(tz)
    start_zone, end_zone = start.tzname() or "", end.tzname() or ""
    first = f"{_date(start)}, {start:%H:%M}"
    last = f"{end:%H:%M}" if end.date() == start.date() else f"{_date(end)}, {end:%H:%M}"
    if start_zone == end_zone and end.date() == start.date():
        return f"{first}–{last} {start_zone}".rstrip()
    # A chat across midnight or across a daylight-saving change names both ends fully.
    return f"{first} {start_zone} – {last} {end_zone}".rstrip()


def _when(record: ChatRecord) -> str:
    """Return the chat's date and hours in the series' zone, with the zone's name."""
    return f"{_span(record.starts_at, record.ended_at, _zone(record))} ({record.zone})"


def _clock(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """Format a message time as the series' wall clock: "21:07"."""
    return f"{moment.astimezone(tz):%H:%M}"


# ---------------------------------------------------------------------------------------------------
# Transcript structure, shared by the Markdown and HTML forms


@dataclass(frozen=True)
class _Section:
    """One block of the transcript: the conversation before Q1, one question and its answers, or the rest.

    `messages` are the block's own; each one's replies are shown under it (see `_replies`), not here.
    """

    title: str
    anchor: str
    messages: list[ChatMessage]
    question: int | None = None


_QUESTION_MARKER = re.compile(r"\s*[*_]*Q\s?0*([0-9]+)[*_]*\s*[:.)\-–—]?[*_]*\s*", re.IGNORECASE)


def _question_body(number: int, text: str) -> str:
    """Return the question text without a leading "Q3:" of its own, so headings never read "Q3: Q3: …"."""
    flat = " ".join(text.split())
    match = _QUESTION_MARKER.match(flat)
    if match and int(match[1]) == number and flat[match.end():]:
        return flat[match.end():]
    return flat


def _replies(record: ChatRecord) -> dict[int, list[ChatMessage]]:
    """Members' Discord replies that are not answers themselves, in order, under the message they reply to.

    A reply to an answer belongs with that answer (and a reply to that reply under it), wherever the answer is.
    """
    people = [m for m in in_order(record.messages) if not m.is_bot]
    shown = {m.message_id for m in people}
    under: dict[int, list[ChatMessage]] = {}
    for message in people:
        parent = message.reply_to_message_id
        # A reply comes after what it replies to (Discord ids grow with time), so no chain can loop.
        if message.question_number is None and parent in shown and parent < message.message_id:
            under.setdefault(parent, []).append(message)
    return under


def _threaded(messages: list[ChatMessage], replies: Mapping[int, list[ChatMessage]],
              depth: int = 0) -> Iterable[tuple[int, ChatMessage]]:
    """Each message (with its depth) followed by its replies, theirs under them in turn."""
    for message in messages:
        yield depth, message
        yield from _threaded(replies.get(message.message_id, []), replies, depth + 1)


def _sections(record: ChatRecord) -> list[_Section]:
    """Group the members' messages: before Q1, each question's answers (late ones included), the rest.

    Replies shown under the message they reply to (`_replies`) are left out of the blocks' own messages.
    """
    nested = {m.message_id for under in _replies(record).values() for m in under}
    people = [m for m in in_order(record.messages) if not m.is_bot and m.message_id not in nested]
    texts = {q.number: q.text for q in record.questions}
    posted = [q.posted_at for q in record.questions if q.posted_at is not None]
    first_question = min(posted) if posted else None

    by_question: dict[int, list[ChatMessage]] = {}
    for number in sorted(q.number for q in record.questions if q.posted_at is not None):
        by_question[number] = []
    for message in people:
        if message.question_number is not None:
            by_question.setdefault(message.question_number, []).append(message)

    chatter = [m for m in people if m.question_number is None]
    sections: list[_Section] = []
    if first_question is None:
        if chatter:
            sections.append(_Section("Conversation", "conversation", chatter))
        return sections
    before = [m for m in chatter if m.created_at < first_question]
    if before:
        sections.append(_Section("Before Q1", "before-q1", before))
    for number in sorted(by_question):
        body = _question_body(number, texts.get(number, ""))
        title = f"Q{number}: {body}" if body else f"Q{number}"
        sections.append(_Section(title, f"q{number}", by_question[number], question=number))
    after = [m for m in chatter if m.created_at >= first_question]
    if after:
        sections.append(_Section("Other conversation", "other-conversation", after))
    return sections


def _answer_count(section: _Section) -> str:
    """Describe how many answers a question section holds."""
    return plural(len(section.messages), "answer") if section.messages else "No answers."


def _summary(record: ChatRecord, stats: RecapStats, most_answers: bool,
             name: Callable[[str], str]) -> list[tuple[str, str]]:
    """The chat's figures as (label, value) rows, the same in both forms; `name` renders a member's name safely."""
    def people(pairs: Iterable[tuple[str, int]]) -> str:
        return " · ".join(f"{name(who)} ({count})" for who, count in pairs)

    rows = [
        ("Attendees", str(stats.attendees)),
        ("Participants", str(stats.participants)),
        ("Checked in", str(stats.checked_in)),
        ("Messages", str(stats.messages)),
        ("Answers", str(stats.answers)),
    ]
    numbers = shown_questions(record, stats)
    if numbers:
        rows.append(("Per question", " · ".join(
            f"Q{n}: {plural(stats.answers_per_question[n], 'answer')}" for n in numbers)))
    if stats.first_timers:
        rows.append(("First-timers", ", ".join(name(who) for who in stats.first_timers)))
    if most_answers and stats.top_answerers:
        rows.append(("Most answers", people(stats.top_answerers)))
    if stats.top_repliers:
        rows.append(("Most replies to others", people(stats.top_repliers)))
    if stats.most_reacted:
        rows.append(("Most-reacted answers", " · ".join(
            f"A{q} by {name(who)} ({plural(count, 'reaction')})" for q, who, count in stats.most_reacted)))
    return rows


# ---------------------------------------------------------------------------------------------------
# Markdown transcript


def _md_inline(text: str) -> str:
    """Escape a name or topic for a Markdown heading or bold run, on one line."""
    return escape_markdown(" ".join(text.split()))


# Code spans and fenced blocks, where Markdown shows "<" literally and an escape would show too.
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)


def _md_content(content: str) -> str:
    """Keep a message's own Markdown, indenting later lines so they stay inside the message's list item."""
    # Discord never renders HTML, so a "<script>" in a message is text; escaping "<" outside code keeps
    # it text in Markdown viewers that would otherwise pass raw HTML through.
    parts = _CODE.split(content.strip())
    content = "".join(part if i % 2 else part.replace("<", "\\<") for i, part in enumerate(parts))
    lines = content.splitlines() or [""]
    return "\n".join([lines[0], *("  " + line if line.strip() else "" for line in lines[1:])])


def transcript_markdown(record: ChatRecord, *, most_answers: bool = True) -> str:
    """Return a Markdown transcript of the chat: its figures, then the chat grouped by question, times in the
    series' zone, each reply under the message it replies to.

    `most_answers` False leaves out who answered most, as the recap does for a series that turned it off.
    """
    names = display_names(record)
    replies = _replies(record)
    tz = _zone(record)
    local = _when(record)
    lines = [f"# {_md_inline(display_hashtag(record))} transcript", ""]
    if record.topic and record.topic.strip():
        lines.append(f"- **Topic:** {_md_inline(record.topic)}")
    if record.guest and record.guest.strip():
        lines.append(f"- **Guest:** {_md_inline(record.guest)}")
    lines += [f"- **When:** {local}", "", "## Summary", ""]
    lines += [f"- **{label}:** {value}" for label, value in _summary(record, recap_stats(record), most_answers,
                                                                      _md_inline)]

    for section in _sections(record):
        lines += ["", f"## {_md_inline(section.title)}", ""]
        if section.question is not None:
            lines.append(f"_{_answer_count(section)}_")
            if section.messages:
                lines.append("")
        for depth, message in _threaded(section.messages, replies):
            name = _md_inline(name_of(names, message.author_id))
            indent = "  " * depth
            content = "\n".join(indent + line if line else line for line in
                                _md_content(_readable(message.content, names, _md_inline)).split("\n")).lstrip()
            lines.append(f"{indent}- **{name}** ({_clock(message.created_at, tz)}): {content}".rstrip())
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------
# HTML transcript

_CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:46rem;
padding:1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.7rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de}
.meta{color:#59636e;margin:.2rem 0}.summary{background:#f6f8fa;border-radius:8px;padding:.8rem 1rem;margin-top:1rem}
.summary dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
.summary dt{font-weight:600}.summary dd{margin:0}.count{color:#59636e;font-style:italic;margin:.2rem 0}
ol.messages{list-style:none;padding:0;margin:0}ol.messages li{padding:.35rem 0;border-bottom:1px solid #eee}
ol.messages ol.messages{margin:.35rem 0 0 1.5rem;border-left:2px solid #d0d7de;padding-left:.6rem}
ol.messages ol.messages li:last-child{border-bottom:0}
.name{font-weight:600}time{color:#59636e;font-size:.9em}.content{white-space:pre-wrap;overflow-wrap:anywhere}
a{color:inherit}
""".strip()

# Defence in depth: even if something slipped past escaping, the page may run no script and load nothing.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(text: str) -> str:
    """Escape user text for HTML element content and attribute values."""
    return html.escape(text, quote=True)


def _html_summary(record: ChatRecord, stats: RecapStats, most_answers: bool) -> list[str]:
    """Render the chat's figures as a definition list."""
    out = ['<section class="summary" aria-label="Summary"><dl>']
    out += [f"<dt>{_e(label)}</dt><dd>{value}</dd>" for label, value in _summary(record, stats, most_answers, _e)]
    out.append("</dl></section>")
    return out


def _html_time(message: ChatMessage, tz: dt.tzinfo) -> str:
    """Render a message's time, linking to the message in Discord when a safe link is known."""
    # The machine-readable time carries the series' offset, so it names the same day as the text shown.
    iso = message.created_at.astimezone(tz).isoformat()
    stamp = f'<time datetime="{_e(iso)}">{_clock(message.created_at, tz)}</time>'
    # Only https links: a javascript: or data: URL from a bad record must never become clickable.
    if message.jump_url and message.jump_url.startswith("https://"):
        return f'<a href="{_e(message.jump_url)}">{stamp}</a>'
    return stamp


def _html_messages(messages: list[ChatMessage], replies: Mapping[int, list[ChatMessage]],
                   names: Mapping[int, str], tz: dt.tzinfo) -> list[str]:
    """Render messages as a list, each one's replies in a list of their own inside its item."""
    out = ['<ol class="messages">']
    for message in messages:
        out.append(f'<li><span class="name">{_e(name_of(names, message.author_id))}</span> '
                   f"({_html_time(message, tz)}): "
                   f'<span class="content">{_e(_readable(message.content, names).strip())}</span>')
        if under := replies.get(message.message_id):
            out += _html_messages(under, replies, names, tz)
        out[-1] += "</li>"
    out.append("</ol>")
    return out


def transcript_html(record: ChatRecord, *, most_answers: bool = True) -> str:
    """Return a self-contained HTML5 transcript: the figures, then the chat grouped by question.

    `most_answers` False leaves out who answered most, as the recap does for a series that turned it off.
    """
    names = display_names(record)
    replies = _replies(record)
    stats = recap_stats(record)
    tz = _zone(record)
    local = _when(record)
    title = f"{display_hashtag(record)} transcript"
    if record.topic and record.topic.strip():
        title += " — " + " ".join(record.topic.split())

    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(display_hashtag(record))} transcript</h1>",
    ]
    if record.topic and record.topic.strip():
        out.append(f'<p class="meta"><strong>Topic:</strong> {_e(" ".join(record.topic.split()))}</p>')
    if record.guest and record.guest.strip():
        out.append(f'<p class="meta"><strong>Guest:</strong> {_e(" ".join(record.guest.split()))}</p>')
    out += [
        f'<p class="meta"><strong>When:</strong> {_e(local)}</p>',
        "</header>",
        *_html_summary(record, stats, most_answers),
        "<main>",
    ]
    for section in _sections(record):
        out.append(f'<section id="{section.anchor}">')
        out.append(f"<h2>{_e(section.title)}</h2>")
        if section.question is not None:
            out.append(f'<p class="count">{_e(_answer_count(section))}</p>')
        if section.messages:
            out += _html_messages(section.messages, replies, names, tz)
        out.append("</section>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
