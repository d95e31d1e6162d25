"""Citations and program facts as resources of their own, read-only.

`/citations/` answers "everything the Globe is cited for" in one call: each citation with its
source, its quote and offsets, and the fact it backs (`cites`: a position, a program fact, an
other name, an official, an organization or a program). `/facts/` lists program facts across
programs. Both are written through the records they belong to (a position's citations, a
program's facts, the admin).
"""

import django_filters as filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view

from api import facets
from api.examples import examples_for
from api.filters import BaseFilterSet, choice_filter, ordering_filter, slug_filter
from api.views import ReadOnlyKnowledgeBaseViewSet
from kb.models import (
    CITED_FIELDS,
    Citation,
    Jurisdiction,
    Official,
    Organization,
    Position,
    Program,
    ProgramFact,
    ProgramFactKind,
    Source,
)

CITED_KIND_HELP = (
    "The kind of fact the citation backs: "
    + ", ".join(f"`{kind}`" for kind in CITED_FIELDS)
    + " (`other_name`: a variant name of an official, organization or program)."
)


PROGRAM_HELP = (
    "Only citations about this program (slug): of its positions and facts (with their voices and reasons), "
    "itself and its other names."
)
JURISDICTION_HELP = (
    "Only citations about this jurisdiction (slug): of the positions it or its officials hold and of facts about "
    "it (with their voices and reasons), of its officials and organizations and their other names."
)
FACT_SOURCE_HELP = "Only facts with a citation from this source (slug)."


def of_positions_and_facts(positions, facts):
    """Citations of these positions and facts, and of their voices and reasons (parts of them)."""
    return (
        Q(position_id__in=positions)
        | Q(program_fact_id__in=facts)
        | Q(voice__position_id__in=positions)
        | Q(voice__program_fact_id__in=facts)
        | Q(reason__position_id__in=positions)
    )


class CitationFilterSet(BaseFilterSet):
    source = slug_filter(Source.objects.all(), "Only citations from this source (slug).")
    kind = filters.ChoiceFilter(
        choices=[(kind, kind) for kind in CITED_FIELDS],
        method="filter_kind",
        help_text="Only citations backing this kind of fact: " + ", ".join(CITED_FIELDS) + ".",
        error_messages={"invalid_choice": f"'%(value)s' is not accepted; choose from: {', '.join(CITED_FIELDS)}."},
    )
    program = slug_filter(Program.objects.all(), PROGRAM_HELP, method="filter_program")
    jurisdiction = slug_filter(Jurisdiction.objects.all(), JURISDICTION_HELP, method="filter_jurisdiction")
    position = slug_filter(Position.objects.all(), "Only the citations of this position (slug).")
    ordering = ordering_filter((("id", "id"), ("start", "start")), "id")

    class Meta:
        model = Citation
        fields = []

    @extend_schema_field({"type": "string", "enum": list(CITED_FIELDS), "description": CITED_KIND_HELP})
    def filter_kind(self, queryset, name, kind):
        return queryset.filter(**{f"{kind}__isnull": False})

    @extend_schema_field({"type": "string", "description": PROGRAM_HELP})
    def filter_program(self, queryset, name, program):
        positions = Position.objects.filter(program=program).values("pk")
        facts = ProgramFact.objects.filter(program=program).values("pk")
        return queryset.filter(
            of_positions_and_facts(positions, facts) | Q(program=program) | Q(other_name__program=program)
        )

    @extend_schema_field({"type": "string", "description": JURISDICTION_HELP})
    def filter_jurisdiction(self, queryset, name, jurisdiction):
        officials = Official.objects.filter(jurisdiction=jurisdiction).values("pk")
        organizations = Organization.objects.filter(jurisdiction=jurisdiction).values("pk")
        positions = Position.objects.filter(Q(jurisdiction=jurisdiction) | Q(official_id__in=officials)).values("pk")
        facts = ProgramFact.objects.filter(jurisdiction=jurisdiction).values("pk")
        return queryset.filter(
            of_positions_and_facts(positions, facts)
            | Q(official_id__in=officials)
            | Q(organization_id__in=organizations)
            | Q(other_name__official_id__in=officials)
            | Q(other_name__organization_id__in=organizations)
        )


class FactFilterSet(BaseFilterSet):
    program = slug_filter(Program.objects.all(), "Only facts about this program (slug).")
    jurisdiction = slug_filter(Jurisdiction.objects.all(), "Only facts about this jurisdiction's part (slug).")
    kind = choice_filter(ProgramFactKind, "Only facts of this kind.")
    source = slug_filter(Source.objects.all(), FACT_SOURCE_HELP, method="filter_source")
    ordering = ordering_filter(
        (("slug", "slug"), ("date_earliest", "date_earliest")), "program, date (undated last), slug"
    )

    class Meta:
        model = ProgramFact
        fields = []

    @extend_schema_field({"type": "string", "description": FACT_SOURCE_HELP})
    def filter_source(self, queryset, name, source):
        return queryset.filter(pk__in=source.citations.filter(program_fact__isnull=False).values("program_fact_id"))


@extend_schema_view(
    list=extend_schema(
        summary="List citations",
        description=(
            "Every citation: a verbatim quote at its offsets in a source, and the fact it backs (`cites`). "
            "Filter by `source` for everything a source is cited for."
        ),
        parameters=[facets.parameter(CitationFilterSet, {})],
        examples=examples_for("citations", "list"),
    ),
    retrieve=extend_schema(summary="One citation, by id", examples=examples_for("citations", "retrieve")),
)
class CitationViewSet(ReadOnlyKnowledgeBaseViewSet):
    kind = "cited_citation"
    filterset_class = CitationFilterSet
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        return Citation.objects.order_by("id")


@extend_schema_view(
    list=extend_schema(
        summary="List program facts",
        description="The cited facts of every program: figures, dates, coverage.",
        parameters=[facets.parameter(FactFilterSet, {})],
        examples=examples_for("facts", "list"),
    ),
    retrieve=extend_schema(summary="One program fact, by slug", examples=examples_for("facts", "retrieve")),
)
class FactViewSet(ReadOnlyKnowledgeBaseViewSet):
    kind = "program_fact"
    filterset_class = FactFilterSet
