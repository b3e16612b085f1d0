"""Turn a finished hashtag chat into its figures and its recap post.

Hosts expect, within hours of a chat, a recap with the numbers they love (participants, messages,
answers, newcomers, top contributors). Everything here is pure: the caller gathers the chat into a
`ChatRecord` (`bot.domain.chat_record`) and posts what comes back. Nothing reads the clock.

Safety rules for the public post: names, topic and guest are user-supplied, so they are rendered as
plain text, never as Markdown or mentions (``@everyone``, ``@here``, ``<@123>``, ``<@&123>``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.chat_record import (
    ChatRecord,
    display_hashtag,
    display_names,
    escape_markdown,
    in_order,
    name_of,
    plural,
)
from bot.domain.questions import MAX_GUEST_LENGTH

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


def _name_key(name: str) -> tuple[str, str]:
    """Sort names the way people read lists: case-insensitively, then exactly for a stable order."""
    return (name.casefold(), name)


def _top(counts: Counter[int], names: Mapping[int, str], limit: int) -> list[tuple[str, int]]:
    """Return the `limit` highest counts as (name, count), ties broken by name and then by id."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], *_name_key(name_of(names, item[0])), item[0]))
    return [(name_of(names, user_id), count) for user_id, count in ranked[:limit] if count > 0]


def recap_stats(record: ChatRecord) -> RecapStats:
    """Compute the figures of a finished chat (bot messages never count)."""
    names = display_names(record)
    bot_ids = {m.author_id for m in record.messages if m.is_bot}
    people = [m for m in in_order(record.messages) if not m.is_bot]
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
        first_timers=sorted((name_of(names, user_id) for user_id in set(record.first_timers)), key=_name_key),
        top_answerers=_top(Counter(m.author_id for m in answers), names, TOP_ANSWERERS),
        top_repliers=_top(replies, names, TOP_REPLIERS),
        most_reacted=[
            (m.question_number, name_of(names, m.author_id), m.reactions)
            for m in reacted[:MOST_REACTED]
            if m.question_number is not None
        ],
    )


def shown_questions(record: ChatRecord, stats: RecapStats) -> list[int]:
    """Return the question numbers worth showing: posted ones, and any that somehow got answers."""
    posted = {q.number for q in record.questions if q.posted_at is not None}
    return [n for n, count in stats.answers_per_question.items() if n in posted or count > 0]


# ---------------------------------------------------------------------------------------------------
# Recap post


def _clip(text: str, limit: int) -> str:
    """Put text on one line and cut it to `limit` characters, marking the cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _plain(text: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Render user text for a Discord post: one line, no Markdown, and no "@" that could ever ping."""
    # Clip before escaping so the cut never splits an escape; the zero-width space after every "@"
    # defeats @everyone, @here and <@id> alike, even if an escape were lost.
    return escape_markdown(_clip(text, limit)).replace("@", "@" + _ZWSP)


def _join_names(names: list[str]) -> str:
    """Join names as people write them: "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _question_lines(record: ChatRecord, stats: RecapStats) -> list[str]:
    """Return the answers-per-question section in its full form and, for very long chats, a short one."""
    numbers = shown_questions(record, stats)
    if not numbers:
        return []
    lines = [f"Q{n} · {plural(stats.answers_per_question[n], 'answer')}" for n in numbers]
    # A long list of questions reads better, and fits better, on one line.
    full = "\n".join(lines) if len(lines) <= 10 else " | ".join(lines)
    busiest = min(numbers, key=lambda n: (-stats.answers_per_question[n], n))
    short = f"{plural(len(numbers), 'question')}; the busiest was {lines[numbers.index(busiest)]}"
    return ["**Answers per question**\n" + full, "**Answers per question**\n" + short]


def recap_text(record: ChatRecord, stats: RecapStats, *, most_answers: bool = True) -> str:
    """Return the public recap post: Discord Markdown, at most 2000 characters, names as plain text.

    `most_answers` False leaves out the list of who answered most (a series may prefer not to rank its members).
    """
    title = f"**{_plain(display_hashtag(record), MAX_NAME_LENGTH * 2)} recap**"
    if record.topic and record.topic.strip():
        title += " — " + _plain(record.topic, MAX_TOPIC_LENGTH)
    # <t:…:F> shows every reader the chat's time in their own zone.
    when = f"<t:{int(record.starts_at.timestamp())}:F>"
    # A guest is named in full: hosts may give up to MAX_GUEST_LENGTH characters (a name and a title).
    guest = record.guest and record.guest.strip()
    subtitle = f"With guest {_plain(record.guest or '', MAX_GUEST_LENGTH)} · {when}" if guest else when
    figures = (
        f"👥 {plural(stats.attendees, 'attendee')} · {plural(stats.participants, 'participant')} · "
        f"{stats.checked_in} checked in\n"
        f"💬 {plural(stats.messages, 'message')} · {plural(stats.answers, 'answer')}"
    )
    head = "\n".join((title, subtitle, "", figures))

    # Each section lists its renderings, longest first; one that fits in what is left of the post is
    # used, so a huge chat loses detail rather than whole sections.
    sections: list[list[str]] = [_question_lines(record, stats)]
    if stats.first_timers:
        shown = [_plain(name) for name in stats.first_timers[:MAX_WELCOMED_NAMES]]
        hidden = len(stats.first_timers) - len(shown)
        if hidden:
            shown.append(plural(hidden, "other newcomer"))
        sections.append([
            f"👋 A warm welcome to our first-timers: {_join_names(shown)}!",
            f"👋 A warm welcome to our {plural(len(stats.first_timers), 'first-timer')}!",
        ])
    if most_answers and stats.top_answerers:
        sections.append(["**Most answers:** " + " · ".join(f"{_plain(n)} ({c})" for n, c in stats.top_answerers)])
    if stats.top_repliers:
        sections.append(
            ["**Most replies to others:** " + " · ".join(f"{_plain(n)} ({c})" for n, c in stats.top_repliers)]
        )
    if stats.most_reacted:
        sections.append([
            "**Most-reacted answers:** "
            + " · ".join(f"A{q} by {_plain(n)} ({plural(c, 'reaction')})" for q, n, c in stats.most_reacted)
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
