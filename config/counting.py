"""Counting that never reads a whole table: exact up to a limit, an estimate past it.

The API's pages and the admin's changelists both count what matches; at hundreds of thousands
of rows an exact count is a scan of them all, for every page. Here it reads at most `limit` + 1
rows; past that it estimates, at a cost that does not grow with the table:

- PostgreSQL: the planner's estimate (EXPLAIN), from the statistics ANALYZE keeps.
- SQLite, which keeps no estimates a query can read: the matches among `SAMPLE_SIZE` rows taken
  at even steps through the primary keys, scaled to the span of keys. The sample is the same
  every time for the same table, so the same query gets the same count; each sampled row is one
  lookup by primary key. Past 1,000 matches (at least one in `SAMPLE_SIZE / 1000 × table /
  limit`) it is within a few tens of percent.

Either way the answer is never below `limit` + 1: an estimate says "more than the limit" at least.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_COUNT_LIMIT = 1000
SAMPLE_SIZE = 2000


def bounded_count(queryset, limit=EXACT_COUNT_LIMIT):
    """The number of rows `queryset` matches, reading at most `limit` + 1 of them; past `limit`,
    an estimate (never below `limit` + 1) whose cost does not grow with the table."""
    queryset = queryset.order_by().values("pk")
    counted = queryset[: limit + 1].count()
    if counted <= limit:
        return counted
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        return max(_planner_estimate(connection, queryset), limit + 1)
    if connection.vendor == "sqlite":
        return max(_sampled_estimate(connection, queryset), limit + 1)
    return queryset.count()


def _planner_estimate(connection, queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _sampled_estimate(connection, queryset):
    """The matches among SAMPLE_SIZE primary keys at even steps from the first to the last, scaled.

    The sample drives the query (CROSS JOIN keeps it the outer loop in SQLite), so the filter is
    evaluated on each sampled row found by its key, not on every row an index would hand over."""
    model = queryset.model
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT min({pk}) FROM {table}), (SELECT max({pk}) FROM {table})")
        first, last = cursor.fetchone()
        if first is None:
            return 0
        span = last - first + 1
        step = max(1, span // SAMPLE_SIZE)
        sql, params = queryset.query.sql_with_params()
        cursor.execute(
            "WITH RECURSIVE sample(key) AS (SELECT %s UNION ALL SELECT key + %s FROM sample WHERE key + %s <= %s) "
            f"SELECT count(*) FROM sample CROSS JOIN ({sql}) AS matching ON matching.pk = sample.key",
            (first, step, step, last, *params),
        )
        hits = cursor.fetchone()[0]
    sampled = (last - first) // step + 1
    return round(hits * span / sampled)


class BoundedCountPaginator(Paginator):
    """A paginator whose count is `bounded_count`: an estimate past 1,000 rows."""

    @cached_property
    def count(self):
        return bounded_count(self.object_list)
