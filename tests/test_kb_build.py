"""The fixture build: offsets computed from quotes, and loud, precise failures.

The rules of issue 12 that the build enforces, each against a counter-example, are in
tests/test_kb_rules.py.
"""

import json
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE, FIXTURE_FILE, build_fixture, render_fixture
from tests.kb_facts import REFUSAL, build, build_problems, find, problem_of, write_facts

# The build evaluates each record's check constraints, which the database answers.
pytestmark = pytest.mark.django_db

SHARED_DOCUMENTS = Path(__file__).resolve().parent.parent.parent / "shared" / "documents"


def test_the_committed_fixture_is_up_to_date_with_the_facts_and_documents():
    assert FIXTURE_FILE.read_text(encoding="utf-8") == render_fixture(build_fixture()), (
        "fixtures/kb.json is out of date: run `python manage.py build_kb`"
    )


def test_build_kb_check_passes_on_the_committed_fixture(capsys):
    call_command("build_kb", "--check")
    assert "up to date" in capsys.readouterr().out


def test_every_quote_in_the_fixture_is_verbatim_at_its_offsets_and_outside_every_part_not_the_publishers():
    records = json.loads(FIXTURE_FILE.read_text(encoding="utf-8"))
    sources = {r["fields"]["slug"]: r["fields"] for r in records if r["model"] == "kb.source"}
    parts = [r["fields"] for r in records if r["model"] == "kb.sourcepart"]
    assert {part["kind"] for part in parts} == {"reposter_header", "call_to_action", "reader_comments"}
    citations = [r["fields"] for r in records if r["model"] == "kb.citation"]
    assert len(citations) > 100
    for citation in citations:
        source = sources[citation["source"][0]]
        assert source["text"][citation["start"] : citation["end"]] == citation["quote"]
        for part in parts:
            if part["source"] == citation["source"]:
                assert citation["end"] <= part["start"] or part["end"] <= citation["start"], (citation, part)


def test_the_project_keeps_its_own_copy_of_the_documents():
    assert len(list(DOCUMENTS_DIR.glob("*.txt"))) == 5


@pytest.mark.skipif(not SHARED_DOCUMENTS.is_dir(), reason="no shared/documents beside the checkout to compare with")
def test_the_projects_documents_are_the_shared_originals_byte_for_byte():
    for path in DOCUMENTS_DIR.glob("*.txt"):
        assert path.read_bytes() == (SHARED_DOCUMENTS / path.name).read_bytes(), path.name


def test_each_document_is_one_source():
    facts = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    assert sorted(source["file"] for source in facts["sources"]) == sorted(p.name for p in DOCUMENTS_DIR.glob("*.txt"))


def test_the_copy_builds_to_the_committed_fixture(tmp_path, facts):
    assert render_fixture(build(tmp_path, facts)) == FIXTURE_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("stance", "dislikes", "stance: Value 'dislikes' is not a valid choice."),
        ("date_basis", "rumoured", "date_basis: Value 'rumoured' is not a valid choice."),
        ("summary", "", "summary: This field cannot be blank."),
        ("slug", "Not A Slug", "slug: Enter a valid “slug”"),
    ],
)
def test_a_broken_position_field_is_named_with_its_problem(tmp_path, facts, field, value, expected):
    find(facts["positions"], REFUSAL)[field] = value
    problems = build_problems(tmp_path, facts)
    assert any(problem.startswith(f"position {REFUSAL if field != 'slug' else value!r}") for problem in problems)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "date, expected",
    [
        ({"precision": "hour"}, "date_precision: Value 'hour' is not a valid choice."),
        ({"earliest": "June 2011"}, "date earliest 'June 2011' is not a date written YYYY-MM-DD"),
        ({"latest": None}, "date_latest: This field cannot be null."),
    ],
)
def test_a_broken_date_is_named_with_its_problem(tmp_path, facts, date, expected):
    find(facts["positions"], REFUSAL)["date"].update(date)
    problems = build_problems(tmp_path, facts)
    assert any(problem.startswith(f"position {REFUSAL!r}: {expected}") for problem in problems), problems


def test_duplicate_slugs_are_refused(tmp_path, facts):
    facts["positions"].append(dict(find(facts["positions"], "illinois-withdraws-2011-05")))
    problems = build_problems(tmp_path, facts)
    assert (
        "position 'illinois-withdraws-2011-05': slug 'illinois-withdraws-2011-05' is used by two position records"
        in problems
    )


def test_a_missing_document_is_named(tmp_path, facts):
    (tmp_path / "documents" / "004_732e1aff2319cb26.txt").unlink()
    problems = build_problems(tmp_path, facts)
    assert problem_of(problems, "source 'wbur-mass-wont-join-immigration-check-program'").endswith(
        "document file '004_732e1aff2319cb26.txt' does not exist in " + str(tmp_path / "documents")
    )


def test_an_unknown_section_is_named_with_the_accepted_ones(tmp_path, facts):
    facts["rumours"] = []
    problems = build_problems(tmp_path, facts)
    assert any("unknown sections rumours; accepted: sources, jurisdictions" in problem for problem in problems)


def test_every_problem_is_reported_at_once(tmp_path, facts):
    find(facts["positions"], "illinois-withdraws-2011-05")["stance"] = "dislikes"
    find(facts["positions"], "illinois-refuses")["jurisdiction"] = "nowhere"
    problems = build_problems(tmp_path, facts)
    assert any(problem.startswith("position 'illinois-withdraws-2011-05': stance") for problem in problems)
    assert (
        "position 'illinois-refuses': jurisdiction 'nowhere' does not exist (no jurisdiction has that slug)" in problems
    )


def test_build_kb_command_writes_the_fixture(tmp_path, facts):
    output = tmp_path / "kb.json"
    call_command("build_kb", facts=write_facts(tmp_path, facts), documents=tmp_path / "documents", output=output)
    assert output.read_text(encoding="utf-8") == FIXTURE_FILE.read_text(encoding="utf-8")


def test_build_kb_check_fails_when_the_fixture_is_out_of_date(tmp_path, facts):
    output = tmp_path / "kb.json"
    output.write_text("[]\n", encoding="utf-8")
    with pytest.raises(CommandError, match="is out of date"):
        call_command(
            "build_kb", "--check", facts=write_facts(tmp_path, facts), documents=tmp_path / "documents", output=output
        )


def test_build_kb_command_fails_with_the_problems_and_writes_nothing(tmp_path, facts):
    find(facts["positions"], "illinois-withdraws-2011-05")["stance"] = "dislikes"
    output = tmp_path / "kb.json"
    with pytest.raises(CommandError, match="stance: Value 'dislikes' is not a valid choice"):
        call_command("build_kb", facts=write_facts(tmp_path, facts), documents=tmp_path / "documents", output=output)
    assert not output.exists()
