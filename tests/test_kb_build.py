"""The fixture build: offsets computed from quotes, and loud, precise failures."""

import os
import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE, FIXTURE_FILE, BuildError, build_fixture, render_fixture

# The documents as handed to the project, beside the checkout in CI and on the project's machines
# (not in a fresh clone elsewhere, nor in a worktree); SHARED_DOCUMENTS names another place.
SHARED_DOCUMENTS = Path(
    os.environ.get("SHARED_DOCUMENTS") or Path(__file__).resolve().parent.parent.parent / "shared" / "documents"
)


def test_the_committed_fixture_is_up_to_date_with_the_facts_and_documents():
    assert FIXTURE_FILE.read_text(encoding="utf-8") == render_fixture(build_fixture()), (
        "fixtures/kb.json is out of date: run `python manage.py build_kb`"
    )


def test_build_kb_check_passes_on_the_committed_fixture(capsys):
    call_command("build_kb", "--check")
    assert "up to date" in capsys.readouterr().out


def test_the_project_keeps_five_documents():
    assert len(list(DOCUMENTS_DIR.glob("*.txt"))) == 5


def test_the_projects_copy_of_the_documents_is_the_shared_documents_byte_for_byte():
    if not SHARED_DOCUMENTS.is_dir():
        pytest.skip(f"no shared documents at {SHARED_DOCUMENTS} to compare the copy with (set SHARED_DOCUMENTS)")
    names = sorted(path.name for path in DOCUMENTS_DIR.glob("*.txt"))
    assert names == sorted(path.name for path in SHARED_DOCUMENTS.glob("*.txt"))
    for name in names:
        assert (DOCUMENTS_DIR / name).read_bytes() == (SHARED_DOCUMENTS / name).read_bytes(), name


def test_each_document_is_one_source():
    facts = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
    assert sorted(source["file"] for source in facts["sources"]) == sorted(p.name for p in DOCUMENTS_DIR.glob("*.txt"))


@pytest.fixture
def facts(tmp_path):
    """A copy of the real facts and documents, to break on purpose."""
    shutil.copytree(DOCUMENTS_DIR, tmp_path / "documents")
    return yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))


def build(tmp_path, facts):
    return build_fixture(write_facts(tmp_path, facts), tmp_path / "documents")


def find(entries, slug):
    return next(entry for entry in entries if entry["slug"] == slug)


def build_problems(tmp_path, facts):
    with pytest.raises(BuildError) as error:
        build(tmp_path, facts)
    return str(error.value)


def test_the_copy_builds_to_the_committed_fixture(tmp_path, facts):
    assert render_fixture(build(tmp_path, facts)) == FIXTURE_FILE.read_text(encoding="utf-8")


def test_a_quote_not_verbatim_names_the_fact_the_source_and_the_quote(tmp_path, facts):
    refusal = find(facts["positions"], "massachusetts-refuses-secure-communities-2011-06-03")
    refusal["citations"][1]["quote"] = "Gov. Deval Patrick happily signed"
    message = build_problems(tmp_path, facts)
    assert "position 'massachusetts-refuses-secure-communities-2011-06-03', citation 2" in message
    assert "'Gov. Deval Patrick happily signed' is not verbatim" in message
    assert "'boston-herald-patrick-refuses-to-sign' (001_0b758dc937da1ae3.txt)" in message


def test_a_quote_from_the_reader_comments_is_refused(tmp_path, facts):
    refusal = find(facts["positions"], "massachusetts-refuses-secure-communities-2011-06-03")
    refusal["citations"].append(
        {"source": "ap-patrick-massachusetts-wont-participate", "quote": "Thank you again for the fine job"}
    )
    assert "is only in the reader comments" in build_problems(tmp_path, facts)


def test_a_straightened_apostrophe_is_not_verbatim(tmp_path, facts):
    # 002 writes "won’t" with a typographic apostrophe; a quote must keep it.
    refusal = find(facts["positions"], "massachusetts-refuses-secure-communities-2011-06-03")
    ap = next(c for c in refusal["citations"] if c["source"] == "ap-patrick-massachusetts-wont-participate")
    ap["quote"] = ap["quote"].replace("’", "'")
    assert "is not verbatim" in build_problems(tmp_path, facts)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("official", "deval-patricks", "official 'deval-patricks' does not exist"),
        ("program", "s-comm", "program 's-comm' does not exist"),
        ("jurisdiction", "narnia", "jurisdiction 'narnia' does not exist"),
        ("stance", "dislikes", "stance 'dislikes' is not one of supports, opposes"),
        ("date_precision", "week", "date precision 'week' is not one of day, month, year"),
        ("date", "June 2011", "date 'June 2011' is not a date written YYYY-MM-DD"),
        ("citations", [], "has no citation"),
    ],
)
def test_a_broken_position_is_named_with_its_problem(tmp_path, facts, field, value, expected):
    refusal = find(facts["positions"], "massachusetts-refuses-secure-communities-2011-06-03")
    refusal[field] = value
    message = build_problems(tmp_path, facts)
    assert "position 'massachusetts-refuses-secure-communities-2011-06-03'" in message
    assert expected in message


def test_a_citation_of_an_unknown_source_is_named(tmp_path, facts):
    find(facts["officials"], "deval-patrick")["citations"][0]["source"] = "the-onion"
    assert "official 'deval-patrick', citation 1: source 'the-onion' does not exist" in build_problems(tmp_path, facts)


def test_a_month_precise_date_must_be_the_first_of_the_month(tmp_path, facts):
    import datetime

    find(facts["positions"], "illinois-withdraws-2011-05")["date"] = datetime.date(2011, 5, 4)
    assert "has month precision, so it must be the 1st of its month" in build_problems(tmp_path, facts)


def test_duplicate_slugs_are_refused(tmp_path, facts):
    facts["positions"].append(dict(find(facts["positions"], "illinois-withdraws-2011-05")))
    assert "slug 'illinois-withdraws-2011-05' is used by two position records" in build_problems(tmp_path, facts)


def test_a_missing_document_is_named(tmp_path, facts):
    (tmp_path / "documents" / "004_732e1aff2319cb26.txt").unlink()
    assert "document file '004_732e1aff2319cb26.txt' does not exist" in build_problems(tmp_path, facts)


def test_every_problem_is_reported_at_once(tmp_path, facts):
    find(facts["positions"], "illinois-withdraws-2011-05")["stance"] = "dislikes"
    find(facts["positions"], "illinois-refuses")["official"] = "nobody"
    message = build_problems(tmp_path, facts)
    assert message.startswith("2 problem(s)")


def write_facts(tmp_path, facts):
    facts_file = tmp_path / "kb.yaml"
    facts_file.write_text(yaml.safe_dump(facts, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return facts_file


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
    with pytest.raises(CommandError, match="stance 'dislikes' is not one of"):
        call_command("build_kb", facts=write_facts(tmp_path, facts), documents=tmp_path / "documents", output=output)
    assert not output.exists()
