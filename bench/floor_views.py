"""The floor: what the API's operations cost with no framework in between.

Each view runs the queries the API runs for the same request (the kb queryset methods, the same
page, count and writer queries) and writes the same JSON with the API's own writer
(api.writers, from `values()` rows, with orjson): no DRF request, viewset, FilterSet, serializer,
paginator or renderer. Mounted only when KB_BENCH_FLOOR is on, for bench/run.py; never in
production.

A parameter the floor does not know is a 400, never ignored: a floor that skipped a filter would
be measuring another query. bench/run.py then reports the floor as not available for that
operation, and it checks, before measuring, that the floor answers what the API answers
(tests/test_perf_queries.py checks it for every benchmark operation too).

The floor covers the positions list with each of its filters, search and cursor, the timelines,
and one record of every resource (each written by its writer in api.writers).
"""

import datetime

import orjson
from django.http import HttpResponse

from api.pagination import CURSOR_FROM_OFFSET, DEFAULT_LIMIT, KeyOrder, bounded_count, read_page
from api.writers import WRITERS, Context, Urls
from kb.intervals import may_fall_on_or_after
from kb.models import Jurisdiction, Official, Organization, Position, Program, Reason, Source
from kb.models.positions import as_of_leaves_range_out
from kb.search import page_plan, search

POSITION = WRITERS["position"]

PAGING = {"limit", "offset", "cursor"}


def _slug_pk(model, slug):
    pk = model.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if pk is None:
        raise _NotFound(f"no {model._meta.verbose_name} {slug!r}")
    return pk


def _jurisdiction(queryset, params):
    jurisdiction = Jurisdiction.objects.filter(slug=params["jurisdiction"]).first()
    if jurisdiction is None:
        raise _NotFound("no such jurisdiction")
    include_sub = params.get("include_sub_jurisdictions") == "true"
    return queryset.held_by_jurisdiction(jurisdiction, include_sub_jurisdictions=include_sub)


def _source(queryset, params):
    source = Source.objects.filter(slug=params["source"]).first()
    if source is None:
        raise _NotFound("no such source")
    return queryset.filter(pk__in=source.citations.filter(position__isnull=False).values("position_id"))


def _day(value):
    return datetime.date.fromisoformat(value)


# The positions list's filters, in the order the API's FilterSet applies them.
LIST_FILTERS = {
    "search": lambda queryset, params: search(queryset, params["search"]),
    "program": lambda queryset, params: queryset.filter(program_id=_slug_pk(Program, params["program"])),
    "jurisdiction": _jurisdiction,
    "include_sub_jurisdictions": lambda queryset, params: queryset,  # read by `jurisdiction`
    "official": lambda queryset, params: queryset.filter(official_id=_slug_pk(Official, params["official"])),
    "organization": lambda queryset, params: queryset.filter(
        organization_id=_slug_pk(Organization, params["organization"])
    ),
    "voiced_by": lambda queryset, params: queryset.voiced_by(official=_slug_pk(Official, params["voiced_by"])),
    "voiced_by_organization": lambda queryset, params: queryset.voiced_by(
        organization=_slug_pk(Organization, params["voiced_by_organization"])
    ),
    "disputed": lambda queryset, params: queryset.disputed(params["disputed"] == "true"),
    "reason_topic": lambda queryset, params: queryset.filter(
        pk__in=Reason.objects.filter(topic__in=params.getlist("reason_topic")).values("position_id")
    ),
    "stance": lambda queryset, params: queryset.filter(stance__in=params.getlist("stance")),
    "date_after": lambda queryset, params: may_fall_on_or_after(queryset, "date", _day(params["date_after"])),
    "date_before": lambda queryset, params: queryset.filter(date_earliest__lte=_day(params["date_before"])),
    "source": _source,
    "as_of": lambda queryset, params: queryset.as_of(
        _day(params["as_of"]),
        by_range=not as_of_leaves_range_out(
            params.dict() | {"include_sub_jurisdictions": params.get("include_sub_jurisdictions") == "true"}
        ),
    ),
}


class _NotFound(Exception):
    pass


class _Unknown(Exception):
    pass


def _filtered(queryset, params):
    unknown = sorted(set(params) - set(LIST_FILTERS) - PAGING)
    if unknown:
        raise _Unknown(", ".join(unknown))
    for name, apply in LIST_FILTERS.items():
        if name in params:
            queryset = apply(queryset, params)
    return queryset


def _answer(view):
    """Unknown parameters are a 400, unknown records a 404, both in JSON."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Unknown as error:
            return _json({"floor": f"no floor for: {error}"}, status=400)
        except _NotFound as error:
            return _json({"floor": str(error)}, status=404)

    return wrapped


@_answer
def positions(request):
    return _page(request, _filtered(Position.objects.all(), request.GET))


@_answer
def jurisdiction_timeline(request, slug):
    jurisdiction = Jurisdiction.objects.filter(slug=slug).first()
    if jurisdiction is None:
        raise _NotFound("no such jurisdiction")
    params = request.GET
    if "jurisdiction" in params or "include_sub_jurisdictions" in params:
        raise _Unknown("jurisdiction, include_sub_jurisdictions on a timeline")
    queryset = Position.objects.held_by_jurisdiction(jurisdiction, include_sub_jurisdictions=True)
    return _page(request, _filtered(queryset, params))


@_answer
def official_timeline(request, slug):
    if "official" in request.GET:
        raise _Unknown("official on a timeline")
    official = Official.objects.filter(pk=_slug_pk(Official, slug)).first()
    return _page(request, _filtered(Position.objects.held_or_voiced_by(official=official), request.GET))


@_answer
def organization_timeline(request, slug):
    if "organization" in request.GET:
        raise _Unknown("organization on a timeline")
    organization = Organization.objects.filter(pk=_slug_pk(Organization, slug)).first()
    return _page(request, _filtered(Position.objects.held_or_voiced_by(organization=organization), request.GET))


# resource -> its writer in api.writers.
DETAIL_WRITERS = {
    "positions": WRITERS["position"],
    "officials": WRITERS["official"],
    "organizations": WRITERS["organization"],
    "jurisdictions": WRITERS["jurisdiction"],
    "programs": WRITERS["program"],
    "sources": WRITERS["source"],
}


@_answer
def detail(request, resource, slug):
    if request.GET:
        raise _Unknown(", ".join(sorted(request.GET)))
    writer = DETAIL_WRITERS.get(resource)
    if writer is None:
        raise _NotFound(f"no floor for one of the {resource}")
    record, _ = writer.read_one(writer.model.objects.all(), "slug", slug, Context(Urls(request)))
    if record is None:
        raise _NotFound(f"no such record of {resource}")
    return _json(record)


def position(request, slug):
    return detail(request, "positions", slug)


def _page(request, queryset):
    params = request.GET
    queryset = queryset.order_by(*Position._meta.ordering)
    limit = int(params.get("limit", DEFAULT_LIMIT))
    offset = int(params.get("offset", 0))
    key_order = KeyOrder.of(queryset)
    plan = page_plan(queryset, (0 if "cursor" in params else offset) + limit + 1) if "search" in params else None
    if "cursor" in params:
        values, _ = key_order.decode(params["cursor"])
        after = key_order.after(values)
        rows = read_page(queryset.filter(after), POSITION.rows, 0, limit + 1, plan, after)
    else:
        rows = read_page(queryset, POSITION.rows, offset, offset + limit + 1, plan)
    has_next = len(rows) > limit
    rows = rows[:limit]
    count = plan.count if plan is not None else bounded_count(queryset)
    as_of = _day(params["as_of"]) if "as_of" in params else None
    results = POSITION.write(rows, Context(Urls(request), as_of=as_of))
    next_link = None
    if has_next:
        base = request.build_absolute_uri(request.path)
        if "cursor" in params or offset + limit >= CURSOR_FROM_OFFSET:
            next_link = f"{base}?limit={limit}&cursor={key_order.encode(key_order.values_of(rows[-1]))}"
        else:
            next_link = f"{base}?limit={limit}&offset={offset + limit}"
    return _json({"count": count, "next": next_link, "previous": None, "results": results})


def _json(document, status=200):
    return HttpResponse(orjson.dumps(document), content_type="application/json", status=status)
