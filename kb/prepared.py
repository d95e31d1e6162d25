"""Queries of a fixed shape, built and compiled by the ORM once, then run again with new values.

Building a Django query (filters, joins, `values()`, order) and compiling it to SQL costs more
than running it when it reads a handful of rows by key: a record's row, its children, the
knowledge base's version. `Prepared(build)` builds the queryset once per database with stand-in
values, finds where they went among the SQL's parameters, and afterwards only substitutes the new
values and runs the SQL, converting what comes back as Django would (dates on SQLite, say). A list
of keys is one parameter: an array on PostgreSQL (`= ANY(%s)`), a JSON list on SQLite (`IN
(SELECT value FROM json_each(%s))`), so the SQL is the same for any number of keys.

Only PostgreSQL and SQLite are prepared; any other database, or SQL not of the shape expected,
runs the queryset `build` returns, as it would have run anyway.
"""

import json
import threading

from django.core.exceptions import EmptyResultSet
from django.db import connections

# Stand-ins within every integer column's range, a small integer's too (a value out of its range
# is no SQL parameter at all: Django compiles the condition away).
LIST_STANDIN = 32_101
NUMBER_STANDIN = 32_123


class Prepared:
    """`build(*values)` returns a `values()` queryset; `rows(*values)` its rows, as dicts.

    `standins` are the values the queryset is built with once: distinct from anything a
    caller passes, so that each is found among the parameters (a list as `[LIST_STANDIN]`)."""

    def __init__(self, build, *standins, using=None):
        self.build = build
        self.standins = standins
        self.using = using
        self._compiled = {}
        self._lock = threading.Lock()

    def rows(self, *values, using=None):
        using = using or self.using or self.build(*self.standins).db
        connection = connections[using]
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(using, self._compile(connection))
        if compiled is False:
            return list(self.build(*values))
        sql, params, slots, names, expressions = compiled
        params = list(params)
        for slot, value in zip(slots, values, strict=True):
            if isinstance(value, (list, tuple, set, frozenset)):
                value = list(value)
                value = value if connection.vendor == "postgresql" else json.dumps(value)
            params[slot] = value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return convert(connection, fetched, names, expressions)

    def _compile(self, connection):
        if connection.vendor not in ("postgresql", "sqlite"):
            return False
        queryset = self.build(*self.standins)
        compiler = queryset.query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return False
        params = list(params)
        slots = []
        for standin in self.standins:
            if isinstance(standin, list):
                if params.count(LIST_STANDIN) != 1 or sql.count(" IN (%s)") != 1:
                    return False
                slot = params.index(LIST_STANDIN)
                if sql[: sql.index(" IN (%s)")].count("%s") != slot:
                    return False
                listed = " = ANY(%s)" if connection.vendor == "postgresql" else " IN (SELECT value FROM json_each(%s))"
                sql = sql.replace(" IN (%s)", listed)
            else:
                if params.count(standin) != 1:
                    return False
                slot = params.index(standin)
            slots.append(slot)
        selected = compiler.select[: compiler.col_count]
        names = [alias for _, _, alias in selected]
        if None in names or len(set(names)) != len(names):
            return False
        return sql, params, slots, names, [expression for expression, _, _ in selected]


def convert(connection, fetched, names, expressions):
    """Rows as dicts of `names`, each value through the converters Django applies to it."""
    # The backend's converters, then the field's: the compiler's own order (SQLCompiler.get_converters).
    converters = [
        (position, expression, functions)
        for position, expression in enumerate(expressions)
        if (functions := connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
    ]
    if not converters:
        return [dict(zip(names, values, strict=True)) for values in fetched]
    rows = []
    for values in fetched:
        values = list(values)
        for position, expression, functions in converters:
            value = values[position]
            for function in functions:
                value = function(value, expression, connection)
            values[position] = value
        rows.append(dict(zip(names, values, strict=True)))
    return rows
