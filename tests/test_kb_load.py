"""load_kb: into an empty or a loaded database, idempotent, atomic, and naming the bad record."""

import io
import json
import time

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from kb import registry
from kb.fixture_build import FIXTURE_FILE
from kb.models import Citation, Jurisdiction, Position, Program, Reason, Voice

KB_MODELS = registry.record_models()


def snapshot():
    """Every row of the knowledge base, as Django serializes it (primary keys included)."""
    return {model.__name__: serializers.serialize("json", model.objects.order_by("pk")) for model in KB_MODELS}


def load(**options):
    out = io.StringIO()
    call_command("load_kb", stdout=out, **options)
    return out.getvalue()


def fixture_records():
    return json.loads(FIXTURE_FILE.read_text(encoding="utf-8"))


def write_fixture(tmp_path, records):
    path = tmp_path / "kb.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_loading_into_an_empty_database_creates_every_record(empty_database):
    output = load()
    records = fixture_records()
    assert Position.objects.count() == sum(r["model"] == "kb.position" for r in records)
    assert Citation.objects.count() == sum(r["model"] == "kb.citation" for r in records)
    assert f"Loaded {len(records)} record(s)" in output
    for model in KB_MODELS:
        expected = sum(r["model"] == model._meta.label_lower for r in records)
        assert expected > 0, model
        assert model.objects.count() == expected, model
        assert f"{model._meta.label}: {expected} created" in output


def test_a_second_load_changes_nothing_and_duplicates_nothing(empty_database):
    load()
    before = snapshot()
    output = load()
    assert snapshot() == before
    assert "created" not in output and "updated" not in output and "removed" not in output
    citations = sum(r["model"] == "kb.citation" for r in fixture_records())
    assert f"kb.Citation: {citations} unchanged" in output


def test_loading_restores_an_edited_record_and_keeps_its_identity(empty_database, tmp_path):
    """The record was edited by an earlier load (a fixture where the refusal read "supports"): the
    committed fixture's load takes it back, in the same row. A person's edit would stay (load_kb is
    three-way: tests/test_curation_load.py)."""
    slug = "massachusetts-refuses-secure-communities-2011-06-03"
    edited = fixture_records()
    [record] = [r for r in edited if r["model"] == "kb.position" and r["fields"]["slug"] == slug]
    record["fields"]["stance"] = "supports"
    load(fixture=str(write_fixture(tmp_path, edited)))
    refusal = Position.objects.get(slug=slug)
    assert refusal.stance == "supports"
    output = load()
    refusal.refresh_from_db()
    assert refusal.stance == "refuses"
    positions = sum(r["model"] == "kb.position" for r in fixture_records())
    assert f"kb.Position: 1 updated, {positions - 1} unchanged" in output


def test_loading_removes_citations_the_fixture_no_longer_has(empty_database, tmp_path):
    load()
    records = [
        r
        for r in fixture_records()
        if not (
            r["model"] == "kb.citation"
            and r["fields"].get("position") == ["boston-participates-since-2006"]
            and r["fields"]["source"] == ["blog-patrick-refuses-to-join-secure-communities"]
        )
    ]
    output = load(fixture=str(write_fixture(tmp_path, records)))
    kept = sum(r["model"] == "kb.citation" for r in records)
    assert f"kb.Citation: {kept} unchanged, 1 removed" in output
    assert Position.objects.get(slug="boston-participates-since-2006").citations.count() == 4


def test_loading_removes_voices_and_reasons_the_fixture_no_longer_has_with_their_citations(empty_database, tmp_path):
    load()
    refusal = "massachusetts-refuses-secure-communities-2011-06-03"
    patricks_voice = ["position", refusal, "official", "deval-patrick"]  # a voice's natural key
    first_reason = [refusal, 0]
    records = fixture_records()

    def dropped(record):
        fields = record["fields"]
        if record["model"] == "kb.voice":
            return fields["position"] == [refusal] and fields["official"] == ["deval-patrick"]
        if record["model"] == "kb.reason":
            return fields["position"] == [refusal] and fields["rank"] == 0
        return record["model"] == "kb.citation" and (
            fields["voice"] == patricks_voice or fields["reason"] == first_reason
        )

    def count(model, in_records):
        return sum(r["model"] == model for r in in_records)

    kept = [r for r in records if not dropped(r)]
    citations_dropped = count("kb.citation", records) - count("kb.citation", kept)
    assert count("kb.voice", kept) == count("kb.voice", records) - 1
    assert count("kb.reason", kept) == count("kb.reason", records) - 1
    assert citations_dropped >= 2

    output = load(fixture=str(write_fixture(tmp_path, kept)))

    assert f"kb.Voice: {count('kb.voice', kept)} unchanged, 1 removed" in output
    assert f"kb.Reason: {count('kb.reason', kept)} unchanged, 1 removed" in output
    assert f"kb.Citation: {count('kb.citation', kept)} unchanged, {citations_dropped} removed" in output
    assert not Voice.objects.filter(position__slug=refusal, official__slug="deval-patrick").exists()
    assert not Reason.objects.filter(position__slug=refusal, rank=0).exists()
    assert Citation.objects.count() == count("kb.citation", kept)
    assert list(Position.objects.get(slug=refusal).voices.values_list("official__slug", flat=True)) == [
        "mary-beth-heffernan"
    ]


def test_records_outside_the_fixture_are_left_alone(empty_database):
    load()
    program = Program.objects.get(slug="secure-communities")
    extra = Position.objects.create(
        slug="added-by-an-editor",
        program=program,
        jurisdiction=Jurisdiction.objects.get(slug="california"),
        stance="supports",
        date_earliest="2011-06-06",
        date_latest="2011-06-06",
        date_precision="day",
        date_text="x",
        summary="An editor's record.",
    )
    load()
    assert Position.objects.filter(pk=extra.pk).exists()


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (
            lambda r: r["fields"].update(start=r["fields"]["start"] + 1) if r["model"] == "kb.citation" else None,
            "could not load kb.Citation",
        ),
        (
            lambda r: r["fields"].update(stance="dislikes") if r["model"] == "kb.position" else None,
            "could not load kb.Position('",
        ),
        (
            lambda r: (
                r["fields"].update(official=["nobody"])
                if r["model"] == "kb.voice" and r["fields"]["official"]
                else None
            ),
            "Official matching query does not exist",
        ),
        (
            lambda r: (
                r["fields"].update(date_latest="2011-06-02")
                if r["model"] == "kb.position" and r["fields"]["date_precision"] == "week"
                else None
            ),
            "date_latest: 2011-05-30 .. 2011-06-02 does not fit week precision",
        ),
    ],
    ids=["shifted-offsets", "unknown-stance", "unknown-official", "week-that-is-no-week"],
)
def test_a_broken_fixture_leaves_the_database_exactly_as_it_was(empty_database, tmp_path, break_it, expected):
    load()
    before = snapshot()
    records = fixture_records()
    broken = None
    for record in reversed(records):  # break the last record of its kind, after many good saves
        original = json.dumps(record)
        break_it(record)
        if json.dumps(record) != original:
            broken = record
            break
    assert broken is not None
    with pytest.raises(CommandError) as error:
        load(fixture=str(write_fixture(tmp_path, records)))
    assert expected in str(error.value)
    assert "Nothing was changed." in str(error.value)
    assert snapshot() == before


def test_a_broken_fixture_into_an_empty_database_leaves_it_empty(empty_database, tmp_path):
    records = fixture_records()
    records[-1]["fields"]["quote"] = "words no document has"
    with pytest.raises(CommandError, match="not the quote 'words no document has'"):
        load(fixture=str(write_fixture(tmp_path, records)))
    assert all(model.objects.count() == 0 for model in KB_MODELS)


def test_a_shifted_citation_names_the_source_and_the_mismatching_text(empty_database, tmp_path):
    records = fixture_records()
    citation = next(r for r in records if r["model"] == "kb.citation")
    citation["fields"]["start"] += 1
    citation["fields"]["end"] += 1
    with pytest.raises(CommandError) as error:
        load(fixture=str(write_fixture(tmp_path, records)))
    message = str(error.value)
    assert f"source {citation['fields']['source'][0]!r} has" in message
    assert f"not the quote {citation['fields']['quote']!r}" in message


def test_a_fixture_that_is_not_json_is_refused(empty_database, tmp_path):
    path = tmp_path / "kb.json"
    path.write_text("[{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="Problem installing fixture"):
        load(fixture=str(path))


def test_a_missing_fixture_is_refused(empty_database, tmp_path):
    with pytest.raises(CommandError, match="Cannot read fixture"):
        load(fixture=str(tmp_path / "missing.json"))


def test_loading_is_quick(empty_database):
    started = time.perf_counter()
    load()
    load()
    assert time.perf_counter() - started < 20


def test_djangos_own_loaddata_reads_the_fixture_too(empty_database):
    call_command("loaddata", str(FIXTURE_FILE), verbosity=0)
    call_command("loaddata", str(FIXTURE_FILE), verbosity=0)
    assert Position.objects.count() == sum(r["model"] == "kb.position" for r in fixture_records())
