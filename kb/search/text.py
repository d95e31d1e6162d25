"""Words as search sees them: runs of letters and digits, the same in Python and in both databases.

A record's `search_text` is its words joined by spaces (`words_of`). Both indexes split text the
same way: SQLite's FTS5 tokenizer keeps letters and digits only (`categories 'L* N*'`), and on
PostgreSQL `kb_search_words()` (migration 0104) replaces everything else by spaces before
PostgreSQL's own parser, whose rules (hyphenated words, URLs, e-mail addresses, numbers with
dots, and in the C locale any non-ASCII character) would otherwise split text differently.
"""

import re
import unicodedata

# Letters and digits; punctuation and underscores separate words.
WORD = re.compile(r"[^\W_]+")


def words_of(*parts):
    """The words of the non-empty parts, joined by single spaces: what `search_text` stores."""
    return " ".join(WORD.findall(" ".join(part for part in parts if part)))


def fold(word):
    """A word compared without case or accents: "Müller", "MULLER" and "muller" fold alike."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def folded_words(text):
    """The folded words of `text`, in order."""
    return tuple(fold(word) for word in WORD.findall(unicodedata.normalize("NFC", text or "")))


def non_word_ranges():
    """Code point ranges of the characters that are not letters or digits (WORD's separators),
    for a regular expression that does not depend on the database's locale."""
    ranges, start = [], None
    for code in range(0x110000):
        separator = not (chr(code).isalnum() and chr(code) != "_") and not 0xD800 <= code <= 0xDFFF
        if separator and start is None:
            start = code
        elif not separator and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, 0x10FFFF))
    return ranges
