"""The rules of issue 12, each a test that fails on a counter-example.

Each counter-example is a small facts file (a few records over two short documents, written to a
temporary directory) with one thing broken; the build must fail and name the record and the
rule. `test_the_small_facts_file_builds` shows the unbroken file builds, so each failure is the
counter-example's. The rules on the real documents' own parts (the Herald's reposter header,
the Globe's call to action, AP's reader comments) are checked against a copy of kb.yaml.
"""

import copy
import datetime

import pytest
import yaml

from kb.fixture_build import build_fixture
from kb.models import Citation, Position, SourcePart
from tests.kb_facts import REFUSAL, build_problems, find, problem_of, write_facts

pytestmark = pytest.mark.django_db  # the build evaluates check constraints, which the database answers

D = datetime.date

# A repost: a reposter's header line, a call to action, the publisher's story, reader comments.
STORY = (
    "Governor Smith Quits the Program (Reposted)\n"
    "Please call the Governor to thank him for withdrawing the state: 555-0100\n"
    "Monday, June 6, 2011\n"
    "Gov. Jane Smith said last week she was withdrawing the state from Secure Communities, "
    "saying it hasn't deported felons. In a letter dated Friday, the state refused to sign on.\n"
    "Comments\n"
    "reader1 says: The state joined the program in March, I saw it.\n"
)
# Another outlet that carries the story's text word for word.
COPY = "Gov. Jane Smith said last week she was withdrawing the state from Secure Communities.\n"

SMALL_FACTS = {
    "sources": [
        {
            "slug": "story",
            "file": "story.txt",
            "title": "Governor Smith quits",
            "publisher": "A Paper",
            "authors": [],
            "kind": "news_article",
            "url": "",
            "published": {
                "earliest": D(2011, 6, 6),
                "latest": D(2011, 6, 6),
                "precision": "day",
                "text": "Monday, June 6, 2011",
            },
            "parts": [
                {"kind": "reposter_header", "quote": "Governor Smith Quits the Program (Reposted)", "author": ""},
                {
                    "kind": "call_to_action",
                    "quote": "Please call the Governor to thank him for withdrawing the state: 555-0100",
                    "author": "",
                },
                {"kind": "reader_comments", "from": "Comments", "author": "readers"},
            ],
        },
        {
            "slug": "copy",
            "file": "copy.txt",
            "title": "",
            "publisher": "A Station",
            "authors": [],
            "kind": "radio_story",
            "url": "",
            "derived_from": "story",
            "derivation": "carries_text",
        },
    ],
    "jurisdictions": [
        {"slug": "a-state", "name": "A State", "kind": "state", "parent": None, "ocd_id": "ocd-division/country:xx"},
        {"slug": "b-state", "name": "B State", "kind": "state", "parent": None, "ocd_id": "ocd-division/country:yy"},
    ],
    "organizations": [
        {
            "slug": "an-agency",
            "name": "An Agency",
            "kind": "government_agency",
            "citations": [{"source": "story", "quote": "Secure Communities"}],
        }
    ],
    "officials": [
        {
            "slug": "jane-smith",
            "name": "Jane Smith",
            "role": "Governor",
            "jurisdiction": "a-state",
            "citations": [{"source": "story", "quote": "Gov. Jane Smith"}],
        }
    ],
    "programs": [
        {
            "slug": "secure-communities",
            "name": "Secure Communities",
            "agency": "an-agency",
            "description": "A program.",
            "citations": [{"source": "story", "quote": "Secure Communities"}],
            "facts": [
                {
                    "slug": "it-has-not-deported-felons",
                    "kind": "deportations",
                    "statement": "It hasn't deported felons.",
                    "date": {
                        "earliest": D(2011, 5, 30),
                        "latest": D(2011, 6, 5),
                        "precision": "week",
                        "text": "last week",
                    },
                    "citations": [{"source": "story", "quote": "it hasn't deported felons"}],
                }
            ],
        }
    ],
    "events": [{"slug": "a-state-leaves", "program": "secure-communities", "summary": "A State leaves the program."}],
    "positions": [
        {
            "slug": "a-state-withdraws",
            "program": "secure-communities",
            "event": "a-state-leaves",
            "jurisdiction": "a-state",
            "stance": "withdraws",
            "date": {"earliest": D(2011, 5, 30), "latest": D(2011, 6, 5), "precision": "week", "text": "last week"},
            "date_basis": "stated",
            "summary": "Gov. Jane Smith said last week she was withdrawing the state from Secure Communities.",
            "voices": [{"official": "jane-smith", "citations": [{"source": "story", "quote": "Gov. Jane Smith said"}]}],
            "reasons": [
                {
                    "topic": "targets_non_criminals",
                    "summary": "It hasn't deported felons.",
                    "citations": [{"source": "story", "quote": "saying it hasn't deported felons"}],
                }
            ],
            "citations": [
                {"source": "story", "quote": "Gov. Jane Smith said last week she was withdrawing the state"},
                {"source": "copy", "quote": "Gov. Jane Smith said last week she was withdrawing the state"},
            ],
        },
        {
            "slug": "a-state-withdraws-copy-version",
            "program": "secure-communities",
            "event": "a-state-leaves",
            "jurisdiction": "a-state",
            "stance": "withdraws",
            "date": {"earliest": D(2011, 6, 6), "latest": D(2011, 6, 6), "precision": "day", "text": ""},
            "date_basis": "reported",
            "summary": "She was withdrawing the state from Secure Communities.",
            "citations": [{"source": "story", "quote": "she was withdrawing the state from Secure Communities"}],
        },
    ],
}


@pytest.fixture
def small(tmp_path):
    """The small facts file, in memory, and its documents in `tmp_path`."""
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "story.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "documents" / "copy.txt").write_text(COPY, encoding="utf-8")
    return copy.deepcopy(SMALL_FACTS)


WITHDRAWAL = "position 'a-state-withdraws'"
REPORTED = (
    "A reported position is dated by its report: its interval is the publication date of one of its citing "
    "sources (story 2011-06-06)."
)


def test_the_small_facts_file_builds(tmp_path, small):
    records = build_fixture(write_facts(tmp_path, small), tmp_path / "documents")
    parts = [record for record in records if isinstance(record, SourcePart)]
    assert [(part.kind, STORY[part.start : part.end].split("\n")[0]) for part in parts] == [
        ("reposter_header", "Governor Smith Quits the Program (Reposted)"),
        ("call_to_action", "Please call the Governor to thank him for withdrawing the state: 555-0100"),
        ("reader_comments", "Comments"),
    ]
    assert parts[-1].end == len(STORY)
    positions = {record.slug: record for record in records if isinstance(record, Position)}
    assert (positions["a-state-withdraws"].date_earliest, positions["a-state-withdraws"].date_latest) == (
        D(2011, 5, 30),
        D(2011, 6, 5),
    )
    assert len([record for record in records if isinstance(record, Citation)]) == 9


# ---- Every quote is verbatim in its source ----


@pytest.mark.parametrize(
    "quote",
    [
        "Gov. Jane Smith happily signed",  # words the story does not have
        "Gov. Jane Smith said last week she was withdrawing the State",  # a capital changed
        "saying it hasn’t deported felons",  # a straight apostrophe curled
    ],
)
def test_a_quote_not_verbatim_is_refused_naming_the_fact_the_source_and_the_quote(tmp_path, small, quote):
    small["positions"][0]["citations"][0]["quote"] = quote
    problem = problem_of(build_problems(tmp_path, small), f"{WITHDRAWAL}, citation 1")
    assert problem.endswith(f"quote {quote!r} is not verbatim in the source (story, story.txt)")


@pytest.mark.parametrize(
    "where, cited",
    [
        ("position 'a-state-withdraws', reason 1", lambda f: f["positions"][0]["reasons"][0]),
        ("position 'a-state-withdraws', voice 1", lambda f: f["positions"][0]["voices"][0]),
        ("program fact 'it-has-not-deported-felons'", lambda f: f["programs"][0]["facts"][0]),
        ("official 'jane-smith'", lambda f: f["officials"][0]),
    ],
)
def test_every_kind_of_fact_is_held_to_verbatim_quotes(tmp_path, small, where, cited):
    cited(small)["citations"][0]["quote"] = "words no document has"
    problem = problem_of(build_problems(tmp_path, small), f"{where}, citation 1")
    assert "quote 'words no document has' is not verbatim in the source" in problem


# ---- Evidence never comes from a part that is not the publisher's ----

NOT_EVIDENCE = (
    "is only in parts that are not the publisher's (a reposter's header, reader comments), which are never evidence"
)


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("Governor Smith Quits the Program", id="reposter header"),
        pytest.param("Please call the Governor to thank him", id="call to action"),
        pytest.param("The state joined the program in March", id="reader comments"),
    ],
)
def test_a_quote_inside_a_part_that_is_not_the_publishers_is_refused(tmp_path, small, quote):
    small["positions"][0]["citations"].append({"source": "story", "quote": quote})
    problem = problem_of(build_problems(tmp_path, small), f"{WITHDRAWAL}, citation 3")
    assert problem.endswith(f"quote {quote!r} {NOT_EVIDENCE} (story, story.txt)")


def test_a_quote_that_is_also_the_publishers_is_taken_from_the_publishers_text(tmp_path, small):
    # "withdrawing the state" is first in the call to action, then in the publisher's story.
    small["positions"][0]["citations"].append({"source": "story", "quote": "withdrawing the state"})
    records = build_fixture(write_facts(tmp_path, small), tmp_path / "documents")
    [citation] = [r for r in records if isinstance(r, Citation) and r.quote == "withdrawing the state"]
    assert STORY.index("withdrawing the state") < STORY.index("Monday, June 6, 2011") < citation.start
    assert STORY[citation.start : citation.end] == "withdrawing the state"


@pytest.mark.parametrize(
    "source_slug, quote, kind",
    [
        ("boston-herald-patrick-refuses-to-sign", "Deval Patrick Refuses to Sign onto S-Comm", "reposter header"),
        ("boston-globe-patrick-wont-sign", "Please consider calling the Governor of Massachusetts", "call to action"),
        ("ap-patrick-massachusetts-wont-participate", "Thank you again for the fine job", "reader comments"),
    ],
)
def test_the_real_documents_parts_are_never_evidence(tmp_path, facts, source_slug, quote, kind):
    find(facts["positions"], REFUSAL)["citations"].append({"source": source_slug, "quote": quote})
    number = len(find(facts["positions"], REFUSAL)["citations"])
    problem = problem_of(build_problems(tmp_path, facts), f"position {REFUSAL!r}, citation {number}")
    assert f"quote {quote!r} {NOT_EVIDENCE}" in problem, kind


# ---- A position's date words are verbatim in one of its quotes ----


def test_date_words_not_in_any_quote_are_refused(tmp_path, small):
    small["positions"][0]["date"]["text"] = "in early June"
    assert problem_of(build_problems(tmp_path, small), WITHDRAWAL) == (
        f"{WITHDRAWAL}: The date words 'in early June' are not in any of the position's own quotes: "
        "cite the words that date it."
    )


def test_date_words_only_in_a_voice_or_reason_quote_are_not_enough(tmp_path, small):
    position = small["positions"][0]
    position["citations"] = [{"source": "story", "quote": "she was withdrawing the state from Secure Communities"}]
    position["voices"][0]["citations"] = [{"source": "story", "quote": "Gov. Jane Smith said last week"}]
    assert "The date words 'last week' are not in any of the position's own quotes" in problem_of(
        build_problems(tmp_path, small), WITHDRAWAL
    )


def test_a_stated_date_without_words_is_refused(tmp_path, small):
    small["positions"][0]["date"]["text"] = ""
    problems = build_problems(tmp_path, small)
    assert f"{WITHDRAWAL}: date_text: A stated date gives the source's words for it (date_text)." in problems


# ---- A reported position is dated by its report ----


@pytest.mark.parametrize(
    "date",
    [
        {"earliest": D(2011, 6, 3), "latest": D(2011, 6, 3), "precision": "day", "text": ""},  # the letter's day
        {"earliest": D(2011, 6, 1), "latest": D(2011, 6, 30), "precision": "month", "text": ""},  # the report's month
    ],
)
def test_a_reported_position_not_dated_by_its_citing_sources_publication_is_refused(tmp_path, small, date):
    small["positions"][1]["date"] = date
    problem = problem_of(build_problems(tmp_path, small), "position 'a-state-withdraws-copy-version'")
    assert problem.endswith(REPORTED)


def test_a_reported_position_citing_only_an_undated_source_is_refused(tmp_path, small):
    small["positions"][1]["citations"] = [{"source": "copy", "quote": "she was withdrawing the state"}]
    problem = problem_of(build_problems(tmp_path, small), "position 'a-state-withdraws-copy-version'")
    assert problem.endswith(REPORTED.replace("story 2011-06-06", "copy undated"))


# ---- An interval fits its precision ----


@pytest.mark.parametrize(
    "earliest, latest, precision",
    [
        pytest.param(D(2011, 5, 31), D(2011, 6, 6), "week", id="a week from a Tuesday"),
        pytest.param(D(2011, 5, 30), D(2011, 6, 4), "week", id="a week to a Saturday"),
        pytest.param(D(2011, 5, 30), D(2011, 6, 12), "week", id="a week of two weeks"),
        pytest.param(D(2011, 5, 2), D(2011, 5, 31), "month", id="a month not from the 1st"),
        pytest.param(D(2011, 5, 1), D(2011, 5, 30), "month", id="a month not to its last day"),
        pytest.param(D(2012, 2, 1), D(2012, 2, 28), "month", id="February of a leap year to the 28th"),
        pytest.param(D(2011, 2, 1), D(2011, 3, 1), "month", id="February of a common year to 1 March"),
        pytest.param(D(2011, 1, 2), D(2011, 12, 31), "year", id="a year not from 1 January"),
        pytest.param(D(2011, 1, 1), D(2011, 12, 30), "year", id="a year not to 31 December"),
        pytest.param(D(2011, 5, 10), D(2011, 5, 10), "range", id="a range with earliest = latest"),
        pytest.param(D(2011, 5, 10), D(2011, 5, 1), "range", id="a range with earliest > latest"),
        pytest.param(D(2011, 6, 3), D(2011, 6, 4), "day", id="a day with earliest != latest"),
    ],
)
@pytest.mark.parametrize(
    "where, dated",
    [
        (WITHDRAWAL, lambda f: f["positions"][0]["date"]),
        ("program fact 'it-has-not-deported-felons'", lambda f: f["programs"][0]["facts"][0]["date"]),
        ("source 'story'", lambda f: f["sources"][0]["published"]),
    ],
    ids=["position", "program fact", "source"],
)
def test_an_interval_that_does_not_fit_its_precision_is_refused(
    tmp_path, small, where, dated, earliest, latest, precision
):
    dated(small).update(earliest=earliest, latest=latest, precision=precision)
    problems = [problem for problem in build_problems(tmp_path, small) if problem.startswith(f"{where}: ")]
    prefix = "published" if where.startswith("source") else "date"
    assert f"{where}: {prefix}_latest: {earliest} .. {latest} does not fit {precision} precision." in [
        problem.split(" A date is an interval")[0] for problem in problems
    ], problems


def test_a_leap_february_and_a_monday_to_sunday_week_fit(tmp_path, small):
    small["programs"][0]["facts"][0]["date"].update(earliest=D(2012, 2, 1), latest=D(2012, 2, 29), precision="month")
    small["positions"][0]["date"].update(earliest=D(2012, 12, 31), latest=D(2013, 1, 6), precision="week")
    build_fixture(write_facts(tmp_path, small), tmp_path / "documents")


# ---- Versions of one event share a holder and a program ----


def test_versions_of_one_event_with_different_holders_are_refused(tmp_path, small):
    small["positions"][1]["jurisdiction"] = "b-state"
    problem = problem_of(build_problems(tmp_path, small), "event 'a-state-leaves'")
    assert "its versions have different programs or holders, and must share both" in problem
    assert "a-state-withdraws: A State on Secure Communities" in problem
    assert "a-state-withdraws-copy-version: B State on Secure Communities" in problem


def test_a_version_held_by_an_official_alone_is_another_holder(tmp_path, small):
    small["positions"][1]["jurisdiction"] = None
    small["positions"][1]["official"] = "jane-smith"
    problem = problem_of(build_problems(tmp_path, small), "event 'a-state-leaves'")
    assert "a-state-withdraws-copy-version: Jane Smith on Secure Communities" in problem


# ---- Every reference names an existing record ----


@pytest.mark.parametrize(
    "where, refer, role, slug",
    [
        (WITHDRAWAL, lambda f: f["positions"][0].update(program="s-comm"), "program", "s-comm"),
        (WITHDRAWAL, lambda f: f["positions"][0].update(jurisdiction="narnia"), "jurisdiction", "narnia"),
        (WITHDRAWAL, lambda f: f["positions"][0].update(event="nothing-happened"), "event", "nothing-happened"),
        (WITHDRAWAL, lambda f: f["positions"][0].update(organization="nobody-inc"), "organization", "nobody-inc"),
        (
            f"{WITHDRAWAL}, voice 1",
            lambda f: f["positions"][0]["voices"][0].update(official="john-doe"),
            "official",
            "john-doe",
        ),
        (
            f"{WITHDRAWAL}, citation 1",
            lambda f: f["positions"][0]["citations"][0].update(source="the-onion"),
            "source",
            "the-onion",
        ),
        ("source 'copy'", lambda f: f["sources"][1].update(derived_from="the-wire"), "derived_from", "the-wire"),
        ("program 'secure-communities'", lambda f: f["programs"][0].update(agency="fbi"), "agency", "fbi"),
        (
            "official 'jane-smith'",
            lambda f: f["officials"][0].update(jurisdiction="c-state"),
            "jurisdiction",
            "c-state",
        ),
        ("event 'a-state-leaves'", lambda f: f["events"][0].update(program="e-verify"), "program", "e-verify"),
    ],
)
def test_a_reference_to_no_record_is_refused(tmp_path, small, where, refer, role, slug):
    refer(small)
    problems = build_problems(tmp_path, small)
    model = {"derived_from": "source", "agency": "organization"}.get(role, role)
    assert f"{where}: {role} {slug!r} does not exist (no {model} has that slug)" in problems, problems


# ---- Every fact has a citation ----


@pytest.mark.parametrize(
    "where, fact",
    [
        (WITHDRAWAL, lambda f: f["positions"][0]),
        (f"{WITHDRAWAL}, voice 1", lambda f: f["positions"][0]["voices"][0]),
        (f"{WITHDRAWAL}, reason 1", lambda f: f["positions"][0]["reasons"][0]),
        ("program fact 'it-has-not-deported-felons'", lambda f: f["programs"][0]["facts"][0]),
        ("program 'secure-communities'", lambda f: f["programs"][0]),
        ("official 'jane-smith'", lambda f: f["officials"][0]),
        ("organization 'an-agency'", lambda f: f["organizations"][0]),
    ],
)
@pytest.mark.parametrize("empty", [[], None], ids=["empty list", "missing"])
def test_a_fact_with_no_citation_is_refused(tmp_path, small, where, fact, empty):
    record = fact(small)
    if empty is None:
        del record["citations"]
    else:
        record["citations"] = empty
    problems = build_problems(tmp_path, small)
    assert f"{where}: has no citation: every fact needs at least one quote from a source" in problems, problems


def test_the_small_facts_file_is_written_as_a_curator_would(tmp_path, small):
    # The counter-examples go through YAML as kb.yaml does: dates stay dates.
    written = yaml.safe_load(write_facts(tmp_path, small).read_text(encoding="utf-8"))
    assert written["positions"][0]["date"]["earliest"] == D(2011, 5, 30)
