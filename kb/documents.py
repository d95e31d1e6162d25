"""A source's document as curators give it and as the curated file names its parts.

A document comes as an uploaded file or as pasted text. Either way it is UTF-8 text, with its
line ends stored as "\\n" (as the fixture build reads a file, and as a browser's text box does
not send them), and it is stored exactly so: citations point into it by offset.

A part that is not the publisher's (a reposter's header, reader comments) is located by its
text, as `fixtures/kb.yaml` writes it and kb.fixture_build reads it:

- `quote`: the part's exact text (the `occurrence`th occurrence, 1 by default);
- `from`: a marker, the part running from it to the end of the document (reader comments).

`locate_part()` turns either into offsets; `describe_part()` is its inverse, for the export.
"""

import re

from django.core.exceptions import ValidationError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_SUFFIX = ".txt"
# Control characters no text document holds (tab, line feed, form feed and carriage return are text).
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# A file name in the documents folder: no folders, not hidden.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")


def normalize_text(text):
    """The text as stored: "\\n" line ends, no byte-order mark."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def check_text(text):
    """Refuse a text with characters no document holds (a NUL, other control characters)."""
    found = _BINARY.search(text)
    if found:
        raise ValidationError(
            f"This is binary, not text: it holds the control character {found.group()!r} at character "
            f"{found.start()}. Give the document as plain text."
        )


def decode_document(data):
    """The text of an uploaded document's bytes, normalized; ValidationError unless UTF-8 text."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValidationError(f"The file is {len(data):,} bytes; a document may have at most {MAX_DOCUMENT_BYTES:,}.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError("This file is UTF-16 text, not UTF-8. Save it as UTF-8 and upload it again.")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ValidationError(
            f"This file is binary, not UTF-8 text (it holds a NUL byte at byte {nul}). "
            "Upload the document as a UTF-8 .txt file."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"This file is not UTF-8 text: byte 0x{data[error.start]:02X} at byte {error.start} is not UTF-8 "
            "(perhaps Latin-1 or Windows-1252, or UTF-16). Save it as UTF-8 and upload it again."
        ) from None
    text = normalize_text(text)
    check_text(text)
    if not text.strip():
        raise ValidationError("This file is empty: a document has text.")
    return text


def check_file_name(name):
    """Refuse a file name that is not a plain name in the documents folder (no folders, not hidden)."""
    if not _FILE_NAME.match(name or ""):
        raise ValidationError(
            f"{name!r} is not a plain file name: use letters, digits, '_', '-' and '.', starting with a letter "
            "or digit, at most 200 characters, with no folders (e.g. 005_herald-follow-up.txt)."
        )


def file_name_of_upload(name):
    """The `file_name` an uploaded file gives a source: its own name, without any folder."""
    return re.split(r"[\\/]", name or "")[-1]


def default_file_name(slug):
    return f"{slug}{DOCUMENT_SUFFIX}"


def nth(text, needle, occurrence=1):
    """Offset of the `occurrence`th occurrence of `needle` in `text` (overlapping ones count), or None."""
    position = -1
    for _ in range(max(int(occurrence or 1), 1)):
        position = text.find(needle, position + 1)
        if position < 0:
            return None
    return position


def occurrence_at(text, needle, start):
    """Which occurrence of `needle` in `text` begins at `start` (1 for the first)."""
    number, position = 1, text.find(needle)
    while 0 <= position < start:
        number += 1
        position = text.find(needle, position + 1)
    return number


def locate_part(text, quote=None, from_marker=None, occurrence=None):
    """(start, end) of a part given by its `quote` or by a `from` marker (to the end of the text).

    ValidationError naming `quote`, `from` or `occurrence` when it is not in the text."""
    if bool(quote) == bool(from_marker):
        raise ValidationError({"quote": "Give the part's text (quote), or where it starts (from) to run to the end."})
    field, needle = ("quote", quote) if quote else ("from", from_marker)
    start = nth(text, needle, occurrence or 1)
    if start is None:
        count = text.count(needle)
        if count and occurrence:
            raise ValidationError(
                {"occurrence": f"{needle[:60]!r} occurs {count} time(s) in the text, not {occurrence}."}
            )
        raise ValidationError({field: f"{needle[:80]!r} is not in the document's text (it must be verbatim)."})
    return start, (start + len(needle) if quote else len(text))


def describe_part(text, start, end):
    """The part at [start:end] as the curated file writes it: {"quote"} or, for a part that runs to
    the end of the text, {"from": its first line}; with `occurrence` when that text occurs more
    than once (so a reader sees which one is meant)."""
    if end == len(text):
        marker = text[start:end].split("\n", 1)[0]
        if marker:
            described = {"from": marker}
            if nth(text, marker, 2) is not None:
                described["occurrence"] = occurrence_at(text, marker, start)
            return described
    quote = text[start:end]
    described = {"quote": quote}
    if nth(text, quote, 2) is not None:
        described["occurrence"] = occurrence_at(text, quote, start)
    return described


def evidence_occurrence(source, quote, start):
    """Which occurrence of `quote` outside the source's non-publisher parts begins at `start`, or None."""
    number, position = 1, source.find_evidence(quote)
    while 0 <= position < start:
        number += 1
        position = source.find_evidence(quote, position + 1)
    return number if position == start else None
