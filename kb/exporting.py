"""Write the database's knowledge base as its reviewable source, in the layout of `fixtures/`.

`export_knowledge_base(output)` writes `output/kb.yaml`, in exactly the schema kb.fixture_build
reads (docs/data-model.md), and `output/documents/`, each source's text in its `file_name`.
Building and loading the export gives the same knowledge base, and an export of a freshly loaded
knowledge base is `fixtures/kb.yaml` once parsed (its comments aside).

What is written comes from the models' metadata, so a new field needs nothing here:

- a section of the file per model of the build's `SECTIONS`; in each record its editable fields,
  a foreign key as the slug of the record it names, `<x>_earliest/_latest/_precision/_text` as
  one `<x>: {earliest, latest, precision, text}`;
- inside a record, what belongs to it (a record deleted with it: its citations, other names,
  voices, reasons, a source's parts, a program's facts), under the name the model gives the
  relation (`citations`, `other_names`, `voices`, `reasons`, `parts`, `facts`);
- a citation as `{source, quote}`, and a part by its text (kb.documents.describe_part), never by
  offsets: the build finds the offsets again.

An empty value is left out, except where the curated file shows it (KEEP_EMPTY). Records and keys
come in the order of a reference file (the committed `fixtures/kb.yaml` by default), so that a
reviewer's diff shows what changed and not how it is laid out; what the reference does not have
follows, in the database's order.
"""

import datetime
import decimal
import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import models

from kb import registry
from kb.documents import check_file_name, describe_part, evidence_occurrence
from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE, SECTIONS, BuildError, build_fixture
from kb.models import Jurisdiction, Source, SourcePart, Voice

FACTS_NAME = "kb.yaml"
DOCUMENTS_NAME = "documents"

# The document's text is written as its file, not in kb.yaml.
DOCUMENT_FIELD = (Source, "text")
# Keys the curated file writes even when empty: a source's missing headline, publisher, authors
# and address are facts about the document; the outermost jurisdiction has no parent.
KEEP_EMPTY = {Source: {"title", "publisher", "authors", "url"}, Jurisdiction: {"parent"}, SourcePart: {"author"}}
# The file's own name for a field, where it is not the field's.
FILE_KEYS = {Source: {"file_name": "file"}}
# Lists whose every rank is written once they hold more than one record: a chain of attribution,
# where two voices can share a rank. Elsewhere a rank is written only where it is not the
# record's place in the list (which is what the build gives it).
EXPLICIT_RANKS = {Voice}
# Words that must be read exactly (quotes, markers, a date's words): always double-quoted.
VERBATIM_KEYS = {"quote", "from", "text"}
# Prose that does not fit on its key's line is folded over lines this wide.
WIDTH = 100
FOLD_WIDTH = 88  # PyYAML breaks a folded line at the first space past this


class ExportError(Exception):
    """The knowledge base cannot be written as the curated file (the message says why)."""


@dataclass
class ExportReport:
    records: dict = field(default_factory=dict)  # section -> number of records
    documents: int = 0
    strays: list = field(default_factory=list)  # files in documents/ that are no source's
    problems: list = field(default_factory=list)  # what the build of the export found wrong


# ---------------------------------------------------------------- the layout, from the models


@dataclass
class Layout:
    """How one model's records are written: their keys in order, and what belongs to them."""

    model: type
    fields: list  # (key, model field) for plain fields and references
    intervals: list  # (key, {part: model field})
    children: list  # (key, child model, the child's foreign key to this model)
    owner_fields: frozenset  # the model's foreign keys to what it belongs to: implied by nesting
    order: list  # every key, in the canonical order


def _owned_models():
    return [model for model in registry.record_models() if model not in SECTIONS.values()]


def _belongs_to(model_field):
    """A record belongs to what it is deleted with: its CASCADE foreign keys name its owner."""
    return model_field.many_to_one and model_field.remote_field.on_delete is models.CASCADE


@functools.cache
def layout(model):
    owned = _owned_models()
    located = _located_fields(model)
    concrete = [
        f
        for f in model._meta.concrete_fields
        if f.editable
        and not f.primary_key
        and f.name != "version"
        and f.name not in located
        and (model, f.name) != DOCUMENT_FIELD
    ]
    owner_fields = frozenset(f.name for f in concrete if _belongs_to(f)) if model in owned else frozenset()
    names = {f.name for f in concrete}
    prefixes = [
        f.name.removesuffix("_earliest")
        for f in concrete
        if f.name.endswith("_earliest")
        and {f"{f.name.removesuffix('_earliest')}_{part}" for part in ("latest", "precision")} <= names
    ]
    interval_parts = ("earliest", "latest", "precision", "text")
    in_intervals = {f"{prefix}_{part}" for prefix in prefixes for part in interval_parts}
    fields, intervals, order = [], [], []
    for model_field in concrete:
        if model_field.name in owner_fields:
            continue
        if model_field.name in in_intervals:
            prefix = model_field.name.removesuffix("_earliest")
            if prefix in prefixes and prefix != model_field.name:
                parts = {
                    part: model._meta.get_field(f"{prefix}_{part}")
                    for part in interval_parts
                    if f"{prefix}_{part}" in names
                }
                intervals.append((prefix, parts))
                order.append(prefix)
            continue
        key = FILE_KEYS.get(model, {}).get(model_field.name, model_field.name)
        fields.append((key, model_field))
        order.append(key)
    if "slug" in order:
        order.insert(0, order.pop(order.index("slug")))
    if located:
        # A citation names its source and quote (and which occurrence); a part is located by its text.
        at = order.index("quote") + 1 if "quote" in order else 1
        order[at:at] = ["occurrence"] if "quote" in order else ["quote", "from", "occurrence"]
    children = [
        (relation.get_accessor_name(), relation.related_model, relation.field.name)
        for relation in model._meta.related_objects
        if relation.one_to_many and relation.related_model in owned and _belongs_to(relation.field)
    ]
    children.sort(key=lambda child: child[0] == "citations")  # a record's own citations close it
    order += [key for key, _, _ in children]
    return Layout(model, fields, intervals, children, owner_fields, order)


def _located_fields(model):
    """`start` and `end`, on a record located in a document's text (a citation, a part)."""
    names = {f.name for f in model._meta.concrete_fields}
    return {"start", "end"} if {"start", "end"} <= names else set()


# ---------------------------------------------------------------- reading the database


class _Database:
    """Every knowledge-base record, read once, with its children grouped under their owner."""

    def __init__(self, using):
        self.rows = {}
        for model in registry.record_models():
            queryset = model._base_manager.using(using).order_by("pk")
            if model is Source:
                queryset = queryset.prefetch_related("parts")
            self.rows[model] = list(queryset)
        self.by_pk = {model: {row.pk: row for row in rows} for model, rows in self.rows.items()}
        self.children = defaultdict(list)  # (child model, fk name, owner pk) -> rows
        for model in _owned_models():
            for fk in layout(model).owner_fields:
                attname = model._meta.get_field(fk).attname
                for row in self.rows[model]:
                    owner = getattr(row, attname)
                    if owner is not None:
                        self.children[(model, fk, owner)].append(row)

    def slug_of(self, model, pk):
        row = self.by_pk[model].get(pk)
        return None if row is None else row.slug


def _plain(value):
    if isinstance(value, decimal.Decimal):
        integral = value.to_integral_value()
        return int(integral) if value == integral else float(value)
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _record(database, row, owner=None):
    """One record as the curated file writes it, its keys in the canonical order."""
    spec = layout(type(row))
    written = {}
    for key, model_field in spec.fields:
        if model_field.is_relation:
            value = database.slug_of(model_field.related_model, getattr(row, model_field.attname))
        else:
            value = _plain(getattr(row, model_field.attname))
        written[key] = value
    for key, parts in spec.intervals:
        interval = {part: _plain(getattr(row, model_field.attname)) for part, model_field in parts.items()}
        written[key] = None if all(_empty(value) for value in interval.values()) else interval
    if _located_fields(type(row)):
        written.update(_location(database, row, owner))
    for key, child_model, fk in spec.children:
        rows = database.children[(child_model, fk, row.pk)]
        if "rank" in {f.name for f in child_model._meta.concrete_fields}:
            rows = sorted(rows, key=lambda child: (child.rank, child.pk))
        written[key] = _ranked([_record(database, child, row) for child in rows], child_model)
    keep = KEEP_EMPTY.get(type(row), set())
    return {key: written[key] for key in spec.order if key in written and (key in keep or not _empty(written[key]))}


def _ranked(records, model):
    """Ranks as the build reads them: a rank is its place in the list unless the list says otherwise."""
    explicit = model in EXPLICIT_RANKS and len(records) > 1
    for index, record in enumerate(records):
        if "rank" in record and not explicit and record["rank"] == index:
            del record["rank"]
    return records


def _location(database, row, owner):
    """A citation as {source, quote}, with `occurrence` past the first; a part by its text."""
    if isinstance(row, SourcePart):
        return describe_part(owner.text, row.start, row.end)
    source = database.by_pk[Source][row.source_id]
    occurrence = evidence_occurrence(source, row.quote, row.start)
    if occurrence is None:
        raise ExportError(
            f"The citation {row.quote[:60]!r} of {source.slug!r} at [{row.start}:{row.end}] is not an occurrence of its "
            "quote outside the source's non-publisher parts: the build could not find it again."
        )
    return {"quote": row.quote, **({"occurrence": occurrence} if occurrence > 1 else {})}


def knowledge_base_data(using="default"):
    """The database's knowledge base as the curated file's data: {section: [record, ...]}."""
    return _read(_Database(using))


def _read(database):
    return {section: [_record(database, row) for row in database.rows[model]] for section, model in SECTIONS.items()}


# ---------------------------------------------------------------- the reference's order


class Reference:
    """The order of records and of keys in a curated file, which an export keeps where it can."""

    def __init__(self, data=None):
        self.slugs = defaultdict(dict)  # path -> slug -> place
        self.keys_of = {}  # (path, slug) -> that record's keys, in order
        self.sequences = defaultdict(list)  # path -> every record's keys, in order
        self.sections = list(data or {})
        for section, records in (data or {}).items():
            self._walk(section, records)

    def _walk(self, path, value):
        if isinstance(value, list):
            for item in value:
                self._walk(path, item)
        elif isinstance(value, dict):
            keys = list(value)
            self.sequences[path].append(keys)
            slug = value.get("slug")
            if isinstance(slug, str):
                self.slugs[path].setdefault(slug, len(self.slugs[path]))
                self.keys_of[(path, slug)] = keys
            for key, item in value.items():
                if isinstance(item, (list, dict)):
                    self._walk(f"{path}.{key}", item)

    @functools.cached_property
    def _merged(self):
        return {path: _merge(sequences) for path, sequences in self.sequences.items()}

    def arrange(self, path, value):
        """`value` (a record, a list of them, or any value) in the reference's order, at any depth."""
        if isinstance(value, list):
            places = self.slugs.get(path, {})
            if any(isinstance(item, dict) and "slug" in item for item in value):
                indexed = list(enumerate(value))
                indexed.sort(key=lambda pair: (places.get(pair[1].get("slug"), math.inf), pair[0]))
                value = [item for _, item in indexed]
            return [self.arrange(path, item) for item in value]
        if not isinstance(value, dict):
            return value
        preferred = self.keys_of.get((path, value.get("slug"))) or self._merged.get(path, [])
        return {key: self.arrange(f"{path}.{key}", value[key]) for key in _arrange(list(value), preferred)}


def _merge(sequences):
    """One order of keys consistent with every sequence where they agree (first seen first)."""
    seen, before = [], defaultdict(set)
    for sequence in sequences:
        for key in sequence:
            if key not in seen:
                seen.append(key)
        for earlier, later in zip(sequence, sequence[1:], strict=False):
            before[later].add(earlier)
    merged, placed = [], set()
    while len(merged) < len(seen):
        ready = [key for key in seen if key not in placed and before[key] <= placed]
        key = ready[0] if ready else next(key for key in seen if key not in placed)  # a cycle: first seen
        merged.append(key)
        placed.add(key)
    return merged


def _arrange(keys, preferred):
    """`keys` (in canonical order) in the preferred order; a key it lacks follows its canonical predecessor."""
    placed = [key for key in preferred if key in keys]
    for index, key in enumerate(keys):
        if key in placed:
            continue
        predecessors = [other for other in keys[:index] if other in placed]
        placed.insert(placed.index(predecessors[-1]) + 1 if predecessors else 0, key)
    return placed


def arrange_sections(data, reference):
    sections = [name for name in reference.sections if name in data] + [n for n in data if n not in reference.sections]
    return {section: reference.arrange(section, data[section]) for section in sections}


# ---------------------------------------------------------------- writing YAML a reviewer reads


class _Verbatim(str):
    pass


class _Prose(str):
    pass


class _Dumper(yaml.SafeDumper):
    """Block style; a list indented under its key; a double-quoted string kept on one line."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def write_double_quoted(self, text, split=True):
        super().write_double_quoted(text, split=False)


_Dumper.add_representer(_Verbatim, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, '"'))
_Dumper.add_representer(_Prose, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, ">"))


def _styled(value, key=None, column=-2, fold=True):
    """Strings marked with their style; `column` is where `key` is written."""
    if isinstance(value, dict):
        return {name: _styled(item, name, column + 2, fold) for name, item in value.items()}
    if isinstance(value, list):
        return [_styled(item, key, column + 2, fold) for item in value]
    if isinstance(value, str):
        if key in VERBATIM_KEYS or value == "":
            return _Verbatim(value)
        too_long = column + len(key or "") + len(value) + 4 > WIDTH
        if fold and too_long and "\r" not in value and value == value.strip():
            return _Prose(value)
        return str(value)
    return value


HEADER = (
    "# The knowledge base as `python manage.py export_kb` writes it: a database's records, or the committed\n"
    "# fixtures/kb.yaml rewritten (--from-fixture). The schema is docs/data-model.md; the build\n"
    "# (`python manage.py build_kb`) finds every quote again. Comments are not kept.\n"
)


def dump_yaml(data):
    """The curated file's text of `data`: what `yaml.safe_load` reads back as `data`, exactly."""
    for fold in (True, False):
        text = yaml.dump(
            _styled(data, fold=fold), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=FOLD_WIDTH, indent=2
        )
        # A blank line between records and before each section, as a person lays the file out.
        text = HEADER + "\n" + re.sub(r"(?<!:)\n(?=  - )", "\n\n", re.sub(r"\n(?=\S)", "\n\n", text))
        if yaml.safe_load(text) == data:
            return text
    # PyYAML reads back what it writes; this guards the folding and the blank lines above.
    raise ExportError("The YAML written does not read back as the knowledge base.")


def read_reference(path):
    if path is None or not Path(path).is_file():
        return Reference()
    return Reference(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})


# ---------------------------------------------------------------- the export


def export_knowledge_base(output, using="default", reference_file=FACTS_FILE):
    """Write the database's knowledge base into `output` (kb.yaml and documents/), then build it."""
    database = _Database(using)
    data = _read(database)
    documents = {source.file_name: source.text for source in database.rows[Source]}
    return _write(Path(output), data, documents, read_reference(reference_file))


def rewrite_curated_file(output, facts_file=FACTS_FILE, documents_dir=DOCUMENTS_DIR):
    """Write a curated file (and its documents) in the export's layout, without the database: the
    other side of a reviewer's diff."""
    try:
        data = yaml.safe_load(Path(facts_file).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ExportError(f"Cannot read {facts_file}: {error}") from None
    documents = {}
    for source in data.get("sources") or []:
        name = source.get("file") or ""
        try:
            documents[name] = _read_exactly(Path(documents_dir) / name)
        except OSError as error:
            raise ExportError(f"Cannot read the document of source {source.get('slug')!r}: {error}") from None
    return _write(Path(output), data, documents, Reference(data))


def _read_exactly(path):
    """A document's text as it is in its file, line ends included."""
    with open(path, encoding="utf-8", newline="") as document:
        return document.read()


def _write(output, data, documents, reference):
    for name in documents:
        try:
            check_file_name(name)
        except ValidationError as error:
            raise ExportError(
                f"A source's file_name cannot be written into {output / DOCUMENTS_NAME}: {error}"
            ) from None
    arranged = arrange_sections(data, reference)
    text = dump_yaml(arranged)
    folder = output / DOCUMENTS_NAME
    folder.mkdir(parents=True, exist_ok=True)
    for name, document in documents.items():
        path = folder / name
        if not path.is_file() or _read_exactly(path) != document:
            path.write_text(document, encoding="utf-8", newline="")
    facts = output / FACTS_NAME
    written = facts.with_name(f".{FACTS_NAME}.tmp")
    written.write_text(text, encoding="utf-8")
    written.replace(facts)
    report = ExportReport(
        records={section: len(records) for section, records in arranged.items()},
        documents=len(documents),
        strays=sorted(path.name for path in folder.iterdir() if path.is_file() and path.name not in documents),
    )
    try:
        build_fixture(facts, folder)
    except BuildError as error:
        report.problems = error.problems
    return report
