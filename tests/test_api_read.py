"""Reading the knowledge base through /api/v1/: lists, details by slug, references and `?expand=`,
citations that are verbatim in their sources, program facts, timelines and paging.

Every expected value comes from fixtures/kb.yaml, the curated facts.
"""

import pytest

from kb.models import Citation
from tests.api_helpers import (  # noqa: F401  (fixtures)
    API,
    RESOURCES,
    curated,
    curated_record,
    curated_slugs,
    get,
    is_ref,
    page,
    slugs,
)

# The fields of each resource's list records; details add what DETAIL_ONLY says.
LIST_FIELDS = {
    "programs": {
        "slug",
        "url",
        "name",
        "other_names",
        "agency",
        "description",
        "started_on",
        "started_precision",
        "citations",
    },
    "jurisdictions": {"slug", "url", "name", "kind", "parent", "ocd_id", "timeline_url"},
    "organizations": {
        "slug",
        "url",
        "name",
        "other_names",
        "kind",
        "description",
        "jurisdiction",
        "parent",
        "citations",
        "timeline_url",
    },
    "officials": {
        "slug",
        "url",
        "name",
        "other_names",
        "role",
        "jurisdiction",
        "organization",
        "citations",
        "timeline_url",
    },
    "positions": {
        "slug",
        "url",
        "program",
        "official",
        "jurisdiction",
        "organization",
        "stance",
        "date",
        "date_precision",
        "date_basis",
        "date_text",
        "summary",
        "note",
        "citations",
    },
    "sources": {
        "slug",
        "url",
        "title",
        "publisher",
        "authors",
        "kind",
        "published_on",
        "published_precision",
        "published_quote",
        "file_name",
        "comments_start",
    },
}
DETAIL_ONLY = {"programs": {"facts"}, "sources": {"text"}}

# Each reference field, the resource it points to, and the curated key that names its target.
REFERENCE_FIELDS = {
    "programs": {"agency": "organizations"},
    "jurisdictions": {"parent": "jurisdictions"},
    "organizations": {"jurisdiction": "jurisdictions", "parent": "organizations"},
    "officials": {"jurisdiction": "jurisdictions", "organization": "organizations"},
    "positions": {
        "program": "programs",
        "official": "officials",
        "jurisdiction": "jurisdictions",
        "organization": "organizations",
    },
    "sources": {},
}

EVERY_RECORD = [(resource, record["slug"]) for resource in RESOURCES for record in curated()[resource]]


def all_results(client, path, params=None):
    """Every record of a list, following `next` links page by page."""
    results, url, params = [], API + path, {"limit": 100, **(params or {})}
    while url:
        body = page(client.get(url, params))
        results.extend(body["results"])
        url, params = body["next"], None
    return results


def citations_in(record):
    """Every citation a record shows: its own, its other names' and its facts'."""
    yield from record.get("citations", [])
    for nested in [*record.get("other_names", []), *record.get("facts", [])]:
        yield from citations_in(nested)


# ---------------------------------------------------------------- lists and details


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_is_a_page_of_every_curated_record(knowledge_base, api, resource):
    body = page(get(api, f"{resource}/", {"limit": 100}))

    assert body["count"] == len(curated()[resource])
    assert {record["slug"] for record in body["results"]} == curated_slugs(resource)
    assert body["previous"] is None


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_record_has_the_list_fields(knowledge_base, api, resource):
    for record in page(get(api, f"{resource}/", {"limit": 100}))["results"]:
        assert set(record) == LIST_FIELDS[resource]
        assert record["url"] == f"http://testserver{API}{resource}/{record['slug']}/"


@pytest.mark.parametrize(("resource", "slug"), EVERY_RECORD)
def test_each_record_has_a_detail_by_slug(knowledge_base, api, resource, slug):
    response = get(api, f"{resource}/{slug}/")

    assert response.status_code == 200
    record = response.json()
    assert set(record) == LIST_FIELDS[resource] | DETAIL_ONLY.get(resource, set())
    assert record["slug"] == slug
    assert record["url"] == f"http://testserver{API}{resource}/{slug}/"


@pytest.mark.parametrize(("resource", "slug"), EVERY_RECORD)
def test_each_reference_is_slug_name_and_url_of_the_curated_target(knowledge_base, api, resource, slug):
    record = get(api, f"{resource}/{slug}/").json()
    curated_fields = curated_record(resource, slug)

    for field, target in REFERENCE_FIELDS[resource].items():
        expected = curated_fields.get(field)
        if expected is None:
            assert record[field] is None
        else:
            assert is_ref(record[field], target, slug=expected)
            assert record[field]["name"] == curated_record(target, expected)["name"]


def test_position_detail_is_the_curated_position(knowledge_base, api):
    position = get(api, "positions/massachusetts-refuses-secure-communities-2011-06-03/").json()

    assert position["stance"] == "refuses"
    assert position["date"] == "2011-06-03"
    assert position["date_precision"] == "day"
    assert position["date_basis"] == "stated"
    assert position["date_text"] == "dated Friday"
    assert position["program"]["name"] == "Secure Communities"
    assert position["official"]["name"] == "Deval Patrick"
    assert position["jurisdiction"]["name"] == "Massachusetts"
    assert position["organization"] is None


@pytest.mark.parametrize("slug", sorted(curated_slugs("positions")))
def test_position_fields_match_the_curated_facts(knowledge_base, api, slug):
    position = get(api, f"positions/{slug}/").json()
    facts = curated_record("positions", slug)

    for field in ("stance", "date_precision", "date_basis", "date_text", "summary"):
        assert position[field] == facts[field]
    assert position["date"] == str(facts["date"])
    assert position["note"] == facts.get("note", "")


def test_source_list_leaves_out_the_text_and_its_detail_has_it(knowledge_base, api):
    listed = page(get(api, "sources/"))["results"]
    detail = get(api, "sources/boston-herald-patrick-refuses-to-sign/").json()

    assert all("text" not in source for source in listed)
    assert detail["text"].startswith("Massachusetts Governor Deval Patrick Refuses to Sign onto S-Comm")
    assert detail["publisher"] == "Boston Herald"
    assert detail["authors"] == ["Hillary Chabot"]
    assert detail["published_on"] == "2011-06-06"
    assert detail["published_quote"] in detail["text"]


def test_source_reader_comments_start_where_the_curators_marked_them(knowledge_base, api):
    source = get(api, "sources/ap-patrick-massachusetts-wont-participate/").json()

    assert source["comments_start"] is not None
    assert source["text"][source["comments_start"] :].startswith("Comments")
    assert all(
        source["comments_start"] is None
        for source in page(get(api, "sources/"))["results"]
        if source["slug"] != "ap-patrick-massachusetts-wont-participate"
    )


def test_program_list_leaves_out_the_facts_and_its_detail_has_them_cited(knowledge_base, api):
    [listed] = page(get(api, "programs/"))["results"]
    program = get(api, "programs/secure-communities/").json()
    curated_facts = {fact["slug"]: fact for fact in curated_record("programs", "secure-communities")["facts"]}

    assert "facts" not in listed
    assert {fact["slug"] for fact in program["facts"]} == set(curated_facts)
    for fact in program["facts"]:
        expected = curated_facts[fact["slug"]]
        assert fact["kind"] == expected["kind"]
        assert fact["statement"] == expected["statement"]
        assert sorted((c["source"], c["quote"]) for c in fact["citations"]) == sorted(
            (c["source"], c["quote"]) for c in expected["citations"]
        )
        if expected.get("jurisdiction"):
            assert is_ref(fact["jurisdiction"], "jurisdictions", slug=expected["jurisdiction"])
        else:
            assert fact["jurisdiction"] is None


def test_program_fact_values_keep_their_qualifier_and_unit(knowledge_base, api):
    facts = {fact["slug"]: fact for fact in get(api, "programs/secure-communities/").json()["facts"]}

    deported = facts["deported-more-than-77000-criminals"]
    assert float(deported["value"]) == 77000
    assert deported["value_qualifier"] == "more_than"
    assert deported["unit"] == "criminals deported"
    assert deported["date"] == "2011-04-30"
    assert float(facts["boston-one-in-four-serious-criminals"]["value"]) == 0.25
    assert facts["boston-one-in-four-serious-criminals"]["date"] is None


def test_other_names_carry_their_citations(knowledge_base, api):
    official = get(api, "officials/mary-beth-heffernan/").json()
    program = get(api, "programs/secure-communities/").json()
    quote = "Public Safety Secretary Mary E. Heffernan"
    start = get(api, "sources/boston-globe-patrick-wont-sign/").json()["text"].index(quote)

    assert official["other_names"] == [
        {
            "name": "Mary E. Heffernan",
            "citations": [
                {
                    "source": "boston-globe-patrick-wont-sign",
                    "source_url": f"http://testserver{API}sources/boston-globe-patrick-wont-sign/",
                    "quote": quote,
                    "start": start,
                    "end": start + len(quote),
                }
            ],
        }
    ]
    assert {name["name"] for name in program["other_names"]} == {"S-Comm", "Secure Communities Program"}


@pytest.mark.parametrize("resource", ["officials", "organizations", "programs"])
def test_other_names_are_the_curated_ones(knowledge_base, api, resource):
    for record in page(get(api, f"{resource}/"))["results"]:
        expected = curated_record(resource, record["slug"]).get("other_names", [])
        assert {name["name"] for name in record["other_names"]} == {name["name"] for name in expected}


def test_timeline_urls_point_at_the_timelines(knowledge_base, api):
    jurisdiction = get(api, "jurisdictions/massachusetts/").json()
    official = get(api, "officials/deval-patrick/").json()

    assert jurisdiction["timeline_url"] == f"http://testserver{API}jurisdictions/massachusetts/timeline/"
    assert official["timeline_url"] == f"http://testserver{API}officials/deval-patrick/timeline/"


# ---------------------------------------------------------------- citations


@pytest.mark.parametrize("slug", sorted(curated_slugs("positions")))
def test_position_citations_are_the_curated_quotes(knowledge_base, api, slug):
    citations = get(api, f"positions/{slug}/").json()["citations"]
    expected = curated_record("positions", slug)["citations"]

    assert sorted((c["source"], c["quote"]) for c in citations) == sorted((c["source"], c["quote"]) for c in expected)
    for citation in citations:
        assert set(citation) == {"source", "source_url", "quote", "start", "end"}
        assert citation["source_url"] == f"http://testserver{API}sources/{citation['source']}/"
        assert citation["end"] - citation["start"] == len(citation["quote"])


def test_every_citation_is_verbatim_in_its_source_at_its_offsets_before_the_reader_comments(knowledge_base, api):
    """The one test of it, end to end: the curated fixture, as loaded and as the API serves it."""
    sources = {slug: get(api, f"sources/{slug}/").json() for slug in curated_slugs("sources")}
    checked = 0

    for resource in ("positions", "programs", "organizations", "officials"):
        for slug in sorted(curated_slugs(resource)):
            for citation in citations_in(get(api, f"{resource}/{slug}/").json()):
                source = sources[citation["source"]]
                assert source["text"][citation["start"] : citation["end"]] == citation["quote"], citation
                assert citation["end"] <= (source["comments_start"] or len(source["text"])), citation
                checked += 1

    assert checked == Citation.objects.count() > 100  # every citation in the knowledge base


def test_position_citations_are_ordered_by_source_then_offset(knowledge_base, api):
    citations = get(api, "positions/mary-beth-heffernan-opposes-2011-06-03/").json()["citations"]

    assert [(c["source"], c["start"]) for c in citations] == sorted((c["source"], c["start"]) for c in citations)
    assert len(citations) == 8


# ---------------------------------------------------------------- ?expand=

# (resource, slug, field, resource expanded): one record per expandable field that names a target.
EXPANSIONS = [
    ("programs", "secure-communities", "agency", "organizations"),
    ("jurisdictions", "boston", "parent", "jurisdictions"),
    ("organizations", "immigration-and-customs-enforcement", "jurisdiction", "jurisdictions"),
    ("organizations", "immigration-and-customs-enforcement", "parent", "organizations"),
    ("officials", "deval-patrick", "jurisdiction", "jurisdictions"),
    ("officials", "patricia-montes", "organization", "organizations"),
    ("positions", "boston-participates-since-2006", "program", "programs"),
    ("positions", "massachusetts-refuses-secure-communities-2011-06-03", "official", "officials"),
    ("positions", "boston-participates-since-2006", "jurisdiction", "jurisdictions"),
    ("positions", "boston-participates-since-2006", "organization", "organizations"),
]


@pytest.mark.parametrize(("resource", "slug", "field", "target"), EXPANSIONS)
def test_expand_inlines_the_whole_related_record_on_a_detail(knowledge_base, api, resource, slug, field, target):
    plain = get(api, f"{resource}/{slug}/").json()
    expanded = get(api, f"{resource}/{slug}/", {"expand": field}).json()
    related = get(api, f"{target}/{plain[field]['slug']}/").json()
    for detail_only in DETAIL_ONLY.get(target, ()):
        related.pop(detail_only)

    assert expanded[field] == related
    assert {name: value for name, value in expanded.items() if name != field} == {
        name: value for name, value in plain.items() if name != field
    }


@pytest.mark.parametrize(("resource", "slug", "field", "target"), EXPANSIONS)
def test_expand_inlines_the_related_record_on_a_list(knowledge_base, api, resource, slug, field, target):
    listed = {record["slug"]: record for record in all_results(api, f"{resource}/", {"expand": field})}

    assert set(listed[slug][field]) == LIST_FIELDS[target]
    for record in listed.values():
        assert record[field] is None or set(record[field]) == LIST_FIELDS[target]


def test_expand_takes_several_fields_at_once(knowledge_base, api):
    position = get(
        api,
        "positions/patricia-montes-opposes/",
        {"expand": "program,official,jurisdiction,organization"},
    ).json()

    assert position["program"]["description"].startswith("Federal Department of Homeland Security program")
    assert position["official"]["role"] == "Executive director, Centro Presente"
    assert position["organization"]["kind"] == "advocacy_group"
    assert position["jurisdiction"] is None


def test_expanded_records_keep_their_own_references_as_references(knowledge_base, api):
    official = get(
        api, "positions/massachusetts-refuses-secure-communities-2011-06-03/", {"expand": "official"}
    ).json()["official"]

    assert is_ref(official["jurisdiction"], "jurisdictions", slug="massachusetts")


def test_expand_on_a_timeline_inlines_the_related_records(knowledge_base, api):
    results = page(get(api, "officials/deval-patrick/timeline/", {"expand": "jurisdiction"}))["results"]

    assert [position["jurisdiction"]["ocd_id"] for position in results] == ["ocd-division/country:us/state:ma"] * 2


# ---------------------------------------------------------------- timelines


def test_jurisdiction_timeline_is_in_date_order_and_includes_boston_and_the_officials(knowledge_base, api):
    assert slugs(get(api, "jurisdictions/massachusetts/timeline/")) == [
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
        "massachusetts-will-join-secure-communities-2010-12",
        "mary-beth-heffernan-opposes-2011-06-03",  # her own position, not the state's: she acts for it
        "massachusetts-refuses-secure-communities-2011-06-03",
        "boston-participates-2011",
    ]


def test_jurisdiction_timeline_of_a_country_includes_every_state_and_city(knowledge_base, api):
    timeline = page(get(api, "jurisdictions/united-states/timeline/", {"limit": 100}))["results"]
    dates = [position["date"] for position in timeline]

    assert dates == sorted(dates)
    # Positions of organizations with no jurisdiction and of their officials are nobody's here.
    expected = {
        slug
        for slug, position in ((p["slug"], p) for p in curated()["positions"])
        if position.get("jurisdiction") or position.get("official") in {"deval-patrick", "mary-beth-heffernan"}
    }
    assert {position["slug"] for position in timeline} == expected
    assert len(expected) == 12


def test_jurisdiction_timeline_of_a_city_has_only_the_city(knowledge_base, api):
    assert slugs(get(api, "jurisdictions/boston/timeline/")) == [
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
        "boston-participates-2011",
    ]


def test_official_timeline_is_in_date_order(knowledge_base, api):
    assert slugs(get(api, "officials/deval-patrick/timeline/")) == [
        "massachusetts-will-join-secure-communities-2010-12",
        "massachusetts-refuses-secure-communities-2011-06-03",
    ]
    assert slugs(get(api, "officials/pat-quinn/timeline/")) == ["illinois-withdraws-2011-05", "illinois-refuses"]


def test_a_timeline_with_nothing_in_range_is_an_empty_page(knowledge_base, api):
    assert slugs(get(api, "officials/andrew-cuomo/timeline/")) == ["new-york-withdraws-2011-06"]
    assert page(get(api, "jurisdictions/new-york/timeline/"))["count"] == 2
    assert slugs(get(api, "jurisdictions/new-york/timeline/", {"date_before": "2011-05-31"})) == []


def test_timeline_is_filtered_by_program(knowledge_base, api):
    assert page(get(api, "jurisdictions/massachusetts/timeline/", {"program": "secure-communities"}))["count"] == 6
    assert page(get(api, "officials/deval-patrick/timeline/", {"program": "secure-communities"}))["count"] == 2


def test_timeline_takes_the_position_filters(knowledge_base, api):
    assert slugs(get(api, "jurisdictions/massachusetts/timeline/", {"stance": "participates"})) == [
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
        "boston-participates-2011",
    ]
    # Boston through its police (since 2006) and Boston itself (since 2008) are two holders.
    assert slugs(get(api, "jurisdictions/massachusetts/timeline/", {"as_of": "2010-12-31"})) == [
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
        "massachusetts-will-join-secure-communities-2010-12",
    ]


def test_timeline_can_be_ordered_otherwise(knowledge_base, api):
    assert slugs(get(api, "officials/deval-patrick/timeline/", {"ordering": "-date"})) == [
        "massachusetts-refuses-secure-communities-2011-06-03",
        "massachusetts-will-join-secure-communities-2010-12",
    ]


def test_timeline_is_paged(knowledge_base, api):
    body = page(get(api, "jurisdictions/massachusetts/timeline/", {"limit": 2, "offset": 2}))

    assert body["count"] == 6
    assert [position["slug"] for position in body["results"]] == [
        "massachusetts-will-join-secure-communities-2010-12",
        "mary-beth-heffernan-opposes-2011-06-03",
    ]
    assert body["next"] == f"http://testserver{API}jurisdictions/massachusetts/timeline/?limit=2&offset=4"
    assert body["previous"] == f"http://testserver{API}jurisdictions/massachusetts/timeline/?limit=2"


# ---------------------------------------------------------------- paging


def test_a_page_holds_twenty_records_by_default(knowledge_base, api):
    body = page(get(api, "positions/"))

    assert body["count"] == 21
    assert len(body["results"]) == 20
    assert body["next"] == f"http://testserver{API}positions/?limit=20&offset=20"
    assert body["previous"] is None


def test_the_last_page_links_back_and_not_forward(knowledge_base, api):
    body = page(get(api, "positions/", {"offset": 20}))

    assert [position["slug"] for position in body["results"]] == ["law-enforcement-officials-oppose"]
    assert body["next"] is None
    assert body["previous"] == f"http://testserver{API}positions/?limit=20"


def test_limit_and_offset_pick_a_slice_of_the_default_order(knowledge_base, api):
    everything = slugs(get(api, "positions/", {"limit": 100}))

    assert slugs(get(api, "positions/", {"limit": 5, "offset": 3})) == everything[3:8]
    assert slugs(get(api, "positions/", {"limit": 100, "offset": 21})) == []


@pytest.mark.parametrize("resource", RESOURCES)
def test_following_next_visits_every_record_once(knowledge_base, api, resource):
    visited, url, params = [], API + f"{resource}/", {"limit": 2}
    while url:
        body = page(api.get(url, params))
        visited.extend(record["slug"] for record in body["results"])
        url, params = body["next"], None

    assert len(visited) == len(set(visited)) == len(curated()[resource])


def test_next_and_previous_keep_the_filters(knowledge_base, api):
    body = page(get(api, "positions/", {"stance": "opposes", "limit": 2, "offset": 2}))

    assert body["count"] == 6
    assert "stance=opposes" in body["next"] and "offset=4" in body["next"]
    assert "stance=opposes" in body["previous"]
    assert len(page(api.get(body["next"]))["results"]) == 2


def test_default_order_is_date_then_slug(knowledge_base, api):
    positions = page(get(api, "positions/", {"limit": 100}))["results"]

    assert [(p["date"], p["slug"]) for p in positions] == sorted((p["date"], p["slug"]) for p in positions)
    for resource in ("programs", "jurisdictions", "organizations", "officials", "sources"):
        listed = slugs(get(api, f"{resource}/", {"limit": 100}))
        assert listed == sorted(listed)


def test_head_answers_like_get_without_a_body(knowledge_base, api):
    response = api.head(API + "positions/")

    assert response.status_code == 200
    assert response.content == b""
