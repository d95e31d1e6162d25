"""Every filter of every list, each with a case that matches and one that does not (as NetBox's
filterset tests do); `as_of`; free-text search; ordering by each documented field, both ways.

Expected sets come from fixtures/kb.yaml, the curated facts.
"""

import datetime
import re
from urllib.parse import urlencode

import pytest

from kb.models import Jurisdiction, Official, Organization, Program, Source
from tests.api_helpers import (  # noqa: F401  (fixtures)
    assert_error,
    curated,
    curated_slugs,
    get,
    page,
    slugs,
)

MA_REFUSES = "massachusetts-refuses-secure-communities-2011-06-03"
MA_WILL_JOIN = "massachusetts-will-join-secure-communities-2010-12"
HEFFERNAN_OPPOSES = "mary-beth-heffernan-opposes-2011-06-03"
BOSTON = {"boston-participates-since-2006", "boston-continues-after-2008-expansion", "boston-participates-2011"}
MASSACHUSETTS = {MA_WILL_JOIN, MA_REFUSES, HEFFERNAN_OPPOSES}


def query(params):
    return urlencode(params, doseq=True)


def found(client, resource, params):
    """The set of slugs a list answers with, on a page big enough for all of them."""
    return set(slugs(get(client, f"{resource}/", {"limit": 100, **params})))


def dated(**where):
    """Curated positions whose date satisfies every (operator, day) in `where`."""
    tests = {"after": lambda d, day: d >= day, "before": lambda d, day: d <= day}
    return {
        position["slug"]
        for position in curated()["positions"]
        if all(tests[name](position["date"], datetime.date.fromisoformat(day)) for name, day in where.items())
    }


def positions_citing(source):
    return {
        position["slug"]
        for position in curated()["positions"]
        if any(citation["source"] == source for citation in position["citations"])
    }


# ---------------------------------------------------------------- positions

POSITION_FILTERS = [
    # program
    ({"program": "secure-communities"}, curated_slugs("positions")),
    # jurisdiction: the state's own positions and those of its officials (Heffernan names no jurisdiction)
    ({"jurisdiction": "massachusetts"}, MASSACHUSETTS),
    ({"jurisdiction": "boston"}, BOSTON),
    ({"jurisdiction": "california"}, curated_slugs("positions", jurisdiction="california")),
    ({"jurisdiction": "united-states"}, set()),
    ({"jurisdiction": "massachusetts", "include_sub_jurisdictions": "true"}, MASSACHUSETTS | BOSTON),
    ({"jurisdiction": "massachusetts", "include_sub_jurisdictions": "false"}, MASSACHUSETTS),
    ({"jurisdiction": "boston", "include_sub_jurisdictions": "true"}, BOSTON),
    (
        {"jurisdiction": "new-york", "include_sub_jurisdictions": "true"},
        curated_slugs("positions", jurisdiction="new-york"),
    ),
    # official
    ({"official": "deval-patrick"}, {MA_WILL_JOIN, MA_REFUSES}),
    ({"official": "pat-quinn"}, {"illinois-withdraws-2011-05", "illinois-refuses"}),
    ({"official": "patricia-montes"}, {"patricia-montes-opposes"}),
    ({"official": "andrew-cuomo", "stance": "refuses"}, set()),
    # organization
    ({"organization": "centro-presente"}, {"centro-presente-opposes", "patricia-montes-opposes"}),
    ({"organization": "boston-police-department"}, {"boston-participates-since-2006"}),
    ({"organization": "department-of-homeland-security"}, set()),
    # stance: one, then several
    ({"stance": "refuses"}, {MA_REFUSES, "new-york-refuses-globe-version", "illinois-refuses"}),
    ({"stance": "will_join"}, {MA_WILL_JOIN}),
    ({"stance": "considering_withdrawal"}, curated_slugs("positions", jurisdiction="california")),
    ({"stance": "supports"}, curated_slugs("positions", stance="supports")),
    (
        {"stance": ["refuses", "withdraws"]},
        curated_slugs("positions", stance="refuses") | curated_slugs("positions", stance="withdraws"),
    ),
    ({"stance": ["will_join", "participates"]}, {MA_WILL_JOIN} | BOSTON),
    ({"stance": "will_join", "jurisdiction": "boston"}, set()),
    # date_precision
    (
        {"date_precision": "year"},
        {"boston-participates-since-2006", "boston-continues-after-2008-expansion", "tea-party-activists-support-2011"},
    ),
    ({"date_precision": "month"}, curated_slugs("positions", date_precision="month")),
    ({"date_precision": "day"}, curated_slugs("positions", date_precision="day")),
    ({"date_precision": "year", "stance": "refuses"}, set()),
    # date_after, date_before: both inclusive
    ({"date_after": "2011-06-06"}, dated(after="2011-06-06")),
    ({"date_after": "2011-06-07"}, set()),
    ({"date_before": "2008-12-31"}, {"boston-participates-since-2006", "boston-continues-after-2008-expansion"}),
    ({"date_before": "2008-01-01"}, {"boston-participates-since-2006", "boston-continues-after-2008-expansion"}),
    ({"date_before": "2005-12-31"}, set()),
    ({"date_after": "2011-06-01", "date_before": "2011-06-03"}, dated(after="2011-06-01", before="2011-06-03")),
    ({"date_after": "2011-06-04", "date_before": "2011-06-05"}, set()),
    # source: positions with a citation from it
    (
        {"source": "blog-patrick-refuses-to-join-secure-communities"},
        {"boston-participates-since-2006", MA_REFUSES, HEFFERNAN_OPPOSES},
    ),
    ({"source": "boston-herald-patrick-refuses-to-sign"}, positions_citing("boston-herald-patrick-refuses-to-sign")),
    ({"source": "boston-herald-patrick-refuses-to-sign", "stance": "supports"}, set()),
]


@pytest.mark.parametrize(
    ("params", "expected"), POSITION_FILTERS, ids=[query(params) for params, _ in POSITION_FILTERS]
)
def test_position_filter(knowledge_base, api, params, expected):
    assert found(api, "positions", params) == expected


def test_the_filter_fixtures_are_not_vacuous():
    """Each non-empty expectation above names real positions (a typo would make an empty set)."""
    everything = curated_slugs("positions")
    assert len(everything) == 21
    for _, expected in POSITION_FILTERS:
        assert expected <= everything
    assert len(positions_citing("boston-herald-patrick-refuses-to-sign")) == 8
    assert len(dated(after="2011-06-06")) == 8


def test_program_filter_leaves_out_another_programs_positions(knowledge_base, api):
    ice = Organization.objects.get(slug="immigration-and-customs-enforcement")
    Program.objects.create(slug="e-verify", name="E-Verify", agency=ice, description="Employment eligibility checks.")

    assert found(api, "positions", {"program": "e-verify"}) == set()
    assert len(found(api, "positions", {"program": "secure-communities"})) == 21


def test_official_filter_of_an_official_without_positions_is_empty(knowledge_base, api):
    boston = Jurisdiction.objects.get(slug="boston")
    Official.objects.create(slug="thomas-menino", name="Thomas Menino", role="Mayor of Boston", jurisdiction=boston)

    assert found(api, "positions", {"official": "thomas-menino"}) == set()
    # His city's positions stay the city's: an official's jurisdiction does not make them his.
    assert found(api, "positions", {"jurisdiction": "boston"}) == BOSTON


def test_source_filter_of_an_uncited_source_is_empty(knowledge_base, api):
    Source.objects.create(slug="uncited", kind="blog_post", file_name="uncited.txt", text="Nothing cited here.")

    assert found(api, "positions", {"source": "uncited"}) == set()


def test_include_sub_jurisdictions_alone_changes_nothing(knowledge_base, api):
    assert found(api, "positions", {"include_sub_jurisdictions": "true"}) == curated_slugs("positions")


# ---------------------------------------------------------------- as_of


def test_as_of_the_end_of_2010_massachusetts_will_join(knowledge_base, api):
    positions = page(get(api, "positions/", {"as_of": "2010-12-31", "jurisdiction": "massachusetts"}))["results"]

    assert [(p["slug"], p["stance"]) for p in positions] == [(MA_WILL_JOIN, "will_join")]


def test_as_of_the_day_of_the_news_massachusetts_refuses(knowledge_base, api):
    positions = page(get(api, "positions/", {"as_of": "2011-06-06", "jurisdiction": "massachusetts"}))["results"]
    state = [p for p in positions if p["jurisdiction"] and p["jurisdiction"]["slug"] == "massachusetts"]

    assert [(p["slug"], p["stance"]) for p in state] == [(MA_REFUSES, "refuses")]
    # Heffernan, who names no jurisdiction, is a holder of her own; her stance stands beside the state's.
    assert {p["slug"] for p in positions} == {MA_REFUSES, HEFFERNAN_OPPOSES}


def test_as_of_the_day_of_the_refusal_letter_it_is_in_force(knowledge_base, api):
    assert found(api, "positions", {"as_of": "2011-06-03", "jurisdiction": "massachusetts"}) == {
        MA_REFUSES,
        HEFFERNAN_OPPOSES,
    }
    assert found(api, "positions", {"as_of": "2011-06-02", "jurisdiction": "massachusetts"}) == {MA_WILL_JOIN}


def test_as_of_with_stance_lists_who_had_refused_by_then(knowledge_base, api):
    refusals = page(get(api, "positions/", {"as_of": "2011-06-06", "stance": "refuses"}))["results"]

    assert {p["slug"] for p in refusals} == {MA_REFUSES, "new-york-refuses-globe-version", "illinois-refuses"}
    assert {p["jurisdiction"]["slug"] for p in refusals} == {"massachusetts", "new-york", "illinois"}


def test_as_of_before_massachusetts_refused_only_new_york_had(knowledge_base, api):
    # Illinois had withdrawn (May 2011), not refused; Massachusetts still said it would join.
    assert found(api, "positions", {"as_of": "2011-06-02", "stance": "refuses"}) == {"new-york-refuses-globe-version"}
    assert found(api, "positions", {"as_of": "2011-06-02", "stance": "withdraws"}) == {
        "illinois-withdraws-2011-05",
        "new-york-withdraws-2011-06",
    }


def test_as_of_keeps_disagreeing_versions_of_the_same_day(knowledge_base, api):
    # New York withdrew (Herald) or refused (Globe), both June 2011: both versions stand.
    assert found(api, "positions", {"as_of": "2011-06-30", "jurisdiction": "new-york"}) == {
        "new-york-withdraws-2011-06",
        "new-york-refuses-globe-version",
    }
    assert found(api, "positions", {"as_of": "2011-06-30", "jurisdiction": "illinois"}) == {"illinois-refuses"}


def test_as_of_counts_the_holder_not_the_voice(knowledge_base, api):
    # Boston through its police since 2006 and Boston itself are two holders; the city's 2011 position
    # supersedes its 2008 one.
    assert found(api, "positions", {"as_of": "2011-06-06", "jurisdiction": "boston"}) == {
        "boston-participates-since-2006",
        "boston-participates-2011",
    }
    # Centro Presente and its director speaking for it are one holder, the same day: both kept.
    assert found(api, "positions", {"as_of": "2011-06-30", "organization": "centro-presente"}) == {
        "centro-presente-opposes",
        "patricia-montes-opposes",
    }


def test_as_of_a_day_before_everything_is_empty(knowledge_base, api):
    assert found(api, "positions", {"as_of": "2005-12-31"}) == set()
    assert found(api, "positions", {"as_of": "2006-01-01"}) == {"boston-participates-since-2006"}


def test_as_of_gives_one_current_stance_per_holder(knowledge_base, api):
    current = page(get(api, "positions/", {"as_of": "2011-12-31", "limit": 100}))["results"]

    # Superseded: Massachusetts' will_join, Illinois' withdrawal and Boston's 2008 position.
    assert {p["slug"] for p in current} == curated_slugs("positions") - {
        MA_WILL_JOIN,
        "illinois-withdraws-2011-05",
        "boston-continues-after-2008-expansion",
    }


# ---------------------------------------------------------------- other resources

OTHER_FILTERS = [
    # officials
    ("officials", {"jurisdiction": "massachusetts"}, {"deval-patrick", "mary-beth-heffernan"}),
    ("officials", {"jurisdiction": "boston"}, set()),
    ("officials", {"organization": "centro-presente"}, {"patricia-montes"}),
    ("officials", {"organization": "greater-boston-tea-party"}, {"christen-varley"}),
    ("officials", {"organization": "department-of-homeland-security"}, set()),
    ("officials", {"role": "governor"}, {"deval-patrick", "andrew-cuomo", "pat-quinn"}),
    ("officials", {"role": "Public Safety"}, {"mary-beth-heffernan"}),
    ("officials", {"role": "mayor"}, set()),
    ("officials", {"role": "governor", "jurisdiction": "illinois"}, {"pat-quinn"}),
    # jurisdictions
    ("jurisdictions", {"kind": "state"}, {"massachusetts", "new-york", "illinois", "california"}),
    ("jurisdictions", {"kind": "city"}, {"boston"}),
    ("jurisdictions", {"kind": "country"}, {"united-states"}),
    ("jurisdictions", {"kind": "city", "parent": "new-york"}, set()),
    ("jurisdictions", {"parent": "united-states"}, {"massachusetts", "new-york", "illinois", "california"}),
    ("jurisdictions", {"parent": "massachusetts"}, {"boston"}),
    ("jurisdictions", {"parent": "boston"}, set()),
    # organizations
    ("organizations", {"kind": "informal_group"}, curated_slugs("organizations", kind="informal_group")),
    ("organizations", {"kind": "police_department"}, {"boston-police-department"}),
    (
        "organizations",
        {"kind": "government_agency"},
        {"department-of-homeland-security", "immigration-and-customs-enforcement"},
    ),
    ("organizations", {"kind": "government_agency", "jurisdiction": "boston"}, set()),
    (
        "organizations",
        {"jurisdiction": "united-states"},
        {"department-of-homeland-security", "immigration-and-customs-enforcement"},
    ),
    ("organizations", {"jurisdiction": "massachusetts"}, {"centro-presente"}),
    ("organizations", {"jurisdiction": "new-york"}, set()),
    # programs
    ("programs", {"agency": "immigration-and-customs-enforcement"}, {"secure-communities"}),
    ("programs", {"agency": "centro-presente"}, set()),
    # sources
    ("sources", {"publisher": "Boston Herald"}, {"boston-herald-patrick-refuses-to-sign"}),
    ("sources", {"publisher": "boston herald"}, {"boston-herald-patrick-refuses-to-sign"}),
    ("sources", {"publisher": "Herald"}, set()),
    ("sources", {"kind": "radio_story"}, {"wbur-mass-wont-join-immigration-check-program"}),
    ("sources", {"kind": "blog_post"}, {"blog-patrick-refuses-to-join-secure-communities"}),
    ("sources", {"kind": "news_article"}, curated_slugs("sources", kind="news_article")),
    ("sources", {"kind": "radio_story", "publisher": "Boston Herald"}, set()),
    ("sources", {"published_after": "2011-06-06"}, curated_slugs("sources", published="2011-06-06")),
    ("sources", {"published_after": "2011-06-07"}, set()),
    ("sources", {"published_before": "2011-06-06"}, curated_slugs("sources", published="2011-06-06")),
    ("sources", {"published_before": "2011-06-05"}, set()),
]


@pytest.mark.parametrize(
    ("resource", "params", "expected"),
    OTHER_FILTERS,
    ids=[f"{resource}?{query(params)}" for resource, params, _ in OTHER_FILTERS],
)
def test_filter(knowledge_base, api, resource, params, expected):
    assert found(api, resource, params) == expected


def test_sources_without_a_publication_date_match_no_date_filter(knowledge_base, api):
    undated = curated_slugs("sources", published=None)

    assert len(undated) == 3
    assert not undated & found(api, "sources", {"published_after": "1900-01-01"})
    assert not undated & found(api, "sources", {"published_before": "2100-01-01"})


# ---------------------------------------------------------------- search

SEARCHES = [
    # a variant spelling finds the person
    ("officials", "Mary E. Heffernan", {"mary-beth-heffernan"}),
    ("officials", "mary e. heffernan", {"mary-beth-heffernan"}),
    # a word prefix, asked for with *
    ("officials", "heff*", {"mary-beth-heffernan"}),
    ("officials", "Gov*", {"deval-patrick", "andrew-cuomo", "pat-quinn"}),
    # a word is whole: no prefix without *, nor inside a word
    ("officials", "heff", set()),
    ("officials", "overnor*", set()),
    # every word must match (AND)
    ("officials", "governor massachusetts", {"deval-patrick"}),
    ("officials", "governor texas", set()),
    ("officials", "Secretary", {"mary-beth-heffernan"}),
    # programs: other names, description, fact statements
    ("programs", "S-Comm", {"secure-communities"}),
    ("programs", "aggravated felonies", {"secure-communities"}),
    ("programs", "E-Verify", set()),
    # positions: a quote fragment, a holder's other name, a note
    ("positions", "sweep criminals", {"tea-party-activists-support-2011"}),
    ("positions", "dubious commonwealth", {HEFFERNAN_OPPOSES}),
    ("positions", "Menino", {"boston-participates-2011"}),
    ("positions", "Cuomo", {"new-york-withdraws-2011-06"}),
    ("positions", "Cuomo Menino", set()),
    ("positions", "fingerprint", set()),
    # sources: full text, author, publisher
    ("sources", "Menino", {"boston-globe-patrick-wont-sign"}),
    ("sources", "Chabot", {"boston-herald-patrick-refuses-to-sign"}),
    ("sources", "WBUR", {"wbur-mass-wont-join-immigration-check-program"}),
    ("sources", "dubious", curated_slugs("sources")),
    ("sources", "dubious Menino", {"boston-globe-patrick-wont-sign"}),
    ("sources", "xylophone", set()),
    # organizations: names, other names, description
    ("organizations", "Somerville", {"centro-presente"}),
    ("organizations", "US Immigration", {"immigration-and-customs-enforcement"}),
    ("organizations", "police", {"boston-police-department", "domestic-violence-advocates"}),
    ("organizations", "xylophone", set()),
    # jurisdictions: name and Open Civic Data id
    ("jurisdictions", "York", {"new-york"}),
    ("jurisdictions", "state:ma", {"massachusetts", "boston"}),  # words of an OCD id, alike on PostgreSQL
    ("jurisdictions", "Texas", set()),
]


@pytest.mark.parametrize(("resource", "query", "expected"), SEARCHES)
def test_search(knowledge_base, api, resource, query, expected):
    assert found(api, resource, {"search": query}) == expected


@pytest.mark.parametrize("resource", ["jurisdictions", "organizations", "officials", "programs"])
def test_search_finds_each_record_by_each_word_of_its_name(knowledge_base, api, resource):
    for record in curated()[resource]:
        for word in re.findall(r"\w+", record["name"]):
            assert record["slug"] in found(api, resource, {"search": word}), (record["slug"], word)


def test_search_combines_with_filters(knowledge_base, api):
    assert found(api, "positions", {"search": "Heffernan", "stance": "opposes"}) == {
        HEFFERNAN_OPPOSES,
        "law-enforcement-officials-oppose",
    }
    assert found(api, "positions", {"search": "Heffernan", "stance": "supports"}) == set()


def test_search_without_words_filters_nothing(knowledge_base, api):
    assert found(api, "officials", {"search": "  "}) == curated_slugs("officials")
    assert found(api, "officials", {"search": ""}) == curated_slugs("officials")


def test_search_finds_a_record_written_through_the_api_after_loading(knowledge_base, api):
    centro = Organization.objects.get(slug="centro-presente")
    centro.other_names.create(name="Centro Presente Inc")

    assert found(api, "organizations", {"search": "Inc"}) == {"centro-presente"}
    assert found(api, "positions", {"search": "Inc"}) == {"centro-presente-opposes", "patricia-montes-opposes"}


# ---------------------------------------------------------------- ordering

# Each list's documented ordering fields, and how to read the ordered value off a record.
ORDERINGS = {
    "positions": {
        "date": lambda r: r["date"],
        "slug": lambda r: r["slug"],
        "stance": lambda r: r["stance"],
        "program": lambda r: r["program"]["slug"],
    },
    "officials": {"name": lambda r: r["name"], "slug": lambda r: r["slug"], "role": lambda r: r["role"]},
    "organizations": {"name": lambda r: r["name"], "slug": lambda r: r["slug"], "kind": lambda r: r["kind"]},
    "jurisdictions": {"name": lambda r: r["name"], "slug": lambda r: r["slug"], "kind": lambda r: r["kind"]},
    "programs": {"name": lambda r: r["name"], "slug": lambda r: r["slug"], "started_on": lambda r: r["started_on"]},
    "sources": {
        "published_on": lambda r: r["published_on"],
        "title": lambda r: r["title"],
        "publisher": lambda r: r["publisher"],
        "slug": lambda r: r["slug"],
    },
}
ORDERING_CASES = [
    (resource, prefix + field) for resource, fields in ORDERINGS.items() for field in fields for prefix in ("", "-")
]


def _without_nulls(values):
    """The non-null values, after checking the nulls sit together at one end.

    Where NULLs sort is the database's choice (first on SQLite, last on PostgreSQL).
    """
    nulls = [index for index, value in enumerate(values) if value is None]
    if nulls:
        assert nulls == list(range(len(nulls))) or nulls == list(range(len(values) - len(nulls), len(values)))
    return [value for value in values if value is not None]


@pytest.mark.parametrize(("resource", "ordering"), ORDERING_CASES)
def test_ordering(knowledge_base, api, resource, ordering):
    field = ordering.lstrip("-")
    records = page(get(api, f"{resource}/", {"ordering": ordering, "limit": 100}))["results"]
    values = _without_nulls([ORDERINGS[resource][field](record) for record in records])

    assert len(records) == len(curated()[resource])
    assert values == sorted(values, reverse=ordering.startswith("-"))


@pytest.mark.parametrize(("resource", "ordering"), ORDERING_CASES)
def test_ordering_is_total_so_pages_neither_overlap_nor_skip(knowledge_base, api, resource, ordering):
    whole = slugs(get(api, f"{resource}/", {"ordering": ordering, "limit": 100}))
    one_by_one = [
        slug
        for offset in range(len(whole))
        for slug in slugs(get(api, f"{resource}/", {"ordering": ordering, "limit": 1, "offset": offset}))
    ]

    assert one_by_one == whole


def test_ordering_by_several_fields(knowledge_base, api):
    positions = page(get(api, "positions/", {"ordering": "stance,-date", "limit": 100}))["results"]
    stances = [p["stance"] for p in positions]

    assert stances == sorted(stances)
    for stance in set(stances):
        dates = [p["date"] for p in positions if p["stance"] == stance]
        assert dates == sorted(dates, reverse=True)
    assert [p["slug"] for p in positions if p["stance"] == "participates"] == [
        "boston-participates-2011",
        "boston-continues-after-2008-expansion",
        "boston-participates-since-2006",
    ]


def test_ordering_changes_the_order(knowledge_base, api):
    assert slugs(get(api, "positions/", {"ordering": "-date", "limit": 1})) != slugs(
        get(api, "positions/", {"ordering": "date", "limit": 1})
    )
    assert slugs(get(api, "positions/", {"ordering": "date", "limit": 1})) == ["boston-participates-since-2006"]
    assert slugs(get(api, "sources/", {"ordering": "-slug", "limit": 1})) == [
        "wbur-mass-wont-join-immigration-check-program"
    ]


@pytest.mark.parametrize(
    ("resource", "ordering"),
    [
        ("positions", "summary"),
        ("positions", "bogus"),
        ("positions", "date,bogus"),
        ("officials", "jurisdiction"),
        ("organizations", "description"),
        ("jurisdictions", "ocd_id"),
        ("programs", "agency"),
        ("sources", "text"),
    ],
)
def test_ordering_by_an_undocumented_field_is_refused(knowledge_base, api, resource, ordering):
    assert_error(get(api, f"{resource}/", {"ordering": ordering}), 400, "ordering", code="invalid")
