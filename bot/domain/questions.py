"""A session's questions: cleaning what hosts paste, reading question files, and renumbering.

Hosts prepare questions ahead and often paste them already numbered ("Q1: …", "1. …", "- …"); the bot
numbers them itself when it posts ("Q1: … #GetRealChat"), so the pasted numbering is removed.

Question files (uploaded to the bot):

* ``.txt`` / ``.md``: one question per line. Blank lines and lines starting with ``#`` (comments and
  markdown headings) are ignored; list markers (``- ``, ``* ``, ``+ ``, ``1. ``, ``1) ``) and ``Q1:``
  numbering are removed. Topic and guest are not read from these files.
* ``.toml``: one set of questions per file, with only these top-level keys::

      topic = "Starting over in a new city"   # optional
      guest = "Maya (@mayamoves)"             # optional
      questions = [                           # required, 1 to MAX_QUESTIONS entries
          "What made you decide to move?",
          "What surprised you most in your first month?",
      ]

  Any other key or table (such as ``[[session]]``) is refused, so a typo cannot silently drop data.
  See config/questions/example.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from bot.domain.errors import UserError
from bot.domain.text import excerpt, require_visible

# Questions are posted as "Q1: <question> #Hashtag"; 300 keeps that readable and far below Discord's
# 2000-character message limit even with a long hashtag.
MAX_QUESTION_LENGTH = 300
# A one-hour chat fits 5-8 questions; 12 leaves room for longer chats without inviting a paste accident.
MAX_QUESTIONS = 12
MAX_TOPIC_LENGTH = 200
MAX_GUEST_LENGTH = 100
# Twelve 300-character questions plus comments are a few KB; anything far bigger is the wrong file.
MAX_FILE_BYTES = 64_000

TEXT_EXTENSIONS = (".txt", ".md")
TOML_EXTENSIONS = (".toml",)
_TOML_KEYS = ("questions", "topic", "guest")
_FILE_TYPES = "upload a .txt or .md file with one question per line, or a .toml file"

# Markdown emphasis people wrap a pasted "Q1:" in ("**Q1:**", "*Q1*:", "__Q1__").
_WRAP = r"(?:\*{1,3}|_{1,2})?"
# Punctuation that ends a "Q1" marker; "Q1.5" and "Q1-rated" are not markers.
_PUNCT = r"(?:[:.)\]–—](?![0-9])|-(?=\s|$))"
# "Q1:", "Q1.", "Q1)", "Q1 -", "Q 1:", "**Q1:**", or "Q1" followed by a space or the end.
_Q_MARKER = re.compile(rf"{_WRAP}Q ?[0-9]{{1,3}}{_WRAP}\s*(?:{_PUNCT}{_WRAP}\s*|(?<=\s)|$)", re.IGNORECASE)
# A markdown list marker: "- ", "* ", "+ ", "• ", "1. ", "1) " (a space or the end must follow, so "1.5" stays).
_LIST_MARKER = re.compile(r"(?:[-*+•]|[0-9]{1,3}[.)])(?:\s+|$)")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


@dataclass(frozen=True)
class QuestionSet:
    """Questions read from a file, with the optional topic and guest a .toml file may name."""

    topic: str | None
    guest: str | None
    questions: list[str]


def _strip_numbering(text: str) -> str:
    """Join lines with spaces, trim, and drop one leading list marker and one "Q1:" marker."""
    cleaned = _LINE_BREAKS.sub(" ", text).strip()
    if match := _LIST_MARKER.match(cleaned):
        cleaned = cleaned[match.end() :]
    if match := _Q_MARKER.match(cleaned):
        cleaned = cleaned[match.end() :]
    return cleaned.strip()


def _too_long(length: int) -> str:
    """The advice part of an over-long question message."""
    return f"{length} characters; keep it to {MAX_QUESTION_LENGTH} or fewer"


def clean_question(text: str) -> str:
    """Return the question without pasted numbering or line breaks, or raise UserError if empty or too long."""
    cleaned = _strip_numbering(text)
    if not cleaned:
        raise UserError("A question can't be empty: type the question itself, such as “What made you move?”.")
    if len(cleaned) > MAX_QUESTION_LENGTH:
        raise UserError(f"That question is {_too_long(len(cleaned))}.")
    return require_visible(cleaned, "question")


def _checked(text: str, where: str) -> str:
    """Clean a question found at `where` ("Line 4 of q.txt"), naming that place in any error."""
    cleaned = _strip_numbering(text)
    if not text.strip():
        raise UserError(f"{where} is empty: write the question there or delete it.")
    if not cleaned:
        raise UserError(f"{where} has numbering but no question: write the question after it or delete it.")
    if len(cleaned) > MAX_QUESTION_LENGTH:
        raise UserError(f"{where} is {_too_long(len(cleaned))}.")
    return require_visible(cleaned, "question")


def _check_count(count: int, name: str, how: str) -> None:
    """Refuse a file with no questions (`how` says how to write them) or more than a session can hold."""
    if count == 0:
        raise UserError(f"{name} has no questions: {how}.")
    if count > MAX_QUESTIONS:
        raise UserError(
            f"{name} has {count} questions but a session holds at most {MAX_QUESTIONS}: "
            f"remove {count - MAX_QUESTIONS} or split them over two sessions."
        )


def _parse_lines(name: str, text: str) -> QuestionSet:
    """Read one question per line, skipping blank lines and lines starting with #."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            found.append((number, stripped))
    _check_count(len(found), name, "put one question per line (lines starting with # are skipped)")
    return QuestionSet(None, None, [_checked(question, f"Line {number} of {name}") for number, question in found])


_TOML_POSITION = re.compile(r"\s*\(at (?:line (?P<line>[0-9]+), column [0-9]+|(?P<end>end of document))\)")


def _describe_toml_error(error: tomllib.TOMLDecodeError) -> tuple[str, str]:
    """Split tomllib's message into where (" on line 3", " at the end of the file" or "") and what."""
    message = str(error)
    where = ""
    if position := _TOML_POSITION.search(message):
        where = f" on line {position['line']}" if position["line"] else " at the end of the file"
        message = message[: position.start()] + message[position.end() :]
    message = message.strip().rstrip(".")
    return where, message[:1].lower() + message[1:]


def _toml_label(data: dict[str, Any], key: str, name: str, limit: int) -> str | None:
    """Return an optional one-line text value (topic, guest), or None when missing or blank."""
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, str):
        raise UserError(f'{key} in {name} must be text in quotes, like {key} = "Starting over in a new city".')
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        raise UserError(f"The {key} in {name} is {len(cleaned)} characters; keep it to {limit} or fewer.")
    return require_visible(cleaned, key) or None


def _parse_toml(name: str, text: str) -> QuestionSet:
    """Read the documented questions/topic/guest format."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where, problem = _describe_toml_error(error)
        raise UserError(f"{name} is not valid TOML{where} ({problem}): fix it and upload the file again.") from None
    except RecursionError:
        # tomllib parses nested arrays and tables recursively; a hostile file can nest them thousands deep.
        raise UserError(f"{name} nests lists or tables too deeply: a question file is one flat list, "
                        'like questions = ["What made you move?"].') from None
    unknown = [key for key in data if key not in _TOML_KEYS]
    if unknown:
        raise UserError(
            f"{name} has an unknown key '{excerpt(unknown[0])}': use only questions, topic and guest, one set per file."
        )
    questions = data.get("questions")
    if not isinstance(questions, list):
        raise UserError(f'{name} needs a questions list in square brackets, like questions = ["What made you move?"].')
    _check_count(len(questions), name, 'list them like questions = ["What made you move?", "What surprised you?"]')
    cleaned: list[str] = []
    for number, question in enumerate(questions, start=1):
        where = f"Question {number} in {name}"
        if not isinstance(question, str):
            raise UserError(f"{where} is not text: put each question in double quotes.")
        cleaned.append(_checked(question, where))
    return QuestionSet(
        _toml_label(data, "topic", name, MAX_TOPIC_LENGTH),
        _toml_label(data, "guest", name, MAX_GUEST_LENGTH),
        cleaned,
    )


def parse_question_file(filename: str, data: bytes) -> QuestionSet:
    """Read an uploaded .txt, .md or .toml question file into a QuestionSet, or raise UserError."""
    path = PurePosixPath(filename.replace("\\", "/"))
    name = excerpt(path.name) if path.name else "That file"
    suffix = path.suffix.lower()
    if suffix not in TEXT_EXTENSIONS + TOML_EXTENSIONS:
        raise UserError(f"{name} is not a question file I can read: {_FILE_TYPES}.")
    if len(data) > MAX_FILE_BYTES:
        raise UserError(
            f"{name} is {len(data):,} bytes, too big for a question file: keep it under {MAX_FILE_BYTES:,} bytes."
        )
    try:
        # utf-8-sig drops the byte-order mark Windows editors put at the start.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UserError(
            f"Line {line} of {name} is not UTF-8 text: save the file as UTF-8 and upload it again."
        ) from None
    if suffix in TOML_EXTENSIONS:
        return _parse_toml(name, text)
    return _parse_lines(name, text)


def _no_such_question(number: int, count: int) -> UserError:
    """The error for a question number outside 1..count, naming the valid range."""
    if count == 0:
        return UserError(f"There is no Q{number}: this session has no questions yet, so add one first.")
    if count == 1:
        return UserError(f"There is no Q{number}: this session has 1 question (Q1).")
    return UserError(f"There is no Q{number}: this session has {count} questions (Q1–Q{count}).")


def _index(questions: Sequence[str], number: int) -> int:
    """Turn a 1-based question number into a list index, or raise UserError naming the valid range."""
    if not 1 <= number <= len(questions):
        raise _no_such_question(number, len(questions))
    return number - 1


def _positions(count: int) -> str:
    """Describe the positions 1..count ("1", "1 to 5")."""
    return "1" if count == 1 else f"1 to {count}"


def insert_question(questions: Sequence[str], text: str, position: int | None = None) -> list[str]:
    """Return a new list with `text` cleaned and inserted as question `position` (1-based; None = at the end)."""
    count = len(questions)
    if count >= MAX_QUESTIONS:
        raise UserError(
            f"This session already has {count} questions, the most it can hold: remove one before adding another."
        )
    if position is not None and not 1 <= position <= count + 1:
        raise UserError(
            f"Can't add a question at position {position}: this session has {count} "
            f"question{'' if count == 1 else 's'}, so pick {_positions(count + 1)} ({count + 1} adds it at the end)."
        )
    cleaned = clean_question(text)
    result = list(questions)
    result.insert(count if position is None else position - 1, cleaned)
    return result


def edit_question(questions: Sequence[str], number: int, text: str) -> list[str]:
    """Return a new list with question `number` (1-based) replaced by `text`, cleaned."""
    index = _index(questions, number)
    result = list(questions)
    result[index] = clean_question(text)
    return result


def remove_question(questions: Sequence[str], number: int) -> list[str]:
    """Return a new list without question `number` (1-based); later questions move up one."""
    index = _index(questions, number)
    return [question for i, question in enumerate(questions) if i != index]


def move_question(questions: Sequence[str], number: int, to: int) -> list[str]:
    """Return a new list with question `number` moved so that it becomes question `to` (both 1-based)."""
    index = _index(questions, number)
    count = len(questions)
    if not 1 <= to <= count:
        raise UserError(
            f"Can't move Q{number} to position {to}: this session has {count} "
            f"question{'' if count == 1 else 's'}, so pick {_positions(count)}."
        )
    result = list(questions)
    result.insert(to - 1, result.pop(index))
    return result


# Discord refuses an embed description past 4096 characters (and 6000 across a message's embeds).
EMBED_DESCRIPTION_LIMIT = 4096


def question_listing(hashtag: str, starts_at: datetime, topic: str | None, guest: str | None,
                     questions: Sequence[str]) -> list[str]:
    """A session's questions as hosts see them: embed descriptions of at most 4096 characters, never splitting a line.

    At the maxima (a 50-character hashtag, a 200-character topic, a 100-character guest and twelve 300-character
    questions) the list is about 4100 characters: it goes on in a second description, well within the 6000 that a
    message's embeds may hold together.
    """
    stamp = int(starts_at.timestamp())
    head = f"**#{hashtag}** <t:{stamp}:F> (<t:{stamp}:R>)"
    if topic:
        head += f" — {topic}"
    if guest:
        head += f"\nGuest: {guest}"
    if not questions:
        return [head + "\nNo questions yet: add them with `/chat questions add` or `/chat questions import`."]
    pages = [head]
    for number, text in enumerate(questions, 1):
        line = f"**Q{number}:** {text}"
        if len(pages[-1]) + 1 + len(line) > EMBED_DESCRIPTION_LIMIT:
            pages.append(line)
        else:
            pages[-1] += "\n" + line
    return pages
