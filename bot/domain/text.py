"""Text from users, made safe to quote back and checked for being visible at all."""

from __future__ import annotations

import unicodedata

from bot.domain.errors import UserError

# How much of a user's input an error sentence quotes: enough to recognise it, never enough to push the
# reply past Discord's 2,000 characters (a reply that is too long is never delivered at all).
EXCERPT_LENGTH = 40

# Room for an announcement, under Discord's 2,000 characters a message.
MAX_ANNOUNCEMENT = 1800

# Characters that draw nothing but are not whitespace or format characters by category: Hangul fillers and
# the blank Braille pattern, the usual ingredients of "invisible" names and messages.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The text on one line, clipped to `limit` characters with an ellipsis, for quoting in a sentence."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def is_invisible(text: str) -> bool:
    """True if the text draws nothing: only spaces, zero-width, bidirectional or other format characters."""
    return all(_draws_nothing(character) for character in text)


def _draws_nothing(character: str) -> bool:
    """One character that leaves no mark: whitespace, a control or format character (Cc, Cf, Z*), or a filler."""
    return character in _BLANK_LETTERS or unicodedata.category(character) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def require_visible(text: str, what: str) -> str:
    """The text unchanged, or a UserError when it has characters but none of them can be seen."""
    if text and is_invisible(text):
        raise UserError(f"That {what} is only invisible characters (zero-width or direction marks): "
                        "write something people can read.")
    return text


def clean_announcement(text: str) -> str:
    """A host's announcement as it will be posted: trimmed, not empty, visible and within MAX_ANNOUNCEMENT."""
    cleaned = text.strip()
    if not cleaned:
        raise UserError("The announcement is empty: write something to post.")
    if len(cleaned) > MAX_ANNOUNCEMENT:
        raise UserError(f"That is {len(cleaned)} characters; keep announcements to {MAX_ANNOUNCEMENT}.")
    return require_visible(cleaned, "announcement")
