"""Full-text search on both databases (kb.search, docs/search.md).

PostgreSQL: the unaccent extension (postgresql-contrib); Porter's English stemmer without stop
words (as SQLite's FTS5 `porter` tokenizer, so both stem alike); two text search
configurations, `kb_stem` (unaccent, then the stemmer) and `kb_exact` (unaccent only); and
`kb_search_words(text)`, the text's letters and digits with everything else a space, by a
regular expression of code point ranges that does not depend on the database's locale.

Both databases: the indexes, views and triggers kb.search.index.sync() creates from the
declarations of kb.search.kinds (FTS5 tables on SQLite, GIN indexes on PostgreSQL), and the
state table whose names token tells processes when names change.
"""

from django.db import migrations

from kb.search import index
from kb.search.text import non_word_ranges

WORD_TYPES = "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart"


def _escape(code):
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def separators_pattern():
    # NUL cannot be in PostgreSQL text, so the first range starts after it.
    ranges = [(max(start, 1), end) for start, end in non_word_ranges() if end >= 1]
    return "[" + "".join(_escape(start) if start == end else f"{_escape(start)}-{_escape(end)}" for start, end in ranges) + "]+"


def configure(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in (
            "CREATE EXTENSION IF NOT EXISTS unaccent",
            "CREATE TEXT SEARCH DICTIONARY kb_porter (TEMPLATE = snowball, LANGUAGE = porter)",
            "CREATE TEXT SEARCH CONFIGURATION kb_stem (COPY = simple)",
            f"ALTER TEXT SEARCH CONFIGURATION kb_stem ALTER MAPPING FOR {WORD_TYPES} WITH unaccent, kb_porter",
            "CREATE TEXT SEARCH CONFIGURATION kb_exact (COPY = simple)",
            f"ALTER TEXT SEARCH CONFIGURATION kb_exact ALTER MAPPING FOR {WORD_TYPES} WITH unaccent, simple",
            f"CREATE FUNCTION {index.WORDS_FUNCTION}(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
            f"AS $$ SELECT regexp_replace($1, '{separators_pattern()}', ' ', 'g') $$",
        ):
            schema_editor.execute(statement)
    index.sync(connection, rebuild=True)


def unconfigure(apps, schema_editor):
    connection = schema_editor.connection
    index.drop(connection)
    if connection.vendor == "postgresql":
        for statement in (
            f"DROP FUNCTION IF EXISTS {index.WORDS_FUNCTION}(text)",
            "DROP TEXT SEARCH CONFIGURATION IF EXISTS kb_exact",
            "DROP TEXT SEARCH CONFIGURATION IF EXISTS kb_stem",
            "DROP TEXT SEARCH DICTIONARY IF EXISTS kb_porter",
        ):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("kb", "0017_source_lineage_root_set_null")]

    operations = [migrations.RunPython(configure, unconfigure)]
