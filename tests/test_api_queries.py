"""Query budgets: a page costs the same number of queries whatever its size, so the API's cost does
not grow with `limit` (as NetBox pins in query_counts.json). Each count is exact, measured, and
the comment lists the queries.

A prefetch runs only when the page has something to prefetch for (Django skips it otherwise), so
each small page below is chosen to hold records with other names, citations and parents.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.models import Jurisdiction, JurisdictionKind
from tests.api_helpers import (  # noqa: F401  (fixtures)
    get,
    page,
)

BIG = {"limit": 20}

# The queries of a page of positions, in order, wherever positions are listed (the positions list,
# a timeline, a filtered list); api.writers reads each kind of row once for the whole page:
#   1. the page: positions joined to their program, jurisdiction, organization, official and event
#   2. the count (at most 1,001 rows read)
#   3. the page's voices, joined to their official or organization
#   4. those voices' citations, joined to their source        (only when the page has a voice)
#   5. the page's reasons
#   6. those reasons' citations, joined to their source       (only when the page has a reason)
#   7. the page's own citations, joined to their source
#   8. the other versions of the page's events                (only when the page has an event)
# A page skips 4, 6 or 8 when it holds nothing they read: each small page below is chosen to hold
# records with every kind of child row, so the small and the big page read the same kinds.
POSITION_PAGE = 8
# Every answer under /api/v1/ first reads the knowledge base's version, its ETag (config.http_cache).
VERSION = 1
# A search reads, before its page, whether names changed and which of its words the index holds (one
# query: kb.search.query), then the page's keys in the list's order, apart (api.pagination.read_page).
# The name book, read again once after names change, is loaded before measuring
# (tests/test_perf_queries.py counts that read).
SEARCH = 2

# (path, a small page that holds every kind of related row, queries, which they are)
LISTS = [
    (
        "positions/",
        {"limit": 2, "offset": 6},  # new-york-withdraws-2011-06 (voice, reason, event), centro-presente-opposes
        POSITION_PAGE,
        "the page of positions (1-8 above)",
    ),
    ("programs/", {"limit": 2}, 5, "page with agency; count; other names; their citations; citations"),
    ("jurisdictions/", {"limit": 2}, 2, "page with parent; count"),
    (
        "organizations/",
        {"limit": 2, "offset": 3},  # defenders-of-the-program, department-of-homeland-security (other names)
        5,
        "page with jurisdiction and parent; count; other names; their citations; citations",
    ),
    (
        "officials/",
        {"limit": 2, "offset": 2},  # deval-patrick, mary-beth-heffernan (an other name)
        5,
        "page with jurisdiction and organization; count; other names; their citations; citations",
    ),
    ("sources/", {"limit": 2}, 3, "page with derived_from, without the texts; count; parts"),
    (
        "jurisdictions/united-states/timeline/",
        {"limit": 2, "offset": 3},  # illinois-withdraws-2011-05, new-york-withdraws-2011-06
        1 + POSITION_PAGE,
        "the jurisdiction; the page of positions (the jurisdictions inside it are a subquery)",
    ),
    (
        "officials/pat-quinn/timeline/",
        {"limit": 1},  # illinois-withdraws-2011-05
        1 + POSITION_PAGE,
        "the official; the page of positions (what it held or voiced: a subquery)",
    ),
    (
        "organizations/immigrant-advocacy-groups/timeline/",
        {"limit": 1},
        1 + POSITION_PAGE - 2,
        "the organization; the page of positions, none voiced and none in an event (no 4, no 8)",
    ),
]


def count_queries(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        response = get(client, path, params)
    assert response.status_code == 200, response.content[:1000]
    return len(queries)


@pytest.mark.parametrize(("path", "small_page", "queries", "which"), LISTS, ids=[case[0] for case in LISTS])
def test_a_small_and_a_big_page_cost_the_same_queries(
    knowledge_base, api, django_assert_num_queries, path, small_page, queries, which
):
    with django_assert_num_queries(VERSION + queries):
        small = page(get(api, path, small_page))
    with django_assert_num_queries(VERSION + queries):
        big = page(get(api, path, BIG))

    assert len(small["results"]) <= len(big["results"])


# (path, params, queries, which): filters that look records up add their own queries; each
# offset puts a position with every kind of child row first.
FILTERED = [
    (
        "positions/",
        {"program": "secure-communities", "offset": 5},
        1 + POSITION_PAGE,
        "the program, once (checked up front with every parameter, and that check's filters reused); the page",
    ),
    (
        "positions/",
        {"jurisdiction": "massachusetts", "include_sub_jurisdictions": "true", "offset": 2},
        1 + POSITION_PAGE - 1,
        "the jurisdiction, once (the jurisdictions inside it are a subquery); the page, in no event (no 8)",
    ),
    (
        "positions/",
        {"as_of": "2011-06-06", "stance": ["refuses", "withdraws"]},
        POSITION_PAGE,
        "the page (superseded positions excluded in SQL, from the stored as_of days)",
    ),
    (
        "positions/",
        {"search": "Cuomo"},
        SEARCH + POSITION_PAGE,
        "the search's names token and words; the keys; the page",
    ),
    ("positions/", {"ordering": "stance,slug", "offset": 18}, POSITION_PAGE, "the page"),
    ("positions/", {"voiced_by": "deval-patrick"}, 1 + POSITION_PAGE - 1, "the official; the page, in no event"),
    ("positions/", {"disputed": "true"}, POSITION_PAGE, "the page (other versions: an EXISTS subquery)"),
    ("positions/", {"reason_topic": "racial_profiling"}, POSITION_PAGE - 1, "the page, in no event"),
    (
        "sources/",
        {"search": "dubious", "kind": "news_article"},
        SEARCH + 3,
        "the search's names token and words; the keys; page; count; parts",
    ),
]


@pytest.mark.parametrize(("path", "params", "queries", "which"), FILTERED, ids=[str(case[1]) for case in FILTERED])
def test_a_filtered_page_costs_a_fixed_number_of_queries(
    knowledge_base, api, django_assert_num_queries, path, params, queries, which
):
    assert get(api, "search/", {"q": "warm"}).status_code == 200  # the name book, as it is now
    with django_assert_num_queries(VERSION + queries):
        one = page(get(api, path, {**params, "limit": 1}))
    with django_assert_num_queries(VERSION + queries):
        every = page(get(api, path, {**params, "limit": 100}))

    assert len(one["results"]) == 1 < len(every["results"])


EXPAND_ALL = {
    "positions/": "program,official,jurisdiction,organization",
    "programs/": "agency",
    "jurisdictions/": "parent",
    "organizations/": "jurisdiction,parent",
    "officials/": "jurisdiction,organization",
    "sources/": "derived_from",
    "jurisdictions/united-states/timeline/": "program,official,jurisdiction,organization",
    "officials/pat-quinn/timeline/": "program,official,jurisdiction,organization",
}
# Expanding a field reads the records it inlines with their own writer, once for the page: a
# program, an official or an organization is its rows, other names, their citations and
# citations (4); a jurisdiction its rows (1); a source its rows and parts (2). A read is skipped
# when the page has nothing for it (no position has an official of its own), so the budget is an
# upper bound, which a query per record on a page of 20 would break. Each starts with the version.
PROGRAM = OFFICIAL = ORGANIZATION = 4
JURISDICTION = 1
SOURCE = 2
EXPANSION_BUDGETS = [
    (
        "positions/",
        {"limit": 2, "offset": 6},
        VERSION + POSITION_PAGE + PROGRAM + OFFICIAL + JURISDICTION + ORGANIZATION,
    ),
    ("programs/", {"limit": 2}, VERSION + 5 + ORGANIZATION),
    ("jurisdictions/", {"limit": 2}, VERSION + 2 + JURISDICTION),
    ("organizations/", {"limit": 2, "offset": 3}, VERSION + 5 + JURISDICTION + ORGANIZATION),
    ("officials/", {"limit": 2, "offset": 2}, VERSION + 5 + JURISDICTION + ORGANIZATION),
    ("sources/", {"limit": 2}, VERSION + 3 + SOURCE),
    (
        "jurisdictions/united-states/timeline/",
        {"limit": 2, "offset": 3},
        VERSION + 1 + POSITION_PAGE + PROGRAM + OFFICIAL + JURISDICTION + ORGANIZATION,
    ),
    (
        "officials/pat-quinn/timeline/",
        {"limit": 1},
        VERSION + 1 + POSITION_PAGE + PROGRAM + OFFICIAL + JURISDICTION + ORGANIZATION,
    ),
]


@pytest.mark.parametrize(
    ("path", "small_page", "budget"), EXPANSION_BUDGETS, ids=[case[0] for case in EXPANSION_BUDGETS]
)
def test_expanding_everything_costs_a_fixed_budget_at_any_page_size(knowledge_base, api, path, small_page, budget):
    expand = {"expand": EXPAND_ALL[path]}

    assert count_queries(api, path, {**BIG, **expand}) <= budget
    assert count_queries(api, path, {**small_page, **expand}) <= budget


def test_expanding_parents_costs_no_query_per_record(knowledge_base, api):
    before = count_queries(api, "jurisdictions/", {"expand": "parent", **BIG})
    for slug, name, state in (("new-york-city", "New York City", "new-york"), ("chicago", "Chicago", "illinois")):
        Jurisdiction.objects.create(
            slug=slug,
            name=name,
            kind=JurisdictionKind.CITY,
            parent=Jurisdiction.objects.get(slug=state),
            ocd_id=f"ocd-division/country:us/state:{state[:2]}/place:{slug}",
        )

    assert count_queries(api, "jurisdictions/", {"expand": "parent", **BIG}) == before


def test_an_expanded_agency_costs_no_query_per_record(knowledge_base, api):
    # Expanding a page of programs costs what the agency's writer reads, whatever the page holds:
    # its rows, other names, their citations and citations.
    assert count_queries(api, "programs/", {"expand": "agency"}) <= count_queries(api, "programs/", {}) + ORGANIZATION


# (path, queries, which): a detail first finds its record (the 404 check), then its writer reads it
# as it reads a page of one, without the count.
DETAILS = [
    (
        "positions/new-york-withdraws-2011-06/",
        POSITION_PAGE - 1,
        "1 and 3-8 above: its row with its version, voices, their citations, reasons, their citations, "
        "citations, the other versions of its event",
    ),
    (
        "positions/boston-participates-since-2006/",
        POSITION_PAGE - 4,
        "its row with its version, voices (none), reasons (none), citations; it is in no event",
    ),
    (
        "programs/secure-communities/",
        8,
        "its row with its agency; other names; their citations; citations; facts with jurisdiction; "
        "facts' voices; their citations; facts' citations",
    ),
    ("jurisdictions/boston/", 1, "its row with its parent"),
    (
        "organizations/immigration-and-customs-enforcement/",
        4,
        "its row with jurisdiction and parent; other names; their citations; citations",
    ),
    (
        "officials/mary-beth-heffernan/",
        4,
        "its row with jurisdiction and organization; other names; their citations; citations",
    ),
    ("sources/boston-herald-patrick-refuses-to-sign/", 2, "its row with its text; parts"),
]


@pytest.mark.parametrize(("path", "queries", "which"), DETAILS, ids=[case[0] for case in DETAILS])
def test_a_detail_costs_a_fixed_number_of_queries(knowledge_base, api, django_assert_num_queries, path, queries, which):
    with django_assert_num_queries(VERSION + queries):
        response = get(api, path)

    assert response.status_code == 200
