"""One writer per kind of record: the JSON every answer gives of it.

Lists, detail, timelines, `?expand=`, write responses, the benchmark's floor, CSV, export and the
pages all call the same writer, so they agree field for field because they are the same code. A
writer declares what it writes, in order: the record's own columns, references to other records
({slug, name, url}, or the whole record with `?expand=`), lists of child records written by their
own writers, and values computed from these. From the declaration it reads rows, not model
instances (one `values()` query per kind of record on the page, whatever its size), and it builds
the schema that documents it (`Writer.schema()`), so the documented and the written shapes cannot
drift. Serializers only validate writes (api.serializers).
"""

import datetime
import decimal
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F
from django.urls import get_script_prefix
from django.urls import reverse as django_reverse
from rest_framework import serializers

from kb import models as kb
from kb.prepared import LIST_STANDIN, NUMBER_STANDIN, Prepared

_SLUG = "zzslugzz"


class Urls:
    """Records' API URLs for one request: each kind's URL is reversed once, then completed by
    string concatenation (reversing for every row costs more than the rest of the writing)."""

    def __init__(self, request=None):
        self.request = request
        self._parts = {}

    def __call__(self, view_name, slug, kwarg="slug"):
        parts = self._parts.get(view_name) or self.parts(view_name, kwarg)
        return f"{parts[0]}{slug}{parts[1]}"

    def parts(self, view_name, kwarg="slug"):
        """(before, after): the view's URL is before + slug + after."""
        parts = self._parts.get(view_name)
        if parts is None:
            placeholder = _SLUG if kwarg == "slug" else "987654321987"
            path = _reversed(view_name, kwarg, placeholder, get_script_prefix())
            url = self.request.build_absolute_uri(path) if self.request is not None else path
            parts = self._parts[view_name] = url.split(placeholder, 1)
        return parts


@functools.lru_cache(maxsize=256)
def _reversed(view_name, kwarg, placeholder, script_prefix):
    """The view's path with a placeholder: the URLconf does not change while the process runs."""
    return django_reverse(view_name, kwargs={kwarg: placeholder})


@dataclass
class Context:
    """What writing depends on besides the rows: URLs, the expansions asked for, an as_of day."""

    urls: Urls
    expand: frozenset = frozenset()
    as_of: datetime.date | None = None


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value


@dataclass
class Column:
    """One of the record's own columns, written as it is; `detail_only` leaves it out of lists."""

    name: str
    detail_only: bool = False


@dataclass
class Ref:
    """A related record by foreign key: {slug, name, url}, or written whole by its own writer with
    `?expand=<name>`; null when the key is empty."""

    name: str
    kind: str  # the related resource: its view is "<kind>-detail" and its writer WRITERS[kind]
    name_field: str = "name"
    help_text: str = ""
    expandable: bool = True


@dataclass
class Many:
    """The child records of each record, written by the child's writer, in its order."""

    name: str
    writer: str  # the child kind's key in WRITERS
    fk: str  # the child's foreign key to this record
    help_text: str = ""
    detail_only: bool = False


@dataclass
class Computed:
    """A value computed from the row and its children: `compute(row, context)`; `schema` documents it."""

    name: str
    compute: object
    schema: object  # a DRF field instance, for the documentation only
    detail_only: bool = False


def _ref_reader(item, expanded, context):
    """{slug, name, url} of the related record, or the record whole (`expanded`: by slug), or None."""
    slug_key, label_key = f"{item.name}__slug", f"{item.name}__label"
    if expanded is not None:
        return lambda row: None if row[slug_key] is None else expanded[row[slug_key]]
    before, after = context.urls.parts(f"{item.kind}-detail")

    def read(row):
        slug = row[slug_key]
        if slug is None:
            return None
        return {"slug": slug, "name": row[label_key], "url": f"{before}{slug}{after}"}

    return read


def _children_reader(name):
    return lambda row: [written for _, written in row["_children"][name]]


def _batch_reader(name):
    return lambda row: row["_batch"][name]


def _computed_reader(compute, context):
    return lambda row: compute(row, context)


def _values(queryset, columns):
    """`queryset.values()` of {alias: expression}, plain field names passed as such."""
    plain = [name for name, expression in columns.items() if isinstance(expression, F) and expression.name == name]
    return queryset.values(*plain, **{name: expression for name, expression in columns.items() if name not in plain})


def _children_queryset(writer, fk, parent_ids):
    queryset = writer.model.objects.filter(**{f"{fk}_id__in": parent_ids})
    if writer.order:
        queryset = queryset.order_by(*writer.order)
    return _values(queryset, {**writer.columns(), "_parent": F(f"{fk}_id")})


def _child_statement(writer, fk):
    """The query of this kind of child record for any set of parents, prepared once (kb.prepared):
    a page runs one per kind of child, and building one costs more than running it."""
    statements = writer.__dict__.setdefault("_child_statements", {})
    if fk not in statements:
        statements[fk] = Prepared(lambda ids: _children_queryset(writer, fk, ids), [LIST_STANDIN])
    return statements[fk]


@dataclass
class Batch:
    """A value read for a whole page at once: `fetch(rows, context)` returns {pk: value}."""

    name: str
    fetch: object
    schema: object
    detail_only: bool = False


@dataclass
class Writer:
    model: type
    items: list
    view_name: str | None = None
    order: tuple = ()
    extra_columns: dict = field(default_factory=dict)  # read for Computed items, not written: {alias: lookup}
    annotations: tuple = ()  # read when the queryset carries them (as_of's `in_force`)
    component: str = ""

    def _shown(self, item, detail):
        return detail or not getattr(item, "detail_only", False)

    # ---- reading and writing ----

    def columns(self, detail=False):
        columns = {"pk": F("pk")}
        if self.view_name:
            columns["slug"] = F("slug")
        for item in self.items:
            if isinstance(item, str):
                columns[item] = F(item)
            elif isinstance(item, Column) and self._shown(item, detail):
                columns[item.name] = F(item.name)
            elif isinstance(item, Ref):
                columns[f"{item.name}_id"] = F(f"{item.name}_id")
                columns[f"{item.name}__slug"] = F(f"{item.name}__slug")
                columns[f"{item.name}__label"] = F(f"{item.name}__{item.name_field}")
        columns.update({alias: F(lookup) for alias, lookup in self.extra_columns.items()})
        return columns

    def rows(self, queryset, detail=False, also=()):
        """The queryset's rows holding what this writer writes (lazy: slice or filter it first),
        and the columns `also` names, read beside them but not written (a record's version)."""
        columns = self.columns(detail)
        columns.update({name: F(name) for name in also})
        columns.update({name: F(name) for name in self.annotations if name in queryset.query.annotations})
        return _values(queryset, columns)

    def write(self, rows, context, detail=False):
        """The JSON of these rows; the children of all of them are read in one query per kind."""
        rows = list(rows)
        if not rows:
            return []
        ids = [row["pk"] for row in rows]
        children = {
            item.name: WRITERS[item.writer].children_of(item.fk, ids, context)
            for item in self.items
            if isinstance(item, Many) and self._shown(item, detail)
        }
        expanded = {}
        for item in self.items:
            if isinstance(item, Ref) and item.expandable and item.name in context.expand:
                target = WRITERS[item.kind]
                related = target.model.objects.filter(pk__in={row[f"{item.name}_id"] for row in rows} - {None})
                inner = Context(context.urls, frozenset(), context.as_of)
                expanded[item.name] = {record["slug"]: record for record in target.write(target.rows(related), inner)}
        batches = {
            item.name: item.fetch(rows, context)
            for item in self.items
            if isinstance(item, Batch) and self._shown(item, detail)
        }
        for row in rows:
            row["_batch"] = {name: values.get(row["pk"]) for name, values in batches.items()}
        write_row = self._row_writer(children, expanded, context, detail)
        return [write_row(row) for row in rows]

    def children_of(self, fk, parent_ids, context):
        """{parent id: [(row, JSON)]} for the children of these parents, in this writer's order."""
        rows = _child_statement(self, fk).rows(list(parent_ids))
        grouped = defaultdict(list)
        for row, record in zip(rows, self.write(rows, context), strict=True):
            grouped[row["_parent"]].append((row, record))
        return grouped

    def _row_writer(self, children, expanded, context, detail):
        """A function that writes one row: each item's reader, chosen once for all the rows of a
        write (not item by item for each row), so a page costs its rows' values and no more."""
        readers = list(self._readers(children, expanded, context, detail))
        names = list(children)

        def write_row(row):
            pk = row["pk"]
            row["_children"] = {name: children[name].get(pk, []) for name in names}
            return {name: reader(row) for name, reader in readers}

        return write_row

    def _readers(self, children, expanded, context, detail):
        for item in self.items:
            if isinstance(item, str):
                yield item, self._column_reader(item)
            elif not self._shown(item, detail):
                continue
            elif isinstance(item, Column):
                yield item.name, self._column_reader(item.name)
            elif isinstance(item, Ref):
                yield item.name, _ref_reader(item, expanded.get(item.name), context)
            elif isinstance(item, Many):
                yield item.name, _children_reader(item.name)
            elif isinstance(item, Batch):
                yield item.name, _batch_reader(item.name)
            else:
                yield item.name, _computed_reader(item.compute, context)

    def _column_reader(self, name):
        """The value of a column as JSON writes it: dates in ISO 8601, decimals as numbers."""
        readers = self.__dict__.setdefault("_column_readers", {})
        if name not in readers:
            try:
                internal = self.model._meta.get_field(name).get_internal_type()
            except FieldDoesNotExist:
                internal = None
            if internal in ("DateField", "DateTimeField", "DecimalField"):
                readers[name] = lambda row, name=name: _plain(row[name])
            else:
                readers[name] = itemgetter(name)
        return readers[name]

    def read_one(self, queryset, lookup, value, context, also=()):
        """(JSON, row) of the one record of `queryset` whose `lookup` is `value`, in full (detail), or
        (None, None): one query for its row, prepared once per queryset shape (kb.prepared), then
        one per kind of child. `also`: columns read beside it, not written (a version)."""
        query = queryset.query
        if query.where or query.annotations or query.is_sliced or query.distinct:
            rows = list(self.rows(queryset.filter(**{lookup: value}), detail=True, also=also)[:1])
            return (self.write(rows, context, detail=True)[0], rows[0]) if rows else (None, None)
        key = (tuple(query.order_by), lookup, type(value), tuple(also))
        statements = self.__dict__.setdefault("_record_statements", {})
        if key not in statements:
            standin = NUMBER_STANDIN if isinstance(value, int) else "\x1fprepared\x1f"
            statements[key] = Prepared(
                lambda value: self.rows(queryset.filter(**{lookup: value}), detail=True, also=also)[:1],
                standin,
                using=queryset.db,
            )
        rows = statements[key].rows(value, using=queryset.db)
        if not rows:
            return None, None
        return self.write(rows, context, detail=True)[0], rows[0]

    def write_one(self, queryset, context):
        """The JSON of the one record the queryset holds, in full (detail), or None."""
        records = self.write(self.rows(queryset, detail=True)[:1], context, detail=True)
        return records[0] if records else None

    # ---- documenting ----

    def schema(self, detail=False):
        """A serializer class that documents what this writer writes; it never writes anything."""
        detail = detail and any(getattr(item, "detail_only", False) for item in self.items)
        name = f"{self.component or self.model.__name__}{'Detail' if detail else ''}"
        if name in _SCHEMAS:
            return _SCHEMAS[name]
        declared, own, order = {}, [], []
        for item in self.items:
            if isinstance(item, str):
                own.append(item)
                order.append(item)
                continue
            if not self._shown(item, detail):
                continue
            order.append(item.name)
            if isinstance(item, Column):
                own.append(item.name)
            elif isinstance(item, Ref):
                declared[item.name] = RefSchemaField(item, help_text=item.help_text or None)
            elif isinstance(item, Many):
                declared[item.name] = WRITERS[item.writer].schema()(
                    many=True, read_only=True, help_text=item.help_text or None
                )
            else:
                declared[item.name] = item.schema
        for column in list(own):
            # A read-only field loses allow_blank in DRF, so a vocabulary that may be empty (an
            # undated fact's precision, a figure without a qualifier) is declared as it is written.
            model_field = self.model._meta.get_field(column)
            if model_field.choices and model_field.blank:
                own.remove(column)
                declared[column] = serializers.ChoiceField(
                    choices=model_field.choices,
                    allow_blank=True,
                    read_only=True,
                    help_text=str(model_field.help_text) or None,
                )
        meta = type("Meta", (), {"model": self.model, "fields": order, "read_only_fields": own})
        _SCHEMAS[name] = type(
            name, (serializers.ModelSerializer,), {**declared, "Meta": meta, "__doc__": self.model.__doc__}
        )
        return _SCHEMAS[name]

    def writable_fields(self):
        """What a client may write: the model's editable columns and the references this writer shows."""
        editable = {f.name for f in self.model._meta.concrete_fields if f.editable and not f.primary_key}
        names = [item if isinstance(item, str) else item.name for item in self.items if isinstance(item, (str, Ref))]
        return [name for name in names if name in editable]


_SCHEMAS = {}


class RefSchemaField(serializers.Field):
    """Documents a reference: {slug, name, url}, or the whole record with ?expand= (api.schema)."""

    csv_reference = True  # two CSV columns: <name>_slug and <name>_name (api.csv)

    def __init__(self, ref, **kwargs):
        self.ref = ref
        super().__init__(read_only=True, allow_null=True, **kwargs)


def _edtf(prefix):
    return lambda row, context: kb.dates.edtf(
        row[f"{prefix}_earliest"], row[f"{prefix}_latest"], row[f"{prefix}_precision"]
    )


def _interval(prefix, text=True):
    """The four columns of a date interval and its EDTF form, in the order they are written."""
    columns = [f"{prefix}_earliest", f"{prefix}_latest", f"{prefix}_precision"]
    items = [
        *columns,
        Computed(
            f"{prefix}_edtf",
            _edtf(prefix),
            serializers.CharField(
                help_text=(
                    "The interval in the Extended Date/Time Format (ISO 8601-2): 2011-06-03, 2010-12, 2006, or "
                    "2011-05-30/2011-06-05 for a week or a range; empty when undated."
                )
            ),
        ),
    ]
    if text:
        items.append(f"{prefix}_text")
    return items


def _citation_count(row, context):
    return len(row["_children"]["citations"])


def _independent_sources(row, context):
    return len({citation_row["source__lineage_root_id"] for citation_row, _ in row["_children"]["citations"]})


CITATION_COUNT = Computed(
    "citation_count", _citation_count, serializers.IntegerField(help_text="How many quotes back it.")
)
INDEPENDENT_SOURCES = Computed(
    "independent_source_count",
    _independent_sources,
    serializers.IntegerField(
        help_text="How many of its citing sources are independent of one another: sources derived from another "
        "(WBUR carries AP's text; the blog quotes AP) count once, with their origin."
    ),
)


def _citation_source_url(row, context):
    return context.urls("source-detail", row["source__slug"])


def _versions(rows, context):
    """The other versions of each row's event, in date order."""
    events = {row["event_id"] for row in rows} - {None}
    siblings = defaultdict(list)
    if events:
        for sibling in (
            kb.Position.objects.filter(event_id__in=events)
            .order_by("date_earliest", "slug")
            .values("pk", "event_id", "slug", "stance", "summary")
        ):
            siblings[sibling["event_id"]].append(sibling)
    return {
        row["pk"]: [
            {
                "slug": sibling["slug"],
                "url": context.urls("position-detail", sibling["slug"]),
                "stance": sibling["stance"],
                "summary": sibling["summary"],
            }
            for sibling in siblings.get(row["event_id"], ())
            if sibling["pk"] != row["pk"]
        ]
        for row in rows
    }


def _event(row, context):
    if row["event_id"] is None:
        return None
    return {"slug": row["event__slug"], "summary": row["event__summary"], "note": row["event__note"]}


class VersionSerializer(serializers.Serializer):
    """Another version of the same event, as another source tells it."""

    slug = serializers.SlugField()
    url = serializers.URLField()
    stance = serializers.ChoiceField(choices=kb.Stance.choices)
    summary = serializers.CharField()


class EventSerializer(serializers.Serializer):
    """The event a position is one version of: what every version agrees happened."""

    slug = serializers.SlugField()
    summary = serializers.CharField()
    note = serializers.CharField()


def _url_of(view_name):
    return lambda row, context: context.urls(view_name, row["slug"])


def _self_url(view_name):
    return Computed("url", _url_of(view_name), serializers.URLField(help_text="This record in the API."))


def _timeline_url(kind):
    return Computed(
        "timeline_url", _url_of(f"{kind}-timeline"), serializers.URLField(help_text="Its positions in date order.")
    )


def _many_citations(fk):
    return Many("citations", "citation", fk, help_text="The verbatim quotes that back it, at their offsets.")


def _other_names(fk):
    return Many("other_names", "other_name", fk, help_text="Other names and spellings the sources use, each cited.")


WRITERS = {}
WRITERS["citation"] = Writer(
    kb.Citation,
    [
        Computed("source", lambda row, context: row["source__slug"], serializers.SlugField(help_text="Source slug.")),
        Computed("source_url", _citation_source_url, serializers.URLField(help_text="The source in the API.")),
        "quote",
        "start",
        "end",
    ],
    order=("source__slug", "start", "pk"),
    extra_columns={"source__slug": "source__slug", "source__lineage_root_id": "source__lineage_root_id"},
)
WRITERS["other_name"] = Writer(kb.OtherName, ["name", _many_citations("other_name")], order=("name", "pk"))
WRITERS["voice"] = Writer(
    kb.Voice,
    [
        "rank",
        Ref("official", "official", help_text="The official who voiced it, if an official did.", expandable=False),
        Ref("organization", "organization", help_text="The organization that voiced it, if one did.", expandable=False),
        _many_citations("voice"),
    ],
    order=("rank", "pk"),
)
WRITERS["reason"] = Writer(kb.Reason, ["rank", "topic", "summary", _many_citations("reason")], order=("rank", "pk"))
WRITERS["part"] = Writer(kb.SourcePart, ["kind", "start", "end", "author", "note"], order=("start", "pk"))
WRITERS["jurisdiction"] = Writer(
    kb.Jurisdiction,
    [
        "slug",
        _self_url("jurisdiction-detail"),
        "name",
        "kind",
        Ref("parent", "jurisdiction", help_text="The jurisdiction this one is inside."),
        "ocd_id",
        _timeline_url("jurisdiction"),
    ],
    view_name="jurisdiction-detail",
)
WRITERS["organization"] = Writer(
    kb.Organization,
    [
        "slug",
        _self_url("organization-detail"),
        "name",
        _other_names("organization"),
        "kind",
        "description",
        Ref("jurisdiction", "jurisdiction", help_text="Where the organization is based."),
        Ref("parent", "organization", help_text="The organization this one belongs to."),
        _many_citations("organization"),
        _timeline_url("organization"),
    ],
    view_name="organization-detail",
)
WRITERS["official"] = Writer(
    kb.Official,
    [
        "slug",
        _self_url("official-detail"),
        "name",
        _other_names("official"),
        "role",
        "note",
        Ref("jurisdiction", "jurisdiction", help_text="The jurisdiction the official acts for."),
        Ref("organization", "organization", help_text="The organization the official acts for."),
        _many_citations("official"),
        _timeline_url("official"),
    ],
    view_name="official-detail",
)
WRITERS["fact"] = Writer(
    kb.ProgramFact,
    [
        "slug",
        "kind",
        "statement",
        "value",
        "value_qualifier",
        "unit",
        *_interval("date"),
        Ref("jurisdiction", "jurisdiction", help_text="Set when the fact is about one jurisdiction's part in it."),
        "note",
        Many("voices", "voice", "program_fact", help_text="Who asserts it, in a chain of attribution."),
        _many_citations("program_fact"),
        CITATION_COUNT,
        INDEPENDENT_SOURCES,
    ],
    order=(F("date_earliest").asc(nulls_last=True), "slug"),
    component="ProgramFact",
)
WRITERS["program"] = Writer(
    kb.Program,
    [
        "slug",
        _self_url("program-detail"),
        "name",
        _other_names("program"),
        Ref("agency", "organization", help_text="The administering agency."),
        "description",
        *_interval("started"),
        _many_citations("program"),
        Many("facts", "fact", "program", help_text="The program's cited facts: figures and dates.", detail_only=True),
    ],
    view_name="program-detail",
)
WRITERS["source"] = Writer(
    kb.Source,
    [
        "slug",
        _self_url("source-detail"),
        "title",
        "publisher",
        "authors",
        "kind",
        Computed(
            "original_url",
            lambda row, context: row["original_url"],
            serializers.CharField(help_text="The document's original address, where it names one; empty otherwise."),
        ),
        *_interval("published"),
        "note",
        Ref(
            "derived_from", "source", name_field="title", help_text="The source whose text this one carries or quotes."
        ),
        "derivation",
        "file_name",
        Many("parts", "part", "source", help_text="Spans that are not the publisher's: never evidence."),
        Computed(
            "text",
            lambda row, context: row["text"],
            serializers.CharField(help_text="The full text."),
            detail_only=True,
        ),
    ],
    view_name="source-detail",
    extra_columns={"original_url": "url", "text": "text"},
)
WRITERS["position"] = Writer(
    kb.Position,
    [
        "slug",
        _self_url("position-detail"),
        Ref("program", "program", help_text="The program the stance is on."),
        Computed(
            "event",
            _event,
            EventSerializer(
                allow_null=True, help_text="The event it is one version of, when sources tell it differently."
            ),
        ),
        Computed(
            "disputed",
            lambda row, context: bool(row["_batch"]["versions"]),
            serializers.BooleanField(help_text="Whether other sources tell its event differently (see versions)."),
        ),
        Batch("versions", _versions, VersionSerializer(many=True, help_text="The other versions of its event.")),
        Ref("jurisdiction", "jurisdiction", help_text="The jurisdiction whose stance it is, if any."),
        Ref("organization", "organization", help_text="The organization whose stance it is, if any."),
        Ref("official", "official", help_text="The official whose own stance it is (a person's own stance only)."),
        "stance",
        *_interval("date"),
        "date_basis",
        "summary",
        "note",
        Many("voices", "voice", "position", help_text="Who voiced it, in a chain of attribution, each cited."),
        Many("reasons", "reason", "position", help_text="The reasons the sources give for it, each cited."),
        _many_citations("position"),
        CITATION_COUNT,
        INDEPENDENT_SOURCES,
        Computed(
            "in_force",
            lambda row, context: row.get("in_force"),
            serializers.ChoiceField(
                choices=kb.InForce.choices,
                allow_null=True,
                help_text="With `as_of` only: certain, or possible (its event may not have happened by that day, or "
                "a later one may have begun). Null without `as_of`.",
            ),
        ),
    ],
    view_name="position-detail",
    extra_columns={
        "event_id": "event_id",
        "event__slug": "event__slug",
        "event__summary": "event__summary",
        "event__note": "event__note",
    },
    annotations=("in_force",),
)


# The kind of fact a citation backs -> how `cites` names it: (view, slug column, name column).
CITED_AS = {
    "position": ("position-detail", "position__slug", "position__summary"),
    "program_fact": ("fact-detail", "program_fact__slug", "program_fact__statement"),
    "official": ("official-detail", "official__slug", "official__name"),
    "organization": ("organization-detail", "organization__slug", "organization__name"),
    "program": ("program-detail", "program__slug", "program__name"),
    "reason": ("position-detail", "reason__position__slug", "reason__summary"),
}


def _cited_columns():
    """What `cites` reads: each kind's key, and the names and slugs it writes."""
    lookups = [f"{kind}_id" for kind in kb.CITED_FIELDS]
    lookups += [lookup for _, slug, name in CITED_AS.values() for lookup in (slug, name)]
    lookups += [
        "other_name__name",
        *(f"other_name__{owner}__slug" for owner in ("official", "organization", "program")),
    ]
    lookups += [
        "voice__official__name",
        "voice__organization__name",
        "voice__position__slug",
        "voice__program_fact__slug",
    ]
    return {lookup: lookup for lookup in lookups}


OWNER_VIEWS = {"position": "position-detail", "program_fact": "fact-detail"}


def _cites(row, context):
    kind = next(kind for kind in kb.CITED_FIELDS if row[f"{kind}_id"] is not None)
    if kind in CITED_AS:
        view_name, slug, name = CITED_AS[kind]
        return {"kind": kind, "slug": row[slug], "name": row[name], "url": context.urls(view_name, row[slug])}
    if kind == "other_name":
        owner = next(owner for owner in ("official", "organization", "program") if row[f"other_name__{owner}__slug"])
        slug = row[f"other_name__{owner}__slug"]
        return {
            "kind": kind,
            "slug": slug,
            "name": row["other_name__name"],
            "url": context.urls(f"{owner}-detail", slug),
        }
    owner = next(owner for owner in ("position", "program_fact") if row[f"voice__{owner}__slug"])
    slug = row[f"voice__{owner}__slug"]
    speaker = row["voice__official__name"] or row["voice__organization__name"]
    return {"kind": kind, "slug": slug, "name": speaker, "url": context.urls(OWNER_VIEWS[owner], slug)}


class CitedFactSerializer(serializers.Serializer):
    """The fact a citation backs: for an other name, the record it names; for a voice or a reason,
    the position or fact it belongs to."""

    kind = serializers.ChoiceField(choices=[(kind, kind) for kind in kb.CITED_FIELDS])
    slug = serializers.CharField(
        help_text="The slug of the fact, or of the record the other name, voice or reason belongs to."
    )
    name = serializers.CharField(
        help_text="A position's summary, a fact's statement, the other name, the voice, the reason, or the record's name."
    )
    url = serializers.URLField(help_text="The fact (or the record it belongs to) in the API.")


WRITERS["cited_citation"] = Writer(
    kb.Citation,
    [
        Computed("id", lambda row, context: row["pk"], serializers.IntegerField(help_text="The citation's id.")),
        Computed(
            "url",
            lambda row, context: context.urls("citation-detail", row["pk"], kwarg="id"),
            serializers.URLField(help_text="This citation in the API."),
        ),
        Ref("source", "source", name_field="title", help_text="The source quoted.", expandable=False),
        "quote",
        "start",
        "end",
        Computed("cites", _cites, CitedFactSerializer(help_text="The fact the quote backs.")),
    ],
    order=("pk",),
    extra_columns=_cited_columns(),
    component="CitedCitation",
)
WRITERS["program_fact"] = Writer(
    kb.ProgramFact,
    [
        "slug",
        _self_url("fact-detail"),
        Ref("program", "program", help_text="The program the fact is about."),
        *WRITERS["fact"].items[1:],
    ],
    view_name="fact-detail",
    component="Fact",
)
