"""Recognise "A1:"-style answers and "Q1:"-style questions, and decide which question a message answers.

Twitter-chat convention is to start an answer with A1, A2 … matching the host's Q1, Q2 …; people
write it many ways (``A1:``, ``A1 -``, ``a1)``, ``A1.``, ``A 1:``, ``**A1:**``). The patterns here
accept those and refuse ordinary words that merely begin with the letter and a digit ("A1c test",
"A1B2", "A 5-minute walk", "A 1990s thing"). On Discord a reply to a question message, or a message
in a question's thread, is an answer too.
"""

from __future__ import annotations

import re
from collections.abc import Collection

MAX_QUESTION_NUMBER = 99

# Spaces and tabs, including the no-break spaces some keyboards put before ":", but not line breaks.
_GAP = r"[^\S\r\n]"

# What may come before the marker: whitespace, user mentions ("<@123> A1: …" when answering someone),
# and the markdown people wrap the marker in (bold, italics, strike, spoiler, headings).
_LEAD = r"(?:\s|<@!?[0-9]+>|\*|_|~~|\|\||#{1,3}" + _GAP + r")*"

# "A1": the digit hugs the letter, which is already a strong signal, so whitespace may follow.
# A hyphen only counts when followed by a space ("A1 - yes", "A1- yes"), since "A1-rated" is a word.
_TIGHT_END = r"(?=$|\s|[:)\],.;–—*_~|]|-(?:\s|$))"
# "A 1": with a space in between, prose is likely ("A 5 minute walk", "A 9:30 start", "A 1.5 hour
# chat"), so demand real punctuation after the number, not followed by a digit.
_SPACED_END = r"(?=" + _GAP + r"*(?:$|[:)\],.;–—](?![0-9])|-(?:\s|$)|\*\*|__|\|\|))"

# Three digits at most keeps int() cheap; (?![0-9]) keeps "A 1990s" from matching as "A 19".
_DIGITS = r"[0-9]{1,3}(?![0-9])"


def _marker(letter: str) -> re.Pattern[str]:
    """Compile the start-of-message pattern for one marker letter ("A" or "Q")."""
    return re.compile(
        rf"{_LEAD}{letter}(?:(?P<tight>{_DIGITS}){_TIGHT_END}|{_GAP}(?P<spaced>{_DIGITS}){_SPACED_END})",
        re.IGNORECASE,
    )


_ANSWER = _marker("A")
_QUESTION = _marker("Q")


def _number(pattern: re.Pattern[str], text: str) -> int | None:
    """Return the marker number at the start of `text` when it is between 1 and 99."""
    match = pattern.match(text)
    if match is None:
        return None
    number = int(match["tight"] or match["spaced"])
    return number if 1 <= number <= MAX_QUESTION_NUMBER else None


def parse_answer_number(text: str) -> int | None:
    """Return N when the message starts with an "AN" answer marker ("A1:", "a1)", "**A 1:**"), else None."""
    return _number(_ANSWER, text)


def parse_question_number(text: str) -> int | None:
    """Return N when the message starts with a "QN" question marker ("Q1:", "**Q2**"), else None."""
    return _number(_QUESTION, text)


def resolve_answer(
    text: str,
    reply_to_question: int | None,
    posted_questions: Collection[int],
    *,
    thread_question: int | None = None,
) -> int | None:
    """Return the posted question this message answers: explicit "AN" first, then a reply, then a thread."""
    # A host posting "Q3:" as a reply to Q2, or inside Q2's thread, is asking, not answering.
    if parse_question_number(text) is not None:
        return None
    explicit = parse_answer_number(text)
    if explicit is not None and explicit in posted_questions:
        return explicit
    # An explicit number for a question not yet posted is a typo or prose ("A5 wagyu …"), so the
    # message's place in the conversation decides instead.
    for candidate in (reply_to_question, thread_question):
        if candidate is not None and candidate in posted_questions:
            return candidate
    return None
