"""Unit tests for the chat recap: its figures and the public post."""

from __future__ import annotations

import dataclasses
import re

import pytest

from bot.domain.chat_record import ChatQuestion
from bot.domain.recap import MAX_POST_LENGTH, RecapStats, recap_stats, recap_text
from tests.domain.scripted_chat import ANN, BOB, BOT, CY, DEE, EVE, QUESTIONS, RECORD, at, msg

MENTION = re.compile(r"@everyone|@here|<@[!&]?[0-9]+>")


# ---------------------------------------------------------------------------------------------------
# Figures


def test_recap_stats_of_the_scripted_chat():
    assert recap_stats(RECORD) == RecapStats(
        participants=5,  # Ann, Bob, Cy, @everyone, Eve: Dee only checked in, the bot never counts
        checked_in=3,
        attendees=6,
        messages=15,
        answers=9,
        answers_per_question={1: 5, 2: 3, 3: 1},
        first_timers=["Cy", "Dee"],
        top_answerers=[("Ann", 3), ("Bob", 2), ("Cy", 2), ("@everyone", 1), ("Eve", 1)],
        top_repliers=[("Bob", 2), ("Cy", 1)],
        most_reacted=[(2, "Ann", 6), (1, "Ann", 4), (1, "Bob", 2)],
    )


def test_self_replies_and_replies_to_the_bot_are_not_replies_to_others():
    record = dataclasses.replace(RECORD, messages=[
        msg(BOT, "Heartbeat", "Q1: …", at(21, 5), is_bot=True),
        msg(ANN, "Ann", "me again", at(21, 6), reply_to=ANN),
        msg(ANN, "Ann", "thanks bot", at(21, 7), reply_to=BOT),
        msg(BOT, "Heartbeat", "Welcome Ann!", at(21, 8), reply_to=ANN, is_bot=True),
    ])
    stats = recap_stats(record)
    assert stats.top_repliers == []
    assert stats.messages == 2
    assert stats.participants == 1


def test_every_question_appears_in_answers_per_question_even_without_answers():
    record = dataclasses.replace(RECORD, messages=[msg(ANN, "Ann", "A2: yes", at(21, 16), 2)])
    assert recap_stats(record).answers_per_question == {1: 0, 2: 1, 3: 0}


def test_answers_to_a_number_without_a_question_still_add_up():
    record = dataclasses.replace(RECORD, messages=[msg(ANN, "Ann", "A7: ?", at(21, 16), 7)])
    stats = recap_stats(record)
    assert stats.answers_per_question == {1: 0, 2: 0, 3: 0, 7: 1}
    assert sum(stats.answers_per_question.values()) == stats.answers == 1


def test_bot_messages_marked_as_answers_do_not_count():
    record = dataclasses.replace(RECORD, messages=[
        msg(BOT, "Heartbeat", "A1: example answer", at(21, 5), 1, reactions=9, is_bot=True),
    ])
    stats = recap_stats(record)
    assert (stats.messages, stats.answers, stats.participants, stats.most_reacted) == (0, 0, 0, [])
    assert stats.top_answerers == []


def test_top_answerers_keep_five_and_break_ties_by_name_case_insensitively():
    authors = [(11, "zed", 2), (12, "Amy", 2), (13, "bea", 2), (14, "Cal", 1), (15, "dan", 1), (16, "Ely", 1),
               (17, "Fay", 3)]
    messages = [
        msg(author, name, f"A1: {i}", at(21, 6 + i), 1)
        for author, name, count in authors
        for i in range(count)
    ]
    stats = recap_stats(dataclasses.replace(RECORD, messages=messages))
    assert stats.top_answerers == [("Fay", 3), ("Amy", 2), ("bea", 2), ("zed", 2), ("Cal", 1)]


def test_most_reacted_keeps_three_answers_with_reactions_earliest_first_on_ties():
    messages = [
        msg(ANN, "Ann", "chatter with many reactions", at(21, 3), reactions=50),
        msg(ANN, "Ann", "A1: a", at(21, 6), 1, reactions=0),
        msg(BOB, "Bob", "A1: b", at(21, 7), 1, reactions=3),
        msg(CY, "Cy", "A2: c", at(21, 16), 2, reactions=3),
        msg(EVE, "Eve", "A3: d", at(21, 26), 3, reactions=5),
        msg(DEE, "Dee", "A3: e", at(21, 27), 3, reactions=1),
    ]
    stats = recap_stats(dataclasses.replace(RECORD, messages=messages))
    assert stats.most_reacted == [(3, "Eve", 5), (1, "Bob", 3), (2, "Cy", 3)]


def test_names_come_from_the_last_message_then_the_names_map_then_a_stand_in():
    record = dataclasses.replace(
        RECORD,
        messages=[
            msg(ANN, "Ann", "A1: x", at(21, 6), 1),
            msg(ANN, "Annie", "A1: y", at(21, 7), 1),
        ],
        first_timers=[ANN, DEE, 77, 78, DEE],
        checked_in=[DEE, 77, DEE],
        names={DEE: "Dee", 78: "Dee"},
    )
    stats = recap_stats(record)
    assert stats.top_answerers == [("Annie", 2)]
    # Two newcomers called Dee are both welcomed; the same id listed twice is welcomed once.
    assert stats.first_timers == ["Annie", "Dee", "Dee", "Member 77"]
    assert (stats.checked_in, stats.attendees) == (2, 3)


def test_an_empty_chat_has_zero_figures():
    record = dataclasses.replace(RECORD, messages=[], checked_in=[], first_timers=[])
    stats = recap_stats(record)
    assert stats == RecapStats(0, 0, 0, 0, 0, {1: 0, 2: 0, 3: 0}, [], [], [], [])


# ---------------------------------------------------------------------------------------------------
# The public recap post


def test_recap_text_of_the_scripted_chat():
    text = recap_text(RECORD, recap_stats(RECORD))
    start = int(at(21, 0).timestamp())
    assert text == (
        "**#GetRealChat recap** — Tea & \\<b\\>comfort\\</b\\>\n"
        f"With guest Dr. Leaf · <t:{start}:F>\n"
        "\n"
        "👥 6 attendees · 5 participants · 3 checked in\n"
        "💬 15 messages · 9 answers\n"
        "\n"
        "**Answers per question**\n"
        "Q1 · 5 answers\n"
        "Q2 · 3 answers\n"
        "Q3 · 1 answer\n"
        "\n"
        "👋 A warm welcome to our first-timers: Cy and Dee!\n"
        "\n"
        "**Most answers:** Ann (3) · Bob (2) · Cy (2) · @\u200beveryone (1) · Eve (1)\n"
        "\n"
        "**Most replies to others:** Bob (2) · Cy (1)\n"
        "\n"
        "**Most-reacted answers:** A2 by Ann (6 reactions) · A1 by Ann (4 reactions) · A1 by Bob (2 reactions)\n"
        "\n"
        "Thank you all for being here! 💛"
    )
    assert not MENTION.search(text)


def test_recap_text_leaves_out_most_answers_when_the_series_turned_it_off():
    with_list = recap_text(RECORD, recap_stats(RECORD))
    without = recap_text(RECORD, recap_stats(RECORD), most_answers=False)
    assert "**Most answers:**" in with_list and "Most answers" not in without
    assert without == with_list.replace(
        "**Most answers:** Ann (3) · Bob (2) · Cy (2) · @\u200beveryone (1) · Eve (1)\n\n", "")


@pytest.mark.parametrize("name", ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "hi @everyone", "@@here"])
def test_names_never_become_mentions(name: str):
    record = dataclasses.replace(
        RECORD,
        topic=name,
        guest=name,
        messages=[msg(ANN, name, "A1: x", at(21, 6), 1, reactions=1, reply_to=BOB)],
        first_timers=[ANN],
    )
    text = recap_text(record, recap_stats(record))
    assert not MENTION.search(text), text
    assert "@\u200b" in text


def test_names_are_plain_text_not_markdown():
    name = "**bold** _it_ `code` ||spoiler|| [link](https://x.test) ~~s~~"
    record = dataclasses.replace(RECORD, messages=[msg(ANN, name, "A1: x", at(21, 6), 1)], first_timers=[ANN])
    text = recap_text(record, recap_stats(record))
    # Every Markdown character of the name is backslash-escaped (the name is clipped at 32 characters).
    assert "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\|\\|spoiler\\|… (1)" in text


def test_names_with_line_breaks_stay_on_one_line():
    record = dataclasses.replace(
        RECORD, messages=[msg(ANN, "Ann\n# Fake heading", "A1: x", at(21, 6), 1)], first_timers=[ANN]
    )
    text = recap_text(record, recap_stats(record))
    assert "Ann # Fake heading" in text
    assert "\n#" not in text


def test_recap_without_topic_or_guest():
    record = dataclasses.replace(RECORD, topic=None, guest="  ", hashtag="#GetRealChat")
    first, second = recap_text(record, recap_stats(record)).splitlines()[:2]
    assert first == "**#GetRealChat recap**"
    assert second == f"<t:{int(at(21, 0).timestamp())}:F>"


def test_recap_of_a_quiet_chat_leaves_out_empty_sections():
    record = dataclasses.replace(RECORD, messages=[], checked_in=[DEE], first_timers=[])
    text = recap_text(record, recap_stats(record))
    assert "1 attendee · 0 participants · 1 checked in" in text
    assert "0 messages · 0 answers" in text
    assert "Q1 · 0 answers" in text
    for heading in ("first-timers", "Most answers", "Most replies", "Most-reacted"):
        assert heading not in text


def test_unposted_questions_without_answers_are_left_out_of_the_post():
    questions = [*QUESTIONS, ChatQuestion(4, "Never asked", None, None)]
    record = dataclasses.replace(RECORD, questions=questions)
    stats = recap_stats(record)
    assert stats.answers_per_question[4] == 0
    assert "Q4" not in recap_text(record, stats)


def test_a_huge_chat_still_fits_in_one_discord_message():
    many = 400
    questions = [ChatQuestion(n, f"Question {n}", at(21, 5), 600 + n) for n in range(1, 100)]
    messages = [
        msg(10_000 + i, f"@everyone{'x' * 40}{i}", "A1: " + "y" * 500, at(21, 6), (i % 99) + 1, reply_to=10_001 + i,
            reactions=i)
        for i in range(many)
    ]
    record = dataclasses.replace(
        RECORD,
        topic="<@1> " + "t" * 5000,
        guest="@here " + "g" * 500,
        questions=questions,
        messages=messages,
        first_timers=[10_000 + i for i in range(many)],
    )
    stats = recap_stats(record)
    text = recap_text(record, stats)
    assert len(text) <= MAX_POST_LENGTH
    assert not MENTION.search(text)
    assert text.startswith("**#GetRealChat recap** — ")
    assert "403 attendees · 400 participants" in text
    # Every section survives in some form: the long ones shortened, not dropped.
    assert "**Answers per question**\n99 questions; the busiest was Q1 · 5 answers" in text
    assert "and 390 other newcomers!" in text
    for heading in ("**Most answers:**", "**Most replies to others:**", "**Most-reacted answers:**", "Thank you"):
        assert heading in text


def test_long_welcome_lists_are_summarised():
    names = [f"Newcomer {i:02}" for i in range(13)]
    record = dataclasses.replace(
        RECORD, messages=[], names={100 + i: name for i, name in enumerate(names)},
        first_timers=[100 + i for i in range(13)],
    )
    text = recap_text(record, recap_stats(record))
    assert "Newcomer 08, Newcomer 09 and 3 other newcomers!" in text
    assert "Newcomer 10" not in text


def test_the_guest_is_named_in_full_up_to_the_hundred_characters_a_host_may_give():
    guest = "Dr. Maria-Fernanda Castellanos-Whitaker, clinical psychologist and author of Starting Over"
    assert 32 < len(guest) <= 100
    record = dataclasses.replace(RECORD, guest=guest)
    subtitle = recap_text(record, recap_stats(record)).splitlines()[1]
    assert subtitle == f"With guest {guest} · <t:{int(at(21, 0).timestamp())}:F>"


def test_a_guest_longer_than_a_host_may_give_is_cut_at_a_hundred_characters():
    record = dataclasses.replace(RECORD, guest="g" * 150)
    subtitle = recap_text(record, recap_stats(record)).splitlines()[1]
    assert subtitle.startswith("With guest " + "g" * 99 + "… · ")
