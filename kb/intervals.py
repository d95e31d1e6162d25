"""Date intervals read at scale: "may fall on or after a day" as a bounded index range.

A record's interval may fall on or after a day D when its latest day is D or later. Lists read
records in order of their earliest day, so that condition alone gives the database no place to
start in the (earliest, ...) index: it reads every record from the first, dropping those that
ended before D, before it finds the first that did not. But no interval is longer than the
longest one stored, so the earliest day of a match is at least D minus that length. Saying so too
(a condition the first one implies) lets the index start there.

The longest length is one lookup in an index on the length (`span_index_sql`, created by a
migration), read inside the same query, so it is always the length of the rows the query reads.
"""

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL


def _span(vendor, prefix):
    earliest, latest = f"{prefix}_earliest", f"{prefix}_latest"
    if vendor == "postgresql":
        return f"({latest} - {earliest})"  # days, an integer
    return f"(julianday({latest}) - julianday({earliest}))"


def span_index_sql(vendor, table, prefix):
    """The index on each row's interval length that makes the longest one a lookup."""
    return f"CREATE INDEX IF NOT EXISTS {table}_{prefix}_span ON {table} ({_span(vendor, prefix)})"


def _earliest_bound(vendor, table, prefix):
    """SQL for the earliest day a match can have, given the day as its one parameter."""
    longest = f"(SELECT COALESCE(max({_span(vendor, prefix)}), 0) FROM {table})"
    if vendor == "postgresql":
        return f"(%s::date - {longest}::integer)"
    return f"date(%s, '-' || CAST({longest} AS INTEGER) || ' days')"


def may_fall_on_or_after(queryset, prefix, day):
    """Records whose `<prefix>_earliest` .. `<prefix>_latest` interval may fall on or after `day`."""
    vendor = connections[queryset.db].vendor
    condition = Q(**{f"{prefix}_latest__gte": day})
    if vendor in ("postgresql", "sqlite"):
        table = queryset.model._meta.db_table
        bound = RawSQL(_earliest_bound(vendor, table, prefix), (day,))
        condition &= Q(**{f"{prefix}_earliest__gte": bound})
    return queryset.filter(condition)
