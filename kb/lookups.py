"""Conditions written so that an index answers them, on PostgreSQL as on SQLite.

`field IN (SELECT ...)` is one index lookup on SQLite, however it is combined. PostgreSQL plans
it as a "hashed SubPlan": a filter on every row a scan reads, which an index cannot answer, so
`a = 1 OR b IN (SELECT ...)` reads the whole table. `b = ANY(ARRAY(SELECT ...))` is the same
condition computed once up front (an InitPlan), which a Bitmap Index Scan answers, so the OR
becomes a BitmapOr of two index scans.
"""

from django.db.models import F
from django.db.models.lookups import In


class InSubquery(In):
    """`lhs IN (subquery)`; on PostgreSQL `lhs = ANY(ARRAY(subquery))`."""

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        rhs = rhs.strip()
        if not rhs.startswith("("):
            rhs = f"({rhs})"
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def in_subquery(field, queryset):
    """The condition `field IN queryset` (a `values()` of one column), for filter() or Q()."""
    return InSubquery(F(field), queryset.order_by())  # a subquery's order is work for nothing
