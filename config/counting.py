"""Counting that never reads a whole table: exact up to a limit, PostgreSQL's estimate past it.

The API's pages and the admin's changelists both count what matches; at hundreds of thousands
of rows an exact count is a scan of them all, for every page. Here it reads at most `limit` + 1
rows; past that it asks PostgreSQL's planner. SQLite keeps no estimates: there it stays exact.
"""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_COUNT_LIMIT = 1000


def bounded_count(queryset, limit=EXACT_COUNT_LIMIT):
    """The number of rows `queryset` matches, reading at most `limit` + 1 of them; past `limit`,
    PostgreSQL's planner estimate (never below `limit` + 1), or the exact count elsewhere."""
    queryset = queryset.order_by().values("pk")
    counted = queryset[: limit + 1].count()
    if counted <= limit:
        return counted
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count()
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(int(plan[0]["Plan"]["Plan Rows"]), limit + 1)


class BoundedCountPaginator(Paginator):
    """A paginator whose count is `bounded_count`: an estimate past 1,000 rows on PostgreSQL."""

    @cached_property
    def count(self):
        return bounded_count(self.object_list)
