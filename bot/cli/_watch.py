"""The database file, watched while the bot runs: deleted or replaced underneath it, the bot stops and says so.

SQLite keeps writing to a file it has open even after the file was deleted, so without this a removed data
folder would go unnoticed until the next start quietly created an empty database in its place. A note left
where the database was (`<database>.lost`) makes the next start refuse instead, until someone decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

# How often the file is looked at: a stat call, cheap enough to do often.
CHECK_SECONDS = 2.0


class DatabaseLost(Exception):
    """The database was deleted or replaced; the message says what happened and what to do."""


def lost_note(database: Path | str) -> Path:
    """Where the note about a lost database is left."""
    return Path(f"{Path(database).expanduser()}.lost")


def identity(database: Path | str) -> tuple[int, int] | None:
    """The file's device and inode, or None if it is not there."""
    try:
        stat = Path(database).expanduser().stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


def refuse_if_lost(database: Path | str) -> None:
    """Raise DatabaseLost if a previous run found this database gone and nobody has decided what to do yet."""
    note = lost_note(database)
    if note.exists():
        raise DatabaseLost(f"{note.read_text(encoding='utf-8').strip()} Restore the database to {database} from a "
                           f"backup, or delete {note} to start with an empty database.")


async def watch(database: Path | str, opened: Callable[[], bool]) -> str:
    """Return (with a sentence) once the database file is gone or another file stands at its path.

    `opened` says whether the bot is connected (its database was opened before that): until then a missing file
    is simply not created yet; after that it was deleted.
    """
    expected = identity(database)
    # Polling on purpose: no portable event says "this file was unlinked".
    while expected is None and not opened():
        await asyncio.sleep(CHECK_SECONDS)
        expected = identity(database)
    while expected is not None and identity(database) == expected:  # noqa: ASYNC110
        await asyncio.sleep(CHECK_SECONDS)
    gone = "deleted" if identity(database) is None else "replaced by another file"
    sentence = (f"The database at {database} was {gone} while the bot was running "
                f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC); the bot stopped so nothing more was written into "
                "a file nobody can see.")
    note = lost_note(database)
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(sentence + "\n", encoding="utf-8")
    return sentence
