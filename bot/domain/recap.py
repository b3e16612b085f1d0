"""Turn a finished hashtag chat into its recap post, its figures and a transcript grouped by question.

Hosts expect, within hours of a chat, a recap with the numbers they love (participants, messages,
answers, newcomers, top contributors) and a transcript they own, grouped by question. Everything here
is pure: the caller gathers the chat into a `ChatRecord` (leaving out members who opted out of being
counted) and posts or stores what comes back. Nothing reads the clock.

Safety rules for the public post: names, topic and guest are user-supplied, so they are rendered as
plain text, never as Markdown or mentions (``@everyone``, ``@here``, ``<@123>``, ``<@&123>``). The
HTML transcript escapes every user string and loads nothing from outside the page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.schedule import require_aware

# Discord refuses messages longer than this.
MAX_POST_LENGTH = 2000
TOP_ANSWERERS = 5
TOP_REPLIERS = 5
MOST_REACTED = 3
# Discord display names are at most 32 characters; topics get more room but must not crowd the post out.
MAX_NAME_LENGTH = 32
MAX_TOPIC_LENGTH = 200
# A long welcome list stops being a welcome; the rest are counted instead.
MAX_WELCOMED_NAMES = 10

_ZWSP = "\u200b"
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


@dataclass(frozen=True)
class ChatQuestion:
    """One numbered question of a chat, and when and where the bot posted it (None if it never was)."""

    number: int
    text: str
    posted_at: dt.datetime | None
    message_id: int | None

    def __post_init__(self) -> None:
        require_aware("posted_at", self.posted_at)


@dataclass(frozen=True)
class ChatMessage:
    """One message posted in the chat channel during the chat."""

    message_id: int
    author_id: int
    author_name: str
    content: str
    created_at: dt.datetime
    # The question this message answers, None if it is not an answer.
    question_number: int | None
    # Author of the message it replies to or mentions, for "replies to others".
    reply_to_author_id: int | None
    reactions: int = 0
    is_bot: bool = False
    jump_url: str | None = None

    def __post_init__(self) -> None:
        require_aware("created_at", self.created_at)


@dataclass(frozen=True)
class ChatRecord:
    """Everything about one finished chat that the recap and the transcripts are made from."""

    series_name: str
    hashtag: str
    topic: str | None
    guest: str | None
    starts_at: dt.datetime
    ended_at: dt.datetime
    zone: str
    questions: Sequence[ChatQuestion]
    messages: Sequence[ChatMessage]
    # User ids who pressed "I'm here".
    checked_in: Collection[int]
    # User ids at their first chat.
    first_timers: Collection[int]
    # User id to display name, for check-ins who never posted.
    names: Mapping[int, str]

    def __post_init__(self) -> None:
        require_aware("starts_at", self.starts_at)
        require_aware("ended_at", self.ended_at)


@dataclass(frozen=True)
class RecapStats:
    """The figures of one chat: head counts, answers per question, first-timers and top contributors."""

    participants: int
    checked_in: int
    attendees: int
    messages: int
    answers: int
    answers_per_question: dict[int, int]
    first_timers: list[str]
    top_answerers: list[tuple[str, int]]
    top_repliers: list[tuple[str, int]]
    most_reacted: list[tuple[int, str, int]]


# ---------------------------------------------------------------------------------------------------
# Figures


def _in_order(messages: Iterable[ChatMessage]) -> list[ChatMessage]:
    """Return the messages in posting order; the id breaks ties because Discord ids grow with time."""
    return sorted(messages, key=lambda m: (m.created_at, m.message_id))


def _display_names(record: ChatRecord) -> dict[int, str]:
    """Map every known user id to a name: the one they last posted under, else the record's names."""
    names = {user_id: name for user_id, name in record.names.items() if name.strip()}
    for message in _in_order(record.messages):
        if message.author_name.strip():
            names[message.author_id] = message.author_name
    return names


def _name_of(names: Mapping[int, str], user_id: int) -> str:
    """Return a user's name, or a neutral stand-in when nothing told us what they are called."""
    return names.get(user_id) or f"Member {user_id}"


def _name_key(name: str) -> tuple[str, str]:
    """Sort names the way people read lists: case-insensitively, then exactly for a stable order."""
    return (name.casefold(), name)


def _top(counts: Counter[int], names: Mapping[int, str], limit: int) -> list[tuple[str, int]]:
    """Return the `limit` highest counts as (name, count), ties broken by name and then by id."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], *_name_key(_name_of(names, item[0])), item[0]))
    return [(_name_of(names, user_id), count) for user_id, count in ranked[:limit] if count > 0]


def recap_stats(record: ChatRecord) -> RecapStats:
    """Compute the figures of a finished chat (bot messages never count)."""
    names = _display_names(record)
    bot_ids = {m.author_id for m in record.messages if m.is_bot}
    people = [m for m in _in_order(record.messages) if not m.is_bot]
    answers = [m for m in people if m.question_number is not None]
    authors = {m.author_id for m in people}
    checked_in = set(record.checked_in)

    per_question: Counter[int] = Counter({q.number: 0 for q in record.questions})
    # Answers to a number the record has no question for still count, so the per-question figures
    # always add up to the total.
    per_question.update(m.question_number for m in answers if m.question_number is not None)

    replies: Counter[int] = Counter(
        m.author_id
        for m in people
        if m.reply_to_author_id is not None
        and m.reply_to_author_id != m.author_id
        and m.reply_to_author_id not in bot_ids
    )
    reacted = sorted(
        (m for m in answers if m.reactions > 0),
        key=lambda m: (-m.reactions, m.created_at, m.message_id),
    )
    return RecapStats(
        participants=len(authors),
        checked_in=len(checked_in),
        attendees=len(authors | checked_in),
        messages=len(people),
        answers=len(answers),
        answers_per_question=dict(sorted(per_question.items())),
        # Two newcomers may share a display name; both are welcomed.
        first_timers=sorted((_name_of(names, user_id) for user_id in set(record.first_timers)), key=_name_key),
        top_answerers=_top(Counter(m.author_id for m in answers), names, TOP_ANSWERERS),
        top_repliers=_top(replies, names, TOP_REPLIERS),
        most_reacted=[
            (m.question_number, _name_of(names, m.author_id), m.reactions)
            for m in reacted[:MOST_REACTED]
            if m.question_number is not None
        ],
    )


# ---------------------------------------------------------------------------------------------------
# Text helpers


def _plural(count: int, word: str) -> str:
    """Return "1 answer" / "12 answers"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _clip(text: str, limit: int) -> str:
    """Put text on one line and cut it to `limit` characters, marking the cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# The characters that mean something mid-line in Discord's (and CommonMark's) Markdown; "<" also starts
# mentions, timestamps and custom emoji. Line-start markers ("#", "-", ">") need no escape because user
# text is never put at the start of a line.
_MARKDOWN_SPECIALS = re.compile(r"([\\*_~`|<>\[\]])")


def _escape_markdown(text: str) -> str:
    """Backslash-escape Markdown so user text shows exactly as typed."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _plain(text: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Render user text for a Discord post: one line, no Markdown, and no "@" that could ever ping."""
    # Clip before escaping so the cut never splits an escape; the zero-width space after every "@"
    # defeats @everyone, @here and <@id> alike, even if an escape were lost.
    return _escape_markdown(_clip(text, limit)).replace("@", "@" + _ZWSP)


def _hashtag(record: ChatRecord) -> str:
    """Return the chat's hashtag with exactly one leading "#", falling back to the series name."""
    tag = "".join((record.hashtag or record.series_name).split()).lstrip("#")
    return "#" + tag if tag else "#chat"


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


def _when(record: ChatRecord) -> tuple[str, str]:
    """Return the chat's time in the series' zone (with the zone's name) and in UTC."""
    local = f"{_span(record.starts_at, record.ended_at, _zone(record))} ({record.zone})"
    return local, _span(record.starts_at, record.ended_at, dt.UTC)


def _clock(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """Format a message time as the series' wall clock: "21:07"."""
    return f"{moment.astimezone(tz):%H:%M}"


# ---------------------------------------------------------------------------------------------------
# Recap post


def _join_names(names: list[str]) -> str:
    """Join names as people write them: "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _shown_questions(record: ChatRecord, stats: RecapStats) -> list[int]:
    """Return the question numbers worth showing: posted ones, and any that somehow got answers."""
    posted = {q.number for q in record.questions if q.posted_at is not None}
    return [n for n, count in stats.answers_per_question.items() if n in posted or count > 0]


def _question_lines(record: ChatRecord, stats: RecapStats) -> list[str]:
    """Return the answers-per-question section in its full form and, for very long chats, a short one."""
    numbers = _shown_questions(record, stats)
    if not numbers:
        return []
    lines = [f"Q{n} · {_plural(stats.answers_per_question[n], 'answer')}" for n in numbers]
    # A long list of questions reads better, and fits better, on one line.
    full = "\n".join(lines) if len(lines) <= 10 else " | ".join(lines)
    busiest = min(numbers, key=lambda n: (-stats.answers_per_question[n], n))
    short = f"{_plural(len(numbers), 'question')}; the busiest was {lines[numbers.index(busiest)]}"
    return ["**Answers per question**\n" + full, "**Answers per question**\n" + short]


def recap_text(record: ChatRecord, stats: RecapStats) -> str:
    """Return the public recap post: Discord Markdown, at most 2000 characters, names as plain text."""
    title = f"**{_plain(_hashtag(record), MAX_NAME_LENGTH * 2)} recap**"
    if record.topic and record.topic.strip():
        title += " — " + _plain(record.topic, MAX_TOPIC_LENGTH)
    # <t:…:F> shows every reader the chat's time in their own zone.
    when = f"<t:{int(record.starts_at.timestamp())}:F>"
    subtitle = f"With guest {_plain(record.guest)} · {when}" if record.guest and record.guest.strip() else when
    figures = (
        f"👥 {_plural(stats.attendees, 'attendee')} · {_plural(stats.participants, 'participant')} · "
        f"{stats.checked_in} checked in\n"
        f"💬 {_plural(stats.messages, 'message')} · {_plural(stats.answers, 'answer')}"
    )
    head = "\n".join((title, subtitle, "", figures))

    # Each section lists its renderings, longest first; one that fits in what is left of the post is
    # used, so a huge chat loses detail rather than whole sections.
    sections: list[list[str]] = [_question_lines(record, stats)]
    if stats.first_timers:
        shown = [_plain(name) for name in stats.first_timers[:MAX_WELCOMED_NAMES]]
        hidden = len(stats.first_timers) - len(shown)
        if hidden:
            shown.append(_plural(hidden, "other newcomer"))
        sections.append([
            f"👋 A warm welcome to our first-timers: {_join_names(shown)}!",
            f"👋 A warm welcome to our {_plural(len(stats.first_timers), 'first-timer')}!",
        ])
    if stats.top_answerers:
        sections.append(["**Most answers:** " + " · ".join(f"{_plain(n)} ({c})" for n, c in stats.top_answerers)])
    if stats.top_repliers:
        sections.append(
            ["**Most replies to others:** " + " · ".join(f"{_plain(n)} ({c})" for n, c in stats.top_repliers)]
        )
    if stats.most_reacted:
        sections.append([
            "**Most-reacted answers:** "
            + " · ".join(f"A{q} by {_plain(n)} ({_plural(c, 'reaction')})" for q, n, c in stats.most_reacted)
        ])
    sections.append(["Thank you all for being here! 💛"])

    text = head
    for variants in sections:
        for variant in variants:
            candidate = text + "\n\n" + variant
            if len(candidate) <= MAX_POST_LENGTH:
                text = candidate
                break
    if len(text) > MAX_POST_LENGTH:
        # The head is bounded well below the limit; this only guards against a future change. Cutting
        # inside an escape leaves a stray backslash, never a mention, thanks to the zero-width spaces.
        text = text[: MAX_POST_LENGTH - 1] + "…"
    return text


# ---------------------------------------------------------------------------------------------------
# Transcript structure, shared by the Markdown and HTML forms


@dataclass(frozen=True)
class _Section:
    """One block of the transcript: the conversation before Q1, one question and its answers, or the rest."""

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


def _sections(record: ChatRecord) -> list[_Section]:
    """Group the members' messages: before Q1, each question's answers (late ones included), the rest."""
    people = [m for m in _in_order(record.messages) if not m.is_bot]
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
    return _plural(len(section.messages), "answer") if section.messages else "No answers."


# ---------------------------------------------------------------------------------------------------
# Markdown transcript


def _md_inline(text: str) -> str:
    """Escape a name or topic for a Markdown heading or bold run, on one line."""
    return _escape_markdown(" ".join(text.split()))


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


def transcript_markdown(record: ChatRecord) -> str:
    """Return a Markdown transcript of the chat, grouped by question, times in the series' zone."""
    names = _display_names(record)
    tz = _zone(record)
    local, utc = _when(record)
    lines = [f"# {_md_inline(_hashtag(record))} transcript", ""]
    if record.topic and record.topic.strip():
        lines.append(f"- **Topic:** {_md_inline(record.topic)}")
    if record.guest and record.guest.strip():
        lines.append(f"- **Guest:** {_md_inline(record.guest)}")
    lines += [f"- **When:** {local}", f"- **UTC:** {utc}"]

    for section in _sections(record):
        lines += ["", f"## {_md_inline(section.title)}", ""]
        if section.question is not None:
            lines.append(f"_{_answer_count(section)}_")
            if section.messages:
                lines.append("")
        for message in section.messages:
            name = _md_inline(_name_of(names, message.author_id))
            content = _md_content(_readable(message.content, names, _md_inline))
            lines.append(f"- **{name}** ({_clock(message.created_at, tz)}): {content}".rstrip())
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
.name{font-weight:600}time{color:#59636e;font-size:.9em}.content{white-space:pre-wrap;overflow-wrap:anywhere}
a{color:inherit}
""".strip()

# Defence in depth: even if something slipped past escaping, the page may run no script and load nothing.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(text: str) -> str:
    """Escape user text for HTML element content and attribute values."""
    return html.escape(text, quote=True)


def _html_people(pairs: Iterable[tuple[str, int]]) -> str:
    """Render a (name, count) ranking as escaped HTML."""
    return " · ".join(f"{_e(name)} ({count})" for name, count in pairs)


def _html_summary(record: ChatRecord, stats: RecapStats) -> list[str]:
    """Render the chat's figures as a definition list."""
    rows = [
        ("Attendees", str(stats.attendees)),
        ("Participants", str(stats.participants)),
        ("Checked in", str(stats.checked_in)),
        ("Messages", str(stats.messages)),
        ("Answers", str(stats.answers)),
    ]
    numbers = _shown_questions(record, stats)
    if numbers:
        rows.append(("Per question", " · ".join(
            f"Q{n}: {_plural(stats.answers_per_question[n], 'answer')}" for n in numbers)))
    escaped = [(_e(label), _e(value)) for label, value in rows]
    if stats.first_timers:
        escaped.append(("First-timers", ", ".join(_e(name) for name in stats.first_timers)))
    if stats.top_answerers:
        escaped.append(("Most answers", _html_people(stats.top_answerers)))
    if stats.top_repliers:
        escaped.append(("Most replies to others", _html_people(stats.top_repliers)))
    if stats.most_reacted:
        escaped.append(("Most-reacted answers", " · ".join(
            f"A{q} by {_e(name)} ({_e(_plural(count, 'reaction'))})" for q, name, count in stats.most_reacted)))
    out = ['<section class="summary" aria-label="Summary"><dl>']
    out += [f"<dt>{label}</dt><dd>{value}</dd>" for label, value in escaped]
    out.append("</dl></section>")
    return out


def _html_time(message: ChatMessage, tz: dt.tzinfo) -> str:
    """Render a message's time, linking to the message in Discord when a safe link is known."""
    iso = message.created_at.astimezone(dt.UTC).isoformat()
    stamp = f'<time datetime="{_e(iso)}">{_clock(message.created_at, tz)}</time>'
    # Only https links: a javascript: or data: URL from a bad record must never become clickable.
    if message.jump_url and message.jump_url.startswith("https://"):
        return f'<a href="{_e(message.jump_url)}">{stamp}</a>'
    return stamp


def transcript_html(record: ChatRecord) -> str:
    """Return a self-contained HTML5 transcript: the figures, then the chat grouped by question."""
    names = _display_names(record)
    stats = recap_stats(record)
    tz = _zone(record)
    local, utc = _when(record)
    title = f"{_hashtag(record)} transcript"
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
        f"<h1>{_e(_hashtag(record))} transcript</h1>",
    ]
    if record.topic and record.topic.strip():
        out.append(f'<p class="meta"><strong>Topic:</strong> {_e(" ".join(record.topic.split()))}</p>')
    if record.guest and record.guest.strip():
        out.append(f'<p class="meta"><strong>Guest:</strong> {_e(" ".join(record.guest.split()))}</p>')
    out += [
        f'<p class="meta"><strong>When:</strong> {_e(local)}</p>',
        f'<p class="meta"><strong>UTC:</strong> {_e(utc)}</p>',
        "</header>",
        *_html_summary(record, stats),
        "<main>",
    ]
    for section in _sections(record):
        out.append(f'<section id="{section.anchor}">')
        out.append(f"<h2>{_e(section.title)}</h2>")
        if section.question is not None:
            out.append(f'<p class="count">{_e(_answer_count(section))}</p>')
        if section.messages:
            out.append('<ol class="messages">')
            for message in section.messages:
                out.append(
                    f'<li><span class="name">{_e(_name_of(names, message.author_id))}</span> '
                    f"({_html_time(message, tz)}): "
                    f'<span class="content">{_e(_readable(message.content, names).strip())}</span></li>'
                )
            out.append("</ol>")
        out.append("</section>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
