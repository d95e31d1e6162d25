"""The floor: what the API's main operations cost with no framework in between.

Each view runs the queries the API runs for the same request (the kb queryset methods, the
same page, count and writer queries) and writes the same JSON with the same writer (api.writers)
and orjson: no DRF request, viewset, filterset, paginator or renderer. Mounted only when
KB_BENCH_FLOOR is on, for bench/run.py; never in production. A test checks that each floor
answer equals the API's.
"""

import datetime

import orjson
from django.http import Http404, HttpResponse

from api.pagination import CURSOR_FROM_OFFSET, DEFAULT_LIMIT, KeyOrder, bounded_count
from api.writers import WRITERS, Context, Urls
from kb.models import Jurisdiction, Position, Program
from kb.search import search

POSITION = WRITERS["position"]


def positions(request):
    params = request.GET
    queryset = Position.objects.all()
    if "program" in params:
        program = Program.objects.filter(slug=params["program"]).values_list("pk", flat=True).first()
        if program is None:
            raise Http404
        queryset = queryset.filter(program_id=program)
    if "as_of" in params:
        queryset = queryset.as_of(datetime.date.fromisoformat(params["as_of"]))
    if "search" in params:
        queryset = search(queryset, params["search"])
    return _page(request, queryset.order_by("date_earliest", "slug"))


def jurisdiction_timeline(request, slug):
    jurisdiction = Jurisdiction.objects.filter(slug=slug).first()
    if jurisdiction is None:
        raise Http404
    queryset = Position.objects.held_by_jurisdiction(jurisdiction, include_sub_jurisdictions=True)
    return _page(request, queryset.order_by("date_earliest", "slug"))


def position(request, slug):
    record = POSITION.write_one(Position.objects.filter(slug=slug), Context(Urls(request)))
    if record is None:
        raise Http404
    return _json(record)


def _page(request, queryset):
    params = request.GET
    limit = int(params.get("limit", DEFAULT_LIMIT))
    offset = int(params.get("offset", 0))
    key_order = KeyOrder.of(queryset)
    if "cursor" in params:
        values, _ = key_order.decode(params["cursor"])
        rows = list(POSITION.rows(queryset.filter(key_order.after(values)))[: limit + 1])
    else:
        rows = list(POSITION.rows(queryset)[offset : offset + limit + 1])
    has_next = len(rows) > limit
    rows = rows[:limit]
    count = bounded_count(queryset)
    as_of = datetime.date.fromisoformat(params["as_of"]) if "as_of" in params else None
    results = POSITION.write(rows, Context(Urls(request), as_of=as_of))
    next_link = None
    if has_next:
        base = request.build_absolute_uri(request.path)
        if "cursor" in params or offset + limit >= CURSOR_FROM_OFFSET:
            next_link = f"{base}?limit={limit}&cursor={key_order.encode(key_order.values_of(rows[-1]))}"
        else:
            next_link = f"{base}?limit={limit}&offset={offset + limit}"
    return _json({"count": count, "next": next_link, "previous": None, "results": results})


def _json(document):
    return HttpResponse(orjson.dumps(document), content_type="application/json")
