"""HTTP in, queries out. Each viewset names its queryset, filters and writer; api.writers writes
every record, api.serializers validates every write."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters, serializers
from api.schema import examples_for
from api.writers import WRITERS, Context, Urls
from kb.models import Position

COMMON_QUERY_PARAMETERS = {"limit", "offset", "cursor", "expand", "format"}
PAGING_PARAMETERS = {"limit", "offset", "cursor"}
LIST_ACTIONS = ("list", "timeline")


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


def expandable_of(writer):
    """The references a writer can write whole: `?expand=` accepts exactly these."""
    return tuple(item.name for item in writer.items if getattr(item, "expandable", False) and hasattr(item, "kind"))


class KnowledgeBaseViewSet(viewsets.ModelViewSet):
    """Read by anyone; write with a token or session and the matching model permission.

    Every query parameter is checked before anything is read, so one 400 names all that is wrong;
    the FilterSet that checked them then filters.
    """

    kind = ""  # the key of this resource's writer in api.writers.WRITERS
    lookup_field = "slug"
    # Slug characters only: anything else (a NUL byte, which PostgreSQL refuses in a query) is
    # answered by the JSON 404 of unknown paths before it reaches the database.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    @property
    def writer(self):
        return WRITERS[self.kind]

    def get_queryset(self):
        return self.writer.model.objects.all()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.filterset = None
        self.expand = frozenset()
        if request.method in ("GET", "HEAD"):
            self._validate_query(request)

    def _validate_query(self, request):
        is_list = self.action in LIST_ACTIONS
        known = COMMON_QUERY_PARAMETERS - (set() if is_list else PAGING_PARAMETERS)
        errors = {}
        filterset_class = getattr(self, "filterset_class", None) if is_list else None
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
            self.filterset = filterset_class(request.query_params, queryset=filterset_class._meta.model.objects.none())
            if not self.filterset.is_valid():
                errors.update(self.filterset.errors)
        for name in sorted(set(request.query_params) - known):
            errors[name] = [f"Unknown query parameter. Accepted here: {', '.join(sorted(known))}."]
        if is_list and self.paginator is not None:
            errors.update(self.paginator.check_parameters(request))
        raw = request.query_params.get("expand", "")
        requested = {name.strip() for name in raw.split(",") if name.strip()}
        expandable = expandable_of(self.timeline_writer if self.action == "timeline" else self.writer)
        if requested - set(expandable):
            accepted = ", ".join(expandable) or "nothing on this resource"
            errors["expand"] = [
                f"Cannot expand {', '.join(sorted(requested - set(expandable)))}; accepted: {accepted}."
            ]
        self.expand = frozenset(requested)
        if errors:
            raise exceptions.ValidationError(errors)

    def filter_queryset(self, queryset):
        return self.filterset.filter_queryset(queryset) if self.filterset is not None else queryset

    def writing_context(self):
        as_of = self.filterset.form.cleaned_data.get("as_of") if self.filterset is not None else None
        return Context(Urls(self.request), self.expand, as_of)

    def page(self, queryset, writer):
        """A page of `queryset` as `writer` writes it, with the paginator's count and links."""
        rows = self.paginator.paginate_queryset(queryset, self.request, rows=writer.rows)
        return self.paginator.get_paginated_response(writer.write(rows, self.writing_context()))

    def list(self, request, *args, **kwargs):
        return self.page(self.filter_queryset(self.get_queryset()), self.writer)

    def retrieve(self, request, *args, **kwargs):
        return Response(self.written(self.get_object()))

    def written(self, record):
        """The record as the API shows it: its writer's JSON, read afresh (after a write, what was saved)."""
        return self.writer.write_one(self.writer.model.objects.filter(pk=record.pk), self.writing_context())

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        written = self.written(serializer.save())
        return Response(written, status=status.HTTP_201_CREATED, headers={"Location": written["url"]})

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        return Response(self.written(serializer.save()))


class TimelineMixin:
    """GET <record>/timeline/: the record's positions in date order, with the positions list's
    filters, expansions and page."""

    timeline_writer = WRITERS["position"]

    def get_queryset(self):
        # A timeline's rows are positions: the filters and the schema read its model from here.
        return self.timeline_writer.model.objects.all() if self.action == "timeline" else super().get_queryset()

    def positions_of(self, record):
        raise NotImplementedError

    def timeline(self, request, slug=None):
        record = get_object_or_404(self.writer.model, slug=slug)
        positions = self.filter_queryset(self.positions_of(record))
        if "ordering" not in request.query_params:
            positions = positions.order_by("date_earliest", "slug")
        return self.page(positions, self.timeline_writer)


def timeline_action(resource, summary, description):
    """Routes and documents a viewset's timeline."""

    def decorate(method):
        routed = action(detail=True, filterset_class=filters.PositionFilterSet)(method)
        return extend_schema(
            summary=summary,
            description=f"{description} Takes the positions list's filters, e.g. `program`.",
            responses=WRITERS["position"].schema()(many=True),
            parameters=[expand_parameter(expandable_of(WRITERS["position"]))],
            filters=True,
            examples=examples_for(resource, "timeline"),
        )(routed)

    return decorate


def _documented(resource, kind, list_description=""):
    """Schema for the list/retrieve/write operations of a resource, with real examples and errors."""
    writer = WRITERS[kind]
    expandable = expandable_of(writer)
    expand = [expand_parameter(expandable)] if expandable else []
    detail = writer.schema(detail=True)
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {resource}",
            description=list_description or f"A page of {resource}, filtered, searched and ordered as asked.",
            parameters=expand,
            responses=writer.schema()(many=True),
            examples=examples_for(resource, "list"),
        ),
        retrieve=extend_schema(
            summary=f"One of the {resource}, by slug",
            parameters=expand,
            responses=detail,
            examples=examples_for(resource, "retrieve"),
        ),
        create=extend_schema(summary=f"Add to {resource}", responses={201: detail}),
        update=extend_schema(summary="Replace, by slug", responses=detail),
        partial_update=extend_schema(summary="Change some fields, by slug", responses=detail),
        destroy=extend_schema(
            summary="Delete, by slug",
            description="Refused with 409 while other records refer to it (a cited source, a program with positions).",
        ),
    )


@_documented("programs", "program")
class ProgramViewSet(KnowledgeBaseViewSet):
    kind = "program"
    filterset_class = filters.ProgramFilterSet
    serializer_class = serializers.ProgramSerializer


@_documented("jurisdictions", "jurisdiction")
class JurisdictionViewSet(TimelineMixin, KnowledgeBaseViewSet):
    kind = "jurisdiction"
    filterset_class = filters.JurisdictionFilterSet
    serializer_class = serializers.JurisdictionSerializer

    def positions_of(self, jurisdiction):
        return Position.objects.held_by_jurisdiction(jurisdiction, include_sub_jurisdictions=True)

    @timeline_action(
        "jurisdictions",
        "A jurisdiction's timeline",
        "Positions of the jurisdiction, of its officials and of the jurisdictions inside it (and their "
        "officials), in date order.",
    )
    def timeline(self, request, slug=None):
        return super().timeline(request, slug)


@_documented("organizations", "organization")
class OrganizationViewSet(TimelineMixin, KnowledgeBaseViewSet):
    kind = "organization"
    filterset_class = filters.OrganizationFilterSet
    serializer_class = serializers.OrganizationSerializer

    def positions_of(self, organization):
        return Position.objects.held_or_voiced_by(organization=organization)

    @timeline_action(
        "organizations",
        "An organization's timeline",
        "The organization's positions, and those it voiced, in date order.",
    )
    def timeline(self, request, slug=None):
        return super().timeline(request, slug)


@_documented("officials", "official")
class OfficialViewSet(TimelineMixin, KnowledgeBaseViewSet):
    kind = "official"
    filterset_class = filters.OfficialFilterSet
    serializer_class = serializers.OfficialSerializer

    def positions_of(self, official):
        return Position.objects.held_or_voiced_by(official)

    @timeline_action(
        "officials", "An official's timeline", "What the official held and what the official voiced, in date order."
    )
    def timeline(self, request, slug=None):
        return super().timeline(request, slug)


@_documented(
    "positions",
    "position",
    list_description=(
        "A page of positions: who stood where on which program, when, who voiced it, why, and the quotes that "
        "back it. Use `as_of` for the stances in force on a day, `jurisdiction` (with `include_sub_jurisdictions`) "
        "for a place, `stance` for kinds of stance, `disputed` for events sources tell differently."
    ),
)
class PositionViewSet(KnowledgeBaseViewSet):
    kind = "position"
    filterset_class = filters.PositionFilterSet
    serializer_class = serializers.PositionSerializer


@_documented("sources", "source")
class SourceViewSet(KnowledgeBaseViewSet):
    kind = "source"
    filterset_class = filters.SourceFilterSet
    serializer_class = serializers.SourceSerializer
