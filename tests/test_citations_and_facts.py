"""Citations and program facts as read-only resources: filterable by source, kind of fact cited,
program and jurisdiction; each citation links to the fact it backs, which says so too.
"""

import pytest

from kb.models import Citation, ProgramFact
from tests.api_helpers import API, assert_error, curated, get, page

pytestmark = pytest.mark.usefixtures("knowledge_base")

GLOBE = "boston-globe-patrick-wont-sign"


def every(api, path, params=None):
    return page(get(api, path, {**(params or {}), "limit": 100}))["results"]


def every_citation(api, params=None):
    records, body = [], get(api, "citations/", {**(params or {}), "limit": 100}).json()
    while True:
        records.extend(body["results"])
        if not body["next"]:
            return records
        body = api.get(body["next"]).json()


def cited_parts(record):
    """A curated record and its parts that carry citations of their own: its facts, other names,
    voices and reasons, and its facts' voices."""
    facts = record.get("facts", [])
    parts = [record, *facts, *record.get("other_names", []), *record.get("reasons", [])]
    return parts + [voice for holder in [record, *facts] for voice in holder.get("voices", [])]


def curated_quotes(where):
    """(source, quote) of every curated citation of the records `where(resource, record)` selects."""
    quotes = set()
    for resource, records in curated().items():
        if not isinstance(records, list):
            continue
        for record in records:
            for holder in cited_parts(record):
                for citation in holder.get("citations", []):
                    if where(resource, record, holder):
                        quotes.add((citation["source"], citation["quote"]))
    return quotes


def test_every_citation_is_listed_once_with_its_quote_at_its_offsets(api):
    citations = every_citation(api)

    assert len(citations) == len({citation["id"] for citation in citations}) == Citation.objects.count()
    for citation in citations[:40]:
        source = api.get(citation["source"]["url"]).json()
        assert source["text"][citation["start"] : citation["end"]] == citation["quote"]


def test_source_gives_everything_a_source_is_cited_for(api):
    citations = every_citation(api, {"source": GLOBE})

    assert {(citation["source"]["slug"], citation["quote"]) for citation in citations} == curated_quotes(
        lambda resource, record, holder: True
    ) & {(source, quote) for source, quote in curated_quotes(lambda *_: True) if source == GLOBE}
    assert all(citation["source"]["slug"] == GLOBE for citation in citations)


@pytest.mark.parametrize(
    "kind", ["position", "program_fact", "other_name", "official", "organization", "program", "voice", "reason"]
)
def test_kind_gives_the_citations_of_one_kind_of_fact_each_linking_to_it(api, kind):
    citations = every_citation(api, {"kind": kind})

    assert len(citations) == Citation.objects.filter(**{f"{kind}__isnull": False}).count() > 0
    for citation in citations[:10]:
        assert citation["cites"]["kind"] == kind
        fact = api.get(citation["cites"]["url"])
        assert fact.status_code == 200
        cited = fact.json()
        if kind == "other_name":  # the record it names, which lists it among its other names
            assert citation["cites"]["name"] in {other["name"] for other in cited["other_names"]}
        elif kind in ("voice", "reason"):  # the position or fact it is part of, which lists it
            assert citation["quote"] in {each["quote"] for part in cited[f"{kind}s"] for each in part["citations"]}
        else:
            assert citation["quote"] in {each["quote"] for each in cited["citations"]}


def test_program_gives_the_citations_about_the_program(api):
    citations = every_citation(api, {"program": "secure-communities"})

    # Every position and fact of the program (their voices and reasons too), its other names and itself.
    assert {(c["source"]["slug"], c["quote"]) for c in citations} == curated_quotes(
        lambda resource, record, holder: (
            resource in ("positions", "programs")
            and (record.get("program") == "secure-communities" or record.get("slug") == "secure-communities")
        )
    )


def test_jurisdiction_gives_the_citations_about_it(api):
    citations = every_citation(api, {"jurisdiction": "illinois"})
    kinds = {citation["cites"]["kind"] for citation in citations}

    assert kinds == {"position", "official", "voice", "reason"}  # no fact is about Illinois, Quinn has no other name
    for citation in citations:
        if citation["cites"]["kind"] in ("position", "voice", "reason"):  # a voice's and a reason's: their position
            position = api.get(citation["cites"]["url"]).json()
            assert "illinois" in {
                (position["jurisdiction"] or {}).get("slug"),
                api.get(position["official"]["url"]).json()["jurisdiction"]["slug"] if position["official"] else None,
            }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"kind": "opinion"}, "kind"), ({"source": "no-such-source"}, "source"), ({"program": "e-verify"}, "program")],
)
def test_bad_citation_filters_are_a_400_naming_them(api, params, field):
    assert_error(get(api, "citations/", params), 400, field, code="invalid")


def test_one_citation_by_id(api):
    first = every(api, "citations/")[0]

    assert api.get(first["url"]).json() == first
    assert first["url"].endswith(f"{API}citations/{first['id']}/")
    assert_error(get(api, "citations/999999999/"), 404, code="not_found")


def test_citations_cannot_be_written_here(api):
    assert api.post(API + "citations/", {}, format="json").status_code in (401, 403, 405)
    assert api.delete(f"{API}citations/1/").status_code in (401, 403, 405)


# ---------------------------------------------------------------- facts


def curated_facts():
    return [(program["slug"], fact) for program in curated()["programs"] for fact in program.get("facts", [])]


def test_every_program_fact_is_listed_with_its_program(api):
    facts = every(api, "facts/")

    assert {fact["slug"]: fact["program"]["slug"] for fact in facts} == {
        fact["slug"]: program for program, fact in curated_facts()
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "deportations"}, lambda program, fact: fact["kind"] == "deportations"),
        ({"jurisdiction": "boston"}, lambda program, fact: fact.get("jurisdiction") == "boston"),
        ({"program": "secure-communities"}, lambda program, fact: program == "secure-communities"),
        (
            {"source": GLOBE},
            lambda program, fact: any(citation["source"] == GLOBE for citation in fact["citations"]),
        ),
    ],
)
def test_facts_are_filtered_by_kind_jurisdiction_program_and_source(api, params, expected):
    assert {fact["slug"] for fact in every(api, "facts/", params)} == {
        fact["slug"] for program, fact in curated_facts() if expected(program, fact)
    }


def test_a_fact_is_the_one_in_its_program_with_its_url(api):
    fact = get(api, "facts/in-42-states/").json()
    in_program = next(
        f for f in get(api, "programs/secure-communities/").json()["facts"] if f["slug"] == "in-42-states"
    )

    assert {name: value for name, value in fact.items() if name not in ("url", "program")} == in_program
    assert fact["url"].endswith(f"{API}facts/in-42-states/")
    assert ProgramFact.objects.filter(slug="in-42-states").exists()
