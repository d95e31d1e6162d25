"""Every filter of every list, each with a case that matches and one that does not (as NetBox's
filterset tests do); `as_of`; free-text search; ordering by each documented field, both ways.

Expected sets come from fixtures/kb.yaml, the curated facts.
"""

import datetime
import re
from urllib.parse import urlencode

import pytest

from kb.models import Official, Organization, Program, Source
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
NY_HERALD, NY_AP, NY_GLOBE = (
    "new-york-withdraws-2011-06",
    "new-york-suspends-ap-version",
    "new-york-refuses-globe-version",
)
IL_HERALD, IL_AP, IL_GLOBE = "illinois-withdraws-2011-05", "illinois-refuses", "illinois-refuses-globe-version"
LAW_ENFORCEMENT = "law-enforcement-officials-oppose"
BOSTON = {"boston-participates-since-2006", "boston-continues-after-2008-expansion", "boston-participates-2011"}
MASSACHUSETTS = {MA_WILL_JOIN, MA_REFUSES}


def query(params):
    return urlencode(params, doseq=True)


def found(client, resource, params):
    """The set of slugs a list answers with, on a page big enough for all of them."""
    return set(slugs(get(client, f"{resource}/", {"limit": 100, **params})))


def positions_where(test):
    """Slugs of the curated positions for which `test(position)` holds."""
    return {position["slug"] for position in curated()["positions"] if test(position)}


def dated(after=None, before=None):
    """Curated positions whose interval may fall on or after `after` and on or before `before`."""
    return positions_where(
        lambda p: (
            (after is None or p["date"]["latest"] >= datetime.date.fromisoformat(after))
            and (before is None or p["date"]["earliest"] <= datetime.date.fromisoformat(before))
        )
    )


def positions_citing(source):
    return positions_where(lambda p: any(citation["source"] == source for citation in p["citations"]))


def voiced_by(speaker):
    return positions_where(
        lambda p: any(speaker in (voice.get("official"), voice.get("organization")) for voice in p.get("voices", []))
    )


def with_reason(*topics):
    return positions_where(lambda p: any(reason["topic"] in topics for reason in p.get("reasons", [])))


# ---------------------------------------------------------------- positions

POSITION_FILTERS = [
    # program
    ({"program": "secure-communities"}, curated_slugs("positions")),
    # jurisdiction: positions held by the state (or by an official of it alone: none is)
    ({"jurisdiction": "massachusetts"}, MASSACHUSETTS),
    ({"jurisdiction": "boston"}, BOSTON),
    ({"jurisdiction": "california"}, curated_slugs("positions", jurisdiction="california")),
    ({"jurisdiction": "united-states"}, set()),
    ({"jurisdiction": "massachusetts", "include_sub_jurisdictions": "true"}, MASSACHUSETTS | BOSTON),
    ({"jurisdiction": "massachusetts", "include_sub_jurisdictions": "false"}, MASSACHUSETTS),
    ({"jurisdiction": "boston", "include_sub_jurisdictions": "true"}, BOSTON),
    ({"jurisdiction": "new-york", "include_sub_jurisdictions": "true"}, {NY_HERALD, NY_AP, NY_GLOBE}),
    # official: an official's own stance; no curated position is one (who voiced it is in voices)
    ({"official": "deval-patrick"}, set()),
    ({"official": "mary-beth-heffernan"}, set()),
    # voiced_by, at any rank of a chain of attribution
    ({"voiced_by": "deval-patrick"}, {MA_WILL_JOIN, MA_REFUSES}),
    ({"voiced_by": "mary-beth-heffernan"}, {MA_REFUSES, LAW_ENFORCEMENT}),
    ({"voiced_by": "pat-quinn"}, {IL_HERALD, IL_AP}),
    ({"voiced_by": "patricia-montes"}, {"centro-presente-opposes"}),
    ({"voiced_by": "andrew-cuomo", "stance": "refuses"}, set()),
    ({"voiced_by": "menino"}, set()),
    ({"voiced_by_organization": "patrick-administration"}, {MA_WILL_JOIN}),
    ({"voiced_by_organization": "law-enforcement-officials"}, {LAW_ENFORCEMENT}),  # rank 1: relayed by Heffernan
    ({"voiced_by_organization": "california-lawmakers"}, {"california-considering-withdrawal-of-state"}),
    ({"voiced_by_organization": "white-house"}, set()),  # it voiced a program fact, not a position
    # organization
    ({"organization": "centro-presente"}, {"centro-presente-opposes"}),
    ({"organization": "boston-police-department"}, set()),  # no longer a second holder of Boston's stance
    ({"organization": "department-of-homeland-security"}, set()),
    # stance: one, then several
    ({"stance": "refuses"}, {MA_REFUSES, NY_GLOBE, IL_AP, IL_GLOBE}),
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
    ({"date_precision": "year"}, {"boston-participates-since-2006", "boston-continues-after-2008-expansion"}),
    ({"date_precision": "month"}, {MA_WILL_JOIN}),
    ({"date_precision": "week"}, {NY_HERALD}),
    ({"date_precision": "range"}, positions_where(lambda p: p["date"]["precision"] == "range")),
    ({"date_precision": "day"}, positions_where(lambda p: p["date"]["precision"] == "day")),
    ({"date_precision": "year", "stance": "refuses"}, set()),
    # date_after (the latest day on or after it), date_before (the earliest day on or before it)
    ({"date_after": "2011-06-06"}, dated(after="2011-06-06")),
    ({"date_after": "2011-06-07"}, dated(after="2011-06-07")),  # the Globe's and "this year"'s, to 9 June
    ({"date_after": "2011-06-10"}, set()),
    ({"date_before": "2008-12-31"}, {"boston-participates-since-2006", "boston-continues-after-2008-expansion"}),
    ({"date_before": "2008-01-01"}, {"boston-participates-since-2006", "boston-continues-after-2008-expansion"}),
    ({"date_before": "2005-12-31"}, set()),
    ({"date_after": "2011-06-04", "date_before": "2011-06-05"}, dated(after="2011-06-04", before="2011-06-05")),
    # "this year" (1 January .. 9 June) may fall in any window of 2011 up to 9 June
    (
        {"date_after": "2011-05-11", "date_before": "2011-05-29"},
        {"tea-party-activists-support-2011", "immigrant-advocates-oppose-at-public-meetings-2011"},
    ),
    ({"date_after": "2010-12-31", "date_before": "2010-12-31"}, {MA_WILL_JOIN}),
    ({"date_after": "2009-01-01", "date_before": "2010-11-30"}, set()),
    # source: positions with a citation from it
    ({"source": "blog-patrick-refuses-to-join-secure-communities"}, {"boston-participates-since-2006", MA_REFUSES}),
    ({"source": "boston-herald-patrick-refuses-to-sign"}, positions_citing("boston-herald-patrick-refuses-to-sign")),
    ({"source": "boston-herald-patrick-refuses-to-sign", "stance": "supports"}, set()),
    # disputed: versions of an event that sources tell differently
    ({"disputed": "true"}, positions_where(lambda p: p.get("event"))),
    ({"disputed": "false"}, positions_where(lambda p: not p.get("event"))),
    ({"disputed": "true", "jurisdiction": "massachusetts"}, set()),
    # reason_topic: one, then several
    ({"reason_topic": "racial_profiling"}, {MA_REFUSES, "immigrant-advocacy-groups-oppose"}),
    ({"reason_topic": "deters_crime_reporting"}, with_reason("deters_crime_reporting")),
    ({"reason_topic": ["cost", "effectiveness"]}, with_reason("cost", "effectiveness")),
    ({"reason_topic": "cost", "stance": "opposes"}, set()),
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
    assert len(positions_citing("boston-herald-patrick-refuses-to-sign")) == 7
    assert len(dated(after="2011-06-06")) == 15
    assert len(dated(after="2011-06-07")) == 6
    assert len(dated(after="2011-06-04", before="2011-06-05")) == 7
    assert len(with_reason("deters_crime_reporting")) == 5
    assert len(with_reason("cost", "effectiveness")) == 3
    assert len(positions_where(lambda p: p.get("event"))) == 8


def test_program_filter_leaves_out_another_programs_positions(knowledge_base, api):
    dhs = Organization.objects.get(slug="department-of-homeland-security")
    Program.objects.create(slug="e-verify", name="E-Verify", agency=dhs, description="Employment eligibility checks.")

    assert found(api, "positions", {"program": "e-verify"}) == set()
    assert len(found(api, "positions", {"program": "secure-communities"})) == 21


def test_an_officials_jurisdiction_does_not_make_its_positions_the_officials(knowledge_base, api):
    # Menino is Boston's mayor and voices nothing: Boston's positions stay the city's.
    assert found(api, "positions", {"official": "menino"}) == set()
    assert found(api, "positions", {"voiced_by": "menino"}) == set()
    assert found(api, "positions", {"jurisdiction": "boston"}) == BOSTON


def test_an_officials_own_stance_is_found_by_official_and_by_the_officials_jurisdiction(knowledge_base, api):
    menino = Official.objects.get(slug="menino")
    program = Program.objects.get(slug="secure-communities")
    program.positions.create(
        slug="menino-reconsiders",
        official=menino,
        stance="considering_withdrawal",
        date_earliest="2011-06-06",
        date_latest="2011-06-06",
        date_precision="day",
        date_basis="reported",
        summary="Menino is asked to reconsider.",
    )

    assert found(api, "positions", {"official": "menino"}) == {"menino-reconsiders"}
    assert found(api, "positions", {"jurisdiction": "boston"}) == BOSTON | {"menino-reconsiders"}
    assert "menino-reconsiders" not in found(api, "positions", {"jurisdiction": "massachusetts"})


def test_source_filter_of_an_uncited_source_is_empty(knowledge_base, api):
    Source.objects.create(slug="uncited", kind="blog_post", file_name="uncited.txt", text="Nothing cited here.")

    assert found(api, "positions", {"source": "uncited"}) == set()


def test_include_sub_jurisdictions_alone_changes_nothing(knowledge_base, api):
    assert found(api, "positions", {"include_sub_jurisdictions": "true"}) == curated_slugs("positions")


# ---------------------------------------------------------------- as_of (tests/test_kb_content.py checks each day)


def test_as_of_the_end_of_2010_massachusetts_will_join(knowledge_base, api):
    positions = page(get(api, "positions/", {"as_of": "2010-12-31", "jurisdiction": "massachusetts"}))["results"]

    assert [(p["slug"], p["stance"], p["in_force"]) for p in positions] == [(MA_WILL_JOIN, "will_join", "certain")]


def test_as_of_the_day_of_the_news_massachusetts_refuses_and_its_voices_hold_nothing(knowledge_base, api):
    # Heffernan and Patrick voiced the refusal; the stance is the state's, alone.
    assert found(api, "positions", {"as_of": "2011-06-06", "jurisdiction": "massachusetts"}) == {MA_REFUSES}
    assert found(api, "positions", {"as_of": "2011-06-03", "jurisdiction": "massachusetts"}) == {MA_REFUSES}
    assert found(api, "positions", {"as_of": "2011-06-02", "jurisdiction": "massachusetts"}) == {MA_WILL_JOIN}


def test_as_of_with_stance_lists_who_had_refused_by_then(knowledge_base, api):
    refusals = page(get(api, "positions/", {"as_of": "2011-06-06", "stance": "refuses"}))["results"]

    assert {p["slug"] for p in refusals} == {MA_REFUSES, NY_GLOBE, IL_AP, IL_GLOBE}
    assert {p["jurisdiction"]["slug"] for p in refusals} == {"massachusetts", "new-york", "illinois"}


def test_as_of_before_massachusetts_refused_every_version_of_the_events_under_way(knowledge_base, api):
    # Illinois' event had happened (early May); New York's may have begun (the week of 30 May):
    # each comes with every version of it, the Globe's "refusing" included.
    assert found(api, "positions", {"as_of": "2011-06-02", "stance": "refuses"}) == {NY_GLOBE, IL_AP, IL_GLOBE}
    assert found(api, "positions", {"as_of": "2011-06-02", "stance": "withdraws"}) == {IL_HERALD, NY_HERALD, NY_AP}
    assert found(api, "positions", {"as_of": "2011-05-29", "stance": ["refuses", "withdraws"]}) == {
        IL_HERALD,
        IL_AP,
        IL_GLOBE,
    }


def test_as_of_keeps_every_version_of_a_disputed_event(knowledge_base, api):
    assert found(api, "positions", {"as_of": "2011-06-30", "jurisdiction": "new-york"}) == {NY_HERALD, NY_AP, NY_GLOBE}
    assert found(api, "positions", {"as_of": "2011-06-30", "jurisdiction": "illinois"}) == {IL_HERALD, IL_AP, IL_GLOBE}
    assert found(api, "positions", {"as_of": "2011-06-30", "disputed": "false", "jurisdiction": "illinois"}) == set()


def test_as_of_counts_the_holder_not_the_voice(knowledge_base, api):
    # Boston is one holder, so its 2011 position supersedes its earlier ones.
    assert found(api, "positions", {"as_of": "2011-06-06", "jurisdiction": "boston"}) == {"boston-participates-2011"}
    # Centro Presente's director speaks for it: one holder, one position.
    assert found(api, "positions", {"as_of": "2011-06-30", "organization": "centro-presente"}) == {
        "centro-presente-opposes"
    }


def test_as_of_a_day_before_everything_is_empty(knowledge_base, api):
    assert found(api, "positions", {"as_of": "2005-12-31"}) == set()
    assert found(api, "positions", {"as_of": "2006-01-01"}) == {"boston-participates-since-2006"}


def test_as_of_gives_the_latest_event_of_each_holder(knowledge_base, api):
    current = page(get(api, "positions/", {"as_of": "2011-12-31", "limit": 100}))["results"]

    # Superseded: Massachusetts' will_join and Boston's participation since 2006 and from 2008.
    assert {p["slug"] for p in current} == curated_slugs("positions") - {
        MA_WILL_JOIN,
        "boston-participates-since-2006",
        "boston-continues-after-2008-expansion",
    }
    assert {p["in_force"] for p in current} == {"certain"}


# ---------------------------------------------------------------- other resources

DATED_SOURCES = curated_slugs("sources") - {"blog-patrick-refuses-to-join-secure-communities"}

OTHER_FILTERS = [
    # officials
    ("officials", {"jurisdiction": "massachusetts"}, {"deval-patrick", "mary-beth-heffernan"}),
    ("officials", {"jurisdiction": "boston"}, {"menino"}),
    ("officials", {"jurisdiction": "california"}, set()),
    ("officials", {"organization": "centro-presente"}, {"patricia-montes"}),
    ("officials", {"organization": "greater-boston-tea-party"}, {"christen-varley"}),
    ("officials", {"organization": "department-of-homeland-security"}, set()),
    ("officials", {"role": "governor"}, {"deval-patrick", "andrew-cuomo", "pat-quinn"}),
    ("officials", {"role": "Public Safety"}, {"mary-beth-heffernan"}),
    ("officials", {"role": "mayor"}, {"menino"}),
    ("officials", {"role": "senator"}, set()),
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
    ("organizations", {"kind": "executive_office"}, {"white-house", "patrick-administration"}),
    (
        "organizations",
        {"kind": "government_agency"},
        {"department-of-homeland-security", "immigration-and-customs-enforcement"},
    ),
    ("organizations", {"kind": "government_agency", "jurisdiction": "boston"}, set()),
    (
        "organizations",
        {"jurisdiction": "united-states"},
        {"department-of-homeland-security", "immigration-and-customs-enforcement", "white-house"},
    ),
    ("organizations", {"jurisdiction": "massachusetts"}, {"centro-presente", "patrick-administration"}),
    ("organizations", {"jurisdiction": "california"}, {"california-lawmakers"}),
    ("organizations", {"jurisdiction": "new-york"}, set()),
    # programs
    ("programs", {"agency": "department-of-homeland-security"}, {"secure-communities"}),
    ("programs", {"agency": "immigration-and-customs-enforcement"}, set()),
    ("programs", {"agency": "centro-presente"}, set()),
    # sources
    ("sources", {"publisher": "Boston Herald"}, {"boston-herald-patrick-refuses-to-sign"}),
    ("sources", {"publisher": "boston herald"}, {"boston-herald-patrick-refuses-to-sign"}),
    ("sources", {"publisher": "Herald"}, set()),
    ("sources", {"kind": "radio_story"}, {"wbur-mass-wont-join-immigration-check-program"}),
    ("sources", {"kind": "blog_post"}, {"blog-patrick-refuses-to-join-secure-communities"}),
    ("sources", {"kind": "news_article"}, curated_slugs("sources", kind="news_article")),
    ("sources", {"kind": "radio_story", "publisher": "Boston Herald"}, set()),
    # published_after: the latest day on or after it; published_before: the earliest day on or before it
    ("sources", {"published_after": "2011-06-06"}, DATED_SOURCES),
    ("sources", {"published_after": "2011-06-07"}, {"boston-globe-patrick-wont-sign"}),  # 3 .. 9 June
    ("sources", {"published_after": "2011-06-10"}, set()),
    ("sources", {"published_before": "2011-06-06"}, DATED_SOURCES),
    ("sources", {"published_before": "2011-06-05"}, {"boston-globe-patrick-wont-sign"}),
    ("sources", {"published_before": "2011-06-02"}, set()),
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

    assert undated == {"blog-patrick-refuses-to-join-secure-communities"}
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
    ("programs", "Secure Communities Program", {"secure-communities"}),
    ("programs", "deportation", {"secure-communities"}),
    ("programs", "aggravated felonies", {"secure-communities"}),
    ("programs", "E-Verify", set()),
    # positions: a quote fragment, a holder's other name, a note
    ("positions", "sweep criminals", {"tea-party-activists-support-2011"}),
    ("positions", "dubious commonwealth", {MA_REFUSES}),  # a reason's summary
    ("positions", "Menino", {"boston-participates-2011", "centro-presente-opposes"}),
    ("positions", "Cuomo", {NY_HERALD, NY_AP, NY_GLOBE}),  # the Globe's note says it does not name him
    ("positions", "Cuomo Menino", set()),
    ("positions", "Varley", {"greater-boston-tea-party-supports"}),  # its voice's name
    ("positions", "Quinn", {IL_HERALD, IL_AP, IL_GLOBE}),  # the Globe's note says it does not name him
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
        LAW_ENFORCEMENT,
        "domestic-violence-advocates-oppose",  # its note says AP's sentence follows Heffernan's account
    }
    assert found(api, "positions", {"search": "Heffernan", "stance": "refuses"}) == {MA_REFUSES}
    assert found(api, "positions", {"search": "Heffernan", "stance": "supports"}) == set()


def test_search_without_words_filters_nothing(knowledge_base, api):
    assert found(api, "officials", {"search": "  "}) == curated_slugs("officials")
    assert found(api, "officials", {"search": ""}) == curated_slugs("officials")


def test_search_finds_a_record_written_through_the_api_after_loading(knowledge_base, api):
    centro = Organization.objects.get(slug="centro-presente")
    centro.other_names.create(name="Centro Presente Asociados")

    assert found(api, "organizations", {"search": "Asociados"}) == {"centro-presente"}
    assert found(api, "positions", {"search": "Asociados"}) == {"centro-presente-opposes"}


# ---------------------------------------------------------------- ordering

# Each list's documented ordering fields, and how to read the ordered value off a record.
ORDERINGS = {
    "positions": {
        "date_earliest": lambda r: r["date_earliest"],
        "slug": lambda r: r["slug"],
        "stance": lambda r: r["stance"],
        "program": lambda r: r["program"]["slug"],
    },
    "officials": {"name": lambda r: r["name"], "slug": lambda r: r["slug"], "role": lambda r: r["role"]},
    "organizations": {"name": lambda r: r["name"], "slug": lambda r: r["slug"], "kind": lambda r: r["kind"]},
    "jurisdictions": {"name": lambda r: r["name"], "slug": lambda r: r["slug"], "kind": lambda r: r["kind"]},
    "programs": {
        "name": lambda r: r["name"],
        "slug": lambda r: r["slug"],
        "started_earliest": lambda r: r["started_earliest"],
    },
    "sources": {
        "published_earliest": lambda r: r["published_earliest"],
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
    positions = page(get(api, "positions/", {"ordering": "stance,-date_earliest", "limit": 100}))["results"]
    stances = [p["stance"] for p in positions]

    assert stances == sorted(stances)
    for stance in set(stances):
        dates = [p["date_earliest"] for p in positions if p["stance"] == stance]
        assert dates == sorted(dates, reverse=True)
    assert [p["slug"] for p in positions if p["stance"] == "participates"] == [
        "boston-participates-2011",
        "boston-continues-after-2008-expansion",
        "boston-participates-since-2006",
    ]


def test_ordering_changes_the_order(knowledge_base, api):
    assert slugs(get(api, "positions/", {"ordering": "-date_earliest", "limit": 1})) != slugs(
        get(api, "positions/", {"ordering": "date_earliest", "limit": 1})
    )
    assert slugs(get(api, "positions/", {"ordering": "date_earliest", "limit": 1})) == [
        "boston-participates-since-2006"
    ]
    assert slugs(get(api, "sources/", {"ordering": "-slug", "limit": 1})) == [
        "wbur-mass-wont-join-immigration-check-program"
    ]


@pytest.mark.parametrize(
    ("resource", "ordering"),
    [
        ("positions", "summary"),
        ("positions", "bogus"),
        ("positions", "date_earliest,bogus"),
        ("positions", "date"),  # the old single date: the interval's ends are date_earliest, date_latest
        ("officials", "jurisdiction"),
        ("organizations", "description"),
        ("jurisdictions", "ocd_id"),
        ("programs", "agency"),
        ("sources", "text"),
    ],
)
def test_ordering_by_an_undocumented_field_is_refused(knowledge_base, api, resource, ordering):
    assert_error(get(api, f"{resource}/", {"ordering": ordering}), 400, "ordering", code="invalid")
