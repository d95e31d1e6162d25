"""Cost at scale: every list and detail costs its budget (tests/query_budgets.py) at any page size
and beside a synthetic knowledge base; deep pages continue by cursor; counts read a bounded number of
rows; answers carry ETags (304 when unchanged) and are compressed; the read path's JSON is the
serializer's, and the benchmark's floor answers the same JSON.
"""

import gzip

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from api import pagination, reads, serializers
from bench import floor_views
from kb import synthetic
from kb.models import Jurisdiction, Official, Organization, Position, Program, Source
from tests.query_budgets import DETAILS, FILTERED_BY, LISTS, TIMELINES

API = "/api/v1/"


def queries_of(client, path, params=None, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {}, **headers)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def first_synthetic(model, **where):
    return synthetic.synthetic(model).filter(**where).order_by("pk").first().slug


MODELS = {
    "positions": Position,
    "programs": Program,
    "jurisdictions": Jurisdiction,
    "organizations": Organization,
    "officials": Official,
    "sources": Source,
}
# Lists are read past the real records, where every row has every kind of related record (other
# names with citations, parents).
LIST_OFFSETS = {"programs": 1, "organizations": 2}


@pytest.mark.parametrize("resource", list(LISTS))
def test_a_list_costs_its_budget_at_two_page_sizes_on_a_scaled_knowledge_base(scaled_kb, api, resource):
    offset = LIST_OFFSETS.get(resource, 10)
    assert queries_of(api, f"{API}{resource}/", {"limit": 2, "offset": offset}) == LISTS[resource].queries
    assert queries_of(api, f"{API}{resource}/", {"limit": 100, "offset": offset}) == LISTS[resource].queries


def test_positions_of_a_program_cost_one_lookup_more_at_any_size(scaled_kb, api):
    program = first_synthetic(Program)
    for limit in (2, 100):
        assert (
            queries_of(api, API + "positions/", {"program": program, "limit": limit}) == FILTERED_BY["program"].queries
        )


@pytest.mark.parametrize("params", [{"as_of": "2012-06-30"}, {"search": "took part"}, {"stance": "refuses"}])
def test_filters_without_lookups_cost_the_list_budget(scaled_kb, api, params):
    for limit in (2, 100):
        assert queries_of(api, API + "positions/", {**params, "limit": limit}) == LISTS["positions"].queries


def test_timelines_cost_their_budget_at_two_page_sizes(scaled_kb, api):
    state = first_synthetic(Jurisdiction, kind="state")
    official = synthetic.synthetic(Official).filter(positions__isnull=False).order_by("pk").first().slug
    for limit in (2, 100):
        assert (
            queries_of(api, f"{API}jurisdictions/{state}/timeline/", {"limit": limit})
            == TIMELINES["jurisdictions"].queries
        )
        assert (
            queries_of(api, f"{API}officials/{official}/timeline/", {"limit": limit}) == TIMELINES["officials"].queries
        )


@pytest.mark.parametrize("resource", list(DETAILS))
def test_a_detail_costs_its_budget_for_a_real_and_a_synthetic_record(scaled_kb, api, resource):
    model, budget = MODELS[resource], DETAILS[resource]
    with_every_row = model.objects.filter(**budget.having).distinct().order_by("pk")
    real = with_every_row.exclude(pk__in=synthetic.synthetic(model)).first()
    made_up = with_every_row.filter(pk__in=synthetic.synthetic(model)).first()
    assert real and made_up, f"no {resource} with every related row of its budget: {budget.having}"

    assert queries_of(api, f"{API}{resource}/{real.slug}/") == budget.queries
    assert queries_of(api, f"{API}{resource}/{made_up.slug}/") == budget.queries


# ---------------------------------------------------------------- counts and deep pages


def test_a_count_past_the_exact_limit_reads_a_bounded_number_of_rows(scaled_kb, api, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 50)
    monkeypatch.setattr(pagination.bounded_count, "__defaults__", (50,))
    with CaptureQueriesContext(connection) as queries:
        body = api.get(API + "positions/", {"limit": 5}).json()
    counting = [query["sql"] for query in queries.captured_queries if "COUNT" in query["sql"].upper()]
    assert "LIMIT 51" in counting[0]
    if connection.vendor == "postgresql":
        assert counting[1:] == [] and body["count"] > 50  # the planner's estimate (an EXPLAIN)
    else:
        assert body["count"] == Position.objects.count()  # SQLite keeps no estimates: exact


def test_a_count_within_the_limit_is_exact(scaled_kb, api):
    program = first_synthetic(Program)
    assert (
        api.get(API + "positions/", {"program": program}).json()["count"]
        == Position.objects.filter(program__slug=program).count()
    )


def test_a_hundred_is_the_largest_page(scaled_kb, api):
    # The real knowledge base alone holds fewer than a hundred records of any kind.
    response = api.get(API + "positions/", {"limit": 100})
    assert response.status_code == 200, response.content[:500]
    assert len(response.json()["results"]) == 100 and response.json()["next"]

    response = api.get(API + "positions/", {"limit": 101})
    assert response.status_code == 400 and "limit" in response.json()["errors"]


def every_slug_following(api, url, link="next"):
    slugs, pages = [], []
    while url:
        body = api.get(url).json()
        pages.append(url)
        slugs.extend(result["slug"] for result in body["results"])
        url = body[link]
    return slugs, pages


@pytest.mark.parametrize(
    "params",
    [{}, {"stance": "participates"}, {"ordering": "-date"}, {"ordering": "stance,-date"}],
    ids=["default order", "filtered", "descending", "two keys"],
)
def test_following_next_past_the_cursor_offset_visits_every_position_once(scaled_kb, api, monkeypatch, params):
    monkeypatch.setattr(pagination, "CURSOR_FROM_OFFSET", 60)
    expected = [
        result["slug"]
        for result in api.get(API + "positions/", {**params, "limit": 100, "offset": 0}).json()["results"]
    ]
    expected += [
        slug
        for offset in range(100, Position.objects.count(), 100)
        for slug in (
            result["slug"]
            for result in api.get(API + "positions/", {**params, "limit": 100, "offset": offset}).json()["results"]
        )
    ]
    start = api.get(API + "positions/", {**params, "limit": 23}).wsgi_request.build_absolute_uri()

    slugs, pages = every_slug_following(api, start)

    assert slugs == expected
    assert any("cursor=" in page for page in pages) and "offset=" not in pages[-1]


def test_following_previous_from_a_cursor_page_goes_back_without_gaps(scaled_kb, api, monkeypatch):
    monkeypatch.setattr(pagination, "CURSOR_FROM_OFFSET", 60)
    forward, pages = every_slug_following(api, API + "positions/?limit=30")
    assert "cursor=" in pages[-1]

    backward_pages = []
    url = pages[-1]
    while url:
        body = api.get(url).json()
        backward_pages.append([result["slug"] for result in body["results"]])
        url = body["previous"]

    assert [slug for page in reversed(backward_pages) for slug in page] == forward


def test_a_cursor_from_another_order_is_a_400(scaled_kb, api, monkeypatch):
    monkeypatch.setattr(pagination, "CURSOR_FROM_OFFSET", 0)
    next_link = api.get(API + "positions/", {"limit": 5}).json()["next"]
    cursor = next_link.split("cursor=")[1].split("&")[0]

    response = api.get(API + "positions/", {"cursor": cursor, "ordering": "-date"})

    assert response.status_code == 400 and "cursor" in response.json()["errors"]


@pytest.mark.parametrize(
    "params", [{"cursor": "not-a-cursor"}, {"cursor": ""}, {"cursor": "eyJvIjpbXX0", "offset": "3"}]
)
def test_a_bad_cursor_is_a_400_naming_it(knowledge_base, api, params):
    response = api.get(API + "positions/", params)
    assert response.status_code == 400 and "cursor" in response.json()["errors"]


# ---------------------------------------------------------------- HTTP: conditional GETs, gzip


def test_an_answer_carries_an_etag_and_an_unchanged_one_is_a_304(knowledge_base, api):
    first = api.get(API + "positions/", {"stance": "refuses"})
    etag = first["ETag"]

    again = api.get(API + "positions/", {"stance": "refuses"}, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304 and again.content == b""


def test_a_change_makes_the_old_etag_stale(knowledge_base, api):
    etag = api.get(API + "positions/")["ETag"]
    Position.objects.filter(slug="illinois-refuses").update(summary="Illinois refused, as reworded.")

    assert api.get(API + "positions/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_anonymous_answers_are_gzipped(knowledge_base, api):
    response = api.get(API + "positions/", HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert b'"count"' in gzip.decompress(response.content)


def test_answers_to_a_session_are_not_compressed(knowledge_base, api):
    api.cookies["sessionid"] = "anything"
    response = api.get(API + "positions/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in response


# ---------------------------------------------------------------- one JSON, three writers


def test_the_row_read_path_writes_what_the_serializer_writes(knowledge_base, api):
    request = api.get(API + "positions/", {"limit": 100}).wsgi_request
    context = {"request": request, "expand": set()}
    queryset = Position.objects.order_by("date", "slug")
    generic = [
        super(serializers.PositionSerializer, serializers.PositionSerializer(context=context)).to_representation(
            position
        )
        for position in queryset
    ]
    direct = [serializers.PositionSerializer(position, context=context).data for position in queryset]
    rows = reads.positions_json(
        list(reads.position_rows(queryset)),
        lambda view_name, slug: serializers.record_url(view_name, slug, {"request": request}),
    )
    assert [dict(result) for result in direct] == [dict(result) for result in generic]
    assert rows == [dict(result) for result in generic]


@pytest.mark.parametrize(
    ("view", "path", "params"),
    [
        (floor_views.positions, "positions/", {"limit": "100"}),
        (floor_views.positions, "positions/", {"program": "secure-communities", "as_of": "2011-06-06"}),
        (floor_views.positions, "positions/", {"search": "patrick"}),
    ],
)
def test_the_floor_answers_what_the_api_answers(knowledge_base, api, view, path, params):
    import orjson

    floor = orjson.loads(view(RequestFactory().get(API + path, params)).content)
    answer = api.get(API + path, params).json()
    assert floor["results"] == answer["results"] and floor["count"] == answer["count"]


def test_the_floor_timeline_and_detail_answer_what_the_api_answers(knowledge_base, api):
    import orjson

    timeline = orjson.loads(floor_views.jurisdiction_timeline(RequestFactory().get("/"), "massachusetts").content)
    assert timeline["results"] == api.get(API + "jurisdictions/massachusetts/timeline/").json()["results"]
    detail = orjson.loads(floor_views.position(RequestFactory().get("/"), "illinois-refuses").content)
    assert detail == api.get(API + "positions/illinois-refuses/").json()
