"""Query budgets: how many queries each read of the API costs, whatever the page size and however
large the knowledge base, as NetBox pins them in query_counts.json. This is the one table:
tests/test_api_queries.py checks it on the real knowledge base, tests/test_perf_queries.py on a
synthetic one of 500 positions beside it.

Each budget lists its queries. A prefetch runs only when the page has something to prefetch for
(Django skips it otherwise), so a budget is exact for a page that holds every kind of related
row, and an upper bound for one that does not. For a detail, `having` is what a record needs for
every query of its budget to run (the lookups of a `filter()`): a prefetch of citations runs for
any record, one of the other names' citations only when it has other names.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    queries: int
    which: str
    having: dict = field(default_factory=dict)


WITH_OTHER_NAMES = {"other_names__isnull": False}

# A page of each list, by resource.
LISTS = {
    "positions": Budget(
        3, "count; the page joined to program, official, jurisdiction, organization; citations with sources"
    ),
    "programs": Budget(5, "count; the page with agency; other names; their citations; citations with sources"),
    "jurisdictions": Budget(2, "count; the page with parent"),
    "organizations": Budget(
        5, "count; the page with jurisdiction and parent; other names; their citations; citations with sources"
    ),
    "officials": Budget(
        5, "count; the page with jurisdiction and organization; other names; their citations; citations with sources"
    ),
    "sources": Budget(2, "count; the page, without the texts"),
}

# A page of each timeline, by the resource whose timeline it is. A jurisdiction's costs one query
# per level of the jurisdictions inside it: the budget is a state's (its cities, then none).
TIMELINES = {
    "jurisdictions": Budget(
        6,
        "the jurisdiction; the jurisdictions inside it, one query per level (its cities, then none); "
        "count; the page joined to its holders; citations with sources",
    ),
    "officials": Budget(4, "the official; count; the page joined to its holders; citations with sources"),
}

# A page of positions filtered by a record named by slug: the lookup is one query more.
FILTERED_BY = {
    "program": Budget(
        4,
        "the program, once: checked up front with every parameter, and that check's filters reused; count; page; citations",
    ),
    "jurisdiction": Budget(
        6,
        "the jurisdiction, once (checked up front; filtering reuses the check); the jurisdictions inside it, one "
        "query per level (its cities, then none); count; page; citations",
    ),
}

# One record of each resource, by slug.
DETAILS = {
    "positions": Budget(
        2, "the position joined to program, official, jurisdiction, organization; citations with sources"
    ),
    "programs": Budget(
        6,
        "the program with its agency; other names; their citations; citations; facts with jurisdiction; facts' citations",
        {**WITH_OTHER_NAMES, "facts__isnull": False},
    ),
    "jurisdictions": Budget(1, "the jurisdiction with its parent"),
    "organizations": Budget(
        4,
        "the organization with jurisdiction and parent; other names; their citations; citations",
        WITH_OTHER_NAMES,
    ),
    "officials": Budget(
        4,
        "the official with jurisdiction and organization; other names; their citations; citations",
        WITH_OTHER_NAMES,
    ),
    "sources": Budget(1, "the source"),
}
