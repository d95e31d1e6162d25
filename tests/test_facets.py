"""Facets: `?facet=` adds to a list's answer the counts by value of its filtered results, each value
with its slug and name; exact up to the count bound, each facet one query over a bounded number
of rows past it.
"""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import facets
from kb.models import Position
from tests.api_helpers import assert_error, curated, get

POSITION_FACETS = ["stance", "program", "jurisdiction", "organization", "official", "source", "year"]


def facet(api, path, name, **params):
    body = get(api, path, {**params, "facet": name, "limit": 1}).json()
    counted = body["facets"][name]
    return {value["slug"]: value["count"] for value in counted["values"]}, counted, body


def curated_positions(**where):
    return [
        position
        for position in curated()["positions"]
        if all(
            position.get(name) in (wanted if isinstance(wanted, set) else {wanted}) for name, wanted in where.items()
        )
    ]


@pytest.mark.usefixtures("knowledge_base")
class TestPositions:
    def test_stance_counts_every_position_by_its_stance(self, api):
        counts, counted, body = facet(api, "positions/", "stance")

        assert counts == Counter(position["stance"] for position in curated()["positions"])
        assert counted["exact"] is True
        assert len(body["results"]) == 1  # the page is still one result: facets count them all

    @pytest.mark.parametrize("holder", ["jurisdiction", "organization", "official", "program"])
    def test_a_holder_facet_counts_by_related_record_with_its_slug_and_name(self, api, holder):
        counts, counted, _ = facet(api, "positions/", holder)

        assert counts == Counter(position.get(holder) for position in curated()["positions"])
        for value in counted["values"]:
            if value["slug"] is None:
                assert value["name"] is None  # positions without one
            else:
                record = get(
                    api, f"{holder}s/{value['slug']}/" if holder != "official" else f"officials/{value['slug']}/"
                )
                assert record.json()["name"] == value["name"]

    def test_the_facets_count_the_filtered_results(self, api):
        counts, _, body = facet(api, "positions/", "jurisdiction", stance="refuses,withdraws", as_of="2011-06-06")

        # Every version of each holder's event in force: New York's and Illinois' three, Massachusetts' one.
        assert sum(counts.values()) == body["count"] == 7
        assert counts == {"new-york": 3, "massachusetts": 1, "illinois": 3}

    def test_source_counts_positions_by_the_sources_citing_them(self, api):
        counts, counted, _ = facet(api, "positions/", "source")

        expected = Counter(
            source
            for position in curated()["positions"]
            for source in {citation["source"] for citation in position["citations"]}
        )
        assert counts == expected
        names = {value["slug"]: value["name"] for value in counted["values"]}
        assert (
            names["boston-herald-patrick-refuses-to-sign"] == "Gov. Deval Patrick refuses to sign immigration program"
        )

    def test_year_counts_by_the_year_of_the_date(self, api):
        counts, _, _ = facet(api, "positions/", "year")

        assert counts == Counter(
            str(position["date"]["earliest"] if isinstance(position["date"], dict) else position["date"])[:4]
            for position in curated()["positions"]
        )

    def test_values_come_most_frequent_first(self, api):
        _, counted, _ = facet(api, "positions/", "stance")

        assert [value["count"] for value in counted["values"]] == sorted(
            (value["count"] for value in counted["values"]), reverse=True
        )

    def test_several_facets_at_once_on_a_timeline(self, api):
        body = get(api, "jurisdictions/massachusetts/timeline/", {"facet": "stance,jurisdiction"}).json()

        # Heffernan's letter is Massachusetts' refusal (held by the state), so every position has a jurisdiction.
        assert {value["slug"]: value["count"] for value in body["facets"]["jurisdiction"]["values"]} == {
            "boston": 3,
            "massachusetts": 2,
        }
        assert sum(value["count"] for value in body["facets"]["stance"]["values"]) == body["count"] == 5

    def test_an_unknown_facet_is_a_400_naming_the_accepted_ones(self, api):
        body = assert_error(get(api, "positions/", {"facet": "mood"}), 400, "facet")

        for name in POSITION_FACETS:
            assert name in body["errors"]["facet"][0]

    def test_no_facet_no_facets_key(self, api):
        assert "facets" not in get(api, "positions/").json()


@pytest.mark.usefixtures("knowledge_base")
@pytest.mark.parametrize(
    ("path", "name", "field"),
    [
        ("sources/", "kind", "kind"),
        ("organizations/", "kind", "kind"),
        ("jurisdictions/", "kind", "kind"),
        ("officials/", "jurisdiction", "jurisdiction"),
        ("programs/", "agency", "agency"),
        ("facts/", "kind", "kind"),
    ],
)
def test_other_lists_have_facets_of_their_filters(api, path, name, field):
    counts, counted, _ = facet(api, path, name)
    resource = {"facts/": "programs"}.get(path, path.rstrip("/"))
    records = (
        [fact for program in curated()["programs"] for fact in program.get("facts", [])]
        if path == "facts/"
        else curated()[resource]
    )

    assert counts == Counter(record.get(field) for record in records)
    assert counted["exact"] is True


@pytest.mark.usefixtures("knowledge_base")
@pytest.mark.parametrize("resource", ["jurisdictions", "organizations", "officials"])
@pytest.mark.parametrize("name", ["source", "year"])
def test_a_record_list_offers_its_own_facets_and_its_timeline_the_positions(api, client, resource, name):
    """The positions' facets are a timeline's, not its record's list's (which has no sources or years)."""
    slug = {"jurisdictions": "massachusetts", "organizations": "patrick-administration", "officials": "deval-patrick"}
    schema = client.get("/api/schema/", {"format": "json"}).json()

    def offered(path):
        [parameter] = [p for p in schema["paths"][f"/api/v1/{path}"]["get"]["parameters"] if p["name"] == "facet"]
        return set(parameter["schema"]["items"]["enum"])

    assert_error(get(api, f"{resource}/", {"facet": name}), 400, "facet")
    assert name not in offered(f"{resource}/")
    assert name in offered(f"{resource}/{{slug}}/timeline/")
    assert name in get(api, f"{resource}/{slug[resource]}/timeline/", {"facet": name}).json()["facets"]


# ---------------------------------------------------------------- bounded cost


@pytest.fixture
def scaled_kb(knowledge_base):
    call_command("generate_synthetic_kb", positions=600, stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)


def queries_of(api, params):
    with CaptureQueriesContext(connection) as queries:
        response = get(api, "positions/", params)
    assert response.status_code == 200, response.content[:300]
    return queries, response.json()


def test_each_facet_costs_one_query_at_any_size(scaled_kb, api):
    base, _ = queries_of(api, {"limit": 5})
    one, _ = queries_of(api, {"limit": 5, "facet": "stance"})
    every, body = queries_of(api, {"limit": 5, "facet": ",".join(POSITION_FACETS)})

    assert len(one) == len(base) + 1
    # One each; the sources' names one more (sources have titles, named as the API names them).
    assert len(every) == len(base) + len(POSITION_FACETS) + 1
    assert set(body["facets"]) == set(POSITION_FACETS)


def test_past_the_count_bound_facets_read_a_bounded_number_of_rows_and_say_so(scaled_kb, api, monkeypatch):
    monkeypatch.setattr(facets, "EXACT_COUNT_LIMIT", 50)
    queries, body = queries_of(api, {"limit": 5, "facet": "stance"})

    counted = body["facets"]["stance"]
    assert counted["exact"] is False
    assert sum(value["count"] for value in counted["values"]) == 51  # the rows counted, not all of them
    [facet_query] = [query["sql"] for query in queries.captured_queries if "GROUP BY" in query["sql"].upper()]
    assert "LIMIT 51" in facet_query
    # Each is a lower bound of the real count.
    real = Counter(Position.objects.values_list("stance", flat=True))
    assert all(value["count"] <= real[value["slug"]] for value in counted["values"])


def test_within_the_count_bound_facets_are_exact_at_scale(scaled_kb, api):
    program = Position.objects.filter(slug__startswith="synthetic-").order_by("pk").first().program
    counts, counted, body = facet(api, "positions/", "stance", program=program.slug, date_before="2012-12-31")

    assert body["count"] <= 1000 and counted["exact"] is True
    assert counts == Counter(
        Position.objects.filter(program=program, date_earliest__lte="2012-12-31").values_list("stance", flat=True)
    )
