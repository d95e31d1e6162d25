"""The floor: what the API's main operations cost with no framework in between.

Each view runs the queries the API runs for the same request (the kb queryset methods, the
same page, count and citation queries) and writes the same JSON, from `values()` rows with
orjson (api.reads, which the API's lists use too): no DRF request, viewset, filterset,
serializer, paginator or renderer. Mounted only when
KB_BENCH_FLOOR is on, for bench/run.py; never in production. A test checks that each floor
answer equals the API's.
"""

import datetime

import orjson
from django.http import Http404, HttpResponse

from api.pagination import CURSOR_FROM_OFFSET, DEFAULT_LIMIT, KeyOrder, KeysFirst, bounded_count
from api.reads import position_rows, positions_json
from kb.models import Jurisdiction, Position, Program
from kb.search import search


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
    return _page(request, queryset.order_by("date", "slug"), keys_first="search" in params)


def jurisdiction_timeline(request, slug):
    jurisdiction = Jurisdiction.objects.filter(slug=slug).first()
    if jurisdiction is None:
        raise Http404
    queryset = Position.objects.held_by_jurisdiction(jurisdiction, include_sub_jurisdictions=True)
    return _page(request, queryset.order_by("date", "slug"))


def position(request, slug):
    rows = _rows(Position.objects.filter(slug=slug))
    if not rows:
        raise Http404
    return _json(_positions_json(request, rows)[0])


def _page(request, queryset, keys_first=False):
    params = request.GET
    limit = int(params.get("limit", DEFAULT_LIMIT))
    offset = int(params.get("offset", 0))
    key_order = KeyOrder.of(queryset)
    if "cursor" in params:
        values, _ = key_order.decode(params["cursor"])
        rows = _rows(queryset.filter(key_order.after(values)), slice(None, limit + 1), keys_first)
    else:
        rows = _rows(queryset, slice(offset, offset + limit + 1), keys_first)
    has_next = len(rows) > limit
    rows = rows[:limit]
    count = bounded_count(queryset)
    results = _positions_json(request, rows)
    next_link = None
    if has_next:
        base = request.build_absolute_uri(request.path)
        if "cursor" in params or offset + limit >= CURSOR_FROM_OFFSET:
            last = rows[-1]
            next_link = f"{base}?limit={limit}&cursor={key_order.encode([last['date'], last['slug']])}"
        else:
            next_link = f"{base}?limit={limit}&offset={offset + limit}"
    return _json({"count": count, "next": next_link, "previous": None, "results": results})


def _rows(queryset, page=None, keys_first=False):
    if keys_first:
        return list(KeysFirst(queryset, position_rows)[page])
    return list(position_rows(queryset)[page] if page is not None else position_rows(queryset))


def _positions_json(request, rows):
    prefix = request.build_absolute_uri("/api/v1/")
    return positions_json(rows, lambda view_name, slug: f"{prefix}{view_name.removesuffix('-detail')}s/{slug}/")


def _json(document):
    return HttpResponse(orjson.dumps(document), content_type="application/json")
