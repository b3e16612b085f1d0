"""Helpful acts and thanks: what one message does for other members (DOMAIN.md, "Progression").

A message thanks someone when it says thanks ("thanks", "thank you", "ty", "thx", "cheers", 🙏 …) and replies to
or mentions them; it is a helpful act towards a member when it replies to their answer or question, or mentions
them while their latest message in the channel (within the hour) answered or asked something. Each message
counts once per kind and person, never towards its own author, and thanking someone is not also helping them.

A reply to a newcomer that greets them is recorded as the greeting (the activity ledger's 'greeting') and, if it
helps or thanks, as an act here too; the figures count distinct (message, person) pairs, so it is one helpful act.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Whole words or phrases, case-insensitive; a space in a phrase stands for any run of spaces.
THANKS_WORDS = ("thanks", "thank you", "thankyou", "thank u", "ty", "tysm", "thx", "cheers", "much appreciated",
                "appreciate it", "🙏")
# Said to turn something down or in irony, these never count, even though they contain a word of thanks.
NOT_THANKS = ("thanks but no thanks", "no thanks", "no thank you", "no thank u", "no thx", "no ty", "no tysm",
              "thanks for nothing", "thank you for nothing", "not thanks to")
QUESTION_WORDS = frozenset(("who", "what", "when", "where", "why", "how", "which", "anyone", "does", "do", "is",
                            "are", "can", "could", "should", "would"))
MASS_MENTIONS = 5  # pinging this many people (or @everyone, @here) is an announcement, not help or thanks

_CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE = re.compile(r"^[^\S\n]*>.*$", re.MULTILINE)
_MENTION = re.compile(r"<(?:@[!&]?|#)[0-9]+>")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_QUESTION_MARKS = ("?", "？", "¿")


def _phrase(phrase: str) -> str:
    """A regular expression for `phrase` as whole words: "no thanks" also matches "no, thanks" and "No  thanks"."""
    words = [re.escape(word) for word in phrase.lower().split()]
    body = r"[\s,.!;:…-]*".join(words)
    start = r"(?<![\w'])" if phrase[:1].isalnum() else ""
    end = r"(?!\w|'\w)" if phrase[-1:].isalnum() else ""
    return start + body + end


def _any_of(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of `phrases` (longest first), or None for none."""
    ordered = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    return re.compile("|".join(_phrase(p) for p in ordered), re.IGNORECASE) if ordered else None


_THANKS = _any_of(THANKS_WORDS)
_NOT_THANKS = _any_of(NOT_THANKS)


def spoken(text: str) -> str:
    """What a member said in their own words: quoted lines ("> …") and code (`…`, ```…```) left out."""
    text = _CODE_BLOCK.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    return _QUOTE.sub(" ", text)


def _emoji_only(text: str, emoji: Iterable[str]) -> bool:
    """Whether the text, mentions aside, is made of nothing but these emoji (a reply of just "❤️")."""
    rest = _MENTION.sub(" ", text)
    found = False
    for one in sorted((e for e in emoji if e), key=len, reverse=True):
        if one in rest:
            found = True
            rest = rest.replace(one, " ")
    return found and all(_decoration(char) for char in rest)


def _decoration(char: str) -> bool:
    """Spaces, punctuation and the parts of an emoji (skin tones, joiners, variation selectors)."""
    return char.isspace() or unicodedata.category(char) in ("Po", "Sk", "Cf", "Mn", "So")


def is_thanks(text: str, extra_words: Iterable[str] = (), *, emoji: Iterable[str] = ()) -> bool:
    """Whether a message says thanks: one of THANKS_WORDS or the server's `extra_words`, anywhere, as whole words.

    "no thanks", "thanks but no thanks", "thanks for nothing" and the like (NOT_THANKS) do not count; quoted
    lines and code are not the member's own words. A message made only of the server's thanks `emoji` counts too.
    """
    said = spoken(text).replace("’", "'").lower()
    if _NOT_THANKS is not None:
        said = _NOT_THANKS.sub(" ", said)
    if _THANKS is not None and _THANKS.search(said):
        return True
    extra = _any_of(extra_words)
    if extra is not None and extra.search(said):
        return True
    return _emoji_only(said, emoji)


def asks_something(text: str) -> bool:
    """Whether a message asks something: it ends with "?" (trailing spaces and emoji aside) or starts with a
    question word (who, what, how, anyone, can, is …)."""
    said = spoken(text)
    trimmed = said.rstrip()
    while trimmed and (trimmed[-1].isspace() or unicodedata.category(trimmed[-1]) in ("So", "Sk", "Cf", "Mn")):
        trimmed = trimmed[:-1]
    if trimmed.endswith(_QUESTION_MARKS):
        return True
    first = _WORD.search(_MENTION.sub(" ", said))
    return first is not None and first.group().lower() in QUESTION_WORDS


def is_mass_mention(mentions: int, everyone: bool) -> bool:
    """Whether a message pings so many (MASS_MENTIONS or more, or @everyone/@here) that it is an announcement."""
    return everyone or mentions >= MASS_MENTIONS


@dataclass(frozen=True)
class Said:
    """One message as the ledger judges it (the adapter fills in who it replies to and mentions)."""

    author_id: int
    text: str
    replied_to: int | None = None  # the replied-to author; None too for a bot or the author themself
    replied_answered_or_asked: bool = False  # the replied-to message answered a question or asked something
    mentioned: tuple[int, ...] = ()  # members mentioned in the text, in order (bots left out)
    mass: bool = False  # an announcement (see is_mass_mention): no acts at all
    recent: frozenset[int] = frozenset()  # members whose latest message here, within the hour, answered or asked
    extra_words: tuple[str, ...] = ()  # the server's own words of thanks
    thanks_emoji: tuple[str, ...] = ()  # the server's thanks emoji: a message of only these is thanks


def acts_of(said: Said) -> list[tuple[str, int]]:
    """The acts a message does, as (kind, member) pairs in order: 'thanks' and 'helpful'.

    Thanks go to the replied-to author and each mentioned member when the text thanks; a helpful act goes to a
    replied-to author whose message answered or asked, and to a mentioned member in `recent`. Never towards the
    author, never twice for the same kind and member, and never helpful towards a member the message thanks.
    """
    if said.mass:
        return []
    acts: list[tuple[str, int]] = []

    def add(kind: str, target: int | None) -> None:
        if target is not None and target != said.author_id and (kind, target) not in acts:
            acts.append((kind, target))

    thanked: set[int] = set()
    if is_thanks(said.text, said.extra_words, emoji=said.thanks_emoji):
        for target in (said.replied_to, *said.mentioned):
            add("thanks", target)
            if target is not None:
                thanked.add(target)
    if said.replied_to is not None and said.replied_answered_or_asked and said.replied_to not in thanked:
        add("helpful", said.replied_to)
    for target in said.mentioned:
        if target in said.recent and target not in thanked:
            add("helpful", target)
    return acts
