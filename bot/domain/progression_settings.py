"""What `/progression settings` reads and shows: the options an admin gives, checked, and the stage table they make.

Everything is checked before anything is stored: a server's settings change whole or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import fields
from typing import Any

from bot.domain.acts import THANKS_WORDS
from bot.domain.errors import UserError
from bot.domain.progression import DEFAULT_THANKS_EMOJI, LIMITS, Thresholds
from bot.domain.text import excerpt

# The numbers, in the order the settings show them (every field of Thresholds but the two lists).
NUMBERS = tuple(f.name for f in fields(Thresholds) if f.name in LIMITS)
# A server's own lists stay short: each entry is checked against every message and reaction in its channels.
# Each list is shown in an embed field of 1024 characters: 15 custom emoji of 58 and 20 words of 30 fit.
MAX_THANKS_EMOJI = 15
MAX_THANKS_WORDS = 20
MAX_WORD_LENGTH = 30
# A custom emoji as Discord writes it in a message or reaction: <:name:id>, or <a:name:id> when animated.
CUSTOM_EMOJI = re.compile(r"<a?:[A-Za-z0-9_]{2,32}:[0-9]{15,21}>")
# Characters an emoji may be made of besides symbols: variation selectors, skin tones, the zero-width joiner,
# tag characters (flags of regions) and the keycap mark.
_EMOJI_PARTS = {"Mn", "Me", "Cf", "Sk"}
KEYCAP = "\u20e3"


def _is_emoji(token: str) -> bool:
    """Whether a token is one emoji: a custom one, or Unicode symbols (a keycap may start with 0-9, # or *)."""
    if CUSTOM_EMOJI.fullmatch(token):
        return True
    if not any(unicodedata.category(ch) == "So" for ch in token) and KEYCAP not in token:
        return False
    return all(unicodedata.category(ch) == "So" or unicodedata.category(ch) in _EMOJI_PARTS
               or (ch in "0123456789#*" and KEYCAP in token) for ch in token)


def parse_thanks_emoji(text: str) -> tuple[str, ...]:
    """Emoji separated by spaces or commas; 'default' restores the built-in ones, 'none' counts no reaction."""
    cleaned = text.strip()
    if cleaned.lower() == "default":
        return DEFAULT_THANKS_EMOJI
    if cleaned.lower() == "none":
        return ()
    tokens = list(dict.fromkeys(t for t in re.split(r"[\s,]+", cleaned) if t))
    if not tokens:
        raise UserError("thanks_emoji is empty: give emoji separated by spaces, 'default' or 'none'.")
    for token in tokens:
        if not _is_emoji(token):
            raise UserError(f"thanks_emoji: '{excerpt(token)}' is not an emoji; give emoji separated by spaces, "
                            "such as 🙏 ❤️ 💯.")
    if len(tokens) > MAX_THANKS_EMOJI:
        raise UserError(f"thanks_emoji takes at most {MAX_THANKS_EMOJI} emoji (you gave {len(tokens)}).")
    return tuple(tokens)


def parse_thanks_words(text: str) -> tuple[str, ...]:
    """A server's own words of thanks, besides the built-in ones; 'default' or 'none' keeps only the built-in.

    Separated by commas when there is one (so a phrase such as "much obliged" stays whole), else by spaces.
    """
    cleaned = text.strip()
    if cleaned.lower() in ("default", "none"):
        return ()
    parts = cleaned.split(",") if "," in cleaned else cleaned.split()
    words = list(dict.fromkeys(" ".join(p.split()).casefold() for p in parts if p.strip()))
    if not words:
        raise UserError("thanks_words is empty: give words separated by commas, or 'default'.")
    for word in words:
        if len(word) > MAX_WORD_LENGTH:
            raise UserError(f"thanks_words: '{excerpt(word)}' is over {MAX_WORD_LENGTH} characters; "
                            "give single words or short phrases.")
        if not any(ch.isalnum() for ch in word):
            raise UserError(f"thanks_words: '{excerpt(word)}' has no letters; use emoji with thanks_emoji.")
    if len(words) > MAX_THANKS_WORDS:
        raise UserError(f"thanks_words takes at most {MAX_THANKS_WORDS} words (you gave {len(words)}).")
    return tuple(words)


def changed_thresholds(current: Thresholds, numbers: dict[str, int | None], thanks_emoji: str | None,
                       thanks_words: str | None) -> Thresholds:
    """`current` with the options an admin gave (None: not given), all checked; the first problem is a UserError."""
    changes: dict[str, Any] = {name: value for name, value in numbers.items() if value is not None}
    unknown = sorted(set(changes) - set(NUMBERS))
    if unknown:
        raise ValueError(f"Unknown threshold(s): {', '.join(unknown)}")
    if thanks_emoji is not None:
        changes["thanks_emoji"] = parse_thanks_emoji(thanks_emoji)
    if thanks_words is not None:
        changes["thanks_words"] = parse_thanks_words(thanks_words)
    return current.changed(**changes)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def stage_table(t: Thresholds) -> list[tuple[str, str]]:
    """Each stage and what reaching it takes over the last window_days, with these numbers."""
    return [
        ("lurker", "a member (or checked in at a chat) who has answered no question"),
        ("participant", f"answered at least {_plural(t.participant_answers, 'question')}"),
        ("regular", f"answered in at least {_plural(t.regular_chats, 'chat')}, spread over at least "
                    f"{_plural(t.regular_months, 'calendar month')}"),
        ("helper", f"a regular who did at least {_plural(t.helper_acts, 'helpful act')} towards at least "
                   f"{_plural(t.helper_people, 'different person', 'different people')}"
                   + (f", and was thanked by at least {_plural(t.helper_thanked_by, 'person', 'people')}"
                      if t.helper_thanked_by else "")),
        ("leader", f"hosted or co-hosted a chat, or was a helper {_plural(t.leader_helper_months, 'month')} in a row, "
                   "or was named by a moderator"),
    ]


def stage_table_text(t: Thresholds) -> str:
    """The stage table as the server now reads it, for the settings and /about-like help."""
    lines = [f"Over the last {t.window_days} days:"]
    lines += [f"**{stage}**: {rule}" for stage, rule in stage_table(t)]
    lines.append(f"Promotion is immediate; a stage is lost only after a whole month under {t.keep_percent}% "
                 "of its requirements.")
    return "\n".join(lines)


def thresholds_text(t: Thresholds) -> str:
    """Every number with its value and range (and its default, when changed)."""
    default = Thresholds()
    lines = []
    for name in NUMBERS:
        low, high = LIMITS[name]
        value = getattr(t, name)
        note = "" if value == getattr(default, name) else f" (default {getattr(default, name)})"
        lines.append(f"`{name}` {value}{note} · {low}–{high}")
    return "\n".join(lines)


def thanks_text(t: Thresholds) -> tuple[str, str]:
    """The reactions that count as thanks, and the server's own words of thanks besides the built-in ones."""
    emoji = " ".join(t.thanks_emoji) if t.thanks_emoji else "none"
    words = ", ".join(t.thanks_words) if t.thanks_words else "only the built-in ones"
    return f"`thanks_emoji` {emoji}", f"`thanks_words` {words} (always: {', '.join(THANKS_WORDS)})"
