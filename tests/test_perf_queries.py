"""Cost at scale: every list and detail costs a fixed number of queries at any page size and at
any size of the knowledge base; deep pages continue by cursor; counts read a bounded number of
rows; answers carry ETags (304 when unchanged) and are compressed; the read path's JSON is the
serializer's, and the benchmark's floor answers the same JSON.
"""

import gzip
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api import pagination, reads, serializers
from bench import floor_views
from kb import synthetic
from kb.models import Jurisdiction, Official, Organization, Position, Program, Source

API = "/api/v1/"
SCALED_POSITIONS = 500


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def scaled_kb(knowledge_base):
    """The real knowledge base with a synthetic one of 500 positions beside it."""
    call_command(
        "generate_synthetic_kb", positions=SCALED_POSITIONS, stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0
    )


def queries_of(client, path, params=None, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {}, **headers)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def first_synthetic(model, **where):
    return synthetic.synthetic(model).filter(**where).order_by("pk").first().slug


# (path, queries, which). Lists are read past the real records, where every row has every kind
# of related record (other names with citations, parents), at offset 10.
LISTS = [
    (
        "positions/",
        3,
        "the page joined to its holders (rows); its citations with source slugs; a count of at most 1,001 rows",
    ),
    ("programs/", 5, "page with agency; other names; their citations; citations; count"),
    ("jurisdictions/", 2, "page with parent; count"),
    ("organizations/", 5, "page with jurisdiction and parent; other names; their citations; citations; count"),
    ("officials/", 5, "page with jurisdiction and organization; other names; their citations; citations; count"),
    ("sources/", 2, "page without the texts; count"),
]


@pytest.mark.parametrize(("path", "queries", "which"), LISTS, ids=[case[0] for case in LISTS])
def test_a_list_costs_the_same_queries_at_two_page_sizes_on_a_scaled_knowledge_base(
    scaled_kb, api, path, queries, which
):
    offset = {"programs/": 1, "organizations/": 2}.get(path, 10)
    assert queries_of(api, API + path, {"limit": 2, "offset": offset}) == queries
    assert queries_of(api, API + path, {"limit": 100, "offset": offset}) == queries


def test_positions_of_a_program_cost_one_lookup_more_at_any_size(scaled_kb, api):
    program = first_synthetic(Program)
    # The program by slug (once: filtering reuses the validated filters); page; citations; count.
    assert queries_of(api, API + "positions/", {"program": program, "limit": 2}) == 4
    assert queries_of(api, API + "positions/", {"program": program, "limit": 100}) == 4


@pytest.mark.parametrize(
    ("params", "queries"),
    # A search also asks, in one query, whether names changed and which of its words records have,
    # and reads its page's keys before the page (api.pagination.KeysFirst).
    [({"as_of": "2012-06-30"}, 3), ({"search": "took part"}, 5), ({"stance": "refuses"}, 3)],
)
def test_filters_without_lookups_cost_the_list_budget(scaled_kb, api, params, queries):
    queries_of(api, API + "positions/", params)  # a search reads the names once, then when they change
    assert queries_of(api, API + "positions/", {**params, "limit": 2}) == queries
    assert queries_of(api, API + "positions/", {**params, "limit": 100}) == queries


def test_timelines_cost_the_same_queries_at_two_page_sizes(scaled_kb, api):
    state = first_synthetic(Jurisdiction, kind="state")
    official = synthetic.synthetic(Official).filter(positions__isnull=False).order_by("pk").first().slug
    # The state; its cities; their children (none); page; citations; count.
    for limit in (2, 100):
        assert queries_of(api, f"{API}jurisdictions/{state}/timeline/", {"limit": limit}) == 6
    # The official; page; citations; count.
    for limit in (2, 100):
        assert queries_of(api, f"{API}officials/{official}/timeline/", {"limit": limit}) == 4


# (resource, model, queries): the same for a real record and a synthetic one.
DETAILS = [
    ("positions", Position, 2),  # the position joined to its holders; citations with sources
    (
        "programs",
        Program,
        7,
    ),  # with agency; other names; their citations; citations; facts; their citations; jurisdictions
    ("jurisdictions", Jurisdiction, 1),  # with parent
    ("organizations", Organization, 4),  # with jurisdiction and parent; other names; their citations; citations
    ("officials", Official, 4),  # with jurisdiction and organization; other names; their citations; citations
    ("sources", Source, 1),
]


@pytest.mark.parametrize(("resource", "model", "queries"), DETAILS, ids=[case[0] for case in DETAILS])
def test_a_detail_costs_the_same_queries_for_a_real_and_a_synthetic_record(scaled_kb, api, resource, model, queries):
    real = model.objects.exclude(pk__in=synthetic.synthetic(model)).order_by("pk").first().slug
    made_up = first_synthetic(model)
    assert queries_of(api, f"{API}{resource}/{real}/") == queries_of(api, f"{API}{resource}/{made_up}/")


def test_a_position_detail_costs_two_queries(scaled_kb, api):
    assert queries_of(api, f"{API}positions/{first_synthetic(Position)}/") == 2


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
