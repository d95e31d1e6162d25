"""Search that finds what journalists type, on PostgreSQL and SQLite alike (docs/search.md).

- kb.search.kinds: what each kind of record contributes to search, declared once (`KINDS`);
- kb.search.syntax: the query syntax (PostgreSQL's websearch_to_tsquery), read once for both databases;
- kb.search.index: the full-text indexes (FTS5 on SQLite, GIN on PostgreSQL) and their upkeep;
- kb.search.names: names in every spelling, typo tolerance, suggestions;
- kb.search.query: a query widened with names and run on a kind's index, its relevance, its passages;
- kb.search.signals: `search_text` kept current on every write.

`search(queryset, text)` is what lists, the admin and the benchmark's floor call.
"""

from django.db import connections

from kb.search import query as _query
from kb.search.kinds import KINDS, SEARCHABLE_MODELS, kind_of
from kb.search.signals import connect as _connect_signals
from kb.search.signals import deferred_refresh, refresh_search_text, search_text_of
from kb.search.syntax import MAX_CLAUSES
from kb.search.text import WORD, words_of

MAX_SEARCH_WORDS = MAX_CLAUSES
RELEVANCE = "search_relevance"

SYNTAX_HELP = (
    'Words all match, stemmed (`refuses` finds “refused”); a `"quoted phrase"` matches those words in that '
    'order, exactly as written; `-word` or `-"a phrase"` excludes; `OR` joins alternatives, loosest '
    "(`a b OR c` is a and b, or c); `word*` matches any word starting so. Case and accents never matter. "
    "A misspelt name also matches the names closest to it (`Heffernen`), and a name or other name matches "
    "every record that names that person or organization in any of their spellings (`Mary E. Heffernan` "
    f"finds what `Heffernan` finds; quote it for that spelling only). At most {MAX_CLAUSES} words or "
    'phrases are used. Examples: `Patrick refuses`, `"Mary E. Heffernan"`, `Heffernan -Cuomo`, '
    "`Quinn OR Cuomo`, `Heff*`."
)

__all__ = [
    "KINDS",
    "MAX_SEARCH_WORDS",
    "RELEVANCE",
    "SEARCHABLE_MODELS",
    "SYNTAX_HELP",
    "WORD",
    "deferred_refresh",
    "kind_of",
    "prepare",
    "refresh_search_text",
    "search",
    "search_text_of",
    "with_relevance",
    "words_of",
]


def prepare(text, queryset):
    """The query `text`, read for the records of `queryset` (kb.search.query.Prepared)."""
    return _query.prepare(text, [kind_of(queryset.model)], queryset.db)


def search(queryset, text, prepared=None):
    """The records of `queryset` that the query `text` finds (see SYNTAX_HELP)."""
    prepared = prepared or prepare(text, queryset)
    condition = _query.match(kind_of(queryset.model), prepared, connections[queryset.db].vendor)
    return queryset if condition is None else queryset.filter(condition)


def with_relevance(queryset, prepared):
    """`queryset` with its relevance annotated as RELEVANCE (an integer: higher is more relevant)."""
    kind = kind_of(queryset.model)
    return queryset.annotate(**{RELEVANCE: _query.relevance(kind, prepared, connections[queryset.db].vendor)})


_connect_signals()
