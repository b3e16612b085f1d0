"""Quoting user text back safely, and telling visible text from invisible."""

from __future__ import annotations

import pytest

from bot.domain.errors import UserError
from bot.domain.text import EXCERPT_LENGTH, MAX_ANNOUNCEMENT, clean_announcement, excerpt, is_invisible, require_visible


def test_excerpt_keeps_short_text_and_folds_it_onto_one_line():
    assert excerpt("  Europe/\n  Paris ") == "Europe/ Paris"


def test_excerpt_clips_long_text_with_an_ellipsis():
    clipped = excerpt("x" * 5000)
    assert len(clipped) == EXCERPT_LENGTH and clipped.endswith("…")
    assert excerpt("abcdef", limit=4) == "abc…"


@pytest.mark.parametrize("text", [
    "\u200b",                   # zero-width space
    "\u200e\u200f",             # left-to-right and right-to-left marks
    "\u202e\u2066\u2069",       # right-to-left override, isolates
    "\ufeff \u2060",            # byte-order mark, word joiner, a space
    "\u3164\u115f",             # Hangul fillers, used for blank names
    "\u2800",                   # the blank Braille pattern
])
def test_text_made_only_of_invisible_characters_is_invisible(text):
    assert is_invisible(text)
    with pytest.raises(UserError, match="only invisible characters"):
        require_visible(text, "question")


@pytest.mark.parametrize("text", ["A1", "\u200bhello", "👋", "\u0645\u0631\u062d\u0628\u0627", "·"])
def test_text_with_anything_visible_passes(text):
    assert not is_invisible(text)
    assert require_visible(text, "question") == text


def test_empty_text_is_left_to_the_callers_own_empty_check():
    assert require_visible("", "name") == ""


def test_an_announcement_is_trimmed_and_refused_when_empty_invisible_or_too_long():
    assert clean_announcement("  Tonight at 9!  ") == "Tonight at 9!"
    for text, says in [("   ", "empty"), ("\u200b\u2060", "only invisible characters"),
                       ("x" * (MAX_ANNOUNCEMENT + 1), f"keep announcements to {MAX_ANNOUNCEMENT}")]:
        with pytest.raises(UserError, match=says):
            clean_announcement(text)
