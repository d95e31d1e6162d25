"""generate_synthetic_kb: a large knowledge base beside the real one, with every kind of record and
every derived column as saving would store it, and out again without a trace."""

import io
from collections import Counter

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection

from kb import derived, registry, synthetic
from kb.models import (
    Citation,
    DateBasis,
    DatePrecision,
    Holder,
    Jurisdiction,
    Official,
    Position,
    Source,
    SourcePart,
    SourcePartKind,
    Voice,
)
from kb.models.positions import refresh_in_force
from kb.search import search_text_of

POSITIONS = 300
IN_FORCE_DAYS = ("in_force_from", "certain_from", "contested_from", "in_force_until")


def real_knowledge_base():
    """Every real row of every kind of record, serialized field by field (primary keys included)."""
    return {
        model.__name__: serializers.serialize(
            "json", model.objects.exclude(pk__in=synthetic.synthetic(model)).order_by("pk")
        )
        for model in registry.record_models()
    }


def generate(positions=POSITIONS, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_synthetic_kb", positions=positions, stdout=out, stderr=err, **options)
    return out.getvalue()


def derived_columns(model):
    """The columns derived from the rest (a path, a lineage root, as_of days, search text), by name."""
    return [field.attname for field in model._meta.concrete_fields if not field.editable and field.name != "version"]


def snapshot(model, columns=None):
    columns = columns or derived_columns(model)
    return {row[0]: row[1:] for row in synthetic.synthetic(model).values_list("pk", *columns)}


@pytest.fixture
def synthetic_kb(knowledge_base):
    generate()


def test_generating_then_removing_leaves_the_real_knowledge_base_as_it_was(knowledge_base):
    before = real_knowledge_base()
    real_positions = Position.objects.count()
    output = generate()
    assert f"kb.Position: {POSITIONS}" in output
    assert synthetic.counts()["Position"] == POSITIONS
    assert Position.objects.count() == POSITIONS + real_positions
    assert all(synthetic.counts()[model.__name__] for model in registry.record_models())

    output = generate(remove=True)

    assert "Removed" in output
    assert set(synthetic.counts().values()) == {0}
    assert real_knowledge_base() == before


def test_removing_takes_out_every_kind_of_synthetic_record_and_nothing_else(synthetic_kb):
    before = real_knowledge_base()
    expected = synthetic.counts()

    deleted = synthetic.remove()

    assert deleted == expected
    assert real_knowledge_base() == before


def test_sizes_scale_from_the_number_of_positions(synthetic_kb):
    sizes = synthetic.Sizes(POSITIONS)
    counts = synthetic.counts()
    assert counts["Program"] == sizes.programs
    assert counts["Jurisdiction"] == sizes.jurisdictions
    assert counts["Official"] == sizes.officials
    assert counts["Source"] == sizes.sources
    assert counts["Citation"] >= 2 * POSITIONS  # two per position, and one per voice, reason and identity
    default = synthetic.Sizes(synthetic.DEFAULT_POSITIONS)
    assert (default.programs, default.jurisdictions, default.officials, default.sources) == (50, 5000, 20000, 20000)


def test_every_kind_of_related_record_comes_in_its_share(knowledge_base):
    generate(positions=2000)
    positions = synthetic.synthetic(Position)
    sources = synthetic.synthetic(Source)
    share = lambda part, whole: part.count() / whole.count()  # noqa: E731

    assert 0.03 <= share(positions.filter(event__isnull=False), positions) / 2 <= 0.07  # events of two versions
    assert 0.25 <= share(positions.filter(reasons__isnull=False), positions) <= 0.35
    assert 0.4 <= share(positions.filter(voices__isnull=False), positions) <= 0.7
    assert 0.03 <= share(positions.filter(official__isnull=False), positions) <= 0.08  # an official's own stance
    assert 0.05 <= share(positions.filter(date_basis=DateBasis.REPORTED), positions) <= 0.2
    assert 0.05 <= share(sources.filter(derived_from__isnull=False), sources) <= 0.15
    assert 0.1 <= share(sources.filter(parts__isnull=False), sources) <= 0.3
    assert set(positions.values_list("date_precision", flat=True)) == set(DatePrecision.values)
    assert {kind for _, kind in sources.values_list("derived_from", "derivation") if kind} == {
        "carries_text",
        "quotes",
    }


def test_the_versions_of_an_event_share_holder_and_program_and_are_told_by_different_sources(synthetic_kb):
    versions = Counter(synthetic.synthetic(Position).exclude(event=None).values_list("event_id", flat=True))
    assert versions and set(versions.values()) == {2}
    for event_id in versions:
        first, second = Position.objects.filter(event_id=event_id)
        assert Holder.of(first) == Holder.of(second) and first.program_id == second.program_id
        assert first.event.program_id == first.program_id
        sources_of = lambda position: set(position.citations.values_list("source", flat=True))  # noqa: E731
        assert not sources_of(first) & sources_of(second)


def test_a_position_names_an_official_only_as_its_own_stance_and_spokespeople_are_voices(synthetic_kb):
    positions = synthetic.synthetic(Position)
    assert not positions.filter(official__isnull=False).exclude(jurisdiction=None, organization=None).exists()
    voices = Voice.objects.filter(position__in=positions).select_related("position", "official")
    assert voices.exists()
    for voice in voices:
        assert voice.rank == 0 and voice.official is not None and voice.citations.exists()
        acts_for = (voice.official.jurisdiction_id, voice.official.organization_id)
        assert (voice.position.jurisdiction_id, voice.position.organization_id) == acts_for


def test_generating_again_replaces_the_synthetic_knowledge_base(synthetic_kb):
    first = synthetic.counts()
    generate()
    assert synthetic.counts() == first


def test_synthetic_records_point_only_at_synthetic_records(synthetic_kb):
    for model in registry.record_models():
        rows = synthetic.synthetic(model)
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in registry.record_models():
                pointing_out = rows.filter(**{f"{field.name}__isnull": False}).exclude(
                    **{f"{field.name}__in": synthetic.synthetic(field.related_model)}
                )
                assert not pointing_out.exists(), f"{model.__name__}.{field.name}"
    assert not synthetic.synthetic(Source).exclude(file_name__startswith=synthetic.FILE_PREFIX).exists()


def test_every_synthetic_quote_is_verbatim_in_its_source_outside_its_parts(synthetic_kb):
    parts = {}
    for part in SourcePart.objects.filter(source__in=synthetic.synthetic(Source)):
        assert part.kind == SourcePartKind.READER_COMMENTS and part.end == len(part.source.text)
        assert part.source.text[part.start :].startswith("Comments")
        parts.setdefault(part.source_id, []).append(part)
    assert parts
    for citation in synthetic.synthetic(Citation).select_related("source"):
        assert citation.source.text[citation.start : citation.end] == citation.quote
        assert not any(
            part.start < citation.end and citation.start < part.end for part in parts.get(citation.source_id, ())
        )


def test_synthetic_records_obey_the_models_rules(synthetic_kb):
    connection.check_constraints()  # every foreign key names an existing row (checked at commit otherwise)
    for model in registry.record_models():
        for record in synthetic.synthetic(model)[:40]:
            record.full_clean()
    for record in synthetic.synthetic(Position).exclude(event=None):
        record.full_clean()


def test_the_as_of_days_are_what_refresh_in_force_stores(synthetic_kb):
    generated = snapshot(Position, IN_FORCE_DAYS)
    assert Position.objects.filter(pk__in=generated, contested_from__isnull=False).exists()
    assert Position.objects.filter(pk__in=generated, in_force_until__isnull=False).exists()

    refresh_in_force()

    assert snapshot(Position, IN_FORCE_DAYS) == generated


def test_the_holder_key_is_the_holders(synthetic_kb):
    for position in synthetic.synthetic(Position):
        assert position.holder_key == Holder.of(position).key, position.slug


def test_every_derived_column_is_what_refreshing_it_stores(synthetic_kb):
    models = [model for model in registry.record_models() if derived_columns(model)]
    assert {Jurisdiction, Source, Position} <= set(models)  # paths, lineage roots, as_of days; search text
    generated = {model: snapshot(model) for model in models}

    derived.refresh_all()

    for model in models:
        assert snapshot(model) == generated[model], model.__name__


@pytest.mark.parametrize("model", registry.searchable_models())
def test_synthetic_search_text_is_what_saving_would_store(synthetic_kb, model):
    for record in synthetic.synthetic(model)[:60]:
        assert record.search_text == search_text_of(record), record.slug


def test_synthetic_positions_are_found_by_search_for_their_voice_and_reason(synthetic_kb, client):
    position = synthetic.synthetic(Position).filter(voices__isnull=False, reasons__isnull=False).first()
    voice = position.voices.get().official.name.split()[-1]
    reason = position.reasons.get().summary.split()[-1].rstrip(".")
    response = client.get("/api/v1/positions/", {"search": f"{voice} {reason} {position.program.name}", "limit": 100})
    assert position.slug in [result["slug"] for result in response.json()["results"]]


def test_synthetic_officials_timelines_hold_what_they_voiced(synthetic_kb, client):
    official = Official.objects.filter(voices__position__in=synthetic.synthetic(Position)).first()
    voiced = set(Position.objects.filter(voices__official=official).values_list("slug", flat=True))
    response = client.get(f"/api/v1/officials/{official.slug}/timeline/", {"limit": 100})
    assert voiced <= {result["slug"] for result in response.json()["results"]}


def test_a_size_below_one_is_refused(knowledge_base):
    with pytest.raises(CommandError, match="--positions must be 1 or more"):
        generate(positions=0)


def foreign_keys():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' ORDER BY 1, 2"
        )
        return cursor.fetchall()


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: there the generator drops the foreign keys and adds them back (SQLite keeps them)",
)


@postgresql_only
def test_the_foreign_keys_are_back_after_generating_and_removing(knowledge_base):
    before = foreign_keys()
    generate()
    assert foreign_keys() == before
    generate(remove=True)
    assert foreign_keys() == before


@postgresql_only
def test_a_generated_row_that_points_nowhere_is_refused_when_the_foreign_keys_come_back(knowledge_base, monkeypatch):
    build = synthetic.Generator.build

    def build_with_a_stray_voice(generator):
        tables = build(generator)
        tables[Voice].add(position_id=10**9, rank=0, official_id=next(iter(generator.official_names)))
        return tables

    monkeypatch.setattr(synthetic.Generator, "build", build_with_a_stray_voice)
    with pytest.raises(IntegrityError, match="kb_voice"):
        generate()


def test_generating_follows_other_writes_in_the_same_transaction(knowledge_base):
    official = Official.objects.order_by("pk").first()
    official.other_names.create(name="A spelling written just before")  # its foreign keys' checks are pending
    generate()
    assert synthetic.counts()["Position"] == POSITIONS
    assert official.other_names.filter(name="A spelling written just before").exists()
