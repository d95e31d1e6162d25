"""CSV of every list: `?format=csv` or `Accept: text/csv`, with the list's filters, search and order,
every matching record (not a page), streamed in chunks whose number of queries and memory do not
grow with the table; stable columns from the list's serializer (related records as slug and name,
lists counted), documented in the schema; positions one row per citation on request.
"""

import csv
import io
import math
import tracemalloc

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import csv as api_csv
from kb.models import Citation, Position
from tests.api_helpers import API, assert_error, curated, curated_slugs, get

LISTS = [
    "positions/",
    "programs/",
    "jurisdictions/",
    "organizations/",
    "officials/",
    "sources/",
    "citations/",
    "facts/",
    "jurisdictions/massachusetts/timeline/",
    "officials/deval-patrick/timeline/",
    "organizations/centro-presente/timeline/",
]


def csv_rows(response):
    """The CSV's rows as dicts, after checking it is a streamed CSV download."""
    assert response.status_code == 200, response.content[:500] if not response.streaming else ""
    assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def csv_header(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    return next(csv.reader(io.StringIO(text)))


def every_json_record(api, path, params=None):
    records, url = [], None
    body = get(api, path, {**(params or {}), "limit": 100}).json()
    while True:
        records.extend(body["results"])
        url = body["next"]
        if not url:
            return records
        body = api.get(url).json()


@pytest.mark.usefixtures("knowledge_base")
class TestEveryList:
    @pytest.mark.parametrize("path", LISTS)
    def test_format_csv_and_accept_text_csv_give_the_same_csv(self, api, path):
        by_format = csv_rows(get(api, path, {"format": "csv"}))
        by_accept = csv_rows(get(api, path, HTTP_ACCEPT="text/csv"))

        assert by_format == by_accept and by_format

    @pytest.mark.parametrize("path", LISTS)
    def test_a_csv_has_one_row_per_record_of_the_json_in_its_order(self, api, path):
        rows = csv_rows(get(api, path, {"format": "csv"}))
        records = every_json_record(api, path)

        key = "slug" if "slug" in records[0] else "id"
        assert [row[key] for row in rows] == [str(record[key]) for record in records]

    @pytest.mark.parametrize("path", LISTS)
    def test_the_columns_are_the_ones_the_schema_documents(self, api, path, client):
        schema = client.get("/api/schema/", {"format": "json"}).json()
        template = path.replace("massachusetts", "{slug}").replace("deval-patrick", "{slug}")
        template = template.replace("centro-presente", "{slug}")
        documented = schema["paths"][API + template]["get"]["responses"]["200"]["content"]["text/csv"]["schema"]

        header = csv_header(get(api, path, {"format": "csv"}))

        assert documented["description"].endswith(f"Columns: {', '.join(header)}.")


@pytest.mark.usefixtures("knowledge_base")
class TestPositions:
    @pytest.mark.parametrize(
        "params",
        [
            {"stance": "refuses,withdraws"},
            {"as_of": "2011-06-06"},
            {"search": "patrick"},
            {"jurisdiction": "massachusetts", "include_sub_jurisdictions": "true"},
            {"ordering": "-date_earliest,slug"},
            {"ordering": "program,-stance"},  # not a key order: streamed by one cursor instead
            {"source": "boston-globe-patrick-wont-sign", "date_before": "2011-01-01"},
        ],
    )
    def test_the_csv_takes_the_lists_filters_search_and_order(self, api, params):
        rows = csv_rows(get(api, "positions/", {**params, "format": "csv"}))

        assert [row["slug"] for row in rows] == [
            record["slug"] for record in every_json_record(api, "positions/", params)
        ]

    def test_the_csv_holds_every_position_not_one_page(self, api):
        rows = csv_rows(get(api, "positions/", {"format": "csv"}))

        assert {row["slug"] for row in rows} == curated_slugs("positions")
        assert len(rows) > 20  # the default page

    def test_a_related_record_is_two_columns_and_a_missing_one_leaves_them_empty(self, api):
        header = csv_header(get(api, "positions/", {"format": "csv"}))
        rows = {row["slug"]: row for row in csv_rows(get(api, "positions/", {"format": "csv"}))}

        for holder in ("program", "official", "jurisdiction", "organization"):
            assert holder not in header
            assert {f"{holder}_slug", f"{holder}_name"} <= set(header)
        globe_ny = rows["new-york-refuses-globe-version"]  # held by New York, voiced by no official
        assert (globe_ny["official_slug"], globe_ny["official_name"]) == ("", "")
        assert (globe_ny["jurisdiction_slug"], globe_ny["jurisdiction_name"]) == ("new-york", "New York")

    def test_the_values_are_the_curated_ones(self, api):
        rows = {row["slug"]: row for row in csv_rows(get(api, "positions/", {"format": "csv"}))}

        for position in curated()["positions"]:
            row = rows[position["slug"]]
            assert row["stance"] == position["stance"]
            assert row["summary"] == position["summary"]
            assert row["official_slug"] == (position.get("official") or "")
            assert int(row["citations_count"]) == len(position["citations"])

    def test_rows_citations_gives_one_row_per_quote_beside_its_position(self, api):
        rows = csv_rows(get(api, "positions/", {"format": "csv", "rows": "citations"}))

        assert len(rows) == Citation.objects.filter(position__isnull=False).count()
        for row in rows:
            citation = Citation.objects.get(
                position__slug=row["slug"], source__slug=row["citation_source"], start=int(row["citation_start"])
            )
            assert row["citation_quote"] == citation.quote == citation.source.text[citation.start : citation.end]
            assert row["stance"] == citation.position.stance

    def test_rows_citations_by_accept_header_too(self, api):
        rows = csv_rows(get(api, "positions/", {"rows": "citations", "stance": "refuses"}, HTTP_ACCEPT="text/csv"))

        assert {row["slug"] for row in rows} == curated_slugs("positions", stance="refuses")
        assert all(row["citation_quote"] for row in rows)

    def test_one_position_as_csv_is_a_header_and_a_row(self, api):
        response = get(api, "positions/illinois-refuses/", {"format": "csv"})

        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert row["slug"] == "illinois-refuses" and row["jurisdiction_slug"] == "illinois"


@pytest.mark.usefixtures("knowledge_base")
class TestRefusals:
    @pytest.mark.parametrize("name,value", [("limit", "5"), ("offset", "20"), ("cursor", "abc"), ("facet", "stance")])
    def test_paging_and_facets_with_csv_are_a_400_naming_them(self, api, name, value):
        assert_error(get(api, "positions/", {"format": "csv", name: value}), 400, name, code="invalid")

    def test_rows_without_csv_is_a_400(self, api):
        body = assert_error(get(api, "positions/", {"rows": "citations"}), 400, "rows")

        assert "CSV" in body["errors"]["rows"][0]

    def test_rows_naming_no_list_is_a_400(self, api):
        assert_error(get(api, "positions/", {"rows": "summary", "format": "csv"}), 400, "rows")

    def test_a_bad_filter_with_csv_is_a_json_error(self, api):
        assert_error(get(api, "positions/", {"stance": "likes", "format": "csv"}), 400, "stance")
        assert_error(get(api, "positions/", {"stance": "likes"}, HTTP_ACCEPT="text/csv"), 400, "stance")

    def test_an_unknown_format_is_a_400_naming_it(self, api):
        assert_error(get(api, "positions/", {"format": "xml"}), 400, "format", code="invalid")

    def test_an_unknown_accept_is_a_406(self, api):
        assert_error(get(api, "positions/", HTTP_ACCEPT="text/xml"), 406, code="not_acceptable")

    def test_a_list_of_values_is_one_column_joined(self, api):
        rows = {row["slug"]: row for row in csv_rows(get(api, "sources/", {"format": "csv"}))}

        for source in curated()["sources"]:
            assert rows[source["slug"]]["authors"] == "; ".join(source["authors"])
        assert rows["boston-globe-patrick-wont-sign"]["authors"] == "Maria Sacchetti; Noah Bierman"

    def test_urls_in_a_csv_do_not_carry_the_format(self, api):
        rows = csv_rows(get(api, "officials/", {"format": "csv"}))

        assert rows[0]["url"].endswith(f"{API}officials/{rows[0]['slug']}/")


# ---------------------------------------------------------------- streamed, at any size

SCALED_POSITIONS = 600
CHUNK = 50
# What the position writer reads for a chunk, one query per kind (api.writers).
POSITION_CHILDREN = (
    "voices, each with its official or organization",
    "the voices' citations",
    "reasons",
    "the reasons' citations",
    "citations, with their sources' slugs and lineage roots",
    "the other versions of their events",
)


@pytest.fixture
def scaled_kb(knowledge_base):
    call_command(
        "generate_synthetic_kb", positions=SCALED_POSITIONS, stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0
    )


def streamed(response):
    """Consume a streamed answer chunk by chunk, as a WSGI server does, counting rows."""
    lines = 0
    for part in response.streaming_content:
        lines += part.count(b"\r\n")
    return lines - 1  # the header


def test_a_csv_of_every_position_costs_a_fixed_number_of_queries_per_chunk(scaled_kb, api, monkeypatch):
    monkeypatch.setattr(api_csv, "CHUNK_SIZE", CHUNK)
    total = Position.objects.count()

    with CaptureQueriesContext(connection) as queries:
        rows = streamed(get(api, "positions/", {"format": "csv"}))

    assert rows == total > 10 * CHUNK
    # Per chunk: the keys (a keyset page), the rows joined to their holders, and what the position
    # writer reads for the chunk at once: one query per kind of child (POSITION_CHILDREN); once,
    # the knowledge base's version.
    chunks = math.ceil(total / CHUNK) + (1 if total % CHUNK == 0 else 0)
    assert len(queries) <= (2 + len(POSITION_CHILDREN)) * chunks + 1
    keyset = [query["sql"] for query in queries.captured_queries if f"LIMIT {CHUNK}" in query["sql"]]
    assert len(keyset) == math.ceil(total / CHUNK)


def test_a_csv_in_another_order_streams_by_cursor_in_bounded_chunks(scaled_kb, api, monkeypatch):
    monkeypatch.setattr(api_csv, "CHUNK_SIZE", CHUNK)

    with CaptureQueriesContext(connection) as queries:
        rows = csv_rows(get(api, "positions/", {"format": "csv", "ordering": "program,-stance"}))

    assert len(rows) == Position.objects.count()
    # The version and one cursor over the keys, then per chunk its rows and the writer's children.
    assert len(queries) <= (1 + len(POSITION_CHILDREN)) * math.ceil(len(rows) / CHUNK) + 2


def _peak_memory_streaming(api, params):
    tracemalloc.start()
    try:
        rows = streamed(get(api, "positions/", {**params, "format": "csv"}))
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_however_many_rows_a_csv_has(scaled_kb, api, monkeypatch):
    monkeypatch.setattr(api_csv, "CHUNK_SIZE", CHUNK)
    # The first hundred or so positions in date order: two chunks.
    before = {"date_before": Position.objects.order_by("date_earliest", "slug")[100].date_earliest.isoformat()}
    _peak_memory_streaming(api, before)  # warm: imports, caches, compiled queries

    few, few_peak = _peak_memory_streaming(api, before)
    every, every_peak = _peak_memory_streaming(api, {})

    assert every > 3 * few > 0
    # Four times the rows (and more): the peak is about one chunk's, not the whole CSV's.
    assert every_peak < 2 * few_peak, (few, few_peak, every, every_peak)
