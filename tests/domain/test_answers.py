"""Unit tests for recognising "A1:" answers, "Q1:" questions and which question a message answers."""

from __future__ import annotations

import re

import pytest

from bot.domain.answers import parse_answer_number, parse_question_number, resolve_answer

ANSWERS = [
    # The forms people write, from the chat conventions.
    ("A1: I love tea", 1),
    ("A1 - I love tea", 1),
    ("A1- I love tea", 1),
    ("a1) I love tea", 1),
    ("A1. I love tea", 1),
    ("A 1: I love tea", 1),
    ("A 1 : I love tea", 1),
    ("A 1 - I love tea", 1),
    ("A 1) I love tea", 1),
    ("A 1. I love tea", 1),
    ("A1 I love tea", 1),
    ("A1:I love tea", 1),
    ("A1:5 years ago I started", 1),
    ("A1", 1),
    ("A 1", 1),
    ("a1", 1),
    ("A1:", 1),
    # Unicode dashes, with and without spaces.
    ("A1– tea", 1),
    ("A1 – tea", 1),
    ("A1—tea", 1),
    ("A 1— tea", 1),
    ("A 1 — tea", 1),
    # Other punctuation that ends the marker.
    ("A3, and also", 3),
    ("A4] tea", 4),
    ("A5; tea", 5),
    ("A 6, tea", 6),
    # Numbers.
    ("A12: tea", 12),
    ("A 12: tea", 12),
    ("A99: tea", 99),
    ("A01: tea", 1),
    ("A10 tea", 10),
    # Markdown around the marker.
    ("**A1:** tea", 1),
    ("**A1**: tea", 1),
    ("**A1** tea", 1),
    ("**A 1**: tea", 1),
    ("__A2__ tea", 2),
    ("*A3:* tea", 3),
    ("_A4_ tea", 4),
    ("~~A5~~ tea", 5),
    ("||A6:|| spoiler", 6),
    ("***A7:*** tea", 7),
    ("# A1: tea", 1),
    ("## A2 tea", 2),
    # Whitespace and mentions before the marker.
    ("  A7: tea", 7),
    ("\n\nA8: tea", 8),
    ("\tA9: tea", 9),
    ("<@123> A1: tea", 1),
    ("<@!456> a2) tea", 2),
    ("<@1> <@2> A3: tea", 3),
    ("<@123>A4: tea", 4),
    ("**<@123> A5:** tea", 5),
    # No-break spaces (French keyboards put one before ":") and tabs.
    ("A1\u00a0: réponse", 1),
    ("A1\u202f: réponse", 1),
    ("A\u00a01: tea", 1),
    ("A1\ttea", 1),
    ("A1\ntea on the next line", 1),
    ("A1:\ntea", 1),
]

NOT_ANSWERS = [
    # Words and codes that begin with the letter and a digit.
    "A1c test results came back",
    "Again, I think",
    "A1B2",
    "AAA",
    "A1x",
    "A12b",
    "A1's sauce is great",
    "A1-rated",
    "A1990s",
    # Prose with a space between the letter and a number.
    "A 1990s thing",
    "A 5-minute walk helps me",
    "A 5 minute walk helps me",
    "A 9:30 start is too late",
    "A 1.5 hour chat",
    "A 1,000 people came",
    "A 1 thing",
    "A 2nd try",
    # Out of range.
    "A0: tea",
    "A00: tea",
    "A100: tea",
    "A 100: tea",
    "A999",
    "A1000: tea",
    # Not a marker at all.
    "A: tea",
    "A",
    "",
    "   ",
    "A1/ tea",
    "A1? tea",
    "A1! tea",
    "A-1: tea",
    "A#1",
    "A\n1: tea",
    "hello A1: tea",
    "I think A1: tea",
    "> A1: quoted from someone",
    "@someone A1: tea",
    "<@&789> A1: role mention",
    "Q1: a question",
    "B1: tea",
    # Digits that are not ASCII.
    "A\u0661: tea",
    "\uff21\uff11: tea",
    "A\uff11: tea",
]


@pytest.mark.parametrize(("text", "number"), ANSWERS)
def test_parse_answer_number_accepts(text: str, number: int) -> None:
    assert parse_answer_number(text) == number


@pytest.mark.parametrize("text", NOT_ANSWERS)
def test_parse_answer_number_rejects(text: str) -> None:
    assert parse_answer_number(text) is None


@pytest.mark.parametrize("number", range(1, 100))
def test_every_number_from_1_to_99(number: int) -> None:
    assert parse_answer_number(f"A{number}: tea") == number
    assert parse_answer_number(f"a {number}) tea") == number
    assert parse_question_number(f"**Q{number}:** what?") == number


@pytest.mark.parametrize(("text", "number"), ANSWERS)
def test_question_parser_mirrors_answer_parser(text: str, number: int) -> None:
    # Swap the marker letter only (the first A/a followed by an optional space and a digit).
    question = re.sub(r"[Aa](?=\s?[0-9])", lambda m: "Q" if m[0] == "A" else "q", text, count=1)
    assert question != text
    assert parse_question_number(question) == number
    assert parse_answer_number(question) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Q1: What brought you here?", 1),
        ("**Q2:** What keeps you coming back?", 2),
        ("Q 3 - Who helped you first?", 3),
        ("q4) Favourite tool?", 4),
        ("Q10 Last one!", 10),
        ("__**Q5**__ — dreams?", 5),
    ],
)
def test_parse_question_number_accepts(text: str, number: int) -> None:
    assert parse_question_number(text) == number
    assert parse_answer_number(text) is None


@pytest.mark.parametrize(
    "text", ["Quick question", "Q1a", "QA", "A1: tea", "Q0: x", "Q100: x", "Q", "Q 1990s", "FAQ1: x", ""]
)
def test_parse_question_number_rejects(text: str) -> None:
    assert parse_question_number(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "*_ " * 20_000 + "B",
        "# " * 20_000 + "x",
        "#" * 50_000,
        "<@1>" * 20_000,
        " \u00a0" * 30_000 + "Z",
        "A" + "1" * 50_000,
        "A " + "1" * 50_000,
        "<@" + "1" * 50_000,
    ],
)
@pytest.mark.timeout(10)  # a guard against catastrophic backtracking, which would hang, not a speed test
def test_hostile_input_is_handled(text: str) -> None:
    assert parse_answer_number(text) is None
    assert parse_question_number(text) is None


RESOLVE_CASES = [
    # (text, reply_to_question, posted_questions, thread_question, expected)
    ("A2: tea", None, {1, 2, 3}, None, 2),
    ("A2: tea", 1, {1, 2}, None, 2),  # the explicit number beats the reply
    ("A2: tea", None, {1, 2}, 1, 2),  # … and the thread
    ("A1: late answer to the first", 3, {1, 2, 3}, None, 1),  # late answers are normal
    ("A4: tea", None, {1, 2, 3}, None, None),  # Q4 not posted yet
    ("A4: tea", 2, {1, 2, 3}, None, 2),  # …so the reply decides
    ("A4: tea", None, {1, 2, 3}, 3, 3),  # …or the thread
    ("great point", 2, {1, 2}, None, 2),
    ("great point", None, {1, 2}, 1, 1),
    ("great point", 2, {1, 2}, 1, 2),  # a reply beats the thread
    ("great point", 5, {1, 2}, None, None),  # reply to a question that was never posted
    ("great point", 5, {1, 2}, 1, 1),
    ("great point", None, {1, 2}, 7, None),
    ("great point", None, {1, 2}, None, None),
    ("A1: tea", None, set(), None, None),
    ("A1: tea", 1, set(), 1, None),
    ("Q3: next question", 2, {1, 2, 3}, None, None),  # a host's question is not an answer
    ("**Q3:** next question", None, {1, 2, 3}, 2, None),
    ("A 5-minute walk helps", 2, {1, 2, 5}, None, 2),  # prose, so the reply decides
    ("A1c test results", None, {1}, None, None),
    ("A1c test results", 1, {1}, None, 1),
    ("<@42> A2) me too", None, {1, 2}, None, 2),
]


@pytest.mark.parametrize(("text", "reply", "posted", "thread", "expected"), RESOLVE_CASES)
def test_resolve_answer(
    text: str, reply: int | None, posted: set[int], thread: int | None, expected: int | None
) -> None:
    assert resolve_answer(text, reply, posted, thread_question=thread) == expected


@pytest.mark.parametrize("posted", [[1, 2, 3], (1, 2, 3), frozenset({1, 2, 3}), {1: "q", 2: "q", 3: "q"}.keys()])
def test_resolve_answer_accepts_any_collection(posted) -> None:
    assert resolve_answer("A3: tea", None, posted) == 3
    assert resolve_answer("tea", 2, posted) == 2
    assert resolve_answer("tea", None, posted, thread_question=1) == 1


def test_thread_question_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        resolve_answer("tea", None, {1}, 1)  # type: ignore[misc]
