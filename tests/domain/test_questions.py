"""Unit tests for cleaning questions, reading question files and renumbering a session's questions."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.errors import UserError
from bot.domain.questions import (
    MAX_FILE_BYTES,
    MAX_GUEST_LENGTH,
    MAX_QUESTION_LENGTH,
    MAX_QUESTIONS,
    MAX_TOPIC_LENGTH,
    QuestionSet,
    clean_question,
    edit_question,
    insert_question,
    move_question,
    parse_question_file,
    question_listing,
    remove_question,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "questions" / "example.toml"
FIVE = ["one?", "two?", "three?", "four?", "five?"]


def toml_list(questions: list[str]) -> str:
    """A TOML questions array, quoting each entry."""
    return "questions = [" + ", ".join(f'"{q}"' for q in questions) + "]\n"


# --- clean_question -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("What brought you here?", "What brought you here?"),
        ("  What brought you here?  \n", "What brought you here?"),
        # Numbering people paste from their planning doc or an old tweet.
        ("Q1: What brought you here?", "What brought you here?"),
        ("Q1. What brought you here?", "What brought you here?"),
        ("Q1) What brought you here?", "What brought you here?"),
        ("Q1 - What brought you here?", "What brought you here?"),
        ("Q1 – What brought you here?", "What brought you here?"),
        ("Q1:What brought you here?", "What brought you here?"),
        ("Q1 What brought you here?", "What brought you here?"),
        ("q3: What brought you here?", "What brought you here?"),
        ("Q 2: What brought you here?", "What brought you here?"),
        ("Q12: What brought you here?", "What brought you here?"),
        ("**Q1:** What brought you here?", "What brought you here?"),
        ("**Q1**: What brought you here?", "What brought you here?"),
        ("1. What brought you here?", "What brought you here?"),
        ("1) What brought you here?", "What brought you here?"),
        ("10. What brought you here?", "What brought you here?"),
        ("- What brought you here?", "What brought you here?"),
        ("* What brought you here?", "What brought you here?"),
        ("• What brought you here?", "What brought you here?"),
        ("- Q1: What brought you here?", "What brought you here?"),
        ("1. Q1: What brought you here?", "What brought you here?"),
        # Line breaks inside a question become single spaces.
        ("What brought you\nhere?", "What brought you here?"),
        ("What brought you\r\n\r\n   here?", "What brought you here?"),
        ("Q1:\nWhat brought you here?", "What brought you here?"),
        # Text that merely looks like numbering is kept.
        ("1.5 million people moved last year: were you one?", "1.5 million people moved last year: were you one?"),
        (
            "-5 degrees on moving day: worst weather you moved in?",
            "-5 degrees on moving day: worst weather you moved in?",
        ),
        ("Q1-rated schools: did they matter to you?", "Q1-rated schools: did they matter to you?"),
        ("Quick one: coffee or tea?", "Quick one: coffee or tea?"),
        ("2020 changed plans: did it change yours?", "2020 changed plans: did it change yours?"),
        # Only the leading numbering goes; the rest of the question is untouched.
        ("Q1: Was Q2 of 2024 your moving season?", "Was Q2 of 2024 your moving season?"),
        ("Q1: What *really*  helped?", "What *really*  helped?"),
    ],
)
def test_clean_question_strips_pasted_numbering_and_line_breaks(pasted: str, expected: str) -> None:
    assert clean_question(pasted) == expected


@pytest.mark.parametrize("empty", ["", "   ", "\n\n", "Q1:", "Q1: ", "1.  ", "- ", "**Q2:**"])
def test_clean_question_refuses_empty_and_says_to_type_the_question(empty: str) -> None:
    with pytest.raises(UserError, match=r"^A question can't be empty: type the question itself"):
        clean_question(empty)


def test_clean_question_length_limit_is_exact() -> None:
    assert clean_question("x" * MAX_QUESTION_LENGTH) == "x" * MAX_QUESTION_LENGTH
    with pytest.raises(UserError) as raised:
        clean_question("x" * (MAX_QUESTION_LENGTH + 1))
    assert str(raised.value) == "That question is 301 characters; keep it to 300 or fewer."


def test_clean_question_counts_length_after_cleaning() -> None:
    # Numbering and surrounding whitespace don't count against the limit...
    assert len(clean_question("Q1: " + "x" * MAX_QUESTION_LENGTH + "   ")) == MAX_QUESTION_LENGTH
    # ...and the message reports the cleaned length.
    with pytest.raises(UserError, match=r"^That question is 342 characters; keep it to 300 or fewer\.$"):
        clean_question("Q1: " + "x" * 342)


def test_limits_match_the_documented_values() -> None:
    assert (MAX_QUESTION_LENGTH, MAX_QUESTIONS) == (300, 12)


# --- text and markdown files ----------------------------------------------------------------------


def test_txt_file_reads_one_question_per_line_skipping_blanks_and_comments() -> None:
    data = b"# Questions for next week\n\nWhat brought you here?\n   \n# a comment\nWhat surprised you?\n"
    assert parse_question_file("week12.txt", data) == QuestionSet(
        None, None, ["What brought you here?", "What surprised you?"]
    )


def test_md_file_strips_list_markers_and_headings() -> None:
    data = "\n".join(
        [
            "# Starting over",
            "## Questions",
            "- What brought you here?",
            "* What surprised you?",
            "+ Where did you find your people?",
            "1. What do you miss?",
            "2) What do you wish you'd known?",
            "3. Q6: One tip for a newcomer?",
        ]
    ).encode()
    result = parse_question_file("plan.md", data)
    assert result.topic is None and result.guest is None
    assert result.questions == [
        "What brought you here?",
        "What surprised you?",
        "Where did you find your people?",
        "What do you miss?",
        "What do you wish you'd known?",
        "One tip for a newcomer?",
    ]


@pytest.mark.parametrize("name", ["Q.TXT", "notes.Md", "dir/sub/q.txt", "C:\\Users\\me\\q.md"])
def test_extensions_are_case_insensitive_and_paths_are_ignored(name: str) -> None:
    assert parse_question_file(name, b"Why?\n").questions == ["Why?"]


def test_windows_line_endings_and_byte_order_mark_are_accepted() -> None:
    data = "\ufeffWhat brought you here?\r\nWhat surprised you?\r\n".encode()
    assert parse_question_file("q.txt", data).questions == ["What brought you here?", "What surprised you?"]


def test_non_ascii_questions_survive() -> None:
    assert parse_question_file("q.txt", "¿Qué te trajo aquí? 🌆\n".encode()).questions == ["¿Qué te trajo aquí? 🌆"]


@pytest.mark.parametrize("name", ["questions.docx", "questions.pdf", "questions", "questions.toml.bak", ".txt.exe"])
def test_other_file_types_are_refused_with_the_types_to_use(name: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_question_file(name, b"Why?\n")
    message = str(raised.value)
    assert name.rsplit("/", 1)[-1] in message
    assert ".txt" in message and ".md" in message and ".toml" in message and "upload" in message


def test_non_utf8_file_names_the_line_and_says_to_save_as_utf8() -> None:
    data = "First?\nSecond?\nCafé?\n".encode("latin-1")
    with pytest.raises(UserError, match=r"^Line 3 of q\.txt is not UTF-8 text: save the file as UTF-8"):
        parse_question_file("q.txt", data)


def test_file_size_limit_is_exact() -> None:
    padding = b"#" * (MAX_FILE_BYTES - len(b"Why?\n") - 1) + b"\n"
    assert parse_question_file("q.txt", padding + b"Why?\n").questions == ["Why?"]
    with pytest.raises(UserError, match=r"too big for a question file: keep it under 64,000 bytes"):
        parse_question_file("q.txt", padding + b"Why?!\n")


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"# only a comment\n# and another\n"])
def test_file_without_questions_is_refused(data: bytes) -> None:
    with pytest.raises(
        UserError, match=r"^q\.txt has no questions: put one question per line \(lines starting with # are skipped\)\.$"
    ):
        parse_question_file("q.txt", data)


def test_question_count_limit_is_exact() -> None:
    twelve = "".join(f"Question {n}?\n" for n in range(1, MAX_QUESTIONS + 1)).encode()
    assert len(parse_question_file("q.txt", twelve).questions) == MAX_QUESTIONS
    with pytest.raises(UserError) as raised:
        parse_question_file("q.txt", twelve + b"One more?\n")
    assert str(raised.value) == (
        "q.txt has 13 questions but a session holds at most 12: remove 1 or split them over two sessions."
    )


def test_over_long_line_is_named_by_its_line_number() -> None:
    data = b"# heading\n\nFine?\n" + b"x" * 342 + b"\n"
    with pytest.raises(UserError) as raised:
        parse_question_file("q.txt", data)
    assert str(raised.value) == "Line 4 of q.txt is 342 characters; keep it to 300 or fewer."


def test_line_with_only_numbering_is_named_by_its_line_number() -> None:
    with pytest.raises(UserError, match=r"^Line 2 of q\.md has numbering but no question: write the question"):
        parse_question_file("q.md", b"- Fine?\n- Q2:\n")


def test_line_at_the_length_limit_is_accepted() -> None:
    assert parse_question_file("q.txt", b"1. " + b"x" * MAX_QUESTION_LENGTH).questions == ["x" * MAX_QUESTION_LENGTH]


# --- TOML files -----------------------------------------------------------------------------------


def test_example_file_is_a_valid_six_question_set_with_topic_and_guest() -> None:
    result = parse_question_file(EXAMPLE.name, EXAMPLE.read_bytes())
    assert result.topic == "Starting over in a new city"
    assert result.guest
    assert len(result.questions) == 6
    # The example must itself follow its advice: unnumbered, within the limits, no duplicates.
    assert all(question == clean_question(question) for question in result.questions)
    assert len(set(result.questions)) == 6


def test_toml_with_topic_and_guest() -> None:
    data = b'topic = "Moving"\nguest = "Maya"\nquestions = ["Why?", "Q2: How?"]\n'
    assert parse_question_file("s.toml", data) == QuestionSet("Moving", "Maya", ["Why?", "How?"])


def test_toml_topic_and_guest_are_optional_and_blank_means_none() -> None:
    assert parse_question_file("s.toml", b'questions = ["Why?"]\n') == QuestionSet(None, None, ["Why?"])
    assert parse_question_file("s.toml", b'topic = "  "\nquestions = ["Why?"]\n').topic is None


def test_toml_multiline_array_and_line_breaks_in_strings() -> None:
    data = b'questions = [\n  "First\\nline?",\n  """Second\nquestion?""",\n]\n'
    assert parse_question_file("s.toml", data).questions == ["First line?", "Second question?"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'questions = ["Why?"\n', "s.toml is not valid TOML at the end of the file"),
        (b'topic = "x"\nquestions = [Why?]\n', "s.toml is not valid TOML on line 2"),
        (b'questions = ["a"]\nquestions = ["b"]\n', "s.toml is not valid TOML"),
    ],
)
def test_invalid_toml_names_the_line_and_says_to_fix_it(data: bytes, expected: str) -> None:
    with pytest.raises(UserError) as raised:
        parse_question_file("s.toml", data)
    message = str(raised.value)
    assert message.startswith(expected)
    assert message.endswith(": fix it and upload the file again.")
    assert "(at line" not in message  # tomllib's own position suffix is rephrased, not repeated


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'topic = "x"\n', r"needs a questions list in square brackets, like questions = \["),
        (b'questions = "Why?"\n', r"needs a questions list in square brackets"),
        (b"questions = []\n", r"^s\.toml has no questions: list them like questions = \["),
        (b'questions = ["Why?", 3]\n', r"^Question 2 in s\.toml is not text: put each question in double quotes\.$"),
        (b'questions = ["Why?", " "]\n', r"^Question 2 in s\.toml is empty: write the question there or delete it\.$"),
        (b'questions = ["Why?", "Q2:"]\n', r"^Question 2 in s\.toml has numbering but no question"),
        (
            b'questions = ["Why?"]\nquestion = ["How?"]\n',
            r"unknown key 'question': use only questions, topic and guest",
        ),
        (b'[[session]]\nquestions = ["Why?"]\n', r"unknown key 'session'"),
        (b'topic = 5\nquestions = ["Why?"]\n', r'^topic in s\.toml must be text in quotes, like topic = "'),
        (b'guest = ["a"]\nquestions = ["Why?"]\n', r"^guest in s\.toml must be text in quotes"),
    ],
)
def test_toml_shape_errors_say_what_to_write(data: bytes, expected: str) -> None:
    with pytest.raises(UserError, match=expected):
        parse_question_file("s.toml", data)


def test_toml_question_errors_name_the_question_number() -> None:
    data = toml_list(["Fine?", "Fine too?", "x" * 301]).encode()
    with pytest.raises(UserError) as raised:
        parse_question_file("s.toml", data)
    assert str(raised.value) == "Question 3 in s.toml is 301 characters; keep it to 300 or fewer."


def test_toml_question_count_limit_is_exact() -> None:
    twelve = [f"Question {n}?" for n in range(1, MAX_QUESTIONS + 1)]
    assert parse_question_file("s.toml", toml_list(twelve).encode()).questions == twelve
    with pytest.raises(UserError, match=r"^s\.toml has 13 questions but a session holds at most 12"):
        parse_question_file("s.toml", toml_list([*twelve, "More?"]).encode())


@pytest.mark.parametrize(("key", "limit"), [("topic", MAX_TOPIC_LENGTH), ("guest", MAX_GUEST_LENGTH)])
def test_toml_topic_and_guest_length_limits_are_exact(key: str, limit: int) -> None:
    ok = f'{key} = "{"t" * limit}"\nquestions = ["Why?"]\n'.encode()
    assert getattr(parse_question_file("s.toml", ok), key) == "t" * limit
    too_long = f'{key} = "{"t" * (limit + 1)}"\nquestions = ["Why?"]\n'.encode()
    with pytest.raises(UserError, match=rf"^The {key} in s\.toml is {limit + 1} characters; keep it to {limit}"):
        parse_question_file("s.toml", too_long)


def test_question_set_is_frozen() -> None:
    result = parse_question_file("q.txt", b"Why?\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.topic = "x"  # type: ignore[misc]


# --- renumbering helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (None, ["one?", "two?", "three?", "four?", "five?", "new?"]),
        (1, ["new?", "one?", "two?", "three?", "four?", "five?"]),
        (3, ["one?", "two?", "new?", "three?", "four?", "five?"]),
        (6, ["one?", "two?", "three?", "four?", "five?", "new?"]),
    ],
)
def test_insert_question(position: int | None, expected: list[str]) -> None:
    original = list(FIVE)
    assert insert_question(original, "Q9: new?", position) == expected
    assert original == FIVE  # the caller's list is not modified


@pytest.mark.parametrize("position", [0, 7, -1])
def test_insert_question_out_of_range_names_the_positions(position: int) -> None:
    with pytest.raises(UserError) as raised:
        insert_question(FIVE, "new?", position)
    assert str(raised.value) == (
        f"Can't add a question at position {position}: this session has 5 questions, "
        "so pick 1 to 6 (6 adds it at the end)."
    )


def test_insert_into_an_empty_session() -> None:
    assert insert_question([], "First?") == ["First?"]
    assert insert_question([], "First?", 1) == ["First?"]
    with pytest.raises(UserError, match=r"has 0 questions, so pick 1 \(1 adds it at the end\)"):
        insert_question([], "First?", 2)


def test_insert_question_count_limit_is_exact() -> None:
    eleven = [f"q{n}?" for n in range(1, MAX_QUESTIONS)]
    assert len(insert_question(eleven, "twelfth?")) == MAX_QUESTIONS
    with pytest.raises(UserError, match=r"^This session already has 12 questions, .*: remove one before adding"):
        insert_question([*eleven, "twelfth?"], "thirteenth?")


def test_insert_and_edit_validate_the_text() -> None:
    with pytest.raises(UserError, match="can't be empty"):
        insert_question(FIVE, "Q6:")
    with pytest.raises(UserError, match="keep it to 300"):
        edit_question(FIVE, 1, "x" * 301)


def test_edit_question() -> None:
    assert edit_question(FIVE, 2, " - Better two? ") == ["one?", "Better two?", "three?", "four?", "five?"]


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, ["two?", "three?", "four?", "five?"]), (5, ["one?", "two?", "three?", "four?"])],
)
def test_remove_question(number: int, expected: list[str]) -> None:
    original = list(FIVE)
    assert remove_question(original, number) == expected
    assert original == FIVE


def test_remove_only_the_numbered_duplicate() -> None:
    assert remove_question(["same?", "other?", "same?"], 3) == ["same?", "other?"]


@pytest.mark.parametrize(
    ("number", "to", "expected"),
    [
        (1, 3, ["two?", "three?", "one?", "four?", "five?"]),
        (5, 1, ["five?", "one?", "two?", "three?", "four?"]),
        (2, 5, ["one?", "three?", "four?", "five?", "two?"]),
        (3, 3, FIVE),
    ],
)
def test_move_question(number: int, to: int, expected: list[str]) -> None:
    original = list(FIVE)
    assert move_question(original, number, to) == expected
    assert original == FIVE


@pytest.mark.parametrize(
    "call",
    [
        lambda qs, n: edit_question(qs, n, "x?"),
        lambda qs, n: remove_question(qs, n),
        lambda qs, n: move_question(qs, n, 1),
    ],
    ids=["edit", "remove", "move"],
)
@pytest.mark.parametrize("number", [0, 6, 7, -1])
def test_unknown_question_number_names_the_valid_range(
    call: Callable[[list[str], int], list[str]], number: int
) -> None:
    with pytest.raises(UserError) as raised:
        call(FIVE, number)
    assert str(raised.value) == f"There is no Q{number}: this session has 5 questions (Q1–Q5)."


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        ([], "There is no Q1: this session has no questions yet, so add one first."),
        (["only?"], "There is no Q1: this session has 1 question (Q1)."),
    ],
)
def test_unknown_question_number_in_small_sessions(questions: list[str], expected: str) -> None:
    number = 1 if not questions else 1 + len(questions)
    with pytest.raises(UserError) as raised:
        remove_question(questions, number)
    assert str(raised.value) == expected.replace("Q1:", f"Q{number}:", 1)


@pytest.mark.parametrize("to", [0, 6])
def test_move_to_out_of_range_names_the_positions(to: int) -> None:
    with pytest.raises(UserError) as raised:
        move_question(FIVE, 2, to)
    assert str(raised.value) == f"Can't move Q2 to position {to}: this session has 5 questions, so pick 1 to 5."


def test_the_question_listing_at_its_maxima_stays_within_discords_embed_limits() -> None:
    # Written by hand: 4096 a description, 6000 across a message's embeds (Discord's Embed limits).
    questions = [f"{n:02d}" + "q" * (MAX_QUESTION_LENGTH - 2) for n in range(MAX_QUESTIONS)]
    pages = question_listing("h" * 50, datetime(2026, 3, 11, 1, 0, tzinfo=UTC), "t" * MAX_TOPIC_LENGTH,
                             "g" * MAX_GUEST_LENGTH, questions)
    assert len("\n".join(pages)) > 4096  # all of it would not fit in one description
    assert all(len(page) <= 4096 for page in pages)
    assert sum(len(page) for page in pages) <= 6000
    assert "\n".join(pages).endswith("\n".join(f"**Q{n}:** {q}" for n, q in enumerate(questions, 1)))


def test_a_short_question_listing_is_one_description() -> None:
    pages = question_listing("GetRealChat", datetime(2026, 3, 11, 1, 0, tzinfo=UTC), "Moving", None, ["Why?"])
    assert pages == ["**#GetRealChat** <t:1773190800:F> (<t:1773190800:R>) — Moving\n**Q1:** Why?"]
    empty = question_listing("GetRealChat", datetime(2026, 3, 11, 1, 0, tzinfo=UTC), None, "Dana", [])
    assert empty == ["**#GetRealChat** <t:1773190800:F> (<t:1773190800:R>)\nGuest: Dana\nNo questions yet: add "
                     "them with `/chat questions add` or `/chat questions import`."]
