"""One bot process per database: a lock file beside it, held for as long as the bot runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl


class AlreadyRunning(Exception):
    """Another process holds the database's lock; the message says which and what to do."""


@contextmanager
def instance_lock(database: Path | str) -> Iterator[None]:
    """Hold `<database>.lock` exclusively, or raise AlreadyRunning at once if another process holds it."""
    path = Path(f"{Path(database).expanduser()}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    # "a+" so a running holder's pid is not wiped before we know whether we may take the lock.
    handle = path.open("a+", encoding="utf-8")
    try:
        handle.seek(0)  # Windows locks bytes from the current position: every process must lock the same one
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunning(f"another Heartbeat (process {holder}) is already running on {database}: "
                                 "stop it first, or give this one its own DATABASE_PATH.")
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        # Closing the handle releases the lock; the file stays, since removing it could race a new holder.
        handle.close()


def _try_lock(handle: IO[str]) -> bool:
    """Take an exclusive, non-blocking lock on the open file: True if taken."""
    if sys.platform == "win32":
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
