"""Reading the knowledge base through /api/v1/: lists, details by slug, references and `?expand=`,
citations that are verbatim in their sources, program facts, timelines and paging.

Every expected value comes from fixtures/kb.yaml, the curated facts.
"""

import pytest

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

# The fields the knowledge model of issue 12 adds, which each resource's records must show.
MODEL_FIELDS = {
    "programs": {"started_earliest", "started_latest", "started_precision", "started_edtf", "started_text"},
    "positions": {
        "event",
        "disputed",
        "versions",
        "date_earliest",
        "date_latest",
        "date_precision",
        "date_edtf",
        "date_text",
        "date_basis",
        "voices",
        "reasons",
        "citation_count",
        "independent_source_count",
        "in_force",
    },
    "sources": {
        "original_url",
        "published_earliest",
        "published_latest",
        "published_precision",
        "published_edtf",
        "published_text",
        "derived_from",
        "derivation",
        "parts",
    },
}
# Component names in the schema: a resource's list records, and its detail when that has more.
COMPONENTS = {
    "programs": "Program",
    "jurisdictions": "Jurisdiction",
    "organizations": "Organization",
    "officials": "Official",
    "positions": "Position",
    "sources": "Source",
}

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
    "sources": {"derived_from": "sources"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    """The OpenAPI schema, as a client downloads it: what the API documents each record to hold."""
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/", {"format": "json"}).json()


def documented_fields(schema, resource, detail=False):
    components = schema["components"]["schemas"]
    name = COMPONENTS[resource]
    if detail and f"{name}Detail" in components:
        name = f"{name}Detail"
    return set(components[name]["properties"])


def detail_only(schema, resource):
    """The fields the schema documents on a detail and not on a list record."""
    return documented_fields(schema, resource, detail=True) - documented_fields(schema, resource)


EVERY_RECORD = [(resource, record["slug"]) for resource in RESOURCES for record in curated()[resource]]


def all_results(client, path, params=None):
    """Every record of a list, following `next` links page by page."""
    results, url, params = [], API + path, {"limit": 100, **(params or {})}
    while url:
        body = page(client.get(url, params))
        results.extend(body["results"])
        url, params = body["next"], None
    return results


def source_texts(client):
    return {slug: get(client, f"sources/{slug}/").json()["text"] for slug in curated_slugs("sources")}


def citations_in(record):
    """Every citation a record shows: its own and those of its other names, facts, voices and reasons."""
    yield from record.get("citations", [])
    for nested in [
        *record.get("other_names", []),
        *record.get("facts", []),
        *record.get("voices", []),
        *record.get("reasons", []),
    ]:
        yield from citations_in(nested)


def curated_citations(record):
    """Every citation of a curated record, nested ones included, as (source, quote)."""
    found = []
    if isinstance(record, dict):
        for key, value in record.items():
            if key == "citations":
                found.extend((citation["source"], citation["quote"]) for citation in value)
            else:
                found.extend(curated_citations(value))
    elif isinstance(record, list):
        for value in record:
            found.extend(curated_citations(value))
    return found


def by_date(slugs_):
    """Curated positions in the API's default order: earliest day, then slug."""
    return sorted(slugs_, key=lambda slug: (curated_record("positions", slug)["date"]["earliest"], slug))


# ---------------------------------------------------------------- lists and details


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_is_a_page_of_every_curated_record(knowledge_base, api, resource):
    body = page(get(api, f"{resource}/", {"limit": 100}))

    assert body["count"] == len(curated()[resource])
    assert {record["slug"] for record in body["results"]} == curated_slugs(resource)
    assert body["previous"] is None


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_record_has_the_documented_fields_and_the_models(knowledge_base, api, schema, resource):
    for record in page(get(api, f"{resource}/", {"limit": 100}))["results"]:
        assert set(record) == documented_fields(schema, resource)
        assert MODEL_FIELDS.get(resource, set()) <= set(record)
        assert record["url"] == f"http://testserver{API}{resource}/{record['slug']}/"


def test_the_documented_detail_only_fields(schema):
    assert {resource: detail_only(schema, resource) for resource in RESOURCES} == {
        "programs": {"facts"},
        "jurisdictions": set(),
        "organizations": set(),
        "officials": set(),
        "positions": set(),
        "sources": {"text"},
    }


@pytest.mark.parametrize(("resource", "slug"), EVERY_RECORD)
def test_each_record_has_a_detail_by_slug(knowledge_base, api, schema, resource, slug):
    response = get(api, f"{resource}/{slug}/")

    assert response.status_code == 200
    record = response.json()
    assert set(record) == documented_fields(schema, resource, detail=True)
    assert record["slug"] == slug
    assert record["url"] == f"http://testserver{API}{resource}/{slug}/"


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_record_in_a_list_is_its_detail_without_the_detail_only_fields(knowledge_base, api, schema, resource):
    # One writer per record: the list and the detail are the same JSON, the list leaving out what
    # the schema documents as detail-only.
    for listed in page(get(api, f"{resource}/", {"limit": 100}))["results"]:
        detail = get(api, f"{resource}/{listed['slug']}/").json()
        assert listed == {name: value for name, value in detail.items() if name not in detail_only(schema, resource)}


@pytest.mark.parametrize(
    "timeline, params",
    [
        ("jurisdictions/united-states/timeline/", {}),
        ("officials/mary-beth-heffernan/timeline/", {}),
        ("organizations/centro-presente/timeline/", {}),
        ("jurisdictions/united-states/timeline/", {"as_of": "2011-06-03"}),
    ],
)
def test_a_position_on_a_timeline_is_the_same_as_in_the_positions_list(knowledge_base, api, timeline, params):
    listed = {record["slug"]: record for record in all_results(api, "positions/", params)}
    on_timeline = all_results(api, timeline, params)
    assert on_timeline
    for record in on_timeline:
        assert record == listed[record["slug"]]


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
            label = "title" if target == "sources" else "name"
            assert record[field]["name"] == curated_record(target, expected)[label]


def test_position_detail_is_the_curated_position(knowledge_base, api):
    position = get(api, "positions/massachusetts-refuses-secure-communities-2011-06-03/").json()

    assert position["stance"] == "refuses"
    assert (position["date_earliest"], position["date_latest"], position["date_precision"]) == (
        "2011-06-03",
        "2011-06-03",
        "day",
    )
    assert position["date_edtf"] == "2011-06-03"
    assert position["date_basis"] == "stated"
    assert position["date_text"] == "dated Friday"
    assert position["program"]["name"] == "Secure Communities"
    assert position["jurisdiction"]["name"] == "Massachusetts"
    assert position["official"] is None and position["organization"] is None
    assert (position["event"], position["disputed"], position["versions"]) == (None, False, [])
    assert position["in_force"] is None  # only with as_of


@pytest.mark.parametrize("slug", sorted(curated_slugs("positions")))
def test_position_fields_match_the_curated_facts(knowledge_base, api, slug):
    position = get(api, f"positions/{slug}/").json()
    facts = curated_record("positions", slug)

    for field in ("stance", "date_basis", "summary"):
        assert position[field] == facts[field]
    date = facts["date"]
    assert (position["date_earliest"], position["date_latest"]) == (str(date["earliest"]), str(date["latest"]))
    assert (position["date_precision"], position["date_text"]) == (date["precision"], date["text"])
    assert position["note"] == facts.get("note", "")
    assert (position["event"] or {}).get("slug") == facts.get("event")
    assert [(voice["rank"], (voice["official"] or voice["organization"])["slug"]) for voice in position["voices"]] == [
        (voice.get("rank", index), voice.get("official") or voice.get("organization"))
        for index, voice in enumerate(facts.get("voices", []))
    ]
    assert [(reason["topic"], reason["summary"]) for reason in position["reasons"]] == [
        (reason["topic"], reason["summary"]) for reason in facts.get("reasons", [])
    ]


@pytest.mark.parametrize(
    "slug, edtf",
    [
        ("new-york-withdraws-2011-06", "2011-05-30/2011-06-05"),  # a week
        ("illinois-withdraws-2011-05", "2011-05-01/2011-05-10"),  # a range
        ("massachusetts-will-join-secure-communities-2010-12", "2010-12"),  # a month
        ("boston-participates-since-2006", "2006"),  # a year
        ("illinois-refuses", "2011-06-06"),  # a day
    ],
)
def test_each_date_has_its_edtf_form(knowledge_base, api, slug, edtf):
    assert get(api, f"positions/{slug}/").json()["date_edtf"] == edtf


def test_source_list_leaves_out_the_text_and_its_detail_has_it(knowledge_base, api):
    listed = page(get(api, "sources/"))["results"]
    detail = get(api, "sources/boston-herald-patrick-refuses-to-sign/").json()

    assert all("text" not in source for source in listed)
    assert detail["text"].startswith("Massachusetts Governor Deval Patrick Refuses to Sign onto S-Comm")
    assert detail["publisher"] == "Boston Herald"
    assert detail["authors"] == ["Hillary Chabot"]
    assert (detail["published_earliest"], detail["published_latest"], detail["published_precision"]) == (
        "2011-06-06",
        "2011-06-06",
        "day",
    )
    assert detail["published_text"] == "Monday, June 6, 2011" and detail["published_text"] in detail["text"]
    assert detail["original_url"] == ""


@pytest.mark.parametrize("slug", sorted(curated_slugs("sources")))
def test_source_parts_are_where_the_curators_marked_them(knowledge_base, api, slug):
    source = get(api, f"sources/{slug}/").json()
    curated_parts = curated_record("sources", slug).get("parts", [])

    assert [part["kind"] for part in source["parts"]] == [part["kind"] for part in curated_parts]
    for part, marked in zip(source["parts"], curated_parts, strict=True):
        spanned = source["text"][part["start"] : part["end"]]
        if "from" in marked:
            assert spanned.startswith(marked["from"]) and part["end"] == len(source["text"])
        else:
            assert spanned == marked["quote"]
        assert part["author"] == (marked.get("author") or "")


def test_source_lineage_is_the_curated_one(knowledge_base, api):
    for source in page(get(api, "sources/"))["results"]:
        expected = curated_record("sources", source["slug"])
        assert (source["derived_from"] or {}).get("slug") == expected.get("derived_from")
        assert source["derivation"] == (expected.get("derivation") or "")


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
        assert [(voice["official"] or voice["organization"])["slug"] for voice in fact["voices"]] == [
            voice.get("official") or voice.get("organization") for voice in expected.get("voices", [])
        ]
        date = expected.get("date") or {}
        assert (fact["date_earliest"], fact["date_latest"], fact["date_precision"]) == (
            str(date["earliest"]) if date else None,
            str(date["latest"]) if date else None,
            date.get("precision", ""),
        )
        if expected.get("jurisdiction"):
            assert is_ref(fact["jurisdiction"], "jurisdictions", slug=expected["jurisdiction"])
        else:
            assert fact["jurisdiction"] is None


def test_program_facts_are_in_date_order_undated_last(knowledge_base, api):
    facts = get(api, "programs/secure-communities/").json()["facts"]
    dated = [fact["date_earliest"] for fact in facts if fact["date_earliest"]]

    assert dated == sorted(dated)
    assert [fact["date_earliest"] for fact in facts][len(dated) :] == [None] * (len(facts) - len(dated))


def test_program_fact_values_keep_their_qualifier_and_unit(knowledge_base, api):
    facts = {fact["slug"]: fact for fact in get(api, "programs/secure-communities/").json()["facts"]}

    deported = facts["deported-more-than-77000-criminals"]
    assert deported["value"] == 77000
    assert deported["value_qualifier"] == "more_than"
    assert deported["unit"] == "criminals deported"
    assert (deported["date_earliest"], deported["date_latest"], deported["date_edtf"]) == (
        "2011-04-30",
        "2011-04-30",
        "2011-04-30",
    )
    one_in_four = facts["boston-one-in-four-serious-criminals"]
    assert one_in_four["value"] == 0.25
    assert (one_in_four["date_earliest"], one_in_four["date_precision"], one_in_four["date_edtf"]) == (None, "", "")


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
    assert {name["name"] for name in program["other_names"]} == {"Secure Communities Program"}


@pytest.mark.parametrize("resource", ["officials", "organizations", "programs"])
def test_other_names_are_the_curated_ones(knowledge_base, api, resource):
    for record in page(get(api, f"{resource}/"))["results"]:
        expected = curated_record(resource, record["slug"]).get("other_names", [])
        assert {name["name"] for name in record["other_names"]} == {name["name"] for name in expected}


def test_timeline_urls_point_at_the_timelines(knowledge_base, api):
    jurisdiction = get(api, "jurisdictions/massachusetts/").json()
    official = get(api, "officials/deval-patrick/").json()
    organization = get(api, "organizations/centro-presente/").json()

    assert jurisdiction["timeline_url"] == f"http://testserver{API}jurisdictions/massachusetts/timeline/"
    assert official["timeline_url"] == f"http://testserver{API}officials/deval-patrick/timeline/"
    assert organization["timeline_url"] == f"http://testserver{API}organizations/centro-presente/timeline/"


# ---------------------------------------------------------------- citations


@pytest.mark.parametrize("slug", sorted(curated_slugs("positions")))
def test_position_citations_voices_and_reasons_are_the_curated_quotes(knowledge_base, api, slug):
    position = get(api, f"positions/{slug}/").json()
    expected = curated_record("positions", slug)

    assert sorted((c["source"], c["quote"]) for c in position["citations"]) == sorted(
        (c["source"], c["quote"]) for c in expected["citations"]
    )
    for shown, curated_child in [
        *zip(position["voices"], expected.get("voices", []), strict=True),
        *zip(position["reasons"], expected.get("reasons", []), strict=True),
    ]:
        assert sorted((c["source"], c["quote"]) for c in shown["citations"]) == sorted(
            (c["source"], c["quote"]) for c in curated_child["citations"]
        )
    for citation in citations_in(position):
        assert set(citation) == {"source", "source_url", "quote", "start", "end"}
        assert citation["source_url"] == f"http://testserver{API}sources/{citation['source']}/"
        assert citation["end"] - citation["start"] == len(citation["quote"])
    assert position["citation_count"] == len(expected["citations"])


def test_every_citation_is_verbatim_in_its_source_at_its_offsets(knowledge_base, api):
    texts = source_texts(api)
    checked = 0

    for resource in ("positions", "programs", "organizations", "officials"):
        for slug in sorted(curated_slugs(resource)):
            for citation in citations_in(get(api, f"{resource}/{slug}/").json()):
                assert texts[citation["source"]][citation["start"] : citation["end"]] == citation["quote"]
                checked += 1

    assert checked == len(curated_citations(curated()))  # every citation in the knowledge base


def test_position_citations_are_ordered_by_source_then_offset(knowledge_base, api):
    citations = get(api, "positions/massachusetts-refuses-secure-communities-2011-06-03/").json()["citations"]

    assert [(c["source"], c["start"]) for c in citations] == sorted((c["source"], c["start"]) for c in citations)
    assert len(citations) == len(
        curated_record("positions", "massachusetts-refuses-secure-communities-2011-06-03")["citations"]
    )


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
    ("positions", "boston-participates-since-2006", "jurisdiction", "jurisdictions"),
    ("positions", "centro-presente-opposes", "organization", "organizations"),
    ("sources", "wbur-mass-wont-join-immigration-check-program", "derived_from", "sources"),
]


@pytest.mark.parametrize(("resource", "slug", "field", "target"), EXPANSIONS)
def test_expand_inlines_the_whole_related_record_on_a_detail(
    knowledge_base, api, schema, resource, slug, field, target
):
    plain = get(api, f"{resource}/{slug}/").json()
    expanded = get(api, f"{resource}/{slug}/", {"expand": field}).json()
    related = get(api, f"{target}/{plain[field]['slug']}/").json()
    for name in detail_only(schema, target):
        related.pop(name)

    assert expanded[field] == related
    assert {name: value for name, value in expanded.items() if name != field} == {
        name: value for name, value in plain.items() if name != field
    }


@pytest.mark.parametrize(("resource", "slug", "field", "target"), EXPANSIONS)
def test_expand_inlines_the_related_record_on_a_list(knowledge_base, api, schema, resource, slug, field, target):
    listed = {record["slug"]: record for record in all_results(api, f"{resource}/", {"expand": field})}

    assert set(listed[slug][field]) == documented_fields(schema, target)
    for record in listed.values():
        assert record[field] is None or set(record[field]) == documented_fields(schema, target)


def test_expand_takes_several_fields_at_once(knowledge_base, api):
    position = get(
        api,
        "positions/centro-presente-opposes/",
        {"expand": "program,official,jurisdiction,organization"},
    ).json()

    assert position["program"]["description"].startswith("Department of Homeland Security program")
    assert position["organization"]["kind"] == "advocacy_group"
    assert position["official"] is None and position["jurisdiction"] is None


def test_expanded_records_keep_their_own_references_as_references(knowledge_base, api):
    organization = get(api, "positions/centro-presente-opposes/", {"expand": "organization"}).json()["organization"]

    assert is_ref(organization["jurisdiction"], "jurisdictions", slug="massachusetts")


def test_expand_on_a_timeline_inlines_the_related_records(knowledge_base, api):
    results = page(get(api, "jurisdictions/illinois/timeline/", {"expand": "jurisdiction"}))["results"]

    assert [position["jurisdiction"]["ocd_id"] for position in results] == ["ocd-division/country:us/state:il"] * 3


# ---------------------------------------------------------------- timelines


def test_jurisdiction_timeline_is_in_date_order_and_includes_boston(knowledge_base, api):
    assert slugs(get(api, "jurisdictions/massachusetts/timeline/")) == [
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
        "massachusetts-will-join-secure-communities-2010-12",
        "massachusetts-refuses-secure-communities-2011-06-03",
        "boston-participates-2011",
    ]


def test_jurisdiction_timeline_of_a_country_includes_every_state_and_city(knowledge_base, api):
    timeline = slugs(get(api, "jurisdictions/united-states/timeline/", {"limit": 100}))

    # Positions of organizations with no jurisdiction are nobody's here: the holder is the organization.
    expected = {position["slug"] for position in curated()["positions"] if position.get("jurisdiction")}
    assert timeline == by_date(expected)
    assert len(expected) == 13


def test_jurisdiction_timeline_of_a_city_has_only_the_city(knowledge_base, api):
    assert slugs(get(api, "jurisdictions/boston/timeline/")) == [
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
        "boston-participates-2011",
    ]


def test_an_officials_timeline_is_what_the_official_voiced_in_date_order(knowledge_base, api):
    assert slugs(get(api, "officials/deval-patrick/timeline/")) == [
        "massachusetts-will-join-secure-communities-2010-12",
        "massachusetts-refuses-secure-communities-2011-06-03",
    ]
    assert slugs(get(api, "officials/pat-quinn/timeline/")) == ["illinois-withdraws-2011-05", "illinois-refuses"]
    assert slugs(get(api, "officials/mary-beth-heffernan/timeline/")) == [
        "massachusetts-refuses-secure-communities-2011-06-03",
        "law-enforcement-officials-oppose",  # she relays them (rank 0 of a chain)
    ]


def test_an_organizations_timeline_is_what_it_held_and_what_it_voiced(knowledge_base, api):
    assert slugs(get(api, "organizations/centro-presente/timeline/")) == ["centro-presente-opposes"]
    assert slugs(get(api, "organizations/patrick-administration/timeline/")) == [
        "massachusetts-will-join-secure-communities-2010-12"
    ]
    assert slugs(get(api, "organizations/law-enforcement-officials/timeline/")) == ["law-enforcement-officials-oppose"]
    assert slugs(get(api, "organizations/boston-police-department/timeline/")) == []  # no longer a holder


def test_a_timeline_with_nothing_in_range_is_an_empty_page(knowledge_base, api):
    assert slugs(get(api, "officials/andrew-cuomo/timeline/")) == ["new-york-withdraws-2011-06"]
    assert page(get(api, "jurisdictions/new-york/timeline/"))["count"] == 3
    assert slugs(get(api, "jurisdictions/new-york/timeline/", {"date_before": "2011-05-29"})) == []


def test_timeline_is_filtered_by_program(knowledge_base, api):
    assert page(get(api, "jurisdictions/massachusetts/timeline/", {"program": "secure-communities"}))["count"] == 5
    assert page(get(api, "officials/deval-patrick/timeline/", {"program": "secure-communities"}))["count"] == 2


def test_timeline_takes_the_position_filters(knowledge_base, api):
    assert slugs(get(api, "jurisdictions/massachusetts/timeline/", {"stance": "participates"})) == [
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
        "boston-participates-2011",
    ]
    # Boston is one holder (issue 12: the police department no longer splits it in two), so its
    # 2008 participation superseded the one since 2006.
    assert slugs(get(api, "jurisdictions/massachusetts/timeline/", {"as_of": "2010-12-31"})) == [
        "boston-continues-after-2008-expansion",
        "massachusetts-will-join-secure-communities-2010-12",
    ]


def test_timeline_can_be_ordered_otherwise(knowledge_base, api):
    assert slugs(get(api, "officials/deval-patrick/timeline/", {"ordering": "-date_earliest"})) == [
        "massachusetts-refuses-secure-communities-2011-06-03",
        "massachusetts-will-join-secure-communities-2010-12",
    ]


def test_timeline_is_paged(knowledge_base, api):
    body = page(get(api, "jurisdictions/massachusetts/timeline/", {"limit": 2, "offset": 2}))

    assert body["count"] == 5
    assert [position["slug"] for position in body["results"]] == [
        "massachusetts-will-join-secure-communities-2010-12",
        "massachusetts-refuses-secure-communities-2011-06-03",
    ]
    assert body["next"] == f"http://testserver{API}jurisdictions/massachusetts/timeline/?limit=2&offset=4"
    assert body["previous"] == f"http://testserver{API}jurisdictions/massachusetts/timeline/?limit=2"


# ---------------------------------------------------------------- paging

POSITIONS = len(curated()["positions"])


def test_a_page_holds_twenty_records_by_default(knowledge_base, api):
    body = page(get(api, "positions/"))

    assert body["count"] == POSITIONS > 20
    assert len(body["results"]) == 20
    assert body["next"] == f"http://testserver{API}positions/?limit=20&offset=20"
    assert body["previous"] is None


def test_the_last_page_links_back_and_not_forward(knowledge_base, api):
    body = page(get(api, "positions/", {"offset": 20}))

    assert [position["slug"] for position in body["results"]] == by_date(curated_slugs("positions"))[20:]
    assert body["next"] is None
    assert body["previous"] == f"http://testserver{API}positions/?limit=20"


def test_limit_and_offset_pick_a_slice_of_the_default_order(knowledge_base, api):
    everything = slugs(get(api, "positions/", {"limit": 100}))

    assert slugs(get(api, "positions/", {"limit": 5, "offset": 3})) == everything[3:8]
    assert slugs(get(api, "positions/", {"limit": 100, "offset": POSITIONS})) == []


def test_a_hundred_is_the_largest_page(knowledge_base, api):
    body = page(get(api, "positions/", {"limit": 100}))

    assert len(body["results"]) == POSITIONS
    assert body["next"] is None


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

    assert body["count"] == len(curated_slugs("positions", stance="opposes")) == 5
    assert "stance=opposes" in body["next"] and "offset=4" in body["next"]
    assert "stance=opposes" in body["previous"]
    assert len(page(api.get(body["next"]))["results"]) == 1


def test_default_order_is_earliest_day_then_slug(knowledge_base, api):
    assert slugs(get(api, "positions/", {"limit": 100})) == by_date(curated_slugs("positions"))
    for resource in ("programs", "jurisdictions", "organizations", "officials", "sources"):
        listed = slugs(get(api, f"{resource}/", {"limit": 100}))
        assert listed == sorted(listed)


def test_head_answers_like_get_without_a_body(knowledge_base, api):
    response = api.head(API + "positions/")

    assert response.status_code == 200
    assert response.content == b""
