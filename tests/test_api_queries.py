"""Query budgets on the real knowledge base: a page costs the same number of queries whatever its
size, so the API's cost does not grow with `limit`. The budgets, and which queries they are, are
tests/query_budgets.py's (tests/test_perf_queries.py checks them at scale); each is exact here.

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
from tests.query_budgets import DETAILS, FILTERED_BY, LISTS, TIMELINES

SMALL = {"limit": 2}
BIG = {"limit": 20}

# (path, a small page that holds every kind of related row, budget)
PAGES = [
    ("positions/", SMALL, LISTS["positions"]),
    ("programs/", SMALL, LISTS["programs"]),
    ("jurisdictions/", SMALL, LISTS["jurisdictions"]),
    # defenders-of-the-program, department-of-homeland-security (other names)
    ("organizations/", {"limit": 2, "offset": 2}, LISTS["organizations"]),
    # deval-patrick, mary-beth-heffernan (an other name)
    ("officials/", {"limit": 2, "offset": 2}, LISTS["officials"]),
    ("sources/", SMALL, LISTS["sources"]),
    # Massachusetts holds Boston, which holds nothing.
    ("jurisdictions/massachusetts/timeline/", SMALL, TIMELINES["jurisdictions"]),
    ("officials/deval-patrick/timeline/", {"limit": 1}, TIMELINES["officials"]),
]


def count_queries(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        response = get(client, path, params)
    assert response.status_code == 200, response.content[:1000]
    return len(queries)


@pytest.mark.parametrize(("path", "small_page", "budget"), PAGES, ids=[case[0] for case in PAGES])
def test_a_small_and_a_big_page_cost_the_same_queries(
    knowledge_base, api, django_assert_num_queries, path, small_page, budget
):
    with django_assert_num_queries(budget.queries):
        small = page(get(api, path, small_page))
    with django_assert_num_queries(budget.queries):
        big = page(get(api, path, BIG))

    assert len(small["results"]) <= len(big["results"])


# (path, params, budget): filters that look records up add their own queries.
FILTERED = [
    ("positions/", {"program": "secure-communities"}, FILTERED_BY["program"]),
    ("positions/", {"jurisdiction": "massachusetts", "include_sub_jurisdictions": "true"}, FILTERED_BY["jurisdiction"]),
    ("positions/", {"as_of": "2011-06-06", "stance": "refuses"}, LISTS["positions"]),  # superseded ones excluded in SQL
    ("positions/", {"search": "Heffernan"}, LISTS["positions"]),
    ("positions/", {"ordering": "-program"}, LISTS["positions"]),
    ("sources/", {"search": "dubious", "kind": "news_article"}, LISTS["sources"]),
]


@pytest.mark.parametrize(("path", "params", "budget"), FILTERED, ids=[str(case[1]) for case in FILTERED])
def test_a_filtered_page_costs_a_fixed_number_of_queries(
    knowledge_base, api, django_assert_num_queries, path, params, budget
):
    with django_assert_num_queries(budget.queries):
        page(get(api, path, {**params, "limit": 1}))
    with django_assert_num_queries(budget.queries):
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
    ("positions/", SMALL, LISTS["positions"].queries + 3 + 3 + 0 + 3),
    ("programs/", SMALL, LISTS["programs"].queries + 3),
    ("jurisdictions/", SMALL, LISTS["jurisdictions"].queries),
    ("organizations/", {"limit": 2, "offset": 2}, LISTS["organizations"].queries + 0 + 3),
    ("officials/", {"limit": 2, "offset": 2}, LISTS["officials"].queries + 0 + 3),
    ("jurisdictions/massachusetts/timeline/", SMALL, TIMELINES["jurisdictions"].queries + 3 + 3 + 0 + 3),
    ("officials/deval-patrick/timeline/", {"limit": 1}, TIMELINES["officials"].queries + 3 + 3 + 0 + 3),
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


# A record of each resource with every kind of related row its budget reads.
DETAIL_PATHS = [
    "positions/boston-participates-since-2006/",
    "programs/secure-communities/",
    "jurisdictions/boston/",
    "organizations/immigration-and-customs-enforcement/",
    "officials/mary-beth-heffernan/",
    "sources/boston-herald-patrick-refuses-to-sign/",
]


@pytest.mark.parametrize("path", DETAIL_PATHS)
def test_a_detail_costs_a_fixed_number_of_queries(knowledge_base, api, django_assert_num_queries, path):
    with django_assert_num_queries(DETAILS[path.split("/")[0]].queries):
        response = get(api, path)

    assert response.status_code == 200
