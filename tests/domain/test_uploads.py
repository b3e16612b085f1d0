"""Files kept within Discord's upload limits (10 MiB a file, 25 MiB a message), and the note for those left out."""

from __future__ import annotations

import gzip
import random

from bot.domain.uploads import MIB, Fitted, Upload, fit_uploads, note_left_out


def noise(size: int) -> bytes:
    """Bytes that do not compress (a seeded generator: the same every run)."""
    return random.Random(size).randbytes(size)


def test_files_within_the_limits_are_attached_as_they_are() -> None:
    files = [Upload("chat.md", b"x" * (10 * MIB)), Upload("chat.html", b"y" * 100)]
    assert fit_uploads(files) == Fitted(tuple(files), ())


def test_a_file_past_10_mib_is_compressed_when_that_makes_it_fit() -> None:
    html = b"&amp;" * (3 * MIB)  # 15 MiB of a long chat's escaped HTML
    fitted = fit_uploads([Upload("chat.md", b"md"), Upload("chat.html", html)])
    assert [u.filename for u in fitted.uploads] == ["chat.md", "chat.html.gz"]
    assert gzip.decompress(fitted.uploads[1].data) == html
    assert all(len(u.data) <= 10 * MIB for u in fitted.uploads) and fitted.left_out == ()


def test_a_file_that_does_not_compress_below_the_limit_is_left_out() -> None:
    fitted = fit_uploads([Upload("chat.md", b"md"), Upload("chat.html", noise(1000))], file_limit=999)
    assert [u.filename for u in fitted.uploads] == ["chat.md"]
    assert fitted.left_out == ("chat.html",)


def test_the_largest_files_are_left_out_until_the_rest_fit_one_message() -> None:
    files = [Upload("a.bin", noise(9 * MIB)), Upload("b.bin", noise(9 * MIB + 1)), Upload("c.bin", noise(8 * MIB))]
    fitted = fit_uploads(files)
    assert [u.filename for u in fitted.uploads] == ["a.bin", "c.bin"]
    assert fitted.left_out == ("b.bin",)
    assert sum(len(u.data) for u in fitted.uploads) <= 25 * MIB


def test_the_note_names_what_was_left_out_only_where_it_fits() -> None:
    assert note_left_out("recap", ()) == "recap"
    noted = note_left_out("recap", ("chat.html",))
    assert noted.startswith("recap\n-# chat.html: too big to attach;") and "save it with" in noted
    assert "save them with" in note_left_out("recap", ("chat.md", "chat.html"))
    full = "r" * 1990
    assert note_left_out(full, ("chat.html",)) == full  # the recap itself is never cut for the note
