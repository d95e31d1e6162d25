"""Build the Django fixture from the curated facts file and the documents.

`fixtures/kb.yaml` is the human-reviewed list of facts, each with the quotes that back it
(docs/data-model.md describes it); `fixtures/documents/` holds the source texts. The build makes
a model instance of every record, finds each quote in its source outside the parts that are not
the publisher's, and collects the instances' own validation errors (their fields, `clean()` and
check constraints: the rules the database enforces) together with what only the file can get
wrong: a reference to no record, a slug used twice, a fact without a quote, a date whose words
are not in its quotes. It writes `fixtures/kb.json`, a Django fixture keyed by natural keys
(slugs), so that it loads into an empty or a loaded database alike.
"""

import datetime
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import models

from kb import registry
from kb.models import (
    Citation,
    DateBasis,
    Event,
    Jurisdiction,
    Official,
    Organization,
    OtherName,
    Position,
    Program,
    ProgramFact,
    Reason,
    Source,
    SourcePart,
    Voice,
)
from kb.models.positions import evidence_errors

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
FACTS_FILE = FIXTURES_DIR / "kb.yaml"
DOCUMENTS_DIR = FIXTURES_DIR / "documents"
FIXTURE_FILE = FIXTURES_DIR / "kb.json"

# The model behind each top-level list of the file, in the order the file is read.
SECTIONS = {
    "sources": Source,
    "jurisdictions": Jurisdiction,
    "organizations": Organization,
    "officials": Official,
    "programs": Program,
    "events": Event,
    "positions": Position,
}


class BuildError(Exception):
    """The facts file does not hold together; the message lists every problem found."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the facts file:\n" + "\n".join(f"- {problem}" for problem in problems)
        )


@dataclass
class _Build:
    documents_dir: Path
    problems: list = field(default_factory=list)
    instances: list = field(default_factory=list)
    by_slug: dict = field(default_factory=lambda: defaultdict(dict))  # model -> slug -> instance
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def problem(self, where, message):
        self.problems.append(f"{where}: {message}")

    def make(self, model, where, **values):
        """A model instance with a stand-in primary key (so references between unsaved records
        resolve), checked by its own rules; its problems are collected under `where`."""
        instance = model(pk=next(self._ids), **values)
        self.instances.append((instance, where))
        return instance

    def register(self, model, slug, instance, where):
        if slug in self.by_slug[model]:
            self.problem(where, f"slug {slug!r} is used by two {model._meta.verbose_name} records")
        self.by_slug[model][slug] = instance

    def ref(self, model, slug, where, role):
        """The record of `model` the file names by `slug`, or None (a problem when it names none)."""
        if slug in (None, ""):
            return None
        found = self.by_slug[model].get(slug)
        if found is None:
            self.problem(where, f"{role} {slug!r} does not exist (no {model._meta.verbose_name} has that slug)")
        return found

    def citations(self, entry, where, **cited):
        """The citations of one fact: each quote found in its source, outside the non-publisher parts."""
        citations = entry.get("citations") or []
        if not citations:
            self.problem(where, "has no citation: every fact needs at least one quote from a source")
        seen, made = set(), []
        for number, raw in enumerate(citations, start=1):
            here = f"{where}, citation {number}"
            source = self.ref(Source, raw.get("source"), here, "source")
            quote = raw.get("quote")
            if source is None or not isinstance(quote, str) or not quote:
                if source is not None:
                    self.problem(here, "has no quote")
                continue
            start = _nth_evidence(source, quote, raw.get("occurrence", 1))
            if start is None:
                reason = (
                    "is only in parts that are not the publisher's (a reposter's header, reader comments), which are never evidence"
                    if quote in source.text
                    else "is not verbatim in the source"
                )
                self.problem(here, f"quote {quote!r} {reason} ({source.slug}, {source.file_name})")
                continue
            if (source.slug, start) in seen:
                self.problem(here, f"cites the same quote of {source.slug!r} twice")
            seen.add((source.slug, start))
            made.append(
                self.make(Citation, here, source=source, quote=quote, start=start, end=start + len(quote), **cited)
            )
        return made

    def other_names(self, entry, where, **owner):
        for raw in entry.get("other_names") or []:
            here = f"{where}, other name {raw.get('name')!r}"
            other_name = self.make(OtherName, here, name=raw.get("name") or "", **owner)
            self.citations(raw, here, other_name=other_name)

    def voices(self, entry, where, **voiced):
        for index, raw in enumerate(entry.get("voices") or []):
            here = f"{where}, voice {index + 1}"
            speaker = {
                "official": self.ref(Official, raw.get("official"), here, "official"),
                "organization": self.ref(Organization, raw.get("organization"), here, "organization"),
            }
            voice = self.make(Voice, here, rank=raw.get("rank", index), **speaker, **voiced)
            self.citations(raw, here, voice=voice)

    def interval(self, raw, where, prefix, text_field=None):
        """The `{earliest, latest, precision, text}` of the file as the model's four fields."""
        raw = raw or {}
        values = {}
        for part in ("earliest", "latest"):
            day = raw.get(part)
            if day is not None and not isinstance(day, datetime.date):
                self.problem(where, f"{prefix} {part} {day!r} is not a date written YYYY-MM-DD")
                day = None
            values[f"{prefix}_{part}"] = day
        values[f"{prefix}_precision"] = raw.get("precision") or ""
        values[text_field or f"{prefix}_text"] = raw.get("text") or ""
        return values


def _nth_evidence(source, quote, occurrence):
    """Offset of the `occurrence`th occurrence of `quote` outside the source's non-publisher parts."""
    position = -1
    for _ in range(max(int(occurrence or 1), 1)):
        position = source.find_evidence(quote, position + 1)
        if position < 0:
            return None
    return position


def _nth(text, quote, occurrence):
    position = -1
    for _ in range(max(int(occurrence or 1), 1)):
        position = text.find(quote, position + 1)
        if position < 0:
            return None
    return position


def _parents_first(entries):
    """Entries ordered so that each comes after the one its `parent` or `derived_from` names
    (every entry kept, even one whose slug another uses: register() reports that)."""
    by_slug = {}
    for entry in entries:
        by_slug.setdefault(entry.get("slug"), entry)
    ordered, placed = [], set()

    def place(entry, trail=()):
        if id(entry) in placed or id(entry) in trail:
            return
        for key in ("parent", "derived_from"):
            parent = by_slug.get(entry.get(key))
            if parent is not None:
                place(parent, (*trail, id(entry)))
        placed.add(id(entry))
        ordered.append(entry)

    for entry in entries:
        place(entry)
    return ordered


def build_fixture(facts_file=FACTS_FILE, documents_dir=DOCUMENTS_DIR):
    """Return the fixture's model instances, parents before children; raise BuildError listing every problem."""
    try:
        facts = yaml.safe_load(Path(facts_file).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise BuildError([f"{facts_file}: not valid YAML: {error}"]) from None
    unknown = sorted(set(facts) - set(SECTIONS))
    build = _Build(documents_dir=Path(documents_dir))
    if unknown:
        build.problem(str(facts_file), f"unknown sections {', '.join(unknown)}; accepted: {', '.join(SECTIONS)}")
    for section, builder in (
        ("sources", _build_source),
        ("jurisdictions", _build_jurisdiction),
        ("organizations", _build_organization),
        ("officials", _build_official),
        ("programs", _build_program),
        ("events", _build_event),
        ("positions", _build_position),
    ):
        for entry in _parents_first(facts.get(section) or []):
            builder(build, entry, f"{section[:-1]} {entry.get('slug')!r}")
    _check_positions(build)
    for instance, where in build.instances:
        _validate(build, instance, where)
    if build.problems:
        raise BuildError(build.problems)
    order = {model: index for index, model in enumerate(registry.record_models())}
    return [instance for instance, _ in sorted(build.instances, key=lambda item: order[type(item[0])])]


def _validate(build, instance, where):
    """The record's own rules: its fields, its clean() and its check constraints."""
    relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    errors = {}
    for check in (
        lambda: instance.clean_fields(exclude=relations),
        instance.clean,
        *(
            (lambda constraint=constraint: constraint.validate(type(instance), instance))
            for constraint in instance._meta.constraints
            if isinstance(constraint, models.CheckConstraint)
        ),
    ):
        try:
            check()
        except ValidationError as error:
            for name, messages in (
                error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            ).items():
                errors.setdefault(name, []).extend(messages)
    for name, messages in errors.items():
        label = "" if name in ("", "__all__") else f"{name}: "
        build.problem(where, f"{label}{' '.join(dict.fromkeys(messages))}")


def _build_source(build, entry, where):
    slug, file_name = entry.get("slug"), entry.get("file") or ""
    path = build.documents_dir / file_name
    if not file_name or not path.is_file():
        build.problem(where, f"document file {file_name!r} does not exist in {build.documents_dir}")
        return
    text = path.read_text(encoding="utf-8")
    source = build.make(
        Source,
        where,
        slug=slug,
        title=entry.get("title") or "",
        publisher=entry.get("publisher") or "",
        authors=list(entry.get("authors") or []),
        kind=entry.get("kind") or "",
        url=entry.get("url") or "",
        note=entry.get("note") or "",
        derived_from=build.ref(Source, entry.get("derived_from"), where, "derived_from"),
        derivation=entry.get("derivation") or "",
        file_name=file_name,
        text=text,
        **build.interval(entry.get("published"), where, "published"),
    )
    build.register(Source, slug, source, where)
    source.pending_parts = []
    for number, raw in enumerate(entry.get("parts") or [], start=1):
        here = f"{where}, part {number}"
        if raw.get("from"):
            start, end = _nth(text, raw["from"], raw.get("occurrence", 1)), len(text)
        else:
            start = _nth(text, raw.get("quote") or "\0", raw.get("occurrence", 1))
            end = None if start is None else start + len(raw["quote"])
        if start is None:
            build.problem(here, f"{raw.get('from') or raw.get('quote')!r} is not in {file_name}")
            continue
        part = build.make(
            SourcePart,
            here,
            source=source,
            kind=raw.get("kind") or "",
            start=start,
            end=end,
            author=raw.get("author") or "",
            note=raw.get("note") or "",
        )
        source.pending_parts.append(part)
    published_text = source.published_text
    if published_text and source.find_evidence(published_text) < 0:
        build.problem(where, f"published text {published_text!r} is not in {file_name} outside its non-publisher parts")
    if source.published_earliest and not published_text:
        build.problem(where, "has a publication date but no published text showing where the document dates it")


def _build_jurisdiction(build, entry, where):
    jurisdiction = build.make(
        Jurisdiction,
        where,
        slug=entry.get("slug"),
        name=entry.get("name") or "",
        kind=entry.get("kind") or "",
        parent=build.ref(Jurisdiction, entry.get("parent"), where, "parent"),
        ocd_id=entry.get("ocd_id") or "",
    )
    build.register(Jurisdiction, entry.get("slug"), jurisdiction, where)


def _build_organization(build, entry, where):
    organization = build.make(
        Organization,
        where,
        slug=entry.get("slug"),
        name=entry.get("name") or "",
        kind=entry.get("kind") or "",
        description=entry.get("description") or "",
        jurisdiction=build.ref(Jurisdiction, entry.get("jurisdiction"), where, "jurisdiction"),
        parent=build.ref(Organization, entry.get("parent"), where, "parent"),
    )
    build.register(Organization, entry.get("slug"), organization, where)
    build.citations(entry, where, organization=organization)
    build.other_names(entry, where, organization=organization)


def _build_official(build, entry, where):
    official = build.make(
        Official,
        where,
        slug=entry.get("slug"),
        name=entry.get("name") or "",
        role=entry.get("role") or "",
        note=entry.get("note") or "",
        jurisdiction=build.ref(Jurisdiction, entry.get("jurisdiction"), where, "jurisdiction"),
        organization=build.ref(Organization, entry.get("organization"), where, "organization"),
    )
    build.register(Official, entry.get("slug"), official, where)
    build.citations(entry, where, official=official)
    build.other_names(entry, where, official=official)


def _build_program(build, entry, where):
    program = build.make(
        Program,
        where,
        slug=entry.get("slug"),
        name=entry.get("name") or "",
        agency=build.ref(Organization, entry.get("agency"), where, "agency"),
        description=entry.get("description") or "",
        **build.interval(entry.get("started"), where, "started"),
    )
    build.register(Program, entry.get("slug"), program, where)
    build.citations(entry, where, program=program)
    build.other_names(entry, where, program=program)
    for raw in entry.get("facts") or []:
        here = f"program fact {raw.get('slug')!r}"
        value = raw.get("value")
        fact = build.make(
            ProgramFact,
            here,
            program=program,
            slug=raw.get("slug"),
            kind=raw.get("kind") or "",
            statement=raw.get("statement") or "",
            value=None if value is None else str(value),
            value_qualifier=raw.get("value_qualifier") or "",
            unit=raw.get("unit") or "",
            note=raw.get("note") or "",
            jurisdiction=build.ref(Jurisdiction, raw.get("jurisdiction"), here, "jurisdiction"),
            **build.interval(raw.get("date"), here, "date"),
        )
        build.register(ProgramFact, raw.get("slug"), fact, here)
        build.voices(raw, here, program_fact=fact)
        build.citations(raw, here, program_fact=fact)


def _build_event(build, entry, where):
    event = build.make(
        Event,
        where,
        slug=entry.get("slug"),
        program=build.ref(Program, entry.get("program"), where, "program"),
        summary=entry.get("summary") or "",
        note=entry.get("note") or "",
    )
    build.register(Event, entry.get("slug"), event, where)


def _build_position(build, entry, where):
    position = build.make(
        Position,
        where,
        slug=entry.get("slug"),
        program=build.ref(Program, entry.get("program"), where, "program"),
        event=build.ref(Event, entry.get("event"), where, "event"),
        official=build.ref(Official, entry.get("official"), where, "official"),
        jurisdiction=build.ref(Jurisdiction, entry.get("jurisdiction"), where, "jurisdiction"),
        organization=build.ref(Organization, entry.get("organization"), where, "organization"),
        stance=entry.get("stance") or "",
        date_basis=entry.get("date_basis") or DateBasis.STATED,
        summary=entry.get("summary") or "",
        note=entry.get("note") or "",
        **build.interval(entry.get("date"), where, "date"),
    )
    build.register(Position, entry.get("slug"), position, where)
    position.built_citations = build.citations(entry, where, position=position)
    build.voices(entry, where, position=position)
    for index, raw in enumerate(entry.get("reasons") or []):
        here = f"{where}, reason {index + 1}"
        reason = build.make(
            Reason,
            here,
            position=position,
            rank=raw.get("rank", index),
            topic=raw.get("topic") or "",
            summary=raw.get("summary") or "",
        )
        build.citations(raw, here, reason=reason)


def _check_positions(build):
    """What a position's own fields cannot tell: its date words are in its quotes, a reported date is
    its report's, and the versions of one event share a program and a holder."""
    versions = defaultdict(list)
    for position in build.by_slug[Position].values():
        where = f"position {position.slug!r}"
        cited = [(citation.quote, citation.source) for citation in position.built_citations]
        for message in evidence_errors(position, cited).values():
            build.problem(where, message)
        if position.event is not None:
            versions[position.event.slug].append(position)
    for event_slug, positions in versions.items():
        if len({(p.program_id, p.holder.key) for p in positions}) > 1:
            told = "; ".join(
                f"{p.slug}: {p.holder_name} on {getattr(p, 'program', None) or 'no program'}" for p in positions
            )
            build.problem(
                f"event {event_slug!r}",
                f"its versions have different programs or holders, and must share both ({told})",
            )


def render_fixture(instances):
    """The instances as a Django fixture: natural keys, editable fields only (the rest is derived on load)."""
    by_model = defaultdict(list)
    for instance in instances:
        by_model[type(instance)].append(instance)
    records = []
    for model in registry.record_models():
        fields = [f.name for f in model._meta.concrete_fields if f.editable and not f.primary_key]
        records.extend(
            json.loads(
                serializers.serialize(
                    "json",
                    by_model.get(model, []),
                    fields=fields,
                    use_natural_foreign_keys=True,
                    use_natural_primary_keys=True,
                )
            )
        )
    for record in records:
        record.pop("pk", None)
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
