"""Pages whose cost follows the page asked for, not the size of the table.

`limit`/`offset` work everywhere. In a key order (the default order of every list), `next` and
`previous` links carry a `cursor` instead once the offset passes `CURSOR_FROM_OFFSET`, and
whenever the request itself used one: a cursor names the last row seen, so the database seeks
straight to it through the ordering's index instead of counting off the rows before it.

`count` is exact up to `EXACT_COUNT_LIMIT` matches; past it, PostgreSQL's planner estimate
(never below the limit). Either way counting reads at most that many rows.
"""

import base64
import binascii
import json
import re

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from config.counting import EXACT_COUNT_LIMIT, bounded_count
from kb import search as kb_search

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# The largest offset: past any table, within the 64-bit integers databases take (with a limit added).
MAX_OFFSET = 2**62
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# Links past this offset switch to cursors: offsets cost a scan of every row they skip.
CURSOR_FROM_OFFSET = 1000

FACETS_SCHEMA = {
    "type": "object",
    "description": (
        "Only with `facet=`: for each facet asked, how many results have each value (most frequent first). "
        f"`exact` is true up to {EXACT_COUNT_LIMIT:,} results; past that, {EXACT_COUNT_LIMIT + 1:,} of them "
        "are counted, so each count is a lower bound."
    ),
    "additionalProperties": {
        "type": "object",
        "properties": {
            "exact": {"type": "boolean", "description": "Whether every result was counted."},
            "values": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string", "nullable": True, "description": "The value; null for none."},
                        "name": {"type": "string", "nullable": True, "description": "The value's name or label."},
                        "count": {"type": "integer", "description": "How many results have it."},
                    },
                    "required": ["slug", "name", "count"],
                },
            },
        },
        "required": ["exact", "values"],
    },
}

COUNT_DESCRIPTION = (
    f"How many results match: exact up to {EXACT_COUNT_LIMIT:,}; above that, on PostgreSQL, the database's "
    f"estimate (at least {EXACT_COUNT_LIMIT + 1:,}), so that counting never reads a whole table. "
    "Follow `next` until it is null to visit every result."
)


class KeyOrder:
    """An ordering that can be resumed from a row: plain, non-null fields ending in a unique one."""

    def __init__(self, model, names):
        self.names = names
        self.fields = []
        for name in names:
            descending = name.startswith("-")
            try:
                field = model._meta.get_field(name.lstrip("-"))
            except FieldDoesNotExist:
                raise ValueError(name) from None
            # A relation orders by the related model's ordering; a NULL compares with nothing.
            if field.null or (field.is_relation and name.lstrip("-") != field.attname):
                raise ValueError(name)
            self.fields.append((field, descending))
        last = self.fields[-1][0] if self.fields else None
        if last is None or not (last.unique or last.primary_key):
            raise ValueError("the last field is not unique")

    @classmethod
    def of(cls, queryset):
        """The queryset's key order, or None when its order cannot be resumed from a row."""
        ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
        if not all(isinstance(name, str) for name in ordering):
            return None
        pk_name = queryset.model._meta.pk.name
        names = [name.replace("pk", pk_name) if name.lstrip("-") == "pk" else name for name in ordering]
        try:
            return cls(queryset.model, names)
        except ValueError:
            return None

    def values_of(self, row):
        """The keys of a `values()` row, whose primary key is "pk"."""
        return [row["pk"] if field.primary_key else row[field.attname] for field, _ in self.fields]

    def after(self, values, backwards=False):
        """Rows strictly after `values` in this order (before them, `backwards`)."""
        condition = Q()
        equal = {}
        for (field, descending), value in zip(self.fields, values, strict=False):
            upward = descending == backwards
            condition |= Q(**equal, **{f"{field.attname}__{'gt' if upward else 'lt'}": value})
            equal[field.attname] = value
        # The first key's bound on its own lets the database seek in the ordering's index.
        first, descending = self.fields[0]
        bound = Q(**{f"{first.attname}__{'gte' if descending == backwards else 'lte'}": values[0]})
        return bound & condition

    def reversed(self):
        return [name[1:] if name.startswith("-") else f"-{name}" for name in self.names]

    def encode(self, values, backwards=False):
        raw = json.dumps(
            {"o": self.names, "k": [_plain(value) for value in values], "b": backwards},
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, cursor):
        """The keys and direction a cursor names; anything else, forged or garbled, is a 400 naming it.

        encode() writes each key as an integer or a string (never null, since the fields are not
        nullable) and the direction as a boolean: nothing else is taken, so no value the
        database would refuse or overflow on (null, Infinity, 1e400, 2**70, a NUL byte) reaches a query.
        """
        try:
            raw = json.loads(
                base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)),
                parse_float=_refuse,
                parse_constant=_refuse,
            )
            if not isinstance(raw, dict) or set(raw) != {"o", "k", "b"} or not isinstance(raw["b"], bool):
                raise ValueError
            if raw["o"] != self.names or not isinstance(raw["k"], list) or len(raw["k"]) != len(self.fields):
                raise ValueError
            values = [self._key(field, value) for (field, _), value in zip(self.fields, raw["k"], strict=True)]
            return values, raw["b"]
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError, binascii.Error, DjangoValidationError):
            raise exceptions.ValidationError(
                {"cursor": ["Not a cursor for this list and order: use the `next` and `previous` links as given."]}
            ) from None

    @staticmethod
    def _key(field, value):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(value)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise OverflowError(value)  # past any 64-bit column
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(value)  # PostgreSQL refuses NUL in text
        value = field.to_python(value)
        if value is None:
            raise ValueError(value)
        return value


def read_page(queryset, rows_of, start, stop, plan=None, after=None):
    """Rows `start` to `stop` of `queryset`, as `rows_of(page)` writes them (a writer's rows).

    The page's keys are read first, on their own: the filters and the order need only the
    record's own columns, so the database reads them through an index (in the order's index,
    stopping after `stop` rows; or the matches of an index, sorting only their keys). The rows
    are then read by primary key, with their joins, for the page alone: joining every match
    before sorting would cost what the table holds, not what the page shows. The API's lists
    and the benchmark's floor read their pages here.

    A search has a `plan` (kb.search.page_plan). Its keys come in a query of their own, one more:
    as a subquery, PostgreSQL joins every match to its holders before it keeps the page (20x
    slower at 200,000 positions than at 2,000; docs/search.md). When the plan says to walk, the
    order's index is walked at most `plan.walk_rows` rows on from `after` (a cursor's condition);
    if that did not fill the page, or the plan says to sort, the matches are sorted. Either way
    the page is the same: a walk stopped early has read a prefix of the matches in order.
    """
    if plan is None:
        return _read_keys_then_rows(queryset, rows_of, start, stop)
    order = list(queryset.query.order_by or queryset.model._meta.ordering)
    if plan.walk and order and isinstance(order[0], str):
        name = order[0].lstrip("-")
        everything = queryset.model._default_manager.order_by(*order)
        if after is not None:
            everything = everything.filter(after)
        horizon = list(everything.values_list(name, flat=True)[plan.walk_rows : plan.walk_rows + 1])
        bounded = queryset
        if horizon:
            bounded = queryset.filter(**{f"{name}__{'gte' if order[0].startswith('-') else 'lte'}": horizon[0]})
        with kb_search.walking():
            rows = _read_keys_then_rows(bounded, rows_of, start, stop, keys_apart=True)
        if len(rows) == stop - start or not horizon:
            return rows
    return _read_keys_then_rows(_sorting(queryset, order), rows_of, start, stop, keys_apart=True)


def _read_keys_then_rows(queryset, rows_of, start, stop, keys_apart=False):
    query = queryset.query
    if (
        query.distinct
        or query.combinator
        or any(getattr(annotation, "contains_aggregate", False) for annotation in query.annotations.values())
    ):
        return list(rows_of(queryset)[start:stop])
    keys = queryset.values("pk")[start:stop]
    if keys_apart:
        keys = [row["pk"] for row in keys]
        if not keys:
            return []
    page = queryset.model._default_manager.filter(pk__in=keys)
    # What the rows read besides columns (as_of's `in_force`), as the filtered queryset computed it.
    page = page.annotate(**dict(query.annotations)) if query.annotations else page
    return list(rows_of(page.order_by(*(query.order_by or queryset.model._meta.ordering))))


def _sorting(queryset, order):
    """`queryset` in the same order, written as no index gives it (COALESCE(x, x)): the planners
    would otherwise walk the order's index for a search they guess common, reading every row
    before the stretch where its matches are (174,232 rows for "2019" at 200,000 positions)."""
    terms = []
    for term in order:
        if not isinstance(term, str):
            return queryset
        name = term.lstrip("-")
        expression = Coalesce(F(name), F(name))
        terms.append(expression.desc() if term.startswith("-") else expression.asc())
    return queryset.order_by(*terms)


def _refuse(text):
    raise ValueError(text)


def _plain(value):
    return value if isinstance(value, (int, str)) or value is None else str(value)


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """`limit`/`offset` paging that rejects what it cannot honour instead of silently guessing,
    and continues by cursor where offsets would grow expensive."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT
    cursor_query_param = "cursor"

    def get_limit(self, request):
        return self._parse(request, self.limit_query_param, self.default_limit, minimum=1, maximum=self.max_limit)

    def get_offset(self, request):
        return self._parse(request, self.offset_query_param, 0, minimum=0, maximum=MAX_OFFSET)

    def get_cursor(self, request):
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is not None and self.offset_query_param in request.query_params:
            raise exceptions.ValidationError(
                {
                    self.cursor_query_param: [
                        f"Give either {self.cursor_query_param} or {self.offset_query_param}, not both."
                    ]
                }
            )
        if cursor is not None and (not cursor or len(cursor) > 1000):
            raise exceptions.ValidationError(
                {"cursor": ["Not a cursor for this list and order: use the `next` and `previous` links as given."]}
            )
        return cursor

    @staticmethod
    def _parse(request, name, default, minimum, maximum=None):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"{minimum} or more"
        try:
            if not WHOLE_NUMBER.fullmatch(raw):  # int() would also take " 1", "1_0" and other scripts' digits
                raise ValueError(raw)
            value = int(raw)
        except ValueError:
            raise exceptions.ValidationError({name: [f"Must be a whole number {bound}, not {raw[:40]!r}."]}) from None
        if value < minimum or (maximum is not None and value > maximum):
            raise exceptions.ValidationError({name: [f"Must be a whole number {bound}, not {value}."]})
        return value

    def check_parameters(self, request):
        """{parameter: [messages]} for each paging parameter that is wrong; empty when all are right."""
        errors = {}
        for check in (self.get_limit, self.get_offset, self.get_cursor):
            try:
                check(request)
            except exceptions.ValidationError as error:
                errors.update(error.detail)
        return errors

    def paginate_queryset(self, queryset, request, view=None, rows=None, searched=False):
        """The page's rows: `rows(queryset)` (a writer's `values()` rows), read after the page's keys
        (read_page; as kb.search.page_plan says, for a search). Counting stays on the queryset itself,
        without the rows' joins."""
        self.request = request
        rows_of = rows or (lambda page: page.values())
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        cursor = self.get_cursor(request)
        self.key_order = KeyOrder.of(queryset)
        self.first_values = self.last_values = None
        self.backwards = False
        # A search counts first: how many rows match tells how its page is best read (kb.search.page_plan).
        plan = kb_search.page_plan(queryset, (0 if cursor else self.offset) + self.limit + 1) if searched else None
        rows = self._read(queryset, rows_of, cursor, plan)
        self.count = plan.count if plan is not None else bounded_count(queryset)
        self.using_cursor = cursor is not None
        self.display_page_controls = not self.using_cursor and self.count > self.limit and self.template is not None
        if rows and self.key_order is not None:
            self.first_values = self.key_order.values_of(rows[0])
            self.last_values = self.key_order.values_of(rows[-1])
        return rows

    def _read(self, queryset, rows_of, cursor, plan):
        if cursor is not None:
            if self.key_order is None:
                raise exceptions.ValidationError(
                    {"cursor": ["This order cannot be followed by cursor: page with offset instead."]}
                )
            values, self.backwards = self.key_order.decode(cursor)
            after = self.key_order.after(values, self.backwards)
            page = queryset.filter(after)
            if self.backwards:
                page = page.order_by(*self.key_order.reversed())
            rows = read_page(page, rows_of, 0, self.limit + 1, plan, after)
            more = len(rows) > self.limit
            rows = rows[: self.limit]
            if self.backwards:
                rows.reverse()
                self.has_next, self.has_previous = True, more
            else:
                self.has_next, self.has_previous = more, True
        else:
            # Past any table's size, and past what a database's integers hold: nothing to read.
            rows = (
                read_page(queryset, rows_of, self.offset, self.offset + self.limit + 1, plan)
                if self.offset < MAX_OFFSET
                else []
            )
            self.has_next = len(rows) > self.limit
            rows = rows[: self.limit]
            self.has_previous = self.offset > 0
        return rows

    def _continues_by_cursor(self):
        return (
            self.key_order is not None
            and self.last_values is not None
            and (self.using_cursor or self.offset + self.limit >= CURSOR_FROM_OFFSET)
        )

    def get_next_link(self):
        if not self.has_next:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        if self._continues_by_cursor():
            url = remove_query_param(url, self.offset_query_param)
            return replace_query_param(url, self.cursor_query_param, self.key_order.encode(self.last_values))
        url = remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        if self._continues_by_cursor() and (self.using_cursor or self.offset > CURSOR_FROM_OFFSET):
            url = remove_query_param(url, self.offset_query_param)
            return replace_query_param(url, self.cursor_query_param, self.key_order.encode(self.first_values, True))
        url = remove_query_param(url, self.cursor_query_param)
        if self.using_cursor:
            return None
        if self.offset - self.limit <= 0:
            return remove_query_param(url, self.offset_query_param)
        return replace_query_param(url, self.offset_query_param, self.offset - self.limit)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Number of results per page: default {self.default_limit}, maximum {self.max_limit}."
                )
                parameter["schema"].update({"minimum": 1, "maximum": self.max_limit, "default": self.default_limit})
            elif parameter["name"] == self.offset_query_param:
                parameter["description"] = "Index of the first result to return (0-based). Not with `cursor`."
                # No `default`: a generated client would send offset=0 with every cursor, which is a 400.
                parameter["description"] = (
                    "Index of the first result to return (0-based; 0 when left out). Not with `cursor`."
                )
                parameter["schema"].update({"minimum": 0})
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Where to continue, as given in `next` and `previous` links (opaque): links carry one past "
                    f"offset {CURSOR_FROM_OFFSET:,} and after any request that used one. A page reached by cursor "
                    "costs the same however deep it is. Not with `offset`; keep the other parameters of the link."
                ),
                "schema": {"type": "string"},
            }
        )
        return parameters

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"]["description"] = COUNT_DESCRIPTION
        properties["next"]["description"] = "The next page, or null on the last one."
        properties["previous"]["description"] = "The previous page, or null on the first one."
        for field in properties.values():
            # DRF's placeholders (123, api.example.org/accounts): each list's real examples show real pages.
            field.pop("example", None)
        properties["facets"] = FACETS_SCHEMA
        # Every list takes `search` (kb.search); its answer may carry suggestions (api.search).
        from api.search import SUGGESTION_SCHEMA, SUGGESTIONS_HELP

        properties["suggestions"] = {
            "type": "array",
            "description": f"With `search`: {SUGGESTIONS_HELP}",
            "items": SUGGESTION_SCHEMA,
        }
        return response
