"""How a searched list reads its page (kb.search.page_plan), on both databases.

A full-text index hands its matches over in no order; a page in date order either sorts them all
or walks the date index testing each row. The count measures how common the matches are and
chooses; past 1,000 matches it also estimates their number. These tests generate enough positions
for a phrase of the synthetic quotes to pass 1,000 matches while a surname stays under it.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kb import search as kb_search
from kb import synthetic
from kb.models import Official, Position
from tests.synthetic_kb import refuse_transactional, synthetic_kb_fixture

POSITIONS = 12_000
# A tenth or so of the synthetic positions quote it.
PHRASE = synthetic.STANCE_PHRASES["refuses"]
# How a walked page's SQL tests each row: PostgreSQL's stored vector, SQLite's matches or, for
# exact phrases, the row's words.
WALKING_SQL = (
    ('COALESCE("kb_position"."kb_search_',)
    if connection.vendor == "postgresql"
    else ('+"kb_position"."id" IN', "kb_search_phrases(")
)


def walks(sql):
    return any(marker in sql for marker in WALKING_SQL)


# page_plan reads the table's size where PostgreSQL's ANALYZE leaves it.
_generated = synthetic_kb_fixture(POSITIONS, analyzed={"kb_position"})


@pytest.fixture
def generated_kb(_generated, db, request):
    refuse_transactional(request, "generated_kb")
    return _generated


def searched(text):
    return kb_search.search(Position.objects.order_by(*Position._meta.ordering), text)


def page_keys(text, walk, start=0):
    with kb_search.walking(walk):
        return list(searched(text).values_list("pk", flat=True)[start : start + 101])


def test_a_common_phrase_walks_and_is_counted_close_to_its_matches(generated_kb):
    matches = searched(f'"{PHRASE}"').count()
    assert matches > 1000

    plan = kb_search.page_plan(searched(f'"{PHRASE}"'), 101)
    assert plan.walk
    assert 0.8 * matches <= plan.count <= 1.25 * matches  # the planners' own estimates were far off


def test_a_walked_page_is_the_page_the_sort_reads(generated_kb):
    for start in (0, 300):
        walked = page_keys(f'"{PHRASE}"', walk=True, start=start)
        assert len(walked) == 101
        assert walked == page_keys(f'"{PHRASE}"', walk=False, start=start)
    with CaptureQueriesContext(connection) as queries:
        page_keys(f'"{PHRASE}"', walk=True)
    assert walks(queries.captured_queries[-1]["sql"])


def test_a_surname_few_positions_have_is_counted_exactly_and_sorted(generated_kb):
    official = Official.objects.filter(positions__isnull=False).order_by("pk").first()
    surname = official.name.split()[-1]
    matches = searched(surname).count()
    assert 0 < matches <= 1000
    assert kb_search.page_plan(searched(surname), 101) == kb_search.PagePlan(matches)


def test_an_order_by_relevance_never_walks(generated_kb):
    ranked = kb_search.with_relevance(searched(f'"{PHRASE}"'), kb_search.prepare(f'"{PHRASE}"', Position.objects.all()))
    assert not kb_search.page_plan(ranked.order_by(f"-{kb_search.RELEVANCE}"), 101).walk


def test_the_positions_list_reads_a_common_phrase_by_walking(generated_kb):
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get("/api/v1/positions/", {"search": f'"{PHRASE}"', "limit": 100})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 100 and body["count"] > 1000
    keys = [query["sql"] for query in queries.captured_queries if "LIMIT 101" in query["sql"]]
    assert len(keys) == 1 and walks(keys[0])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 tables")
def test_sqlite_counts_a_search_alone_on_its_fts_table_and_with_a_filter_on_the_positions(generated_kb):
    phrase = f'"{PHRASE}"'
    program = Position.objects.order_by("pk").values_list("program", flat=True).first()
    for queryset, counted_on in (
        (searched(phrase), "SELECT rowid AS pk FROM kb_search_position_exact"),
        (searched(phrase).filter(program=program), 'FROM "kb_position"'),
    ):
        matches = queryset.count()
        with CaptureQueriesContext(connection) as queries:
            plan = kb_search.page_plan(queryset, 101)
        (count_sql,) = [query["sql"] for query in queries.captured_queries]
        assert counted_on in count_sql
        assert plan.count == matches if matches <= 1000 else 0.8 * matches <= plan.count <= 1.25 * matches


def test_matches_crowded_into_the_last_years_stop_the_walk_short_and_are_sorted(generated_kb):
    """Common overall, but all at the end of the date order: walking would read nearly every row first."""
    last = Position.objects.order_by("-date_earliest").values_list("date_earliest", flat=True).first().year
    years = f"{last - 2} OR {last - 1}"
    assert kb_search.page_plan(searched(years), 11).walk
    expected = list(searched(years).values_list("slug", flat=True)[:10])

    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get("/api/v1/positions/", {"search": years, "limit": 10})
    assert [position["slug"] for position in response.json()["results"]] == expected
    walked, sorted_ = [query["sql"] for query in queries.captured_queries if "LIMIT 11" in query["sql"]]
    assert walks(walked) and '"date_earliest" <=' in walked
    assert not walks(sorted_)


def test_a_cursor_page_of_a_common_phrase_walks_from_the_cursor(generated_kb):
    client = APIClient()
    first = client.get("/api/v1/positions/", {"search": f'"{PHRASE}"', "limit": 100, "offset": 900}).json()
    assert "cursor=" in first["next"]
    with CaptureQueriesContext(connection) as queries:
        second = client.get(first["next"]).json()
    expected = list(searched(f'"{PHRASE}"').values_list("slug", flat=True)[1000:1100])
    assert [position["slug"] for position in second["results"]] == expected
    keys = [query["sql"] for query in queries.captured_queries if "LIMIT 101" in query["sql"]]
    assert len(keys) == 1 and walks(keys[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's synchronized scans")
@pytest.mark.django_db
def test_postgresql_table_scans_start_at_the_first_block():
    """A scan that joined another where it had got to would make the count's measure meaningless."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronize_seqscans")
        assert cursor.fetchone() == ("off",)
