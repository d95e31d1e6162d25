"""The pages people look at, server-rendered from what `api.writers` writes.

Each view reads its records through the writers (so a page shows a record as the API does),
adds what only a page needs (`pages.timeline`, `pages.reading`), and renders a template. Every
page costs a fixed number of queries, whatever the size of the knowledge base, and is cached
by the knowledge base's version (`pages.caching`).
"""

import datetime
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Max, Min, Q
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse

from api.filters import PositionFilterSet
from api.writers import WRITERS, Context, Urls
from kb import models as kb
from pages import reading, timeline
from pages.caching import cached_page
from pages.presenting import Interval, holder_of, short_label, stance_label, stances

# A timeline draws at most this many positions; past it, the page says so and asks for a filter.
MAX_POSITIONS = 1000
# The place filter lists at most this many jurisdictions (those holding positions come first).
MAX_PLACES = 300
HOLDER_KINDS = [
    ("jurisdiction", "Jurisdictions"),
    ("organization", "Organizations"),
    ("official", "Officials alone"),
]
EXPORT_PATH = "/api/v1/export/"  # the bulk download (issue 14)


def page_url(kind, slug):
    return reverse(f"pages:{kind}", args=[slug])


def context_for(request):
    return Context(Urls(request))


def problem(request, status, title, detail, errors=None):
    """An HTML 4xx page: what was wrong, each bad query parameter named."""
    return render(
        request,
        "pages/problem.html",
        {"title": title, "detail": detail, "errors": sorted((errors or {}).items())},
        status=status,
    )


def not_found(request, noun, slug):
    return problem(request, 404, f"No {noun} “{slug}”", f"The knowledge base has no {noun} with the slug “{slug}”.")


def write(kind, queryset, request, detail=False):
    """(rows, records): the writer's rows, each with its pk, and the JSON it writes of them."""
    writer = WRITERS[kind]
    rows = list(writer.rows(queryset, detail=detail))
    return rows, writer.write(rows, context_for(request), detail=detail)


def source_names(citation_lists):
    """{source slug: a short name} for the sources these citations quote (one query)."""
    slugs = {citation["source"] for citations in citation_lists for citation in citations}
    return {
        slug: publisher or title or slug
        for slug, publisher, title in kb.Source.objects.filter(slug__in=slugs).values_list("slug", "publisher", "title")
    }


def quotes(citations, names):
    """Citations as a list of quotes, each linking to its place in the source reader."""
    return [
        {
            **citation,
            "source_name": names.get(citation["source"], citation["source"]),
            "reader_href": reader_href(citation),
        }
        for citation in citations
    ]


def reader_href(citation):
    return page_url("source", citation["source"]) + "#" + reading.span_id(citation["start"], citation["end"])


# ---------------------------------------------------------------- the landing page


@cached_page
def landing(request):
    _, programs = write("program", kb.Program.objects.all(), request)
    span = kb.Position.objects.aggregate(first=Min("date_earliest"), last=Max("date_latest"))
    covered = timeline.span_words(span["first"], span["last"]) if span["first"] else ""
    counts = [
        (kb.Position.objects.count(), "positions", "stances of a holder on a program, each dated and cited"),
        (
            kb.Event.objects.annotate(told=Count("versions")).filter(told__gt=1).count(),
            "disputed events",
            "happenings the sources tell differently, every version kept",
        ),
        (kb.Citation.objects.count(), "citations", "verbatim quotes at known offsets in the sources"),
        (kb.Source.objects.count(), "sources", "the documents, each readable with its quotes marked"),
        (kb.Jurisdiction.objects.count(), "jurisdictions", "countries, states and cities"),
        (kb.Organization.objects.count(), "organizations", "agencies, offices, advocates, groups"),
        (kb.Official.objects.count(), "officials", "people who held or voiced the stances"),
    ]
    return render(
        request,
        "pages/landing.html",
        {
            "programs": programs,
            "covered": covered,
            "counts": counts,
            "export_url": EXPORT_PATH,
        },
    )


# ---------------------------------------------------------------- timelines


class TimelineQuery:
    """The timeline's query parameters, checked: each bad one is named, with what is accepted."""

    def __init__(self, query, accepted):
        self.query = query
        self.accepted = accepted
        self.errors = {}
        for name in sorted(set(query) - set(accepted)):
            self.errors[name] = [f"Unknown query parameter. Accepted here: {', '.join(accepted)}."]
        self.stances = query.getlist("stance")
        self.holder = query.get("holder") or None
        if self.holder and self.holder not in dict(HOLDER_KINDS):
            self.errors["holder"] = [
                f"'{self.holder}' is not accepted; choose from: {', '.join(kind for kind, _ in HOLDER_KINDS)}."
            ]
        self.window = None
        days = {name: self._day(name) for name in ("from", "to")}
        if days["from"] or days["to"]:
            if not (days["from"] and days["to"]):
                for name in ("from", "to"):
                    if not query.get(name) and name not in self.errors:
                        self.errors[name] = ["Give both from and to, or neither."]
            elif days["from"] > days["to"]:
                self.errors["to"] = ["Must be on or after from."]
            else:
                self.window = (days["from"], days["to"])

    def _day(self, name):
        raw = self.query.get(name)
        if not raw:
            return None
        try:
            if len(raw) == 10:  # only YYYY-MM-DD, as the API's date filters
                return datetime.date.fromisoformat(raw)
        except ValueError:
            pass
        self.errors[name] = ["Enter a real date written YYYY-MM-DD."]
        return None

    def filterset_data(self):
        data = QueryDict(mutable=True)
        if self.stances:
            data.setlist("stance", self.stances)
        if self.query.get("jurisdiction"):
            data["jurisdiction"] = self.query["jurisdiction"]
            data["include_sub_jurisdictions"] = "true"
        return data

    def link(self, path, **changes):
        """This page's URL with some parameters changed (None removes one)."""
        params = {name: self.query.getlist(name) for name in self.query if name in self.accepted}
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value if isinstance(value, list) else [value]
        pairs = [(name, value) for name in sorted(params) for value in params[name]]
        return path + ("?" + urlencode(pairs) if pairs else "")


def holder_condition(kind):
    if kind == "official":
        return Q(jurisdiction__isnull=True, organization__isnull=True)
    if kind == "organization":
        return Q(organization__isnull=False)
    return Q(jurisdiction__isnull=False, organization__isnull=True)


def timeline_context(request, positions, query, jurisdiction_filter=False):
    """Everything a timeline section shows: the picture, its legend and filters, and the list.

    `positions`: a queryset of positions, not yet filtered by the page's parameters. Returns
    (context, None), or (None, an HTML 400 naming each bad parameter).
    """
    filterset = PositionFilterSet(query.filterset_data(), queryset=positions)
    if not filterset.is_valid():
        query.errors.update(filterset.errors)
    if query.errors:
        detail = "Each parameter below is named with what it accepts."
        return None, problem(request, 400, "This timeline cannot be drawn", detail, query.errors)
    filtered = filterset.filter_queryset(positions)
    if query.holder:
        filtered = filtered.filter(holder_condition(query.holder))
    filtered = filtered.order_by("date_earliest", "slug")
    _, records = write("position", filtered[: MAX_POSITIONS + 1], request)
    truncated = len(records) > MAX_POSITIONS
    records = records[:MAX_POSITIONS]

    # Lanes are grouped by the holder's kind, which a position's references do not carry.
    kinds = {}
    for kind, model in (("organization", kb.Organization), ("jurisdiction", kb.Jurisdiction)):
        slugs = {record[kind]["slug"] for record in records if record[kind]}
        kinds.update(
            {(kind, slug): value for slug, value in model.objects.filter(slug__in=slugs).values_list("slug", "kind")}
        )

    drawn = timeline.layout(records, kinds, page_url, window=query.window)
    path = request.path
    current_stances = set(query.stances)
    legend = [
        {
            "stance": code,
            "name": name,
            "explanation": explanation,
            "selected": code in current_stances,
            "href": query.link(path, stance=None if current_stances == {code} else code),
        }
        for code, name, explanation in stances()
    ]
    windows = [
        {
            "label": words,
            "href": query.link(path, **{"from": first.isoformat(), "to": last.isoformat()}),
            "selected": query.window == (first, last),
        }
        for first, last, words in timeline.zoom_windows(records)
    ]
    if query.window is None:
        for stretch, zoom in zip(drawn.stretches, windows, strict=False):
            stretch.href = zoom["href"]
    listed = []
    for record in records:
        interval = Interval.of(record)
        if timeline.overlaps(interval, query.window):
            kind, _, name, slug = holder_of(record)
            listed.append(
                {
                    "record": record,
                    "holder_name": name,
                    "holder_href": page_url(kind, slug),
                    "stance_name": stance_label(record["stance"]),
                    "interval": interval,
                }
            )
    return {
        "timeline": drawn,
        "legend": legend,
        "all_stances_href": query.link(path, stance=None),
        "any_stance": not current_stances,
        "holder_links": [
            {"label": label, "href": query.link(path, holder=kind), "selected": query.holder == kind}
            for kind, label in HOLDER_KINDS
        ],
        "all_holders_href": query.link(path, holder=None),
        "any_holder": query.holder is None,
        "windows": windows,
        "whole_range_href": query.link(path, **{"from": None, "to": None}),
        "window": query.window,
        "window_words": timeline.span_words(*query.window) if query.window else "",
        "places": places_context(request, query) if jurisdiction_filter else None,
        "positions": listed,
        "truncated": truncated,
        "max_positions": MAX_POSITIONS,
        "filtered": bool(query.stances or query.holder or query.query.get("jurisdiction")),
        "clear_href": query.link(path, stance=None, holder=None, jurisdiction=None),
    }, None


def places_context(request, query):
    """Jurisdictions for the place filter, as a tree, outermost first."""
    _, jurisdictions = write("jurisdiction", kb.Jurisdiction.objects.order_by("path", "slug")[:MAX_PLACES], request)
    by_parent = defaultdict(list)
    for place in jurisdictions:
        by_parent[place["parent"]["slug"] if place["parent"] else None].append(place)
    known = {place["slug"] for place in jurisdictions}
    selected = query.query.get("jurisdiction")

    def tree(parent):
        return [
            {
                "name": place["name"],
                "slug": place["slug"],
                "kind_name": short_label(kb.JurisdictionKind, place["kind"]),
                "href": query.link(request.path, jurisdiction=place["slug"]),
                "selected": place["slug"] == selected,
                "children": tree(place["slug"]),
            }
            for place in sorted(by_parent[parent], key=lambda place: place["name"])
        ]

    roots = [place for place in jurisdictions if not place["parent"] or place["parent"]["slug"] not in known]
    by_parent[None] = roots
    return {
        "tree": tree(None),
        "all_href": query.link(request.path, jurisdiction=None),
        "any": not selected,
    }


PROGRAM_PARAMETERS = ["from", "holder", "jurisdiction", "stance", "to"]
HOLDER_PARAMETERS = ["from", "holder", "stance", "to"]


@cached_page
def program(request, slug):
    rows, records = write("program", kb.Program.objects.filter(slug=slug), request, detail=True)
    if not records:
        return not_found(request, "program", slug)
    query = TimelineQuery(request.GET, PROGRAM_PARAMETERS)
    section, failure = timeline_context(
        request, kb.Position.objects.filter(program_id=rows[0]["pk"]), query, jurisdiction_filter=True
    )
    if failure:
        return failure
    record = records[0]
    names = source_names(
        [
            record["citations"],
            *(fact["citations"] for fact in record["facts"]),
            *(name["citations"] for name in record["other_names"]),
        ]
    )
    facts = [
        {"record": fact, "interval": Interval.of(fact), "quotes": quotes(fact["citations"], names)}
        for fact in record["facts"]
    ]
    return render(
        request,
        "pages/program.html",
        {
            "program": record,
            "started": Interval.of(record, "started"),
            "identity": quotes(record["citations"], names),
            "facts": facts,
            "other_names": named(record, names),
            **section,
        },
    )


def named(record, names):
    return [{**name, "quotes": quotes(name["citations"], names)} for name in record.get("other_names", ())]


def _holder_page(request, kind, slug, positions_of, kinds=None, extra=None):
    """A jurisdiction's, organization's or official's page: the record, its words, its timeline."""
    rows, records = write(kind, WRITERS[kind].model.objects.filter(slug=slug), request, detail=True)
    if not records:
        return not_found(request, kind, slug)
    record, pk = records[0], rows[0]["pk"]
    query = TimelineQuery(request.GET, HOLDER_PARAMETERS)
    section, failure = timeline_context(request, positions_of(pk), query)
    if failure:
        return failure
    identity = record.get("citations", [])
    names = source_names([identity, *(name["citations"] for name in record.get("other_names", ()))])
    return render(
        request,
        f"pages/{kind}.html",
        {
            "record": record,
            "kind_name": short_label(kinds, record["kind"]) if kinds else "",
            "identity": quotes(identity, names),
            "other_names": named(record, names),
            **(extra(pk) if extra else {}),
            **section,
        },
    )


@cached_page
def jurisdiction(request, slug):
    def positions_of(pk):
        place = kb.Jurisdiction(pk=pk, path=kb.Jurisdiction.objects.values_list("path", flat=True).get(pk=pk))
        return kb.Position.objects.held_by_jurisdiction(place, include_sub_jurisdictions=True)

    def children(pk):
        return {"children": write("jurisdiction", kb.Jurisdiction.objects.filter(parent_id=pk), request)[1]}

    return _holder_page(request, "jurisdiction", slug, positions_of, kb.JurisdictionKind, children)


@cached_page
def organization(request, slug):
    def positions_of(pk):
        voiced = kb.Voice.objects.filter(organization_id=pk).values("position_id")
        return kb.Position.objects.filter(Q(organization_id=pk) | Q(pk__in=voiced))

    return _holder_page(request, "organization", slug, positions_of, kb.OrganizationKind)


@cached_page
def official(request, slug):
    return _holder_page(request, "official", slug, kb.Position.objects.held_or_voiced_by)


# ---------------------------------------------------------------- a position


def cited(citation, sources, anchor_prefix):
    """A citation as the position page shows it: its quote in context, and where it is in the reader."""
    source = sources[citation["source"]]
    before, after = reading.context(source["text"], source["parts"], citation["start"], citation["end"])
    return {
        **citation,
        "source_record": source,
        "before": before,
        "after": after,
        "anchor": f"{anchor_prefix}{citation['source']}-{citation['start']}-{citation['end']}",
        "reader_href": page_url("source", citation["source"])
        + "#"
        + reading.span_id(citation["start"], citation["end"]),
    }


def history_of(model, pk):
    """The record's changes, newest first: when, who, what kind of change and which fields changed."""
    historical = model.history.model
    tracked = [
        field.attname
        for field in historical._meta.concrete_fields
        if not field.name.startswith("history_") and field.attname != "version"
    ]
    entries, previous = [], None
    for entry in (
        historical.objects.filter(**{model._meta.pk.attname: pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        values = {name: getattr(entry, name) for name in tracked}
        changed = [] if previous is None else [name for name in tracked if values[name] != previous[name]]
        entries.append(
            {
                "when": entry.history_date,
                "who": entry.history_user.get_username() if entry.history_user else "",
                "type": {"+": "created", "~": "changed", "-": "deleted"}[entry.history_type],
                "changed": [name.removesuffix("_id") for name in changed],
                "reason": entry.history_change_reason or "",
            }
        )
        previous = values
    return list(reversed(entries))


@cached_page
def position(request, slug):
    rows, records = write("position", kb.Position.objects.filter(slug=slug), request, detail=True)
    if not records:
        return not_found(request, "position", slug)
    record = records[0]
    quoted = [
        *record["citations"],
        *(citation for voice in record["voices"] for citation in voice["citations"]),
        *(citation for reason in record["reasons"] for citation in reason["citations"]),
    ]
    _, source_records = write(
        "source", kb.Source.objects.filter(slug__in={citation["source"] for citation in quoted}), request, detail=True
    )
    sources = {source["slug"]: source for source in source_records}
    voices = [
        {
            **voice,
            "speaker": voice["official"] or voice["organization"],
            "speaker_href": page_url("official", voice["official"]["slug"])
            if voice["official"]
            else page_url("organization", voice["organization"]["slug"]),
            "anchor": f"voice-{(voice['official'] or voice['organization'])['slug']}",
            "quotes": [cited(citation, sources, f"voice-{voice['rank']}-") for citation in voice["citations"]],
        }
        for voice in record["voices"]
    ]
    reasons = [
        {
            **reason,
            "topic_name": short_label(kb.ReasonTopic, reason["topic"]),
            "topic_label": kb.ReasonTopic(reason["topic"]).label,
            "anchor": f"reason-{reason['rank']}",
            "quotes": [cited(citation, sources, f"reason-{reason['rank']}-") for citation in reason["citations"]],
        }
        for reason in record["reasons"]
    ]
    kind, _, holder_name, holder_slug = holder_of(record)
    return render(
        request,
        "pages/position.html",
        {
            "position": record,
            "stance_name": stance_label(record["stance"]),
            "stance_explanation": kb.Stance(record["stance"]).label.split(":", 1)[-1].strip(),
            "interval": Interval.of(record),
            "holder_name": holder_name,
            "holder_href": page_url(kind, holder_slug),
            "holder_kind": kind,
            "voices": voices,
            "reasons": reasons,
            "citations": [cited(citation, sources, "cite-") for citation in record["citations"]],
            "versions": [{**version, "stance_name": stance_label(version["stance"])} for version in record["versions"]],
            "history": history_of(kb.Position, rows[0]["pk"]),
            "admin_href": reverse("admin:kb_position_change", args=[rows[0]["pk"]]),
            "program_href": page_url("program", record["program"]["slug"]),
        },
    )


# ---------------------------------------------------------------- sources


@cached_page
def sources(request):
    rows, records = write("source", kb.Source.objects.all(), request)
    counted = dict(kb.Citation.objects.order_by().values_list("source_id").annotate(count=Count("pk")))
    listed = [
        {
            "record": record,
            "citation_count": counted.get(row["pk"], 0),
            "interval": Interval.of(record, "published"),
            "kind_name": short_label(kb.SourceKind, record["kind"]),
            "derivation_name": kb.Derivation(record["derivation"]).label.split(" ")[0] if record["derivation"] else "",
        }
        for row, record in zip(rows, records, strict=True)
    ]
    return render(request, "pages/sources.html", {"sources": listed})


def backed_fact_columns():
    """What the reader says of the fact each citation backs: one lookup per kind of cited fact."""
    return [
        "pk",
        "start",
        "end",
        "position__slug",
        "position__summary",
        "voice__rank",
        "voice__position__slug",
        "voice__position__summary",
        "voice__program_fact__slug",
        "voice__program_fact__statement",
        "voice__program_fact__program__slug",
        "voice__official__slug",
        "voice__official__name",
        "voice__organization__slug",
        "voice__organization__name",
        "reason__rank",
        "reason__summary",
        "reason__position__slug",
        "program_fact__slug",
        "program_fact__statement",
        "program_fact__program__slug",
        "other_name__name",
        "other_name__official__slug",
        "other_name__organization__slug",
        "other_name__program__slug",
        "official__slug",
        "official__name",
        "organization__slug",
        "organization__name",
        "program__slug",
        "program__name",
    ]


def backed_fact(row):
    """(kind, label, href) of the fact a citation backs, from a row of `backed_fact_columns()`."""
    if row["position__slug"]:
        slug = row["position__slug"]
        anchor = f"#cite-{row['source_slug']}-{row['start']}-{row['end']}"
        return "position", row["position__summary"], page_url("position", slug) + anchor
    if row["voice__position__slug"] or row["voice__program_fact__slug"]:
        speaker = row["voice__official__name"] or row["voice__organization__name"]
        speaker_slug = row["voice__official__slug"] or row["voice__organization__slug"]
        if row["voice__position__slug"]:
            href = page_url("position", row["voice__position__slug"]) + f"#voice-{speaker_slug}"
            return f"voiced by {speaker}", row["voice__position__summary"], href
        href = (
            page_url("program", row["voice__program_fact__program__slug"]) + f"#fact-{row['voice__program_fact__slug']}"
        )
        return f"voiced by {speaker}", row["voice__program_fact__statement"], href
    if row["reason__position__slug"]:
        href = page_url("position", row["reason__position__slug"]) + f"#reason-{row['reason__rank']}"
        return "a reason", row["reason__summary"], href
    if row["program_fact__slug"]:
        href = page_url("program", row["program_fact__program__slug"]) + f"#fact-{row['program_fact__slug']}"
        return "program fact", row["program_fact__statement"], href
    if row["other_name__name"]:
        for kind in ("official", "organization", "program"):
            if row[f"other_name__{kind}__slug"]:
                href = page_url(kind, row[f"other_name__{kind}__slug"]) + "#other-names"
                return "other name", row["other_name__name"], href
    for kind, noun in (("official", "Official"), ("organization", "Organization"), ("program", "Program")):
        if row[f"{kind}__slug"]:
            return (
                f"{noun}, who or what it is",
                row[f"{kind}__name"],
                page_url(kind, row[f"{kind}__slug"]) + "#identity",
            )
    return "Fact", "", "#"


@cached_page
def source(request, slug):
    rows, records = write("source", kb.Source.objects.filter(slug=slug), request, detail=True)
    if not records:
        return not_found(request, "source", slug)
    record, pk = records[0], rows[0]["pk"]
    _, derivatives = write("source", kb.Source.objects.filter(derived_from_id=pk), request)
    backed = kb.Citation.objects.filter(source_id=pk).order_by("start", "end", "pk").values(*backed_fact_columns())
    spans = {}
    for row in backed:
        row["source_slug"] = slug
        span = spans.setdefault((row["start"], row["end"]), reading.Span(row["start"], row["end"], ""))
        kind, label, href = backed_fact(row)
        span.backs.append(reading.Backed(kind, label, href))
    ordered = sorted(spans.values(), key=lambda span: (span.start, -span.end))
    # Notes are numbered as their links appear in the text: at each span's end, inner spans first.
    notes = []
    for span in sorted(ordered, key=lambda span: (span.end, -span.start)):
        span.quote = record["text"][span.start : span.end]
        for backed_one in span.backs:
            notes.append((span, backed_one))
            backed_one.note = len(notes)
    parts = [
        {
            **part,
            "kind_name": short_label(kb.SourcePartKind, part["kind"]),
            "explanation": kb.SourcePartKind(part["kind"]).label.split(":", 1)[-1].strip(),
        }
        for part in record["parts"]
    ]
    blocks = reading.highlight(record["text"], parts, ordered)
    return render(
        request,
        "pages/source.html",
        {
            "source": record,
            "interval": Interval.of(record, "published"),
            "kind_name": short_label(kb.SourceKind, record["kind"]),
            "derivation_name": kb.Derivation(record["derivation"]).label if record["derivation"] else "",
            "derivatives": [
                {**derivative, "derivation_name": kb.Derivation(derivative["derivation"]).label}
                for derivative in derivatives
            ],
            "blocks": blocks,
            "parts": parts,
            "spans": ordered,
            "notes": notes,
        },
    )
