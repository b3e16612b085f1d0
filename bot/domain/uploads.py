"""Files a post attaches, kept within Discord's upload limits: what does not fit is compressed, else left out.

Discord refuses a whole message (its text included) when one file is over 10 MiB or all of them together over
25 MiB (a server without boosts), so a post's text must never depend on its attachments fitting.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

MIB = 1024 * 1024
FILE_LIMIT = 10 * MIB
REQUEST_LIMIT = 25 * MIB
MESSAGE_LIMIT = 2000


@dataclass(frozen=True)
class Upload:
    """One file to attach: its name and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Fitted:
    """The files that fit one message, and the names of those left out."""

    uploads: tuple[Upload, ...]
    left_out: tuple[str, ...]


def fit_uploads(uploads: list[Upload], *, file_limit: int = FILE_LIMIT,
                request_limit: int = REQUEST_LIMIT) -> Fitted:
    """The files within the limits: one too big is gzipped (".gz"), else left out; then the largest go until all fit."""
    kept: list[Upload] = []
    left_out: list[str] = []
    for upload in uploads:
        if len(upload.data) > file_limit:
            # mtime=0: the same transcript compresses to the same bytes.
            upload = Upload(upload.filename + ".gz", gzip.compress(upload.data, mtime=0))
        if len(upload.data) > file_limit:
            left_out.append(upload.filename.removesuffix(".gz"))
        else:
            kept.append(upload)
    while sum(len(u.data) for u in kept) > request_limit:
        largest = max(kept, key=lambda u: len(u.data))
        kept.remove(largest)
        left_out.append(largest.filename.removesuffix(".gz"))
    return Fitted(tuple(kept), tuple(left_out))


def note_left_out(text: str, left_out: tuple[str, ...]) -> str:
    """The post's text, with a line saying which files were too big and how to get them, where it fits in 2000."""
    if not left_out:
        return text
    them = "it" if len(left_out) == 1 else "them"
    note = (f"\n-# {', '.join(left_out)}: too big to attach; whoever runs Heartbeat can save {them} with "
            "`python -m bot transcript`.")
    return text + note if len(text) + len(note) <= MESSAGE_LIMIT else text
