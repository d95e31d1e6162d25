"""The models refuse bad rows from any path: full_clean for forms, constraints for everything else."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from kb.models import (
    INTERVAL_MESSAGE,
    Citation,
    Event,
    Jurisdiction,
    Official,
    Organization,
    OtherName,
    Position,
    Program,
    ProgramFact,
    Reason,
    Source,
    SourcePart,
    Voice,
)

EVIDENCE = "The governor refused to sign on.\n"
COMMENTS = "Comments\nA reader says the governor refused.\n"
D = datetime.date


@pytest.fixture
def source(empty_database):
    source = Source.objects.create(
        slug="a-source",
        title="A source",
        publisher="A publisher",
        kind="news_article",
        file_name="a.txt",
        text=EVIDENCE + COMMENTS,
    )
    SourcePart.objects.create(
        source=source, kind="reader_comments", start=len(EVIDENCE), end=len(EVIDENCE + COMMENTS), author="readers"
    )
    return source


@pytest.fixture
def state(empty_database):
    return Jurisdiction.objects.create(slug="a-state", name="A state", kind="state", ocd_id="ocd-division/country:xx")


@pytest.fixture
def program(empty_database):
    agency = Organization.objects.create(slug="an-agency", name="An agency", kind="government_agency")
    return Program.objects.create(slug="a-program", name="A program", agency=agency, description="It checks.")


def position(program, state, **overrides):
    fields = dict(
        slug="a-state-refuses",
        program=program,
        jurisdiction=state,
        stance="refuses",
        date_earliest=D(2011, 6, 3),
        date_latest=D(2011, 6, 3),
        date_precision="day",
        date_text="Friday",
        summary="A state refuses.",
    )
    return Position(**{**fields, **overrides})


def refused_by_database(instance, constraint=None):
    """The database refuses the row (naming `constraint`, when given), whatever full_clean says."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        instance.save()
    if constraint is not None:
        assert constraint in str(error.value), error.value


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"stance": "likes"}, "stance"),
        ({"date_precision": "hour"}, "date_precision"),
        ({"date_basis": "rumoured"}, "date_basis"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"summary": ""}, "summary"),
    ],
)
def test_position_rejects_values_outside_its_vocabulary(program, state, overrides, field):
    candidate = position(program, state, **overrides)
    with pytest.raises(ValidationError) as error:
        candidate.full_clean()
    assert field in error.value.message_dict
    refused_by_database(candidate)


# (earliest, latest, precision) that break `kb.models.dates.interval_rule`.
BAD_INTERVALS = [
    pytest.param(D(2011, 6, 3), D(2011, 6, 4), "day", id="a day with earliest != latest"),
    pytest.param(D(2011, 5, 31), D(2011, 6, 6), "week", id="a week from a Tuesday to a Monday"),
    pytest.param(D(2011, 5, 29), D(2011, 6, 4), "week", id="a week from a Sunday to a Saturday"),
    pytest.param(D(2011, 5, 30), D(2011, 6, 12), "week", id="two weeks, Monday to Sunday"),
    pytest.param(D(2011, 6, 2), D(2011, 6, 30), "month", id="a month not from its 1st"),
    pytest.param(D(2011, 6, 1), D(2011, 6, 29), "month", id="a month not to its last day"),
    pytest.param(D(2011, 5, 1), D(2011, 6, 30), "month", id="two months"),
    pytest.param(D(2012, 2, 1), D(2012, 2, 28), "month", id="a leap February to the 28th"),
    pytest.param(D(2000, 2, 1), D(2000, 2, 28), "month", id="February 2000 (leap: divisible by 400) to the 28th"),
    pytest.param(D(2011, 1, 2), D(2011, 12, 31), "year", id="a year not from 1 January"),
    pytest.param(D(2011, 1, 1), D(2011, 12, 30), "year", id="a year not to 31 December"),
    pytest.param(D(2011, 1, 1), D(2012, 12, 31), "year", id="two years"),
    pytest.param(D(2011, 6, 3), D(2011, 6, 3), "range", id="a range with earliest = latest"),
    pytest.param(D(2011, 6, 9), D(2011, 6, 3), "range", id="a range with earliest > latest"),
]

GOOD_INTERVALS = [
    pytest.param(D(2011, 6, 3), D(2011, 6, 3), "day", id="a day"),
    pytest.param(D(2011, 5, 30), D(2011, 6, 5), "week", id="a week across two months"),
    pytest.param(D(2012, 12, 31), D(2013, 1, 6), "week", id="a week across two years"),
    pytest.param(D(2010, 12, 1), D(2010, 12, 31), "month", id="a month"),
    pytest.param(D(2011, 2, 1), D(2011, 2, 28), "month", id="February 2011"),
    pytest.param(D(2012, 2, 1), D(2012, 2, 29), "month", id="February 2012 (leap)"),
    pytest.param(D(2000, 2, 1), D(2000, 2, 29), "month", id="February 2000 (leap)"),
    pytest.param(D(1900, 2, 1), D(1900, 2, 28), "month", id="February 1900 (not leap)"),
    pytest.param(D(2006, 1, 1), D(2006, 12, 31), "year", id="a year"),
    pytest.param(D(2011, 5, 1), D(2011, 5, 10), "range", id="a range"),
]


@pytest.mark.parametrize("earliest, latest, precision", BAD_INTERVALS)
def test_a_position_date_that_does_not_fit_its_precision_is_refused_by_full_clean_and_by_create(
    program, state, earliest, latest, precision
):
    candidate = position(program, state, date_earliest=earliest, date_latest=latest, date_precision=precision)
    with pytest.raises(ValidationError) as error:
        candidate.full_clean()
    [message] = error.value.message_dict["date_latest"]
    assert f"does not fit {precision} precision" in message and INTERVAL_MESSAGE in message

    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Position.objects.create(
            slug="another", program=program, jurisdiction=state, stance="refuses", date_earliest=earliest,
            date_latest=latest, date_precision=precision, date_text="Friday", summary="A state refuses.",
        )  # fmt: skip
    assert "kb_position_date_interval" in str(refused.value)
    assert not Position.objects.exists()


@pytest.mark.parametrize("earliest, latest, precision", GOOD_INTERVALS)
def test_a_position_date_that_fits_its_precision_is_accepted(program, state, earliest, latest, precision):
    candidate = position(program, state, date_earliest=earliest, date_latest=latest, date_precision=precision)
    candidate.full_clean()
    candidate.save()
    assert candidate.date_earliest == earliest and candidate.date_latest == latest


@pytest.mark.parametrize(
    "missing",
    [{"date_latest": None}, {"date_earliest": None}, {"date_precision": ""}],
    ids=["no latest day", "no earliest day", "no precision"],
)
def test_a_position_is_always_dated_with_both_days_and_a_precision(program, state, missing):
    candidate = position(program, state, **missing)
    with pytest.raises(ValidationError) as error:
        candidate.full_clean()
    assert set(missing) <= set(error.value.message_dict)
    refused_by_database(candidate)


@pytest.mark.parametrize(
    "model, prefix, constraint",
    [
        (ProgramFact, "date", "kb_programfact_date_interval"),
        (Source, "published", "kb_source_published_interval"),
        (Program, "started", "kb_program_started_interval"),
    ],
)
@pytest.mark.parametrize("earliest, latest, precision", BAD_INTERVALS[:4] + BAD_INTERVALS[7:8])
def test_every_dated_model_keeps_the_same_interval_rule(
    program, source, model, prefix, constraint, earliest, latest, precision
):
    record = {ProgramFact: lambda: program.facts.create(slug="a-fact", kind="started", statement="It began."),
              Source: lambda: source, Program: lambda: program}[model]()  # fmt: skip
    for part, value in (("earliest", earliest), ("latest", latest), ("precision", precision)):
        setattr(record, f"{prefix}_{part}", value)
    with pytest.raises(ValidationError) as error:
        record.full_clean()
    assert f"{prefix}_latest" in error.value.message_dict
    refused_by_database(record, constraint)


def test_an_undated_fact_has_neither_days_nor_a_precision(program):
    fact = ProgramFact(program=program, slug="a-fact", kind="started", statement="It began.", date_precision="year")
    with pytest.raises(ValidationError):
        fact.full_clean()
    refused_by_database(fact, "kb_programfact_date_interval")
    ProgramFact.objects.create(program=program, slug="an-undated-fact", kind="started", statement="It began.")


def test_a_stated_date_gives_the_sources_words_and_a_reported_one_need_not(program, state):
    refused_by_database(position(program, state, date_text=""), "kb_position_stated_date_has_words")
    position(program, state, date_text="", date_basis="reported").save()


def test_position_needs_a_holder(program, state):
    candidate = position(program, state, jurisdiction=None)
    with pytest.raises(ValidationError) as error:
        candidate.full_clean()
    assert "name one" in error.value.message_dict["jurisdiction"][0]
    refused_by_database(candidate, "kb_position_has_holder")


def test_slugs_are_unique(program, state):
    position(program, state).save()
    duplicate = position(program, state, summary="Again.")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "slug" in error.value.message_dict
    refused_by_database(duplicate)


class TestEvents:
    @pytest.fixture
    def event(self, program):
        return Event.objects.create(slug="a-state-leaves", program=program, summary="A state leaves the program.")

    def test_versions_of_one_event_share_a_holder(self, program, state, event):
        position(program, state, event=event).save()
        official = Official.objects.create(slug="a-governor", name="A Governor", role="Governor", jurisdiction=state)
        other_holder = position(program, None, slug="a-governor-refuses", official=official, event=event)
        with pytest.raises(ValidationError) as error:
            other_holder.full_clean()
        assert "share a holder" in error.value.message_dict["event"][0]

    def test_a_version_of_the_same_holder_is_accepted(self, program, state, event):
        position(program, state, event=event).save()
        second = position(program, state, slug="a-state-refuses-too", event=event, date_basis="reported")
        second.full_clean()

    def test_versions_of_one_event_share_a_program(self, program, state, event):
        other = Program.objects.create(
            slug="another-program", name="Another", agency=program.agency, description="It checks too."
        )
        with pytest.raises(ValidationError) as error:
            position(other, state, event=event).full_clean()
        assert "another program" in error.value.message_dict["event"][0]


def test_official_acts_for_a_jurisdiction_or_an_organization(empty_database):
    refused_by_database(Official(slug="nobody", name="Nobody", role="None"), "kb_official_acts_for_someone")


def test_jurisdiction_needs_an_ocd_division_id(empty_database):
    refused_by_database(Jurisdiction(slug="x", name="X", kind="state", ocd_id="not-an-ocd-id"))


def test_jurisdiction_cannot_be_inside_itself(state):
    child = Jurisdiction.objects.create(
        slug="a-city", name="A city", kind="city", parent=state, ocd_id="ocd-division/country:xx/place:a"
    )
    state.parent = child
    with pytest.raises(ValidationError) as error:
        state.full_clean()
    assert "parent" in error.value.message_dict


def test_other_name_belongs_to_exactly_one_record(program, state):
    official = Official.objects.create(slug="an-official", name="An Official", role="Governor", jurisdiction=state)
    refused_by_database(OtherName(name="Two owners", official=official, program=program))
    refused_by_database(OtherName(name="No owner"))


class TestVoicesAndReasons:
    def test_a_voice_is_of_exactly_one_speaker_for_exactly_one_fact(self, program, state):
        saved = position(program, state)
        saved.save()
        official = Official.objects.create(slug="a-governor", name="A Governor", role="Governor", jurisdiction=state)
        refused_by_database(Voice(position=saved), "kb_voice_speaker_exactly_one")
        refused_by_database(Voice(position=saved, official=official, organization=program.agency))
        refused_by_database(Voice(official=official), "kb_voice_voices_exactly_one")
        Voice.objects.create(position=saved, official=official)
        refused_by_database(Voice(position=saved, official=official, rank=1))  # the same speaker twice

    def test_a_reason_has_a_topic_of_the_vocabulary_and_a_summary(self, program, state):
        saved = position(program, state)
        saved.save()
        refused_by_database(Reason(position=saved, topic="vibes", summary="It feels wrong."), "kb_reason_topic_valid")
        refused_by_database(Reason(position=saved, topic="other", summary=""), "kb_reason_summary_not_empty")
        with pytest.raises(ValidationError) as error:
            Reason(position=saved, topic="vibes", summary="It feels wrong.").full_clean()
        assert "topic" in error.value.message_dict


class TestSourceLineage:
    def test_a_source_is_not_derived_from_itself(self, source):
        source.derived_from, source.derivation = source, "quotes"
        with pytest.raises(ValidationError) as error:
            source.full_clean()
        assert "derived_from" in error.value.message_dict
        refused_by_database(source, "kb_source_not_derived_from_itself")

    def test_nor_from_itself_through_others(self, source):
        copy = Source.objects.create(
            slug="a-copy", kind="news_article", file_name="b.txt", text=EVIDENCE, derived_from=source,
            derivation="carries_text",
        )  # fmt: skip
        source.derived_from, source.derivation = copy, "quotes"
        with pytest.raises(ValidationError) as error:
            source.full_clean()
        assert "even through others" in error.value.message_dict["derived_from"][0]

    def test_a_derived_source_says_how(self, source):
        refused_by_database(
            Source(slug="a-copy", kind="news_article", file_name="b.txt", text=EVIDENCE, derived_from=source),
            "kb_source_derivation_with_origin",
        )

    def test_the_lineage_root_follows_every_step(self, source):
        copy = Source.objects.create(
            slug="a-copy", kind="news_article", file_name="b.txt", text=EVIDENCE, derived_from=source,
            derivation="carries_text",
        )  # fmt: skip
        quoter = Source.objects.create(
            slug="a-quoter", kind="blog_post", file_name="c.txt", text=EVIDENCE, derived_from=copy, derivation="quotes"
        )
        assert {s.slug: s.lineage_root_id for s in Source.objects.all()} == {
            "a-source": source.pk,
            "a-copy": source.pk,
            "a-quoter": source.pk,
        }
        copy.derived_from, copy.derivation = None, ""
        copy.save()
        quoter.refresh_from_db()
        assert quoter.lineage_root_id == copy.pk

    def test_a_source_nobody_cites_or_carries_can_be_deleted(self, source):
        source.delete()
        assert not Source.objects.exists()

    def test_a_source_another_carries_cannot_be_deleted(self, source):
        Source.objects.create(
            slug="a-copy", kind="news_article", file_name="b.txt", text=EVIDENCE, derived_from=source,
            derivation="carries_text",
        )  # fmt: skip
        with pytest.raises(ProtectedError):
            source.delete()


class TestCitation:
    @pytest.fixture
    def saved(self, program, state):
        saved = position(program, state)
        saved.save()
        return saved

    def test_offsets_are_filled_from_the_quote(self, saved, source):
        citation = Citation(source=source, quote="refused to sign on", position=saved)
        citation.full_clean()
        assert source.text[citation.start : citation.end] == "refused to sign on"

    def test_a_quote_not_in_the_source_is_refused_naming_the_problem(self, saved, source):
        with pytest.raises(ValidationError) as error:
            Citation(source=source, quote="happily signed on", position=saved).full_clean()
        assert "not verbatim" in error.value.message_dict["quote"][0]

    def test_a_part_that_is_not_the_publishers_is_never_evidence(self, saved, source):
        with pytest.raises(ValidationError) as error:
            Citation(source=source, quote="A reader says", position=saved).full_clean()
        assert "only in parts that are not the publisher's" in error.value.message_dict["quote"][0]

    def test_a_quote_also_in_the_evidence_is_located_there_not_in_the_part(self, saved, source):
        # "the governor refused" is in the comments too (lower case "the"); "governor refused" is in both.
        citation = Citation(source=source, quote="governor refused", position=saved)
        citation.start = source.text.rindex("governor refused")  # offsets inside the comments are not kept
        citation.end = citation.start + len("governor refused")
        citation.full_clean()
        assert citation.start == EVIDENCE.index("governor refused")

    def test_database_refuses_offsets_that_do_not_span_the_quote(self, saved, source):
        refused_by_database(Citation(source=source, quote="refused", start=4, end=5, position=saved))
        refused_by_database(Citation(source=source, quote="refused", start=9, end=9, position=saved))

    def test_database_refuses_a_citation_of_nothing_or_of_two_facts(self, saved, program, source):
        refused_by_database(
            Citation(source=source, quote="refused", start=13, end=20), "kb_citation_cites_exactly_one_fact"
        )
        refused_by_database(Citation(source=source, quote="refused", start=13, end=20, position=saved, program=program))

    def test_a_cited_source_cannot_be_deleted(self, saved, source):
        Citation.objects.create(source=source, quote="refused", start=13, end=20, position=saved)
        with pytest.raises(ProtectedError):
            source.delete()


class TestSourceParts:
    def test_a_part_past_the_end_of_the_text_is_refused(self, source):
        part = SourcePart(source=source, kind="call_to_action", start=0, end=len(source.text) + 1)
        with pytest.raises(ValidationError) as error:
            part.full_clean()
        assert "end" in error.value.message_dict

    def test_a_part_runs_forwards(self, source):
        refused_by_database(SourcePart(source=source, kind="call_to_action", start=5, end=5))

    def test_a_part_has_a_kind_of_the_vocabulary(self, source):
        refused_by_database(SourcePart(source=source, kind="advert", start=0, end=3), "kb_sourcepart_kind_valid")


@pytest.mark.usefixtures("knowledge_base")
class TestEditingACitedSource:
    def test_changing_the_text_under_its_citations_is_refused(self):
        herald = Source.objects.get(slug="boston-herald-patrick-refuses-to-sign")
        herald.text = "Breaking: " + herald.text
        with pytest.raises(ValidationError) as error:
            herald.full_clean()
        assert "would no longer quote this text verbatim" in error.value.message_dict["text"][0]

    def test_marking_cited_text_as_not_the_publishers_is_refused(self):
        ap = Source.objects.get(slug="ap-patrick-massachusetts-wont-participate")
        part = SourcePart(source=ap, kind="reader_comments", start=0, end=200, author="readers")
        with pytest.raises(ValidationError) as error:
            part.full_clean()
        assert "a part that is not the publisher's is never evidence" in error.value.message_dict["start"][0]

    def test_an_edit_that_keeps_every_quote_in_place_is_accepted(self):
        herald = Source.objects.get(slug="boston-herald-patrick-refuses-to-sign")
        herald.text = herald.text + "\nCorrection appended."
        herald.full_clean()
