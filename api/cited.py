"""Citations and program facts as resources of their own, read-only.

`/citations/` answers "everything the Globe is cited for" in one call: each citation with its
source, its quote and offsets, and the fact it backs (`cites`: a position, a program fact, an
other name, an official, an organization or a program). `/facts/` lists program facts across
programs. Both are written through the records they belong to (a position's citations, a
program's facts, the admin).
"""

import django_filters as filters
from django.db.models import Prefetch, Q
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers as drf_serializers
from rest_framework.reverse import reverse

from api import facets
from api.examples import examples_for
from api.filters import BaseFilterSet, choice_filter, ordering_filter, slug_filter
from api.serializers import ProgramFactSerializer, SlugURLField, _reference, _url, reference_to
from api.views import ReadOnlyKnowledgeBaseViewSet, cited
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

# The kind of fact a citation backs -> the view naming that kind's records.
CITED_VIEWS = {
    "position": "position-detail",
    "program_fact": "fact-detail",
    "official": "official-detail",
    "organization": "organization-detail",
    "program": "program-detail",
}
CITED_KIND_HELP = (
    "The kind of fact the citation backs: "
    + ", ".join(f"`{kind}`" for kind in CITED_FIELDS)
    + " (`other_name`: a variant name of an official, organization or program)."
)


class CitedFactSerializer(drf_serializers.Serializer):
    """The fact a citation backs."""

    kind = drf_serializers.ChoiceField(choices=[(kind, kind) for kind in CITED_FIELDS], help_text=CITED_KIND_HELP)
    slug = drf_serializers.CharField(
        allow_null=True, help_text="The fact's slug; for an other name, the slug of the record it names."
    )
    name = drf_serializers.CharField(
        help_text="A position's summary, a fact's statement, an other name itself, or the record's name."
    )
    url = drf_serializers.URLField(help_text="The fact's API URL; for an other name, the record it names.")


def cited_fact(citation, context):
    kind = citation.cited_field
    fact = getattr(citation, kind)
    if kind == "other_name":
        owner_kind = fact.owner_field
        owner = getattr(fact, owner_kind)
        return {
            "kind": kind,
            "slug": owner.slug,
            "name": fact.name,
            "url": _url(f"{owner_kind}-detail", owner.slug, context),
        }
    return {"kind": kind, "slug": fact.slug, "name": str(fact), "url": _url(CITED_VIEWS[kind], fact.slug, context)}


class CitesField(CitedFactSerializer):
    """The fact a citation backs, read from the citation itself."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, citation):
        return cited_fact(citation, self.context)


@extend_schema_field({"$ref": "#/components/schemas/Ref"})
class SourceReferenceField(drf_serializers.Field):
    """The citation's source as {slug, name, url}."""

    csv_reference = True  # two CSV columns: source_slug, source_name (api.csv)

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, source):
        return _reference("source-detail", source, self.context)


class CitedCitationSerializer(drf_serializers.ModelSerializer):
    """A verbatim quote from a source (`source.text[start:end] == quote`) and the fact it backs."""

    url = drf_serializers.SerializerMethodField()
    source = SourceReferenceField(help_text="The source quoted.")
    cites = CitesField(help_text="The fact the quote backs.")

    class Meta:
        model = Citation
        fields = ["id", "url", "source", "quote", "start", "end", "cites"]
        read_only_fields = fields

    def get_url(self, citation) -> str:
        return _citation_url(citation.pk, self.context)


_ID_PLACEHOLDER = 987654321987


def _citation_url(pk, context):
    """A citation's API URL: reverse() once per request, as api.serializers does for slugs."""
    prefixes = context.setdefault("url_prefixes", {})
    parts = prefixes.get("citation-detail")
    if parts is None:
        url = reverse("citation-detail", kwargs={"id": _ID_PLACEHOLDER}, request=context.get("request"))
        parts = prefixes["citation-detail"] = url.split(str(_ID_PLACEHOLDER), 1)
    return f"{parts[0]}{pk}{parts[1]}"


class FactSerializer(ProgramFactSerializer):
    """A dated or counted fact about a program, with the quotes that back it."""

    url = SlugURLField("fact-detail")
    program = reference_to("program", "The program the fact is about.", required=True)

    class Meta(ProgramFactSerializer.Meta):
        fields = ["slug", "url", "program", *ProgramFactSerializer.Meta.fields[1:]]


PROGRAM_HELP = "Only citations about this program (slug): of its positions, its facts, itself and its other names."
JURISDICTION_HELP = (
    "Only citations about this jurisdiction (slug): of the positions it or its officials hold, of facts about it, "
    "of its officials and organizations and their other names."
)
FACT_SOURCE_HELP = "Only facts with a citation from this source (slug)."


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
        return queryset.filter(
            Q(position_id__in=Position.objects.filter(program=program).values("pk"))
            | Q(program_fact_id__in=ProgramFact.objects.filter(program=program).values("pk"))
            | Q(program=program)
            | Q(other_name__program=program)
        )

    @extend_schema_field({"type": "string", "description": JURISDICTION_HELP})
    def filter_jurisdiction(self, queryset, name, jurisdiction):
        officials = Official.objects.filter(jurisdiction=jurisdiction).values("pk")
        organizations = Organization.objects.filter(jurisdiction=jurisdiction).values("pk")
        positions = Position.objects.filter(Q(jurisdiction=jurisdiction) | Q(official_id__in=officials)).values("pk")
        return queryset.filter(
            Q(position_id__in=positions)
            | Q(program_fact_id__in=ProgramFact.objects.filter(jurisdiction=jurisdiction).values("pk"))
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
    ordering = ordering_filter((("slug", "slug"), ("date", "date")), "program, date (undated last), slug")

    class Meta:
        model = ProgramFact
        fields = []

    @extend_schema_field({"type": "string", "description": FACT_SOURCE_HELP})
    def filter_source(self, queryset, name, source):
        return queryset.filter(pk__in=source.citations.filter(program_fact__isnull=False).values("program_fact_id"))


CITATION_READS = [
    "source",
    "position",
    "program_fact",
    "other_name__official",
    "other_name__organization",
    "other_name__program",
    "official",
    "organization",
    "program",
]


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
    serializer_class = CitedCitationSerializer
    filterset_class = CitationFilterSet
    lookup_field = "pk"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        deferred = ["source__text", "source__search_text"] + [
            f"{field}__search_text" for field in ("position", "official", "organization", "program")
        ]
        return Citation.objects.select_related(*CITATION_READS).defer(*deferred).order_by("id")


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
    serializer_class = FactSerializer
    filterset_class = FactFilterSet

    def get_queryset(self):
        return ProgramFact.objects.select_related("program", "jurisdiction").prefetch_related(
            Prefetch("citations", cited())
        )
