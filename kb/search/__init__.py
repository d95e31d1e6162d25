"""Search that finds what journalists type, on PostgreSQL and SQLite alike (docs/search.md).

- kb.search.kinds: what each kind of record contributes to search, declared once (`KINDS`);
- kb.search.syntax: the query syntax (PostgreSQL's websearch_to_tsquery), read once for both databases;
- kb.search.index: the full-text indexes (FTS5 on SQLite, GIN on PostgreSQL) and their upkeep;
- kb.search.names: names in every spelling, typo tolerance, suggestions;
- kb.search.query: a query widened with names and run on a kind's index, its relevance, its passages;
- kb.search.signals: `search_text` kept current on every write.

`search(queryset, text)` is what lists, the admin and the benchmark's floor call.
"""

from dataclasses import dataclass

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.expressions import RawSQL
from django.db.models.sql.datastructures import BaseTable

from config.counting import EXACT_COUNT_LIMIT, bounded_count
from kb.search import query as _query
from kb.search.kinds import KINDS, SEARCHABLE_MODELS, kind_of
from kb.search.query import walking
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
    "PagePlan",
    "MAX_SEARCH_WORDS",
    "RELEVANCE",
    "SEARCHABLE_MODELS",
    "SYNTAX_HELP",
    "WORD",
    "deferred_refresh",
    "kind_of",
    "page_plan",
    "prepare",
    "refresh_search_text",
    "search",
    "search_text_of",
    "walking",
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
connection_created.connect(_query.register_phrases_function, dispatch_uid="kb.search.phrases")


# How many times the rows the share of matches predicts a walk reads before it gives up.
WALK_MARGIN = 8


@dataclass
class PagePlan:
    """How to read a page of a searched list: its count (exact up to EXACT_COUNT_LIMIT, estimated
    past it) and, when walking the order's index is cheaper, how many rows of the order at most
    to walk (`walk_rows`, several times what the share of matches predicts: matches can crowd
    into one stretch of the order, a year's positions for "2019", and walking then reads
    everything before it; api.pagination.read_page stops there and sorts instead)."""

    count: int
    walk_rows: int = 0

    @property
    def walk(self):
        return self.walk_rows > 0


def page_plan(queryset, page_size):
    """Count the matches of a searched `queryset` and choose how to read its page.

    A full-text index hands its matches over in no order, so a page in the list's order sorts every
    match; walking the order's index instead tests rows until the page is full: page_size / f rows
    for a query that a share f of the rows match. The planners' estimates of f can be off a
    hundredfold (PostgreSQL multiplies a phrase's words' frequencies; SQLite keeps none), so f is
    measured (`_measure`): by a sample of a large PostgreSQL table's blocks when it shows the matches
    far past 1,000; otherwise by the count itself, which reads the matches in the table's physical
    order and stops at the 1,001st, so that the share of the table it went through is the share of
    the rows it read. Past 1,000 matches either measure is the count's estimate too.
    An order by relevance needs every match scored, and never walks."""
    if any(RELEVANCE in str(term) for term in queryset.query.order_by):
        return PagePlan(bounded_count(queryset))
    found, share_read, rows, sampled = _measure(queryset)
    if found <= EXACT_COUNT_LIMIT and not sampled:
        return PagePlan(found)
    if not share_read or not rows:  # PostgreSQL before its first ANALYZE
        return PagePlan(bounded_count(queryset))
    matches = max(EXACT_COUNT_LIMIT + 1, round(found / share_read))
    rows_to_fill = page_size * share_read * rows / found  # page_size / f
    if rows_to_fill >= matches:
        return PagePlan(matches)
    return PagePlan(matches, walk_rows=max(EXACT_COUNT_LIMIT, round(WALK_MARGIN * rows_to_fill)))


def _measure(queryset):
    """(matches found, the share of the table's rows read to find them, the table's rows, whether
    they were a sample's); matches that are not a sample's are the first EXACT_COUNT_LIMIT + 1 at most.

    The count's share is taken from the first match on: blocks before it may hold only rows a
    rollback or a bulk delete left for vacuum (PostgreSQL), or ids long deleted (SQLite)."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        return _measure_on_postgresql(connection, queryset)
    model = queryset.model
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    # SQLite looks the full-text matches up by rowid, in rowid order. A search alone is counted on
    # its FTS5 table, which stops at the limit; `pk IN (its matches)` would find them all first.
    first, last = f"(SELECT min({pk}) FROM {table})", f"(SELECT max({pk}) FROM {table})"
    alone = _query.only_fts_match(queryset.query.where)
    if alone is not None:
        sql, params = f"SELECT rowid AS pk FROM {alone.table} WHERE {alone.table} MATCH %s", [alone.match]
        sql += f" LIMIT {EXACT_COUNT_LIMIT + 1}"
    else:
        sql, params = queryset.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1].query.sql_with_params()
    span = f"{last} - {first} + 1"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), min(found.pk) - {first}, max(found.pk) - {first}, {span}, {span} FROM ({sql}) found",
            params,
        )
        counted, first_found, last_found, extent, rows = cursor.fetchone()
    return counted, _share_read(counted, first_found, last_found, extent), rows, False


def _share_read(counted, first_found, last_found, extent):
    """The share of a table of `extent` (pages or keys) from its first match on that a count read."""
    if not counted or not extent or extent <= 0:
        return None
    return min(1.0, (last_found - first_found + 1) / max(1, extent - first_found))


# PostgreSQL's sample of a large table's blocks (`_measure_on_postgresql`).
SAMPLE_ROWS = 1000
SAMPLE_MIN_ROWS = 20 * SAMPLE_ROWS
SURE_BLOCKS, SURE_FACTOR = 20, 4


class _SampledTable(BaseTable):
    """The query's own table, read as PostgreSQL's TABLESAMPLE SYSTEM of a percentage (SQL and its
    params) of its blocks. REPEATABLE: the same blocks every time for the same table."""

    def __init__(self, table_name, alias, percent_sql, percent_params):
        super().__init__(table_name, alias)
        self.percent_sql, self.percent_params = percent_sql, percent_params

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        return f"{sql} TABLESAMPLE SYSTEM ({self.percent_sql}) REPEATABLE (0)", [*params, *self.percent_params]


def _measure_on_postgresql(connection, queryset):
    """_measure on PostgreSQL: a sample of the blocks first, then the count in physical order if
    the sample does not settle it. One statement: PostgreSQL runs the count's subquery only when
    its CASE asks for it.

    The count's GIN bitmap holds every candidate before it reads its first row (about 6 ms for the
    22,800 of 200,000 positions with "refused" and "sign"). A sample of about SAMPLE_ROWS rows in
    whole blocks, on tables of SAMPLE_MIN_ROWS rows or more, takes about 1.5 ms to scan. It settles the count
    when it shows more than EXACT_COUNT_LIMIT matches beyond doubt. At most EXACT_COUNT_LIMIT
    matches lie in at most as many blocks, so a sample of a share p of the blocks expects at most
    EXACT_COUNT_LIMIT × p of them, each sampled on its own. SURE_FACTOR times that many sampled
    blocks with a match, and SURE_BLOCKS at least, happen by chance with a probability under one in
    a million: the binomial tail is at worst 3 × 10⁻⁷, at p = 0.5% (a table of 200,000 rows). The
    sample's share is then the estimate. Matches crowded into a few blocks fill a few
    of the sample's blocks at most, and leave the count to read them."""
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    percent_sql = (
        "(SELECT CASE WHEN reltuples >= %s THEN 100.0 * %s / reltuples ELSE 0 END "
        "FROM pg_class WHERE oid = %s::regclass)"
    )
    percent_params = [SAMPLE_MIN_ROWS, SAMPLE_ROWS, table]
    located = queryset.order_by().annotate(_row=RawSQL(f"{table}.ctid", [])).values_list("_row")
    counted_sql, counted_params = located[: EXACT_COUNT_LIMIT + 1].query.sql_with_params()
    sample = located.query.clone()
    alias = sample.get_initial_alias()
    sample.alias_map[alias] = _SampledTable(sample.alias_map[alias].table_name, alias, percent_sql, percent_params)
    sampled_sql, sampled_params = sample.sql_with_params()
    block = "(found._row::text::point)[0]"
    statement = (
        "SELECT sample.hits, CASE WHEN sample.hit_blocks < greatest(%s, %s * sample.percent / 100) "
        f"THEN (SELECT ARRAY[count(*), min({block}), max({block})] FROM ({counted_sql}) found) END, "
        "(SELECT relpages FROM pg_class WHERE oid = %s::regclass), "
        "(SELECT reltuples FROM pg_class WHERE oid = %s::regclass) "
        f"FROM (SELECT {percent_sql} AS percent, count(*) AS hits, count(DISTINCT {block}) AS hit_blocks "
        f"FROM ({sampled_sql}) found) sample"
    )
    params = [SURE_BLOCKS, SURE_FACTOR * EXACT_COUNT_LIMIT, *counted_params, table, table, *percent_params]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *sampled_params])
        hits, counted, pages, rows = cursor.fetchone()
    if counted is None:  # a sample of a share p of the blocks holds about p × rows = SAMPLE_ROWS rows
        return hits, SAMPLE_ROWS / rows, rows, True
    counted, first_found, last_found = counted
    counted = int(counted)
    share = _share_read(counted, first_found, last_found, pages) if rows and rows > 0 else None
    return counted, share, rows, False
