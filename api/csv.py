"""CSV of any list: `?format=csv` or `Accept: text/csv`, with the list's filters, search and order.

A CSV carries every matching record, not a page. It is streamed: the records are read in chunks
of `CHUNK_SIZE`, each chunk written by the list's own JSON writer (`view.write_records`) and then
flattened, so memory stays flat at any size and the CSV says what the JSON says.

- In a key order (every list's default), chunks are keyset pages: each seeks past the last key
  read (`api.pagination.KeyOrder`), so each costs the same however deep it is.
- In other orders (e.g. `ordering=program`), the primary keys are streamed in order by one
  server-side cursor, and the records read chunk by chunk.

Columns come from the list's serializer, the one its OpenAPI schema documents, so they are the
same for every request whatever the values (no column appears because a value is null):

- a plain field is one column of its name;
- a related record ({slug, name, url}, or the whole record with `?expand=`) is two columns,
  `<field>_slug` and `<field>_name`, empty when there is none;
- a list of records (citations, other names) is `<field>_count`;
- a list of values (a source's authors) is one column, the values joined by "; ".

`?rows=citations` (or any list-of-records field of the resource) writes one row per item of that
list instead, the record's columns followed by the item's, prefixed with the field's singular
(`citation_source`, `citation_quote`, ...): a spreadsheet then shows each quote beside its fact.
"""

import csv
import functools
import json
from dataclasses import dataclass
from decimal import Decimal

from django.http import StreamingHttpResponse
from rest_framework import exceptions, renderers, serializers

from api.pagination import KeyOrder

CHUNK_SIZE = 1000
MEDIA_TYPE = "text/csv"
LIST_JOINER = "; "
ROWS_PARAMETER = "rows"
RECORDS = "records"


@dataclass(frozen=True)
class Column:
    """One CSV column: its name, where it reads in a record's JSON (a path of keys) and how."""

    name: str
    path: tuple
    kind: str = "value"  # value | slug | name | count | joined

    def cell(self, record):
        value = record
        for key in self.path:
            value = value.get(key) if isinstance(value, dict) else None
        if self.kind in ("slug", "name"):
            return value.get(self.kind) if isinstance(value, dict) else None
        if self.kind == "count":
            return len(value) if isinstance(value, list) else 0
        if self.kind == "joined":
            return LIST_JOINER.join(str(item) for item in value) if isinstance(value, list) else value
        return value


def _is_reference(field):
    """A related record written as {slug, name, url}: api.serializers.RefField, or a field that says
    it writes one (`csv_reference`)."""
    return hasattr(field, "expanded_serializer") or getattr(field, "csv_reference", False)


def _listed_serializer(field):
    """The item serializer of a list-of-records field, or None."""
    if isinstance(field, serializers.ListSerializer):
        return field.child
    return None


def columns_of(serializer, prefix="", path=()):
    """The CSV columns of one record as `serializer` writes it; a nested record's are prefixed."""
    columns = []
    for name, field in serializer.fields.items():
        if getattr(field, "write_only", False):
            continue
        here = (*path, name)
        if _is_reference(field):
            columns += [Column(f"{prefix}{name}_slug", here, "slug"), Column(f"{prefix}{name}_name", here, "name")]
        elif _listed_serializer(field) is not None:
            columns.append(Column(f"{prefix}{name}_count", here, "count"))
        elif isinstance(field, serializers.Serializer):
            columns += columns_of(field, f"{prefix}{name}_", here)
        elif isinstance(field, (serializers.ListField, serializers.JSONField)):
            # A list of values, as a ListField or a model's JSON list (a source's authors).
            columns.append(Column(f"{prefix}{name}", here, "joined"))
        else:
            columns.append(Column(f"{prefix}{name}", here))
    return columns


def row_lists_of(serializer):
    """{field: item serializer} of the list-of-records fields `?rows=` can spread into rows."""
    return {
        name: _listed_serializer(field)
        for name, field in serializer.fields.items()
        if _listed_serializer(field) is not None
    }


@functools.cache
def row_list_names(serializer_class):
    """The names row_lists_of() gives for a serializer class, worked out once per class."""
    return tuple(row_lists_of(serializer_class()))


def singular(name):
    return name[:-1] if name.endswith("s") else name


class Layout:
    """The header and the rows of one CSV: one row per record, or per item of one of its lists."""

    def __init__(self, serializer, rows=RECORDS):
        self.columns = columns_of(serializer)
        self.rows = rows
        self.item_columns = []
        if rows != RECORDS:
            item = row_lists_of(serializer)[rows]
            self.item_columns = columns_of(item, prefix=f"{singular(rows)}_")

    @property
    def header(self):
        return [column.name for column in self.columns + self.item_columns]

    def rows_of(self, record):
        cells = [column.cell(record) for column in self.columns]
        if self.rows == RECORDS:
            yield cells
            return
        items = record.get(self.rows) or [None]
        for item in items:
            yield cells + [column.cell(item or {}) for column in self.item_columns]


def cell_text(value):
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class _Line:
    """A file-like object whose write() hands back what csv.writer wrote."""

    def write(self, text):
        return text


def _lines(layout, chunks):
    writer = csv.writer(_Line())
    yield writer.writerow(layout.header).encode()
    for records in chunks:
        yield "".join(
            writer.writerow([cell_text(cell) for cell in row]) for record in records for row in layout.rows_of(record)
        ).encode()


def record_chunks(queryset, write_records, size=None):
    """The JSON of every record of `queryset`, in its order, as lists of at most `size` records."""
    size = size or CHUNK_SIZE
    key_order = KeyOrder.of(queryset)
    if key_order is None:
        yield from _cursor_chunks(queryset, write_records, size)
        return
    attnames = [field.attname for field, _ in key_order.fields]
    last = None
    while True:
        chunk = queryset if last is None else queryset.filter(key_order.after(last))
        keys = list(chunk.values("pk", *attnames)[:size])
        if not keys:
            return
        yield write_records(queryset.filter(pk__in=[key["pk"] for key in keys]))
        if len(keys) < size:
            return
        last = key_order.values_of(keys[-1])


def _cursor_chunks(queryset, write_records, size):
    pks = []
    for pk in queryset.values_list("pk", flat=True).iterator(chunk_size=size):
        pks.append(pk)
        if len(pks) == size:
            yield _in_order(queryset, pks, write_records)
            pks = []
    if pks:
        yield _in_order(queryset, pks, write_records)


def _in_order(queryset, pks, write_records):
    return write_records(queryset.filter(pk__in=pks))


def requested_rows(view):
    """`?rows=`: "records" (the default), or a list-of-records field of the list's serializer."""
    return view.request.query_params.get(ROWS_PARAMETER) or RECORDS


def validate_rows(view, serializer):
    """Errors of `?rows=`: it must name a list of the records, and it shapes CSV only."""
    raw = view.request.query_params.get(ROWS_PARAMETER)
    if raw is None:
        return {}
    accepted = [RECORDS, *row_lists_of(serializer)]
    if raw not in accepted:
        return {ROWS_PARAMETER: [f"'{raw[:40]}' is not accepted; choose from: {', '.join(accepted)}."]}
    if not wants_csv(view.request):
        return {ROWS_PARAMETER: ["Shapes the rows of a CSV only: add format=csv (or send Accept: text/csv)."]}
    return {}


def wants_csv(request):
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and renderer.format == CSVRenderer.format


def streaming_response(view, queryset, filename):
    """Every record of the list's queryset as a streamed CSV download."""
    serializer = view.get_serializer()
    layout = Layout(serializer, requested_rows(view))
    response = StreamingHttpResponse(
        _lines(layout, record_chunks(queryset, view.write_records)), content_type=CSVRenderer.content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


class CSVRenderer(renderers.BaseRenderer):
    """`text/csv`. Lists stream through `streaming_response`; what reaches render() is one record
    (a detail), written as a header and one row."""

    media_type = MEDIA_TYPE
    format = "csv"
    charset = "utf-8"
    content_type = "text/csv; charset=utf-8; header=present"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        if data is None:
            return b""
        if view is None or not hasattr(view, "get_serializer") or not isinstance(data, dict):
            raise exceptions.NotAcceptable("CSV is offered for lists and records only.")
        layout = Layout(view.get_serializer())
        return b"".join(_lines(layout, [[data]]))
