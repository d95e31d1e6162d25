"""Build the Django fixture from the curated facts file and the documents.

`fixtures/kb.yaml` is the human-reviewed list of facts, each with the quotes that back it;
`fixtures/documents/` holds the source texts. The build finds each quote in its source,
computes its offsets, checks every reference, and writes `fixtures/kb.json`, a Django
fixture keyed by natural keys (slugs), so that it loads into an empty or loaded database alike.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.models import (
    SLUG_PATTERN,
    DateBasis,
    DatePrecision,
    JurisdictionKind,
    OrganizationKind,
    ProgramFactKind,
    SourceKind,
    Stance,
    ValueQualifier,
)

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
FACTS_FILE = FIXTURES_DIR / "kb.yaml"
DOCUMENTS_DIR = FIXTURES_DIR / "documents"
FIXTURE_FILE = FIXTURES_DIR / "kb.json"


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
    records: list = field(default_factory=list)
    sources: dict = field(default_factory=dict)  # slug -> (text, evidence_end, file name)
    slugs: dict = field(default_factory=dict)  # kind -> set of slugs

    def problem(self, where, message):
        self.problems.append(f"{where}: {message}")

    def emit(self, model, fields):
        self.records.append({"model": f"kb.{model}", "fields": fields})

    def known(self, kind, slug, where, role):
        """Check that `slug` names an existing record of `kind`; return its natural key or None."""
        if slug is None:
            return None
        if slug not in self.slugs.get(kind, ()):
            self.problem(where, f"{role} {slug!r} does not exist (no {kind} has that slug)")
            return None
        return [slug]

    def register(self, kind, slug, where):
        if not isinstance(slug, str) or not re.match(SLUG_PATTERN, slug):
            self.problem(where, f"slug {slug!r} is not lower-case words joined by hyphens")
        elif slug in self.slugs.setdefault(kind, set()):
            self.problem(where, f"slug {slug!r} is used by two {kind} records")
        self.slugs.setdefault(kind, set()).add(slug)

    def choice(self, value, choices, where, name, *, required=True):
        if value in (None, "") and not required:
            return ""
        if value not in choices.values:
            self.problem(where, f"{name} {value!r} is not one of {', '.join(choices.values)}")
        return value

    def date(self, value, precision, where, name, *, required=True):
        if value is None:
            if required:
                self.problem(where, f"{name} is missing")
            if precision:
                self.problem(where, f"{name}_precision {precision!r} given without a {name}")
            return None, ""
        if not isinstance(value, datetime.date):
            self.problem(where, f"{name} {value!r} is not a date written YYYY-MM-DD")
            return None, ""
        self.choice(precision, DatePrecision, where, f"{name} precision")
        if precision == DatePrecision.MONTH and value.day != 1:
            self.problem(where, f"{name} {value} has month precision, so it must be the 1st of its month")
        if precision == DatePrecision.YEAR and (value.month, value.day) != (1, 1):
            self.problem(where, f"{name} {value} has year precision, so it must be the 1st of January")
        return value.isoformat(), precision or ""

    def citations(self, entry, where, cited_field, cited_key):
        citations = entry.get("citations") or []
        if not citations:
            self.problem(where, "has no citation: every fact needs at least one quote from a source")
        seen = set()
        for number, citation in enumerate(citations, start=1):
            here = f"{where}, citation {number}"
            source_slug, quote = citation.get("source"), citation.get("quote")
            if source_slug not in self.sources:
                self.problem(here, f"source {source_slug!r} does not exist")
                continue
            if not isinstance(quote, str) or not quote:
                self.problem(here, "has no quote")
                continue
            text, evidence_end, file_name = self.sources[source_slug]
            occurrence = citation.get("occurrence", 1)
            start = _nth_occurrence(text, quote, occurrence, evidence_end)
            if start is None:
                if _nth_occurrence(text, quote, 1, len(text)) is not None:
                    reason = "is only in the reader comments, which are never evidence"
                elif occurrence != 1 and _nth_occurrence(text, quote, 1, evidence_end) is not None:
                    reason = f"does not occur {occurrence} times"
                else:
                    reason = "is not verbatim in the source"
                self.problem(here, f"quote {quote!r} {reason} {source_slug!r} ({file_name})")
                continue
            if (source_slug, start) in seen:
                self.problem(here, f"cites the same quote of {source_slug!r} twice")
            seen.add((source_slug, start))
            self.emit(
                "citation",
                {
                    "source": [source_slug],
                    "quote": quote,
                    "start": start,
                    "end": start + len(quote),
                    cited_field: cited_key,
                },
            )

    def other_names(self, entry, where, owner_field, owner_slug):
        for other in entry.get("other_names") or []:
            name = other.get("name")
            here = f"{where}, other name {name!r}"
            if not name:
                self.problem(where, "has an other name without a name")
                continue
            self.emit("othername", {"name": name, owner_field: [owner_slug]})
            self.citations(other, here, "other_name", [owner_field, owner_slug, name])


def _nth_occurrence(text, quote, occurrence, end):
    position = -1
    for _ in range(max(occurrence, 1)):
        position = text.find(quote, position + 1, end)
        if position < 0:
            return None
    return position


def _ordered_by_parent(entries):
    """Parents before children, so the fixture loads in one pass."""
    by_slug = {entry.get("slug"): entry for entry in entries}
    ordered, placed = [], set()

    def place(entry, trail=()):
        slug = entry.get("slug")
        if slug in placed or slug in trail:
            return
        parent = by_slug.get(entry.get("parent"))
        if parent is not None:
            place(parent, (*trail, slug))
        placed.add(slug)
        ordered.append(entry)

    for entry in entries:
        place(entry)
    return ordered


def build_fixture(facts_file=FACTS_FILE, documents_dir=DOCUMENTS_DIR):
    """Return the fixture records built from the facts file; raise BuildError listing every problem."""
    try:
        facts = yaml.safe_load(Path(facts_file).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise BuildError([f"{facts_file}: not valid YAML: {error}"]) from None
    build = _Build(documents_dir=Path(documents_dir))
    _build_sources(build, facts.get("sources") or [])
    _build_jurisdictions(build, facts.get("jurisdictions") or [])
    _build_organizations(build, facts.get("organizations") or [])
    _build_officials(build, facts.get("officials") or [])
    _build_programs(build, facts.get("programs") or [])
    _build_positions(build, facts.get("positions") or [])
    if build.problems:
        raise BuildError(build.problems)
    order = [
        "source",
        "jurisdiction",
        "organization",
        "official",
        "program",
        "programfact",
        "position",
        "othername",
        "citation",
    ]
    return sorted(build.records, key=lambda record: order.index(record["model"].removeprefix("kb.")))


def render_fixture(records):
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def _build_sources(build, entries):
    for entry in entries:
        slug = entry.get("slug")
        where = f"source {slug!r}"
        build.register("source", slug, where)
        file_name = entry.get("file") or ""
        path = build.documents_dir / file_name
        if not file_name or not path.is_file():
            build.problem(where, f"document file {file_name!r} does not exist in {build.documents_dir}")
            continue
        text = path.read_text(encoding="utf-8")
        comments_start = None
        if entry.get("comments_marker"):
            comments_start = text.find(entry["comments_marker"])
            if comments_start < 0:
                build.problem(where, f"comments marker {entry['comments_marker']!r} is not in {file_name}")
                comments_start = None
        build.sources[slug] = (text, comments_start if comments_start is not None else len(text), file_name)
        published, precision = build.date(
            entry.get("published"), entry.get("published_precision"), where, "published", required=False
        )
        published_quote = entry.get("published_quote") or ""
        if published_quote and published_quote not in text:
            build.problem(where, f"published_quote {published_quote!r} is not verbatim in {file_name}")
        if published and not published_quote:
            build.problem(where, "has a publication date but no published_quote showing where the text dates it")
        build.emit(
            "source",
            {
                "slug": slug,
                "title": entry.get("title") or "",
                "publisher": entry.get("publisher") or "",
                "authors": list(entry.get("authors") or []),
                "kind": build.choice(entry.get("kind"), SourceKind, where, "kind"),
                "published_on": published,
                "published_precision": precision,
                "published_quote": published_quote,
                "file_name": file_name,
                "text": text,
                "comments_start": comments_start,
            },
        )


def _build_jurisdictions(build, entries):
    for entry in entries:
        build.register("jurisdiction", entry.get("slug"), f"jurisdiction {entry.get('slug')!r}")
    for entry in _ordered_by_parent(entries):
        slug = entry.get("slug")
        where = f"jurisdiction {slug!r}"
        build.emit(
            "jurisdiction",
            {
                "slug": slug,
                "name": entry.get("name") or "",
                "kind": build.choice(entry.get("kind"), JurisdictionKind, where, "kind"),
                "parent": build.known("jurisdiction", entry.get("parent"), where, "parent"),
                "ocd_id": entry.get("ocd_id") or "",
            },
        )


def _build_organizations(build, entries):
    for entry in entries:
        build.register("organization", entry.get("slug"), f"organization {entry.get('slug')!r}")
    for entry in _ordered_by_parent(entries):
        slug = entry.get("slug")
        where = f"organization {slug!r}"
        build.emit(
            "organization",
            {
                "slug": slug,
                "name": entry.get("name") or "",
                "kind": build.choice(entry.get("kind"), OrganizationKind, where, "kind"),
                "description": entry.get("description") or "",
                "jurisdiction": build.known("jurisdiction", entry.get("jurisdiction"), where, "jurisdiction"),
                "parent": build.known("organization", entry.get("parent"), where, "parent"),
            },
        )
        build.citations(entry, where, "organization", [slug])
        build.other_names(entry, where, "organization", slug)


def _build_officials(build, entries):
    for entry in entries:
        slug = entry.get("slug")
        where = f"official {slug!r}"
        build.register("official", slug, where)
        if not entry.get("jurisdiction") and not entry.get("organization"):
            build.problem(where, "acts for neither a jurisdiction nor an organization")
        build.emit(
            "official",
            {
                "slug": slug,
                "name": entry.get("name") or "",
                "role": entry.get("role") or "",
                "jurisdiction": build.known("jurisdiction", entry.get("jurisdiction"), where, "jurisdiction"),
                "organization": build.known("organization", entry.get("organization"), where, "organization"),
            },
        )
        build.citations(entry, where, "official", [slug])
        build.other_names(entry, where, "official", slug)


def _build_programs(build, entries):
    for entry in entries:
        slug = entry.get("slug")
        where = f"program {slug!r}"
        build.register("program", slug, where)
        started, precision = build.date(
            entry.get("started"), entry.get("started_precision"), where, "started", required=False
        )
        build.emit(
            "program",
            {
                "slug": slug,
                "name": entry.get("name") or "",
                "agency": build.known("organization", entry.get("agency"), where, "agency"),
                "description": entry.get("description") or "",
                "started_on": started,
                "started_precision": precision,
            },
        )
        build.citations(entry, where, "program", [slug])
        build.other_names(entry, where, "program", slug)
        for fact in entry.get("facts") or []:
            _build_program_fact(build, fact, slug)


def _build_program_fact(build, entry, program_slug):
    slug = entry.get("slug")
    where = f"program fact {slug!r}"
    build.register("programfact", slug, where)
    value = entry.get("value")
    if value is not None and not isinstance(value, (int, float)):
        build.problem(where, f"value {value!r} is not a number")
    if value is None and (entry.get("value_qualifier") or entry.get("unit")):
        build.problem(where, "has a value_qualifier or unit but no value")
    date, precision = build.date(entry.get("date"), entry.get("date_precision"), where, "date", required=False)
    build.emit(
        "programfact",
        {
            "program": [program_slug],
            "slug": slug,
            "kind": build.choice(entry.get("kind"), ProgramFactKind, where, "kind"),
            "statement": entry.get("statement") or "",
            "value": None if value is None else str(value),
            "value_qualifier": build.choice(
                entry.get("value_qualifier"), ValueQualifier, where, "value_qualifier", required=False
            ),
            "unit": entry.get("unit") or "",
            "date": date,
            "date_precision": precision,
            "date_text": entry.get("date_text") or "",
            "jurisdiction": build.known("jurisdiction", entry.get("jurisdiction"), where, "jurisdiction"),
        },
    )
    build.citations(entry, where, "program_fact", [slug])


def _build_positions(build, entries):
    for entry in entries:
        slug = entry.get("slug")
        where = f"position {slug!r}"
        build.register("position", slug, where)
        if not (entry.get("official") or entry.get("jurisdiction") or entry.get("organization")):
            build.problem(where, "has no holder: name an official, a jurisdiction or an organization")
        if not entry.get("summary"):
            build.problem(where, "has no summary")
        if not entry.get("date_text"):
            build.problem(where, "has no date_text (the date as the source words it)")
        date, precision = build.date(entry.get("date"), entry.get("date_precision"), where, "date")
        build.emit(
            "position",
            {
                "slug": slug,
                "program": build.known("program", entry.get("program"), where, "program"),
                "official": build.known("official", entry.get("official"), where, "official"),
                "jurisdiction": build.known("jurisdiction", entry.get("jurisdiction"), where, "jurisdiction"),
                "organization": build.known("organization", entry.get("organization"), where, "organization"),
                "stance": build.choice(entry.get("stance"), Stance, where, "stance"),
                "date": date,
                "date_precision": precision,
                "date_basis": build.choice(entry.get("date_basis", DateBasis.STATED), DateBasis, where, "date_basis"),
                "date_text": entry.get("date_text") or "",
                "summary": entry.get("summary") or "",
                "note": entry.get("note") or "",
            },
        )
        build.citations(entry, where, "position", [slug])
