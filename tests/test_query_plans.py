"""How PostgreSQL reads the costly lists (issue 18): a page's worth of rows, never the table.

A list whose page costs the page reads only about the rows it shows (and a count stops at 1,001
matches), which an index lets the database find. A plan that reads a table whole costs what the
table holds: fast at the 500 positions of the other tests, slow at 200,000. So these tests run
every query of each operation under `EXPLAIN ANALYZE`, over a knowledge base large enough, with
statistics fresh enough, for the planner to choose as in production, and pin how many rows each
reads of the large tables (positions, voices, reasons, citations): far fewer than they hold.
"""

import datetime
import json

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kb import search as kb_search
from kb.models import Jurisdiction, Position
from tests.synthetic_kb import refuse_transactional, synthetic_kb_fixture
from tests.test_perf_queries import API, LISTS, filled, targets
from tests.test_search_plans import PHRASE

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN's plans are PostgreSQL's")

# Large enough that reading a table whole is never the planner's cheapest way to a page.
POSITIONS = 30_000
WATCHED_TABLES = {"kb_position", "kb_voice", "kb_citation", "kb_reason"}
# What one query may read of a watched table: a count's 1,001 matches where one position in a
# handful matches (a scan in no order that stops at the count's limit, or an index's range), and
# a page; a third of the 30,000 rows or more each table holds. It does not grow with the table.
READ_AT_MOST = 10_000
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Sample Scan"}

_large_kb = synthetic_kb_fixture(
    POSITIONS, analyzed=WATCHED_TABLES | {"kb_jurisdiction", "kb_official", "kb_organization", "kb_source"}
)


@pytest.fixture
def large_kb(_large_kb, db, request):
    refuse_transactional(request, "large_kb")
    return _large_kb


def plan_nodes(sql):
    """Every node of `sql`'s plan as it ran (EXPLAIN ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = [plan[0]["Plan"]]
    for node in nodes:
        nodes.extend(node.get("Plans", ()))
    return nodes


def rows_read(sql):
    """[(table, rows read)] for each scan of a watched table as `sql` ran."""
    reads = []
    for node in plan_nodes(sql):
        if node["Node Type"] in SCANS and node.get("Relation Name") in WATCHED_TABLES:
            per_loop = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            per_loop += node.get("Rows Removed by Index Recheck", 0)
            reads.append((node["Relation Name"], round(per_loop * node["Actual Loops"])))
    return reads


def too_many_rows_read(sql):
    return [(table, rows) for table, rows in rows_read(sql) if rows > READ_AT_MOST]


def plans_of(path, params=None):
    """{sql: its scans that read too many rows} for each query a GET of `path` runs."""
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get(path, params or {})
    assert response.status_code == 200, response.content[:500]
    # A count past 1,000 is the planner's estimate: an EXPLAIN itself, which reads no rows.
    reads = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("EXPLAIN")]
    return {sql: too_many_rows_read(sql) for sql in reads}


POSITION_LISTS = [name for name, (path, _, _) in LISTS.items() if path == "positions/" or "timeline" in path]


@pytest.mark.parametrize("case", POSITION_LISTS)
def test_every_query_of_a_list_of_positions_reads_a_bounded_number_of_rows(large_kb, case):
    path, params, _ = LISTS[case]
    names = targets()
    path = API + filled(path, names)
    params = {key: filled(value, names) for key, value in params.items()}
    scans = {sql: tables for sql, tables in plans_of(path, params).items() if tables}
    assert scans == {}, "\n\n".join(f"{tables}: {sql}" for sql, tables in scans.items())


def test_a_deep_page_by_cursor_and_a_detail_read_a_bounded_number_of_rows(large_kb):
    client = APIClient()
    deep = client.get(API + "positions/", {"offset": 9_000, "limit": 100}).json()
    assert "cursor=" in deep["next"]
    cursor_page = deep["next"].split("?", 1)[1]
    scans = plans_of(API + "positions/?" + cursor_page)
    slug = Position.objects.order_by("-pk").values_list("slug", flat=True).first()
    scans |= plans_of(f"{API}positions/{slug}/")
    scans = {sql: tables for sql, tables in scans.items() if tables}
    assert scans == {}, "\n\n".join(f"{tables}: {sql}" for sql, tables in scans.items())


def test_the_check_sees_a_query_that_reads_the_whole_table(large_kb):
    """A condition no index answers, which nothing matches, reads every row: the tests above can fail."""
    with CaptureQueriesContext(connection) as queries:
        list(Position.objects.filter(summary__icontains="no index reads this").values("pk")[:10])
    ((table, rows),) = too_many_rows_read(queries.captured_queries[0]["sql"])
    assert (table, rows) == ("kb_position", Position.objects.count())


# --- A searched page that walks the order's index (kb.search.page_plan; tests/test_search_plans.py)


def test_a_phrase_a_tenth_of_the_positions_have_walks_the_date_index(large_kb):
    searched = kb_search.search(Position.objects.order_by(*Position._meta.ordering), f'"{PHRASE}"')
    assert kb_search.page_plan(searched, 101).walk
    with CaptureQueriesContext(connection) as queries, kb_search.walking():
        list(searched.values_list("pk", flat=True)[:101])
    sql = queries.captured_queries[-1]["sql"]
    assert 'COALESCE("kb_position"."kb_search_' in sql and too_many_rows_read(sql) == []
    assert [table for table, _ in rows_read(sql)] == ["kb_position"]


def counted(text, **filters):
    """(kb.search.page_plan's plan for a page of 101 of the positions `text` finds, the nodes of its
    one statement's plan that ran, their true number)."""
    searched = kb_search.search(Position.objects.filter(**filters).order_by(*Position._meta.ordering), text)
    with CaptureQueriesContext(connection) as queries:
        plan = kb_search.page_plan(searched, 101)
    (statement,) = [query["sql"] for query in queries.captured_queries]
    assert "TABLESAMPLE SYSTEM" in statement
    ran = [node for node in plan_nodes(statement) if node["Actual Loops"]]
    return plan, ran, searched.count()


def scans_of_positions(ran):
    return sorted(node["Node Type"] for node in ran if node.get("Relation Name") == "kb_position")


def test_a_word_most_positions_have_is_counted_on_a_sample_of_blocks_alone(large_kb):
    plan, ran, matches = counted("said")
    assert matches > 0.8 * POSITIONS
    assert scans_of_positions(ran) == ["Sample Scan"]  # the count in physical order never ran
    samples = [node for node in ran if node["Node Type"] == "Sample Scan"]
    assert len(samples) == 1 and all(
        node["Actual Rows"] + node.get("Rows Removed by Filter", 0) < 2000 for node in samples
    )
    assert plan.walk and 0.8 * matches <= plan.count <= 1.25 * matches


def test_the_sample_reads_the_positions_table_alone_beside_a_filter_on_a_joined_table(large_kb):
    """The sample is of the list's own table; a filter on another is joined to the sampled rows."""
    programs = Position.objects.values("program__slug").annotate(positions=Count("pk")).order_by("-positions")
    but_the_smallest = [program["program__slug"] for program in programs][:-1]
    plan, ran, matches = counted("said", program__slug__in=but_the_smallest)
    assert matches > 0.8 * POSITIONS
    assert scans_of_positions(ran) == ["Sample Scan"]
    assert "kb_program" in {node.get("Relation Name") for node in ran}
    assert plan.walk and 0.8 * matches <= plan.count <= 1.25 * matches


def test_matches_the_sample_cannot_tell_past_1000_beyond_doubt_are_counted_in_the_tables_order(large_kb):
    """The sample of 3.3% of the blocks is sure past 1,000 matches when they lie in 4 × 1,000 × 3.3%
    (133) of its blocks: a phrase in a tenth of the positions is in about 100 of its 1,000 rows."""
    plan, ran, matches = counted(f'"{PHRASE}"')
    assert 1000 < matches < 0.13 * POSITIONS
    assert scans_of_positions(ran) == ["Bitmap Heap Scan", "Sample Scan"]
    assert plan.walk and 0.8 * matches <= plan.count <= 1.25 * matches


def test_a_surname_is_counted_exactly_where_the_sample_runs(large_kb):
    surname = Position.objects.exclude(official=None).order_by("pk").values_list("official__name", flat=True)[0]
    plan, _, matches = counted(surname.split()[-1])
    assert 0 < matches <= 1000
    assert plan == kb_search.PagePlan(matches)


# --- as_of: the order's index on a day many positions are in force, the range's on a day few are
MIDDLE_DAY = datetime.date(2012, 6, 30)


def page_keys_sql(params):
    """The query that reads the keys of a page of positions (LIMIT 101), as the API ran it."""
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get(API + "positions/", params | {"limit": 100})
    assert response.status_code == 200, response.content[:500]
    (sql,) = [query["sql"] for query in queries.captured_queries if "LIMIT 101" in query["sql"]]
    return sql


def test_a_page_of_as_of_reads_fewer_rows_than_are_in_force_where_many_are(large_kb):
    """Thousands of positions are in force mid-way. The page walks the order's index until it is
    full, rather than reading all of them through the range's index to sort them, as it did
    before migration 0023 (kb.models.positions.as_of)."""
    in_force = Position.objects.as_of(MIDDLE_DAY).count()
    assert in_force > 1_000
    reads = rows_read(page_keys_sql({"as_of": MIDDLE_DAY.isoformat()}))
    assert {table for table, _ in reads} == {"kb_position"}
    assert max(rows for _, rows in reads) < in_force / 2, reads


def test_a_page_of_as_of_reads_the_range_index_where_few_are_in_force(large_kb):
    """Early on, a few dozen are in force: the range's index finds them alone, where walking the
    order's index would read every position to the end in search of more. (The planner chose the
    range before migration 0023 too: this pins that its statistics did not tip it the other way.)"""
    first = Position.objects.order_by("in_force_from").values_list("in_force_from", flat=True).first()
    day = first + datetime.timedelta(days=30)
    in_force = Position.objects.as_of(day).count()
    assert 0 < in_force < 101
    sql = page_keys_sql({"as_of": day.isoformat()})
    assert "kb_position_in_force_range" in {node.get("Index Name") for node in plan_nodes(sql)}
    assert max(rows for _, rows in rows_read(sql)) == in_force


@pytest.mark.parametrize(
    "params, by_range",
    [
        ({"program": "{program}"}, False),
        ({"official": "{official}"}, False),
        ({"organization": "{organization}"}, False),
        ({"jurisdiction": "{state}"}, False),
        ({"jurisdiction": "{state}", "include_sub_jurisdictions": "true"}, True),
        ({"stance": "participates"}, True),
    ],
    ids=["program", "official", "organization", "jurisdiction", "jurisdiction and those inside it", "stance"],
)
def test_as_of_leaves_the_range_out_beside_a_filter_whose_index_reads_the_page(large_kb, params, by_range):
    """At 200,000 positions the planner adds the range's bitmap to a program's index (19 ms, 6
    without): the 30,000 here are too few for it to, so the rule is pinned on the query itself.
    A stance, or a jurisdiction with everything inside it, can hold most positions: the range stays."""
    params = {key: filled(value, targets()) for key, value in params.items()}
    sql = page_keys_sql(params | {"as_of": MIDDLE_DAY.isoformat()})
    assert "in_force_from" in sql
    assert ("daterange(" in sql) == by_range


@pytest.mark.django_db
def test_postgresql_connections_start_no_parallel_workers():
    """Starting a worker costs more than a page's rows (config/settings.py): at 200,000 positions
    the planner gave ?disputed=true's page a Gather, 16 ms where one process takes 1.5."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)


@pytest.mark.parametrize("sub", [False, True], ids=["state", "state and those inside it"])
def test_a_stance_of_a_jurisdiction_reads_index_entries_of_that_jurisdiction_alone(large_kb, sub):
    """Not the stance's entries, a fifth of the table, to AND with the holder's (migration 0024)."""
    state = Jurisdiction.objects.get(slug=targets()["state"])
    held = Position.objects.held_by_jurisdiction(state, include_sub_jurisdictions=sub).count()
    assert Position.objects.filter(stance="refuses").count() > 2 * held
    params = {"stance": "refuses", "jurisdiction": state.slug, "include_sub_jurisdictions": str(sub).lower()}
    entries = [
        round(node["Actual Rows"] * node["Actual Loops"])
        for node in plan_nodes(page_keys_sql(params))
        if node.get("Index Name", "").startswith("kb_position")
    ]
    assert entries and max(entries) <= held
