"""`GET /api/v1/search/?q=`: one search over every kind of record, best first (docs/search.md).

Each kind in kb.search.kinds is searched with the same query (its names widened, its misspelt
names corrected, once for all kinds); each kind's best hits are merged by relevance, then by
kind (in the order of KINDS), then by the kind's own order. A hit carries its type, title, API
URL, score and a highlighted passage. The lists' `suggestions` come from here too.
"""

import html

from django.db import connections
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.examples import examples_for
from api.negotiation import FormatNegotiation
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from api.schema import KnowledgeBaseAutoSchema
from api.writers import Urls
from config.counting import bounded_count
from kb.models import OtherName
from kb.search import KINDS, SYNTAX_HELP
from kb.search import query as search_query
from kb.search.kinds import BY_MODEL

# Ranked results are read from each kind's best; deeper than this, ranking is not worth paging.
MAX_OFFSET = 1000
DATABASE = "default"

Q_HELP = f"What to look for, in the search syntax of every list's `search` (at most 500 characters). {SYNTAX_HELP}"
TYPE_HELP = (
    "Only hits of these types; repeat the parameter for several (`type=official&type=position`). "
    f"Default: every type ({', '.join(KINDS)})."
)


class SearchParameters(serializers.Serializer):
    q = serializers.CharField(max_length=500, trim_whitespace=False, help_text=Q_HELP)
    type = serializers.MultipleChoiceField(
        choices=list(KINDS),
        required=False,
        help_text=TYPE_HELP,
        error_messages={"invalid_choice": f"'{{input}}' is not accepted; choose from: {', '.join(KINDS)}."},
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        default=DEFAULT_LIMIT,
        help_text=f"Number of hits per page: default {DEFAULT_LIMIT}, maximum {MAX_LIMIT}.",
    )
    offset = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_OFFSET,
        help_text=f"Index of the first hit to return (0-based, the first when absent), at most {MAX_OFFSET:,}.",
    )

    def validate_q(self, value):
        if "\x00" in value:
            raise serializers.ValidationError("A search cannot contain a NUL character.")
        return value


class SuggestionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The record's name.")
    type = serializers.ChoiceField(choices=list(KINDS), help_text="The kind of record.")
    slug = serializers.SlugField()
    url = serializers.URLField(help_text="The record in the API.")
    search = serializers.CharField(help_text="The words of its name the query's words were close to: search them.")


SUGGESTION_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The record's name."},
        "type": {"type": "string", "enum": [kind.name for kind in KINDS.values() if kind.names]},
        "slug": {"type": "string"},
        "url": {"type": "string", "format": "uri", "description": "The record in the API."},
        "search": {"type": "string", "description": "The words of its name the query's words were close to."},
    },
    "required": ["name", "type", "slug", "url", "search"],
}
SUGGESTION_EXAMPLE = {
    "name": "Mary Beth Heffernan",
    "type": "official",
    "slug": "mary-beth-heffernan",
    "url": "http://127.0.0.1:8000/api/v1/officials/mary-beth-heffernan/",
    "search": "Heffernan",
}

SUGGESTIONS_HELP = (
    "Present when the search found nothing: the names closest to its words (a misspelt name's nearest "
    "spellings, ranked by trigram similarity as PostgreSQL's pg_trgm), best first, at most 5: \"did you "
    'mean Heffernan?". May be empty.'
)


class HitSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=list(KINDS), help_text="The kind of record.")
    slug = serializers.CharField(allow_null=True, help_text="The record's slug (null for a citation).")
    title = serializers.CharField(help_text="Its name, title, summary, statement or quote.")
    url = serializers.URLField(
        help_text="The record in the API; a fact's is its program's, a citation's the record it backs."
    )
    source_url = serializers.URLField(allow_null=True, help_text="A citation's source; null for other hits.")
    score = serializers.FloatField(
        help_text=(
            "Relevance, 0 to 1: for each word or phrase looked for, 2 points in the record's name, title or "
            "summary, 1 anywhere in it, over the most points possible."
        )
    )
    passage = serializers.CharField(
        help_text="Why it matched: an extract with each match in <mark>…</mark> (HTML; the rest is escaped)."
    )


class SearchPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Hits of every type: exact up to 1,000 per type, then estimated.")
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last one.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null on the first one.")
    results = HitSerializer(many=True)
    suggestions = SuggestionSerializer(many=True, required=False, help_text=SUGGESTIONS_HELP)


def suggestions_json(prepared, context):
    return [
        {
            "name": named.name,
            "type": named.kind,
            "slug": named.slug,
            "url": record_url(f"{named.kind}-detail", named.slug, context),
            "search": " ".join(words),
        }
        for named, words in search_query.suggestions(prepared)
    ]


def record_url(view_name, slug, context):
    """A record's API URL, each kind's reversed once per request (api.writers.Urls)."""
    urls = context.get("urls")
    if urls is None:
        urls = context["urls"] = Urls(context.get("request"))
    return urls(view_name, slug)


# A voice or a reason is shown with the position (or fact) it belongs to.
OWNERS = {"voice": ("position", "program_fact"), "reason": ("position",)}


def _url(record, context):
    """A record's API URL: its own, or that of the record it belongs to (kb.search.kinds `url`)."""
    if isinstance(record, OtherName):
        record = record.owner
    owner_fields = OWNERS.get(type(record)._meta.model_name)
    if owner_fields:
        record = next(getattr(record, name) for name in owner_fields if getattr(record, f"{name}_id"))
    kind = BY_MODEL[type(record)]
    if kind.url == "self":
        return record_url(f"{kind.name}-detail", record.slug, context)
    return _url(getattr(record, kind.url), context)


def _display_queryset(kind, pks):
    queryset = kind.model._default_manager.filter(pk__in=pks)
    related = {
        "fact": ["program"],
        "citation": [
            "source",
            "position",
            "program_fact__program",
            "other_name__official",
            "other_name__organization",
            "other_name__program",
            "official",
            "organization",
            "program",
        ],
    }.get(kind.name, [])
    bulky = [name for name in ("text", "search_text") if any(f.name == name for f in kind.model._meta.fields)]
    return queryset.select_related(*related).defer(*bulky)


class SearchSchema(KnowledgeBaseAutoSchema):
    """The answer is one page object, though the operation is a viewset's `list`."""

    def _is_list_view(self, serializer=None):
        return False

    def _get_format_parameters(self):
        # Hits are of every kind, with no one CSV layout: JSON only, but `format` is accepted as on
        # every list, so it is documented as one.
        return [
            build_parameter_type(
                name=api_settings.URL_FORMAT_OVERRIDE,
                schema=build_basic_type(OpenApiTypes.STR),
                location=OpenApiParameter.QUERY,
                enum=self.map_renderers("format"),
                description="The answer's format: `json` only (search has no CSV; `format=api`, in a browser, "
                "for the browsable page).",
            )
        ]


class SearchViewSet(viewsets.GenericViewSet):
    """Search across the knowledge base (read-only)."""

    serializer_class = SearchPageSerializer
    schema = SearchSchema()
    pagination_class = None
    filter_backends = []
    content_negotiation_class = FormatNegotiation
    known_parameters = {"q", "type", "limit", "offset", "format"}

    def get_queryset(self):  # the schema generator asks; hits are read per kind
        return KINDS["official"].model.objects.none()

    @extend_schema(
        operation_id="search",
        summary="Search every kind of record",
        description=(
            "One search over officials, organizations, programs, jurisdictions, positions, program facts, sources "
            "and citations: typed hits, most relevant first (then by type, in that order, then by each list's own "
            "order), each with its URL, a relevance score and a highlighted passage showing why it matched. "
            "Same syntax and matching as every list's `search`."
        ),
        parameters=[SearchParameters],
        responses=SearchPageSerializer,
        examples=examples_for("search", "list", errors=False),
    )
    def list(self, request):
        parameters = self._parameters(request)
        kinds = [KINDS[name] for name in KINDS if name in parameters.get("type", ())] or list(KINDS.values())
        limit, offset = parameters["limit"], parameters.get("offset", 0)
        context = {"request": request}
        prepared = search_query.prepare(parameters["q"], kinds, DATABASE)
        hits, count = self._ranked(prepared, kinds, offset + limit)
        page = hits[offset : offset + limit]
        body = {
            "count": count,
            "next": self._link(request, limit, offset + limit) if count > offset + limit else None,
            "previous": self._link(request, limit, max(offset - limit, 0)) if offset > 0 else None,
            "results": self._results(prepared, page, context),
        }
        if count == 0:
            body["suggestions"] = suggestions_json(prepared, context)
        return Response(body)

    def _parameters(self, request):
        errors = {
            name: [f"Unknown query parameter. Accepted here: {', '.join(sorted(self.known_parameters))}."]
            for name in sorted(set(request.query_params) - self.known_parameters)
        }
        serializer = SearchParameters(data=request.query_params)
        if not serializer.is_valid():
            errors.update(serializer.errors)
        if errors:
            raise exceptions.ValidationError(errors)
        return serializer.validated_data

    @staticmethod
    def _link(request, limit, offset):
        url = replace_query_param(request.build_absolute_uri(), "limit", limit)
        return remove_query_param(url, "offset") if offset == 0 else replace_query_param(url, "offset", offset)

    @staticmethod
    def _ranked(prepared, kinds, wanted):
        """The best `wanted` hits of every kind, merged: [(points, kind, pk)], and how many match."""
        vendor = connections[DATABASE].vendor
        ranked, count = [], 0
        for rank, kind in enumerate(kinds):
            condition = search_query.match(kind, prepared, vendor)
            if condition is None:
                return [], 0
            matches = kind.model._default_manager.using(DATABASE).filter(condition)
            best = list(
                matches.annotate(search_points=search_query.relevance(kind, prepared, vendor))
                .order_by("-search_points", *kind.model._meta.ordering, "pk")
                .values_list("search_points", "pk")[:wanted]
            )
            count += len(best) if len(best) < wanted else bounded_count(matches)
            ranked += [(-points, rank, position, kind, pk) for position, (points, pk) in enumerate(best)]
        ranked.sort(key=lambda hit: hit[:3])
        return [(-points, kind, pk) for points, _, _, kind, pk in ranked], count

    @staticmethod
    def _results(prepared, page, context):
        by_kind = {}
        for _, kind, pk in page:
            by_kind.setdefault(kind, []).append(pk)
        records, passages = {}, {}
        for kind, pks in by_kind.items():
            records[kind] = {record.pk: record for record in _display_queryset(kind, pks)}
            passages[kind] = search_query.passages(kind, prepared, pks)
        results = []
        for points, kind, pk in page:
            record = records[kind][pk]
            title = getattr(record, kind.title) or str(record)
            results.append(
                {
                    "type": kind.name,
                    "slug": getattr(record, "slug", None),
                    "title": title,
                    "url": _url(record, context),
                    "source_url": record_url("source-detail", record.source.slug, context)
                    if kind.name == "citation"
                    else None,
                    "score": prepared.score(points),
                    "passage": passages[kind].get(pk) or html.escape(title, quote=False),
                }
            )
        return results
