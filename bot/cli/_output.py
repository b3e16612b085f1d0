"""What the subcommands share: refusals, UTF-8 output and finding the database a read-only command reads."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from bot.settings import Settings


def refuse(sentence: str) -> int:
    """Print the sentence as the command's answer to a mistake and return exit code 2."""
    print(f"heartbeat: {sentence}", file=sys.stderr)
    return 2


def fail(sentence: str) -> int:
    """Print the sentence as a failure that is not the user's mistake and return exit code 1."""
    print(f"heartbeat: {sentence}", file=sys.stderr)
    return 1


def write_stdout(text: str) -> None:
    """Write a transcript or report as UTF-8 whatever the console's encoding (emoji and names in any script)."""
    text = text if text.endswith("\n") else text + "\n"
    raw = getattr(sys.stdout, "buffer", None)
    if raw is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    raw.write(text.encode("utf-8"))
    raw.flush()


def existing_database(settings: Settings) -> Path | None:
    """The database file a read-only command should read, or None (after saying why) if there is none yet."""
    database = Path(settings.database_path).expanduser()
    # Checked before opening: opening storage would create an empty database, and a typo in DATABASE_PATH
    # would then look like a server with no chats and no newcomers.
    if not database.is_file():
        refuse(f"there is no database at {database} yet: run the bot first, or set DATABASE_PATH "
               "to the database it uses.")
        return None
    return database


def database_failure(path: Path | str, error: BaseException) -> str:
    """One sentence for a database that could not be opened: what is wrong with it and what to do."""
    path = Path(path).expanduser()
    if path.is_dir():
        return f"{path} is a folder, not a database file: set DATABASE_PATH to a file such as data/heartbeat.db."
    reason = str(error) or type(error).__name__
    if isinstance(error, OSError) and path.parent.is_dir() and (
            not os.access(path.parent, os.W_OK | os.X_OK)
            or (error.filename and Path(error.filename).parent == path.parent)):  # its lock or journal
        return (f"could not open the database at {path}: no file can be made in {path.parent} "
                f"({error.strerror or reason}). Set DATABASE_PATH to a file in a folder this user can write, "
                "such as data/heartbeat.db.")
    if isinstance(error, sqlite3.DatabaseError) and ("not a database" in reason or "malformed" in reason):
        return (f"{path} is not a usable Heartbeat database (SQLite says: {reason}); nothing in it was changed. "
                "Restore it from a backup, or move it aside to start with an empty one.")
    return f"could not open the database at {path}: {reason}"
