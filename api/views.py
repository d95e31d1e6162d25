"""HTTP in, queries out: each viewset names its serializer, filters and the queries it needs."""

from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings

from api import csv, facets, filters, params, reads, serializers
from api.filtering import ValidatedFilterBackend
from api.renderers import JSONRenderer
from api.schema import examples_for
from kb.models import Citation, Jurisdiction, Official, Organization, OtherName, Position, Program, ProgramFact, Source

COMMON_QUERY_PARAMETERS = {"limit", "offset", "cursor", "expand", "format"}
PAGING_PARAMETERS = ("limit", "offset", "cursor")
# Parameters that take several values (besides the filters that do: api.params).
MULTI_VALUED_PARAMETERS = {"expand", facets.PARAMETER}
# What `?expand=` may inline, per resource: field -> the kind of record it is.
POSITION_EXPANSIONS = {
    "program": "program",
    "official": "official",
    "jurisdiction": "jurisdiction",
    "organization": "organization",
}

# Facets of positions beyond their filters' (api.facets): the sources citing them, the year.
POSITION_FACETS = {"source": "citations__source", "year": "date__year"}

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
        enum=list(expandable),
        description=(
            "Inline these related records in full instead of as {slug, name, url} references: "
            f"{', '.join(expandable)}. {params.MULTIPLE_HELP}"
        ),
    )


class FormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the answer's format whatever `Accept` says; an unknown one is a 400 naming it
    (DRF's own answer is a 404, as for an unknown path)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        format_ = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if format_:
            matching = [renderer for renderer in renderers if renderer.format == format_]
            if not matching:
                accepted = ", ".join(renderer.format for renderer in renderers)
                raise exceptions.ValidationError(
                    {"format": [f"'{format_[:40]}' is not accepted; choose from: {accepted}."]}
                )
            return matching[0], matching[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class KnowledgeBaseReads:
    """What every knowledge-base resource does when read: one query convention (api.params), every
    parameter checked up front, `?expand=`, lists as pages (with `?facet=`) or as a CSV of every
    record (api.csv)."""

    lookup_field = "slug"
    # Slug characters only: anything else (a NUL byte, which PostgreSQL refuses in a query) is
    # answered by the JSON 404 of unknown paths before it reaches the database.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filter_backends = [ValidatedFilterBackend]
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, csv.CSVRenderer]
    content_negotiation_class = FormatNegotiation
    expandable = {}
    # Facets beyond those derived from the filters (api.facets): name -> path.
    extra_facets = {}
    # The parameter that a timeline's path already says (e.g. `jurisdiction` on a jurisdiction's).
    timeline_parameter = None
    # Positions (a positions list, a timeline) are read as rows: api.reads.
    lists_positions = False

    def initial(self, request, *args, **kwargs):
        query_errors = {}
        if request.method in ("GET", "HEAD"):
            query_errors = self._normalize_query(request)
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            self._forget_format(request)
            self._validate_query(request, query_errors)

    def _normalize_query(self, request):
        """The query in one form (api.params): what filters, pages and views read from here on."""
        listed, joined = params.multi_valued_filters(getattr(self, "filterset_class", None))
        query, errors = params.normalize(request.query_params, MULTI_VALUED_PARAMETERS | listed, joined)
        request._request.GET = query
        return errors

    @staticmethod
    def _forget_format(request):
        """`format` has chosen the renderer; the records' URLs should not carry it (DRF's reverse()
        copies it from the query into every URL it builds)."""
        if "format" in request.query_params:
            query = request.query_params.copy()
            del query["format"]
            query._mutable = False
            request._request.GET = query

    def _is_list(self):
        return self.action in ("list", "timeline")

    def _validate_query(self, request, errors):
        """Check every query parameter up front, so one 400 names all that is wrong."""
        is_list = self._is_list()
        known = set(COMMON_QUERY_PARAMETERS) - (set() if is_list else set(PAGING_PARAMETERS))
        if is_list:
            known |= self._list_parameters()
        errors = dict(errors)
        if is_list and self.action == "timeline":
            errors.update(self._timeline_parameter_errors(request))
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
        if is_list:
            errors.update(facets.validate(self))
            errors.update(csv.validate_rows(self, self.get_serializer()))
            if csv.wants_csv(request):
                errors.update(self._csv_errors(request))
        try:
            self._requested_expansions()
        except exceptions.ValidationError as error:
            errors.update(error.detail)
        if errors:
            raise exceptions.ValidationError(errors)

    def _list_parameters(self):
        """`facet` where the list offers facets; `rows` where its records have lists to spread."""
        offered = set()
        if facets.facets_of(self):
            offered.add(facets.PARAMETER)
        if csv.row_lists_of(self.get_serializer()):
            offered.add(csv.ROWS_PARAMETER)
        return offered

    @staticmethod
    def _csv_errors(request):
        """A CSV carries every matching record: paging and facets have no place in it."""
        errors = {}
        for name in (*PAGING_PARAMETERS, facets.PARAMETER):
            if name in request.query_params:
                errors[name] = [
                    "A CSV carries every matching record, without pages or facets: leave this out, or ask for JSON."
                ]
        return errors

    def _timeline_parameter_errors(self, request):
        """A timeline's path names its record: a filter naming another one contradicts it."""
        name = self.timeline_parameter
        given = request.query_params.get(name) if name else None
        if given is None:
            return {}
        if given == self.kwargs.get(self.lookup_field):
            query = request.query_params.copy()
            del query[name]  # the path says it already; as a filter it would only narrow the timeline
            query._mutable = False
            request._request.GET = query
            return {}
        return {
            name: [
                f"This is the timeline of {self.kwargs.get(self.lookup_field)}: leave {name} out, "
                f"or ask for the timeline of {given[:80]}."
            ]
        }

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for: the error shape has no CSV form.
        if getattr(response, "status_code", 200) >= 400 and csv.wants_csv(request):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        return self.list_response(self.filter_queryset(self.get_queryset()))

    def list_response(self, queryset):
        """The list's answer: a page (with its facets), or every record as CSV."""
        if csv.wants_csv(self.request):
            return csv.streaming_response(self, queryset, self.csv_filename())
        response = self.page_response(queryset)
        counted = facets.count(self, queryset, self.paginator.count)
        if counted is not None:
            response.data["facets"] = counted
        return response

    def csv_filename(self):
        """positions, jurisdictions-massachusetts-timeline: the path after the API's root."""
        parts = [part for part in self.request.path.split("/") if part]
        return "-".join(parts[2:]) or "records"

    def page_response(self, queryset):
        if self.lists_positions:
            return _positions_page(self, queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.write_records(page))

    def write_records(self, records):
        """The list's JSON of these records (a page, or a chunk of a CSV)."""
        if self.lists_positions:
            return _positions_json(self, records)
        return self.get_serializer(records, many=True).data

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

    def _requested_expansions(self):
        requested = set(params.split_values(self.request.query_params.getlist("expand"))) if self.request else set()
        unknown = requested - set(self.expandable)
        if unknown:
            accepted = ", ".join(self.expandable) or "nothing on this resource"
            raise exceptions.ValidationError(
                {"expand": [f"Cannot expand {', '.join(sorted(unknown))}; accepted: {accepted}."]}
            )
        return requested


class KnowledgeBaseViewSet(KnowledgeBaseReads, viewsets.ModelViewSet):
    """Read by anyone; write with a token or session and the matching model permission."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class ReadOnlyKnowledgeBaseViewSet(KnowledgeBaseReads, viewsets.ReadOnlyModelViewSet):
    """Read by anyone; written through the records they belong to."""

    http_method_names = ["get", "head", "options"]


SUB_JURISDICTIONS_ON_TIMELINE = OpenApiParameter(
    "include_sub_jurisdictions",
    OpenApiTypes.BOOL,
    description=(
        "true (default here) or false: with false, only the jurisdiction's own positions and its officials', "
        "without those of the jurisdictions inside it."
    ),
)


def timeline_action(resource, summary, description, parameters=()):
    """A record's positions in date order: the positions list's filters, expansions and page, documented."""

    def decorate(method):
        routed = action(
            detail=True,
            filterset_class=filters.PositionFilterSet,
            serializer_class=serializers.PositionSerializer,
            expandable=POSITION_EXPANSIONS,
            extra_facets=POSITION_FACETS,
            lists_positions=True,
        )(method)
        return extend_schema(
            summary=summary,
            description=(
                f"{description} Takes the positions list's filters, e.g. `program`; the filter the path already "
                "says is refused when it names another record."
            ),
            responses=serializers.PositionSerializer(many=True),
            parameters=[
                expand_parameter(POSITION_EXPANSIONS),
                facets.parameter(filters.PositionFilterSet, POSITION_FACETS),
                *parameters,
            ],
            filters=True,
            examples=examples_for(resource, "timeline"),
        )(routed)

    return decorate


def _documented(resource, expandable, detail_serializer=None, list_description=""):
    """Schema for the list/retrieve/write operations of a resource, with real examples and errors."""
    expand = [expand_parameter(expandable)] if expandable else []
    body = {"request": detail_serializer, "responses": detail_serializer} if detail_serializer else {}

    def decorate(view_class):
        return extend_schema_view(
            list=extend_schema(
                summary=f"List {resource}",
                description=list_description or f"A page of {resource}, filtered, searched and ordered as asked.",
                parameters=[*expand, facets.parameter(view_class.filterset_class, view_class.extra_facets)],
                examples=examples_for(resource, "list"),
            ),
            **_documented_record_operations(resource, expand, body, detail_serializer),
        )(view_class)

    return decorate


def _documented_record_operations(resource, expand, body, detail_serializer):
    return dict(
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
    extra_facets = {}
    timeline_parameter = "jurisdiction"

    def get_queryset(self):
        if self.action == "timeline":
            return PositionViewSet.base_queryset()
        return Jurisdiction.objects.select_related("parent")

    @timeline_action(
        "jurisdictions",
        "A jurisdiction's timeline",
        "Positions of the jurisdiction, of its officials and (unless `include_sub_jurisdictions=false`) of the "
        "jurisdictions inside it and their officials, in date order.",
        parameters=[SUB_JURISDICTIONS_ON_TIMELINE],
    )
    def timeline(self, request, slug=None):
        jurisdiction = get_object_or_404(Jurisdiction, slug=slug)
        include_sub = self.validated_filterset.form.cleaned_data.get("include_sub_jurisdictions")
        positions = self.get_queryset().held_by_jurisdiction(
            jurisdiction, include_sub_jurisdictions=include_sub in (None, "", True)
        )
        return _timeline_response(self, positions)


@_documented("organizations", {"jurisdiction": "jurisdiction", "parent": "organization"})
class OrganizationViewSet(KnowledgeBaseViewSet):
    expandable = {"jurisdiction": "jurisdiction", "parent": "organization"}
    filterset_class = filters.OrganizationFilterSet
    serializer_class = serializers.OrganizationSerializer
    timeline_parameter = "organization"

    def get_queryset(self):
        if self.action == "timeline":
            return PositionViewSet.base_queryset()
        return Organization.objects.select_related("jurisdiction", "parent").prefetch_related(
            other_names_with_citations(), Prefetch("citations", cited())
        )

    @timeline_action(
        "organizations",
        "An organization's timeline",
        "Positions of the organization and of its officials, in date order.",
    )
    def timeline(self, request, slug=None):
        organization = get_object_or_404(Organization, slug=slug)
        # The officials as a subquery, not a join: each side of the OR is then an index lookup.
        officials = Official.objects.filter(organization=organization).values("pk")
        positions = self.get_queryset().filter(Q(organization=organization) | Q(official_id__in=officials))
        return _timeline_response(self, positions)


@_documented("officials", {"jurisdiction": "jurisdiction", "organization": "organization"})
class OfficialViewSet(KnowledgeBaseViewSet):
    expandable = {"jurisdiction": "jurisdiction", "organization": "organization"}
    filterset_class = filters.OfficialFilterSet
    serializer_class = serializers.OfficialSerializer
    timeline_parameter = "official"

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
    return view.list_response(positions)


def _positions_page(view, positions):
    """A page of positions, read as rows (api.reads) unless `?expand=` asks for whole records."""
    if view.get_serializer_context()["expand"]:
        page = view.paginate_queryset(positions)
        return view.get_paginated_response(view.get_serializer(page, many=True).data)
    view.page_rows = reads.position_rows
    return view.get_paginated_response(_positions_json(view, view.paginate_queryset(positions)))


def _positions_json(view, positions):
    """The JSON of these positions: rows (a queryset, or rows already read) through api.reads; whole
    records through the serializer with `?expand=`."""
    context = view.get_serializer_context()
    if context["expand"]:
        return view.get_serializer(positions, many=True).data
    rows = reads.position_rows(positions) if hasattr(positions, "query") else positions
    return reads.positions_json(list(rows), lambda view_name, slug: serializers.record_url(view_name, slug, context))


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
    extra_facets = POSITION_FACETS
    lists_positions = True

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


@_documented("sources", {}, serializers.SourceDetailSerializer)
class SourceViewSet(KnowledgeBaseViewSet):
    filterset_class = filters.SourceFilterSet

    def get_serializer_class(self):
        return serializers.SourceSerializer if self.action == "list" else serializers.SourceDetailSerializer

    def get_queryset(self):
        if self.action == "list":
            return Source.objects.defer("text", "search_text")
        return Source.objects.defer("search_text")
