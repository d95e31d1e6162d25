"""generate_synthetic_kb: a large knowledge base beside the real one, and out again without a trace."""

import io

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from kb import synthetic
from kb.models import Citation, Jurisdiction, Official, Organization, OtherName, Position, Program, ProgramFact, Source
from kb.search import search_text_of
from tests.synthetic_kb import refuse_transactional, synthetic_kb_fixture

KB_MODELS = [Source, Jurisdiction, Organization, Official, Program, ProgramFact, Position, OtherName, Citation]
POSITIONS = 300


def real_knowledge_base():
    """Every real row, serialized field by field (primary keys included), in primary-key order."""
    return {
        model.__name__: serializers.serialize(
            "json", model.objects.exclude(pk__in=synthetic.synthetic(model)).order_by("pk")
        )
        for model in KB_MODELS
    }


def generate(positions=POSITIONS, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_synthetic_kb", positions=positions, stdout=out, stderr=err, **options)
    return out.getvalue()


_synthetic_kb = synthetic_kb_fixture(POSITIONS)


@pytest.fixture
def synthetic_kb(_synthetic_kb, db, request):
    """The real knowledge base with a synthetic one of 300 positions, generated once for the module."""
    refuse_transactional(request, "synthetic_kb")


def test_generating_then_removing_leaves_the_real_knowledge_base_as_it_was(knowledge_base):
    before = real_knowledge_base()
    output = generate()
    assert f"kb.Position: {POSITIONS}" in output
    assert synthetic.counts()["Position"] == POSITIONS
    assert Position.objects.count() == POSITIONS + 21

    output = generate(remove=True)

    assert "Removed" in output
    assert set(synthetic.counts().values()) == {0}
    assert real_knowledge_base() == before


def test_sizes_scale_from_the_number_of_positions(synthetic_kb):
    sizes = synthetic.Sizes(POSITIONS)
    counts = synthetic.counts()
    assert counts["Program"] == sizes.programs
    assert counts["Jurisdiction"] == sizes.jurisdictions
    assert counts["Official"] == sizes.officials
    assert counts["Source"] == sizes.sources
    assert counts["Citation"] >= 2 * POSITIONS  # two per position, one per other name of an official
    default = synthetic.Sizes(synthetic.DEFAULT_POSITIONS)
    assert (default.programs, default.jurisdictions, default.officials, default.sources) == (50, 5000, 20000, 20000)


def test_generating_again_replaces_the_synthetic_knowledge_base(synthetic_kb):
    first = synthetic.counts()
    generate()
    assert synthetic.counts() == first


def test_synthetic_records_point_only_at_synthetic_records(synthetic_kb):
    positions = synthetic.synthetic(Position)
    assert not positions.exclude(program__slug__startswith="synthetic-").exists()
    assert (
        not positions.filter(jurisdiction__isnull=False).exclude(jurisdiction__slug__startswith="synthetic-").exists()
    )
    assert not positions.filter(official__isnull=False).exclude(official__slug__startswith="synthetic-").exists()
    assert (
        not synthetic.synthetic(Citation)
        .exclude(pk__in=Citation.objects.filter(position__slug__startswith="synthetic-"))
        .exclude(other_name__official__slug__startswith="synthetic-")
        .exists()
    )
    assert (
        not Citation.objects.filter(position__slug__startswith="synthetic-")
        .exclude(source__file_name__startswith="synthetic/")
        .exists()
    )


def test_every_synthetic_quote_is_verbatim_in_its_source_at_its_offsets(synthetic_kb):
    for citation in synthetic.synthetic(Citation).select_related("source"):
        assert citation.source.text[citation.start : citation.end] == citation.quote


def test_synthetic_records_obey_the_models_rules(synthetic_kb):
    for model in KB_MODELS:
        for record in synthetic.synthetic(model)[:40]:
            record.full_clean()


@pytest.mark.parametrize("model", [Source, Jurisdiction, Organization, Official, Program, Position])
def test_synthetic_search_text_is_what_saving_would_store(synthetic_kb, model):
    for record in synthetic.synthetic(model)[:60]:
        assert record.search_text == search_text_of(record), record.slug


def test_synthetic_positions_are_found_by_search(synthetic_kb, client):
    position = synthetic.synthetic(Position).filter(official__isnull=False).first()
    word = position.official.name.split()[-1]
    response = client.get("/api/v1/positions/", {"search": f"{word} {position.program.name}", "limit": 100})
    assert position.slug in [result["slug"] for result in response.json()["results"]]


# The module's synthetic knowledge base (tests/synthetic_kb.py): made once, and what a test
# writes in it is undone for the next. The two tests below run in this order.
def test_a_test_may_delete_the_modules_synthetic_knowledge_base(synthetic_kb):
    synthetic.remove()
    assert set(synthetic.counts().values()) == {0}


def test_the_next_test_finds_the_modules_synthetic_knowledge_base_whole_again(synthetic_kb):
    counts = synthetic.counts()
    assert counts["Position"] == POSITIONS and counts["Citation"] >= 2 * POSITIONS


def test_knowledge_base_is_the_real_one_alone_even_in_a_module_with_a_synthetic_one(knowledge_base):
    assert set(synthetic.counts().values()) == {0}
    assert Position.objects.count() == 21


def test_a_size_below_one_is_refused(knowledge_base):
    with pytest.raises(CommandError, match="--positions must be 1 or more"):
        generate(positions=0)
