"""HTTP in, queries out: each viewset names its serializer, filters and the queries it needs."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action

from api import filters, reads, search, serializers
from api.filtering import ValidatedFilterBackend
from api.schema import examples_for
from kb.models import Citation, Jurisdiction, Official, Organization, OtherName, Position, Program, ProgramFact, Source

COMMON_QUERY_PARAMETERS = {"limit", "offset", "cursor", "expand", "format"}
# What `?expand=` may inline, per resource: field -> the kind of record it is.
POSITION_EXPANSIONS = {
    "program": "program",
    "official": "official",
    "jurisdiction": "jurisdiction",
    "organization": "organization",
}

# What each kind's serializer reads beyond its own row, so an expanded page is prefetched whole:
# (related records shown as references, related lists).
EXPANDED_READS = {
    "program": (["agency"], ["other_names", "citations"]),
    "official": (["jurisdiction", "organization"], ["other_names", "citations"]),
    "organization": (["jurisdiction", "parent"], ["other_names", "citations"]),
    "jurisdiction": (["parent"], []),
}


def cited():
    """Citations with their sources, in a stable order, for prefetching. A citation prints only its
    source's slug: the source's document and search text stay in the database."""
    return (
        Citation.objects.select_related("source")
        .defer("source__text", "source__search_text")
        .order_by("source__slug", "start", "pk")
    )


def other_names_with_citations(lookup="other_names"):
    return Prefetch(lookup, queryset=OtherName.objects.prefetch_related(Prefetch("citations", cited())))


def _prefetch(lookup):
    if lookup.endswith("other_names"):
        return other_names_with_citations(lookup)
    return Prefetch(lookup, cited())


def expand_parameter(expandable):
    return OpenApiParameter(
        "expand",
        OpenApiTypes.STR,
        many=True,
        explode=False,
        style="form",
        enum=list(expandable),
        description=(
            "Inline these related records in full instead of as {slug, name, url} references; "
            f"comma-separated: {', '.join(expandable)}."
        ),
    )


class KnowledgeBaseViewSet(viewsets.ModelViewSet):
    """Read by anyone; write with a token or session and the matching model permission."""

    lookup_field = "slug"
    # Slug characters only: anything else (a NUL byte, which PostgreSQL refuses in a query) is
    # answered by the JSON 404 of unknown paths before it reaches the database.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filter_backends = [ValidatedFilterBackend]
    expandable = {}
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            self._validate_query(request)

    def _validate_query(self, request):
        """Check every query parameter up front, so one 400 names all that is wrong."""
        is_list = self.action in ("list", "timeline")
        known = set(COMMON_QUERY_PARAMETERS) - (set() if is_list else {"limit", "offset", "cursor"})
        errors = {}
        filterset_class = getattr(self, "filterset_class", None)
        if is_list and filterset_class is not None:
            known |= set(filterset_class.base_filters)
            filterset = filterset_class(request.query_params, queryset=filterset_class._meta.model.objects.none())
            if not filterset.is_valid():
                errors.update(filterset.errors)
            self.validated_filterset = filterset  # filtering reuses it (api.filtering)
        for name in sorted(set(request.query_params) - known):
            errors[name] = [f"Unknown query parameter. Accepted here: {', '.join(sorted(known))}."]
        if is_list and self.paginator is not None:
            for check in (self.paginator.get_limit, self.paginator.get_offset, self.paginator.get_cursor):
                try:
                    check(request)
                except exceptions.ValidationError as error:
                    errors.update(error.detail)
        try:
            self._requested_expansions()
        except exceptions.ValidationError as error:
            errors.update(error.detail)
        if errors:
            raise exceptions.ValidationError(errors)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        for field in self._requested_expansions():
            related, lists = EXPANDED_READS[self.expandable[field]]
            queryset = queryset.select_related(field, *(f"{field}__{name}" for name in related))
            queryset = queryset.prefetch_related(*(_prefetch(f"{field}__{name}") for name in lists))
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["expand"] = self._requested_expansions()
        return context

    def get_paginated_response(self, data):
        """A page; when `search` found nothing, with the names closest to it (`suggestions`)."""
        response = super().get_paginated_response(data)
        prepared = getattr(getattr(self, "validated_filterset", None), "search_prepared", None)
        if prepared is not None and prepared.query and self.paginator.count == 0:
            response.data["suggestions"] = search.suggestions_json(prepared, {"request": self.request})
        return response

    def _requested_expansions(self):
        raw = self.request.query_params.get("expand", "") if self.request else ""
        requested = {name.strip() for name in raw.split(",") if name.strip()}
        unknown = requested - set(self.expandable)
        if unknown:
            accepted = ", ".join(self.expandable) or "nothing on this resource"
            raise exceptions.ValidationError(
                {"expand": [f"Cannot expand {', '.join(sorted(unknown))}; accepted: {accepted}."]}
            )
        return requested


def timeline_action(resource, summary, description):
    """A record's positions in date order: the positions list's filters, expansions and page, documented."""

    def decorate(method):
        routed = action(
            detail=True,
            filterset_class=filters.PositionFilterSet,
            serializer_class=serializers.PositionSerializer,
            expandable=POSITION_EXPANSIONS,
        )(method)
        return extend_schema(
            summary=summary,
            description=f"{description} Takes the positions list's filters, e.g. `program`.",
            responses=serializers.PositionSerializer(many=True),
            parameters=[expand_parameter(POSITION_EXPANSIONS)],
            filters=True,
            examples=examples_for(resource, "timeline"),
        )(routed)

    return decorate


def _documented(resource, expandable, detail_serializer=None, list_description=""):
    """Schema for the list/retrieve/write operations of a resource, with real examples and errors."""
    expand = [expand_parameter(expandable)] if expandable else []
    body = {"request": detail_serializer, "responses": detail_serializer} if detail_serializer else {}
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {resource}",
            description=list_description or f"A page of {resource}, filtered, searched and ordered as asked.",
            parameters=expand,
            examples=examples_for(resource, "list"),
        ),
        retrieve=extend_schema(
            summary=f"One of the {resource}, by slug",
            parameters=expand,
            **({"responses": detail_serializer} if detail_serializer else {}),
            examples=examples_for(resource, "retrieve"),
        ),
        create=extend_schema(summary=f"Add to {resource}", **body),
        update=extend_schema(summary="Replace, by slug", **body),
        partial_update=extend_schema(summary="Change some fields, by slug", **body),
        destroy=extend_schema(
            summary="Delete, by slug",
            description="Refused with 409 while other records refer to it (a cited source, a program with positions).",
        ),
    )


@_documented("programs", {"agency": "organization"}, serializers.ProgramDetailSerializer)
class ProgramViewSet(KnowledgeBaseViewSet):
    expandable = {"agency": "organization"}
    filterset_class = filters.ProgramFilterSet

    def get_serializer_class(self):
        return serializers.ProgramSerializer if self.action == "list" else serializers.ProgramDetailSerializer

    def get_queryset(self):
        queryset = Program.objects.select_related("agency").prefetch_related(
            other_names_with_citations(), Prefetch("citations", cited())
        )
        if self.action != "list":
            facts = ProgramFact.objects.select_related("jurisdiction").prefetch_related(Prefetch("citations", cited()))
            queryset = queryset.prefetch_related(Prefetch("facts", facts))
        return queryset


@_documented("jurisdictions", {"parent": "jurisdiction"})
class JurisdictionViewSet(KnowledgeBaseViewSet):
    expandable = {"parent": "jurisdiction"}
    filterset_class = filters.JurisdictionFilterSet
    serializer_class = serializers.JurisdictionSerializer

    def get_queryset(self):
        if self.action == "timeline":
            return PositionViewSet.base_queryset()
        return Jurisdiction.objects.select_related("parent")

    @timeline_action(
        "jurisdictions",
        "A jurisdiction's timeline",
        "Positions of the jurisdiction, of its officials and of the jurisdictions inside it (and their "
        "officials), in date order.",
    )
    def timeline(self, request, slug=None):
        jurisdiction = get_object_or_404(Jurisdiction, slug=slug)
        positions = self.get_queryset().held_by_jurisdiction(jurisdiction, include_sub_jurisdictions=True)
        return _timeline_response(self, positions)


@_documented("organizations", {"jurisdiction": "jurisdiction", "parent": "organization"})
class OrganizationViewSet(KnowledgeBaseViewSet):
    expandable = {"jurisdiction": "jurisdiction", "parent": "organization"}
    filterset_class = filters.OrganizationFilterSet
    serializer_class = serializers.OrganizationSerializer

    def get_queryset(self):
        return Organization.objects.select_related("jurisdiction", "parent").prefetch_related(
            other_names_with_citations(), Prefetch("citations", cited())
        )


@_documented("officials", {"jurisdiction": "jurisdiction", "organization": "organization"})
class OfficialViewSet(KnowledgeBaseViewSet):
    expandable = {"jurisdiction": "jurisdiction", "organization": "organization"}
    filterset_class = filters.OfficialFilterSet
    serializer_class = serializers.OfficialSerializer

    def get_queryset(self):
        if self.action == "timeline":
            return PositionViewSet.base_queryset()
        return Official.objects.select_related("jurisdiction", "organization").prefetch_related(
            other_names_with_citations(), Prefetch("citations", cited())
        )

    @timeline_action("officials", "An official's timeline", "The official's positions in date order.")
    def timeline(self, request, slug=None):
        official = get_object_or_404(Official, slug=slug)
        return _timeline_response(self, self.get_queryset().filter(official=official))


def _timeline_response(view, positions):
    positions = view.filter_queryset(positions)
    if "ordering" not in view.request.query_params:
        positions = positions.order_by("date", "slug")
    return _positions_page(view, positions)


def _positions_page(view, positions):
    """A page of positions, read as rows (api.reads) unless `?expand=` asks for whole records."""
    context = view.get_serializer_context()
    if context["expand"]:
        page = view.paginate_queryset(positions)
        return view.get_paginated_response(view.get_serializer(page, many=True).data)
    view.page_rows = reads.position_rows
    # A search's matches are not in an index's order: read the page's keys first (KeysFirst).
    view.page_keys_first = getattr(getattr(view, "validated_filterset", None), "search_prepared", None) is not None
    rows = view.paginate_queryset(positions)
    results = reads.positions_json(rows, lambda view_name, slug: serializers.record_url(view_name, slug, context))
    return view.get_paginated_response(results)


@_documented(
    "positions",
    POSITION_EXPANSIONS,
    list_description=(
        "A page of positions: who stood where on which program, when, and the quotes that back it. "
        "Use `as_of` for the stance in force on a day, `jurisdiction` (with `include_sub_jurisdictions`) "
        "for a place, `stance` (repeatable) for kinds of stance."
    ),
)
class PositionViewSet(KnowledgeBaseViewSet):
    expandable = POSITION_EXPANSIONS
    filterset_class = filters.PositionFilterSet
    serializer_class = serializers.PositionSerializer

    @staticmethod
    def base_queryset():
        """Everything a page of positions shows, in a fixed number of queries."""
        # No response prints a search text; a position's repeats all its quotes.
        return (
            Position.objects.select_related("program", "official", "jurisdiction", "organization")
            .defer(
                *(
                    f"{prefix}search_text"
                    for prefix in ("", "program__", "official__", "jurisdiction__", "organization__")
                )
            )
            .prefetch_related(Prefetch("citations", cited()))
        )

    def get_queryset(self):
        return self.base_queryset()

    def list(self, request, *args, **kwargs):
        return _positions_page(self, self.filter_queryset(self.get_queryset()))


@_documented("sources", {}, serializers.SourceDetailSerializer)
class SourceViewSet(KnowledgeBaseViewSet):
    filterset_class = filters.SourceFilterSet

    def get_serializer_class(self):
        return serializers.SourceSerializer if self.action == "list" else serializers.SourceDetailSerializer

    def get_queryset(self):
        if self.action == "list":
            return Source.objects.defer("text", "search_text")
        return Source.objects.defer("search_text")
