"""HTTP in, queries out. Each viewset names its writer, filters and write serializer; api.writers
writes every record (pages, details, timelines, CSV), api.serializers validates every write."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api import csv, documents, facets, filters, params, search, serializers
from api.negotiation import FormatNegotiation
from api.parsers import JSONParser
from api.renderers import JSONRenderer
from api.schema import examples_for
from api.versioning import VersionedRecordViewSet
from api.writers import WRITERS, Context, Urls
from kb.models import Position
from kb.models.base import has_field

COMMON_QUERY_PARAMETERS = {"limit", "offset", "cursor", "expand", "format"}
PAGING_PARAMETERS = ("limit", "offset", "cursor")
READ_ACTIONS = ("list", "retrieve", "timeline")
LIST_ACTIONS = ("list", "timeline")
# Parameters that take several values (besides the filters that do: api.params).
MULTI_VALUED_PARAMETERS = {"expand", facets.PARAMETER}
# Facets of positions beyond their filters' (api.facets): the sources citing them, the year.
POSITION_FACETS = {"source": "citations__source", "year": "date_earliest__year"}


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


def expandable_of(writer):
    """The references a writer can write whole: `?expand=` accepts exactly these."""
    return tuple(item.name for item in writer.items if getattr(item, "expandable", False) and hasattr(item, "kind"))


class KnowledgeBaseReads:
    """What every knowledge-base resource does when read: one query convention (api.params), every
    parameter checked up front (one 400 names all that is wrong, and the FilterSet that checked
    them then filters), `?expand=`, lists as pages (with `?facet=`) or as a CSV of every record."""

    kind = ""  # the key of this resource's writer in api.writers.WRITERS
    lookup_field = "slug"
    # Slug characters only: anything else (a NUL byte, which PostgreSQL refuses in a query) is
    # answered by the JSON 404 of unknown paths before it reaches the database.
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, csv.CSVRenderer]
    content_negotiation_class = FormatNegotiation
    # Facets beyond those derived from the filters (api.facets): name -> path.
    extra_facets = {}
    # The parameter that a timeline's path already says (e.g. `jurisdiction` on a jurisdiction's).
    timeline_parameter = None

    @property
    def writer(self):
        """The writer of this request's records: a timeline's are positions."""
        return WRITERS["position"] if self.action == "timeline" else WRITERS[self.kind]

    def get_queryset(self):
        return self.writer.model.objects.all()

    def get_serializer_class(self):
        # Reads are documented (and their CSV columns laid out) by their writer; writes are validated.
        if self.action in READ_ACTIONS:
            return self.writer.schema(detail=self.action == "retrieve")
        return super().get_serializer_class()

    def initial(self, request, *args, **kwargs):
        self.filterset = None
        self.expand = frozenset()
        query_errors = self._normalize_query(request) if request.method in ("GET", "HEAD") else {}
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

    def _validate_query(self, request, errors):
        is_list = self.action in LIST_ACTIONS
        known = COMMON_QUERY_PARAMETERS - (set() if is_list else set(PAGING_PARAMETERS))
        errors = dict(errors)
        filterset_class = getattr(self, "filterset_class", None) if is_list else None
        if is_list:
            known |= self._list_parameters()
            if self.action == "timeline":
                errors.update(self._timeline_parameter_errors(request))
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
            self.filterset = filterset_class(request.query_params, queryset=filterset_class._meta.model.objects.none())
            if not self.filterset.is_valid():
                errors.update(self.filterset.errors)
        for name in sorted(set(request.query_params) - known):
            errors[name] = [f"Unknown query parameter. Accepted here: {', '.join(sorted(known))}."]
        if is_list:
            errors.update(self.paginator.check_parameters(request))
            errors.update(facets.validate(self))
            errors.update(csv.validate_rows(self, self.get_serializer()))
            if csv.wants_csv(request):
                errors.update(self._csv_errors(request))
        requested = set(params.split_values(request.query_params.getlist("expand")))
        expandable = expandable_of(self.writer)
        if requested - set(expandable):
            accepted = ", ".join(expandable) or "nothing on this resource"
            errors["expand"] = [
                f"Cannot expand {', '.join(sorted(requested - set(expandable)))}; accepted: {accepted}."
            ]
        self.expand = frozenset(requested)
        if errors:
            raise exceptions.ValidationError(errors)

    def _list_parameters(self):
        """`facet` where the list offers facets; `rows` where its records have lists to spread."""
        offered = set()
        if facets.facets_of(self):
            offered.add(facets.PARAMETER)
        if csv.row_list_names(self.get_serializer_class()):
            offered.add(csv.ROWS_PARAMETER)
        return offered

    @staticmethod
    def _csv_errors(request):
        """A CSV carries every matching record: paging and facets have no place in it."""
        message = "A CSV carries every matching record, without pages or facets: leave this out, or ask for JSON."
        return {name: [message] for name in (*PAGING_PARAMETERS, facets.PARAMETER) if name in request.query_params}

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
        slug = self.kwargs.get(self.lookup_field)
        return {name: [f"This is the timeline of {slug}: leave {name} out, or ask for the timeline of {given[:80]}."]}

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for: the error shape has no CSV form.
        if getattr(response, "status_code", 200) >= 400 and csv.wants_csv(request):
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def filter_queryset(self, queryset):
        return self.filterset.filter_queryset(queryset) if self.filterset is not None else queryset

    def writing_context(self):
        as_of = self.filterset.form.cleaned_data.get("as_of") if self.filterset is not None else None
        return Context(Urls(self.request), self.expand, as_of)

    def write_records(self, queryset):
        """The JSON of the records of `queryset` (a chunk of a CSV)."""
        return self.writer.write(self.writer.rows(queryset), self.writing_context())

    def list_response(self, queryset):
        """The list's answer: a page (with its facets), or every record as CSV."""
        if csv.wants_csv(self.request):
            return csv.streaming_response(self, queryset, self.csv_filename())
        prepared = getattr(self.filterset, "search_prepared", None)
        rows = self.paginator.paginate_queryset(
            queryset, self.request, rows=self.writer.rows, searched=prepared is not None
        )
        response = self.paginator.get_paginated_response(self.writer.write(rows, self.writing_context()))
        counted = facets.count(self, queryset, self.paginator.count)
        if counted is not None:
            response.data["facets"] = counted
        if prepared is not None and prepared.query and self.paginator.count == 0:
            response.data["suggestions"] = search.suggestions_json(prepared, {"request": self.request})
        return response

    def csv_filename(self):
        """positions, jurisdictions-massachusetts-timeline: the path after the API's root."""
        parts = [part for part in self.request.path.split("/") if part]
        return "-".join(parts[2:]) or "records"

    def list(self, request, *args, **kwargs):
        return self.list_response(self.filter_queryset(self.get_queryset()))

    def retrieve(self, request, *args, **kwargs):
        return Response(self.read_one())

    def read_one(self):
        """The record the path names, read once: its writer's row (and its version, for the ETag),
        not a model instance first and its row after. A 404 when there is none."""
        if self._checks_each_record():
            return self.written(self.get_object())
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        if self.lookup_field in ("pk", "id"):
            value = int(value)  # the path's pattern allows digits only
        versioned = hasattr(self, "record_version") and has_field(self.writer.model, "version")
        record, row = self.writer.read_one(
            self.get_queryset(),
            self.lookup_field,
            value,
            self.writing_context(),
            also=("version",) if versioned else (),
        )
        if record is None:
            raise Http404
        if versioned:
            self.record_version = row["version"]
        return record

    def _checks_each_record(self):
        """Whether a permission looks at the record itself (DRF's get_object() would ask it)."""
        return any(
            type(permission).has_object_permission is not BasePermission.has_object_permission
            for permission in self.get_permissions()
        )

    def written(self, record):
        """The record as the API shows it: its writer's JSON, read afresh (after a write, what was saved)."""
        return self.writer.write_one(self.writer.model.objects.filter(pk=record.pk), self.writing_context())


class KnowledgeBaseViewSet(KnowledgeBaseReads, VersionedRecordViewSet, viewsets.ModelViewSet):
    """Read by anyone; write with a token or session and the matching model permission. Records
    carry ETags; writes are whole and honour If-Match (api.versioning)."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        written = self.written(serializer.save())
        self.versioned_record = serializer.instance
        return Response(written, status=status.HTTP_201_CREATED, headers={"Location": written["url"]})

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        return Response(self.written(serializer.save()))


class ReadOnlyKnowledgeBaseViewSet(KnowledgeBaseReads, viewsets.ReadOnlyModelViewSet):
    """Read by anyone; written through the records they belong to."""

    http_method_names = ["get", "head", "options"]


class TimelineMixin:
    """GET <record>/timeline/: the record's positions in date order, with the positions list's
    filters, facets, expansions, page and CSV (its facets are the timeline action's own: the
    record's list keeps the record's)."""

    def positions_of(self, record):
        raise NotImplementedError

    def timeline(self, request, slug=None):
        record = get_object_or_404(WRITERS[self.kind].model, slug=slug)
        positions = self.filter_queryset(self.positions_of(record))
        if "ordering" not in request.query_params:
            positions = positions.order_by("date_earliest", "slug")
        return self.list_response(positions)


SUB_JURISDICTIONS_ON_TIMELINE = OpenApiParameter(
    "include_sub_jurisdictions",
    OpenApiTypes.BOOL,
    description=(
        "true (default here) or false: with false, only the jurisdiction's own positions and its officials', "
        "without those of the jurisdictions inside it."
    ),
)


def timeline_action(resource, summary, description, parameters=()):
    """Routes and documents a viewset's timeline."""
    position = WRITERS["position"]

    def decorate(method):
        routed = action(detail=True, filterset_class=filters.PositionFilterSet, extra_facets=POSITION_FACETS)(method)
        return extend_schema(
            summary=summary,
            description=(
                f"{description} Takes the positions list's filters, e.g. `program`; the filter the path already "
                "says is refused when it names another record."
            ),
            responses=position.schema()(many=True),
            parameters=[
                expand_parameter(expandable_of(position)),
                facets.parameter(filters.PositionFilterSet, POSITION_FACETS),
                *parameters,
            ],
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

    def decorate(view_class):
        return extend_schema_view(
            list=extend_schema(
                summary=f"List {resource}",
                description=list_description or f"A page of {resource}, filtered, searched and ordered as asked.",
                parameters=[*expand, facets.parameter(view_class.filterset_class, view_class.extra_facets)],
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
        )(view_class)

    return decorate


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
    timeline_parameter = "jurisdiction"

    def positions_of(self, jurisdiction):
        include_sub = self.filterset.form.cleaned_data.get("include_sub_jurisdictions")
        return Position.objects.held_by_jurisdiction(
            jurisdiction, include_sub_jurisdictions=include_sub in (None, "", True)
        )

    @timeline_action(
        "jurisdictions",
        "A jurisdiction's timeline",
        "Positions of the jurisdiction, of its officials and (unless `include_sub_jurisdictions=false`) of the "
        "jurisdictions inside it and their officials, in date order.",
        parameters=[SUB_JURISDICTIONS_ON_TIMELINE],
    )
    def timeline(self, request, slug=None):
        return super().timeline(request, slug)


@_documented("organizations", "organization")
class OrganizationViewSet(TimelineMixin, KnowledgeBaseViewSet):
    kind = "organization"
    filterset_class = filters.OrganizationFilterSet
    serializer_class = serializers.OrganizationSerializer
    timeline_parameter = "organization"

    def positions_of(self, organization):
        return Position.objects.held_or_voiced_by(organization=organization)

    @timeline_action(
        "organizations", "An organization's timeline", "What the organization held and what it voiced, in date order."
    )
    def timeline(self, request, slug=None):
        return super().timeline(request, slug)


@_documented("officials", "official")
class OfficialViewSet(TimelineMixin, KnowledgeBaseViewSet):
    kind = "official"
    filterset_class = filters.OfficialFilterSet
    serializer_class = serializers.OfficialSerializer
    timeline_parameter = "official"

    def positions_of(self, official):
        return Position.objects.held_or_voiced_by(official=official)

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
    extra_facets = POSITION_FACETS


@_documented("sources", "source")
class SourceViewSet(KnowledgeBaseViewSet):
    # Sources are added with their text or their uploaded file, and their parts (api.documents).
    kind = "source"
    filterset_class = filters.SourceFilterSet
    serializer_class = documents.SourceWriteSerializer

    def get_parsers(self):
        # An upload adds a source; changes are JSON (a multipart PUT or PATCH is a 415).
        if getattr(self.request, "method", None) == "POST":
            return [JSONParser(), documents.DocumentUploadParser()]
        return super().get_parsers()

    @extend_schema(
        description=(
            "A new document: its metadata, its text (JSON `text`, or the file `file` as multipart/form-data) and "
            "its parts that are not the publisher's, each located by its text (`quote`, or `from` a marker to the "
            "end). Cite it at once: a position's citations find their offsets in it, outside its parts."
        ),
        request={
            "application/json": documents.SourceWriteSerializer,
            "multipart/form-data": documents.SourceUploadSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=documents.upload_as_json(request))
        serializer.is_valid(raise_exception=True)
        record = self.versioned_record = serializer.save()
        return Response(self.written(record), status=status.HTTP_201_CREATED)
