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

SMALL = {"limit": 2}
BIG = {"limit": 20}

# (path, a small page that holds every kind of related row, queries, which they are)
LISTS = [
    (
        "positions/",
        SMALL,
        3,
        "count; the page joined to program, official, jurisdiction, organization; citations with sources",
    ),
    ("programs/", SMALL, 5, "count; the page with agency; other names; their citations; citations with sources"),
    ("jurisdictions/", SMALL, 2, "count; the page with parent"),
    (
        "organizations/",
        {"limit": 2, "offset": 2},  # defenders-of-the-program, department-of-homeland-security (other names)
        5,
        "count; the page with jurisdiction and parent; other names; their citations; citations with sources",
    ),
    (
        "officials/",
        {"limit": 2, "offset": 2},  # deval-patrick, mary-beth-heffernan (an other name)
        5,
        "count; the page with jurisdiction and organization; other names; their citations; citations with sources",
    ),
    ("sources/", SMALL, 2, "count; the page, without the texts"),
    (
        "jurisdictions/massachusetts/timeline/",
        SMALL,
        6,
        "the jurisdiction; the jurisdictions inside it, one query per level (Boston, then none); "
        "count; the page joined to its holders; citations with sources",
    ),
    (
        "officials/deval-patrick/timeline/",
        {"limit": 1},
        4,
        "the official; count; the page joined to its holders; citations with sources",
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
    with django_assert_num_queries(queries):
        small = page(get(api, path, small_page))
    with django_assert_num_queries(queries):
        big = page(get(api, path, BIG))

    assert len(small["results"]) <= len(big["results"])


# (path, params, queries, which): filters that look records up add their own queries.
FILTERED = [
    (
        "positions/",
        {"program": "secure-communities"},
        4,
        "the program, once: checked up front with every parameter, and that check's filters reused; count; page; citations",
    ),
    (
        "positions/",
        {"jurisdiction": "massachusetts", "include_sub_jurisdictions": "true"},
        6,
        "the jurisdiction, once (checked up front; filtering reuses the check); the jurisdictions inside it, one query per level "
        "(Boston, then none); count; page; citations",
    ),
    (
        "positions/",
        {"as_of": "2011-06-06", "stance": "refuses"},
        3,
        "count; page (superseded positions excluded in SQL); citations",
    ),
    (
        "positions/",
        {"search": "Heffernan"},
        5,
        "the names token and which words records have (one query); count; the page's keys; the page; citations",
    ),
    ("positions/", {"ordering": "-program"}, 3, "count; page; citations"),
    (
        "sources/",
        {"search": "dubious", "kind": "news_article"},
        3,
        "the names token and which words records have; count; page",
    ),
]


@pytest.mark.parametrize(("path", "params", "queries", "which"), FILTERED, ids=[str(case[1]) for case in FILTERED])
def test_a_filtered_page_costs_a_fixed_number_of_queries(
    knowledge_base, api, django_assert_num_queries, path, params, queries, which
):
    get(api, path, params)  # a search reads the names once per process (kb.search.names), then when they change
    with django_assert_num_queries(queries):
        page(get(api, path, {**params, "limit": 1}))
    with django_assert_num_queries(queries):
        page(get(api, path, {**params, "limit": 100}))


EXPAND_ALL = {
    "positions/": "program,official,jurisdiction,organization",
    "programs/": "agency",
    "jurisdictions/": "parent",
    "organizations/": "jurisdiction,parent",
    "officials/": "jurisdiction,organization",
    "jurisdictions/massachusetts/timeline/": "program,official,jurisdiction,organization",
    "officials/deval-patrick/timeline/": "program,official,jurisdiction,organization",
}
# Expanding a field adds the prefetches of the record it inlines (EXPANDED_READS in api/views.py):
# three for a program, official or organization (other names, their citations, citations), none for
# a jurisdiction (its parent is joined). A prefetch is skipped when the page has nothing for it
# (Deval Patrick's timeline has no organization), so the budget is an upper bound that a query per
# record on a page of 20 would break.
EXPANSION_BUDGETS = [
    ("positions/", SMALL, 3 + 3 + 3 + 0 + 3),
    ("programs/", SMALL, 5 + 3),
    ("jurisdictions/", SMALL, 2),
    ("organizations/", {"limit": 2, "offset": 2}, 5 + 0 + 3),
    ("officials/", {"limit": 2, "offset": 2}, 5 + 0 + 3),
    ("jurisdictions/massachusetts/timeline/", SMALL, 6 + 3 + 3 + 0 + 3),
    ("officials/deval-patrick/timeline/", {"limit": 1}, 4 + 3 + 3 + 0 + 3),
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
    # Expanding a page of programs should cost what its prefetches cost, whatever the page holds:
    # the agency's row is joined already; its other names, their citations and its citations are three more.
    assert count_queries(api, "programs/", {"expand": "agency"}) <= count_queries(api, "programs/", {}) + 3


# (path, queries, which)
DETAILS = [
    (
        "positions/boston-participates-since-2006/",
        2,
        "the position joined to program, official, jurisdiction, organization; citations with sources",
    ),
    (
        "programs/secure-communities/",
        6,
        "the program with its agency; other names; their citations; citations; facts with jurisdiction; facts' citations",
    ),
    ("jurisdictions/boston/", 1, "the jurisdiction with its parent"),
    (
        "organizations/immigration-and-customs-enforcement/",
        4,
        "the organization with jurisdiction and parent; other names; their citations; citations",
    ),
    (
        "officials/mary-beth-heffernan/",
        4,
        "the official with jurisdiction and organization; other names; their citations; citations",
    ),
    ("sources/boston-herald-patrick-refuses-to-sign/", 1, "the source"),
]


@pytest.mark.parametrize(("path", "queries", "which"), DETAILS, ids=[case[0] for case in DETAILS])
def test_a_detail_costs_a_fixed_number_of_queries(knowledge_base, api, django_assert_num_queries, path, queries, which):
    with django_assert_num_queries(queries):
        response = get(api, path)

    assert response.status_code == 200
