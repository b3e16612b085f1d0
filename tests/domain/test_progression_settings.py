"""What /progression settings accepts and shows, checked against hand-written expectations."""

from __future__ import annotations

import pytest

from bot.domain.errors import UserError
from bot.domain.progression import DEFAULT_THANKS_EMOJI, Thresholds
from bot.domain.progression_settings import (
    NUMBERS,
    changed_thresholds,
    parse_thanks_emoji,
    parse_thanks_words,
    stage_table_text,
    thanks_text,
    thresholds_text,
)


@pytest.mark.parametrize(("text", "emoji"), [
    ("🙏 🎉", ("🙏", "🎉")),
    ("🙏,🎉, 🙏", ("🙏", "🎉")),  # commas or spaces; a repeat is kept once
    ("❤️ 👍🏽 👨‍👩‍👧 🇫🇷 1️⃣", ("❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣")),  # variation, skin tone, joiner, flag, keycap
    ("<:kudos:123456789012345678> <a:clap:123456789012345679>",
     ("<:kudos:123456789012345678>", "<a:clap:123456789012345679>")),
    ("default", DEFAULT_THANKS_EMOJI),
    (" Default ", DEFAULT_THANKS_EMOJI),
    ("none", ()),
])
def test_thanks_emoji_are_read_from_a_list(text, emoji):
    assert parse_thanks_emoji(text) == emoji


@pytest.mark.parametrize(("text", "sentence"), [
    ("🙏 thanks", "thanks_emoji: 'thanks' is not an emoji"),
    ("1", "thanks_emoji: '1' is not an emoji"),
    ("<:x:1>", "thanks_emoji: '<:x:1>' is not an emoji"),
    (" , ", "thanks_emoji is empty"),
    (" ".join(chr(0x1F600 + n) for n in range(16)), "thanks_emoji takes at most 15 emoji (you gave 16)."),
])
def test_wrong_thanks_emoji_are_refused(text, sentence):
    with pytest.raises(UserError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        parse_thanks_emoji(text)


@pytest.mark.parametrize(("text", "words"), [
    ("cheers kudos", ("cheers", "kudos")),
    ("Cheers, much  obliged, cheers", ("cheers", "much obliged")),  # a comma keeps a phrase whole
    ("default", ()),
    ("none", ()),
])
def test_thanks_words_are_read_from_a_list(text, words):
    assert parse_thanks_words(text) == words


@pytest.mark.parametrize(("text", "sentence"), [
    (",,", "thanks_words is empty"),
    ("ok, " + "x" * 31, "is over 30 characters"),
    ("🙏", "has no letters"),
    (" ".join(f"w{n}" for n in range(21)), "at most 20 words"),
])
def test_wrong_thanks_words_are_refused(text, sentence):
    with pytest.raises(UserError, match=sentence):
        parse_thanks_words(text)


def test_changed_thresholds_applies_only_what_was_given():
    changed = changed_thresholds(Thresholds(), {"regular_chats": 6, "helper_acts": None}, "🎉", None)
    assert changed == Thresholds(regular_chats=6, thanks_emoji=("🎉",))


def test_changed_thresholds_refuses_the_whole_change_for_one_wrong_number():
    with pytest.raises(UserError, match=r"helper_acts must be between 1 and 1000 \(you gave -1\)\."):
        changed_thresholds(Thresholds(), {"regular_chats": 6, "helper_acts": -1}, "🎉", None)


def test_changed_thresholds_knows_only_the_numbers():
    with pytest.raises(ValueError, match="thanks_emoji"):
        changed_thresholds(Thresholds(), {"thanks_emoji": 1}, None, None)


def test_the_stage_table_reads_the_defaults_as_the_readme_states_them():
    assert stage_table_text(Thresholds()) == (
        "Over the last 90 days:\n"
        "**lurker**: a member (or checked in at a chat) who has answered no question\n"
        "**participant**: answered at least 1 question\n"
        "**regular**: answered in at least 4 chats, spread over at least 2 calendar months\n"
        "**helper**: a regular who did at least 5 helpful acts towards at least 3 different people, and was thanked "
        "by at least 2 people\n"
        "**leader**: hosted or co-hosted a chat, or was a helper 3 months in a row, or was named by a moderator\n"
        "Promotion is immediate; a stage is lost only after a whole month under 75% of its requirements.")


def test_the_stage_table_follows_a_servers_numbers():
    text = stage_table_text(Thresholds(window_days=60, participant_answers=2, helper_thanked_by=0, helper_people=1,
                                       leader_helper_months=1, keep_percent=50))
    assert text.startswith("Over the last 60 days:\n")
    assert "answered at least 2 questions\n" in text
    assert "towards at least 1 different person\n" in text  # nobody's thanks needed: not mentioned
    assert "a helper 1 month in a row" in text and "under 50% of" in text


def test_thresholds_text_lists_every_number_with_its_range_and_default():
    text = thresholds_text(Thresholds(regular_chats=6))
    assert [line.split("`")[1] for line in text.splitlines()] == list(NUMBERS)
    assert "`regular_chats` 6 (default 4) · 1–100" in text
    assert "`window_days` 90 · 28–366" in text


def test_thanks_text_shows_both_lists():
    assert thanks_text(Thresholds(thanks_words=("cheers", "much obliged"))) == (
        "`thanks_emoji` 🙏 ❤️ 💯",
        "`thanks_words` cheers, much obliged (always: thanks, thank you, thankyou, thank u, ty, tysm, thx, cheers, "
        "much appreciated, appreciate it, 🙏)")
    assert thanks_text(Thresholds(thanks_emoji=()))[0] == "`thanks_emoji` none"


def test_the_longest_lists_fit_an_embed_field_each():
    emoji = " ".join(f"<a:{'e' * 31}{n % 10}:{10 ** 20 + n}>" for n in range(15))
    words = ", ".join(f"{'w' * 29}{chr(97 + n)}" for n in range(20))
    t = Thresholds(thanks_emoji=parse_thanks_emoji(emoji), thanks_words=parse_thanks_words(words))
    assert len(t.thanks_emoji) == 15 and len(t.thanks_words) == 20
    assert all(len(text) <= 1024 for text in thanks_text(t))
    worst = Thresholds(**{name: 100 for name in NUMBERS if name not in ("window_days", "regular_months")})
    assert len(thresholds_text(worst)) <= 1024
