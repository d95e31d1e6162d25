"""The models refuse bad rows from any path: full_clean for forms, constraints for everything else."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kb.models import Citation, Jurisdiction, Official, Organization, OtherName, Position, Program, Source


@pytest.fixture
def source(empty_database):
    return Source.objects.create(
        slug="a-source",
        title="A source",
        publisher="A publisher",
        kind="news_article",
        file_name="a.txt",
        text="The governor refused to sign on.\nComments\nA reader says the governor refused.",
        comments_start=33,
    )


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
        date=datetime.date(2011, 6, 3),
        date_precision="day",
        date_text="Friday",
        summary="A state refuses.",
    )
    return Position(**{**fields, **overrides})


def refused_by_database(instance):
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"stance": "likes"}, "stance"),
        ({"date_precision": "week"}, "date_precision"),
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


@pytest.mark.parametrize(
    "date, precision",
    [(datetime.date(2011, 6, 3), "month"), (datetime.date(2011, 6, 1), "year")],
)
def test_position_date_must_be_the_start_of_its_precision(program, state, date, precision):
    refused_by_database(position(program, state, date=date, date_precision=precision))


def test_position_with_a_month_precise_first_of_month_is_accepted(program, state):
    candidate = position(program, state, date=datetime.date(2010, 12, 1), date_precision="month")
    candidate.full_clean()
    candidate.save()


def test_position_needs_a_holder(program, state):
    candidate = position(program, state, jurisdiction=None)
    with pytest.raises(ValidationError):
        candidate.full_clean()
    refused_by_database(candidate)


def test_slugs_are_unique(program, state):
    position(program, state).save()
    duplicate = position(program, state, summary="Again.")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "slug" in error.value.message_dict
    refused_by_database(duplicate)


def test_official_acts_for_a_jurisdiction_or_an_organization(empty_database):
    refused_by_database(Official(slug="nobody", name="Nobody", role="None"))


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


class TestCitation:
    def test_offsets_are_filled_from_the_quote(self, program, state, source):
        saved = position(program, state)
        saved.save()
        citation = Citation(source=source, quote="refused to sign on", position=saved)
        citation.full_clean()
        assert source.text[citation.start : citation.end] == "refused to sign on"

    def test_a_quote_not_in_the_source_is_refused_naming_the_problem(self, program, state, source):
        saved = position(program, state)
        saved.save()
        with pytest.raises(ValidationError) as error:
            Citation(source=source, quote="happily signed on", position=saved).full_clean()
        assert "not verbatim" in error.value.message_dict["quote"][0]

    def test_reader_comments_are_never_evidence(self, program, state, source):
        saved = position(program, state)
        saved.save()
        with pytest.raises(ValidationError) as error:
            Citation(source=source, quote="A reader says", position=saved).full_clean()
        assert "reader comments" in error.value.message_dict["quote"][0]

    def test_database_refuses_offsets_that_do_not_span_the_quote(self, program, state, source):
        saved = position(program, state)
        saved.save()
        refused_by_database(Citation(source=source, quote="refused", start=4, end=5, position=saved))
        refused_by_database(Citation(source=source, quote="refused", start=9, end=9, position=saved))

    def test_database_refuses_a_citation_of_nothing_or_of_two_facts(self, program, state, source):
        saved = position(program, state)
        saved.save()
        refused_by_database(Citation(source=source, quote="refused", start=13, end=20))
        refused_by_database(Citation(source=source, quote="refused", start=13, end=20, position=saved, program=program))

    def test_a_cited_source_cannot_be_deleted(self, program, state, source):
        from django.db.models import ProtectedError

        saved = position(program, state)
        saved.save()
        Citation.objects.create(source=source, quote="refused", start=13, end=20, position=saved)
        with pytest.raises(ProtectedError):
            source.delete()


@pytest.mark.usefixtures("knowledge_base")
class TestEditingACitedSource:
    def test_changing_the_text_under_its_citations_is_refused(self):
        herald = Source.objects.get(slug="boston-herald-patrick-refuses-to-sign")
        herald.text = "Breaking: " + herald.text
        with pytest.raises(ValidationError) as error:
            herald.full_clean()
        assert "would no longer quote this text verbatim" in error.value.message_dict["text"][0]

    def test_moving_the_comments_start_over_cited_text_is_refused(self):
        ap = Source.objects.get(slug="ap-patrick-massachusetts-wont-participate")
        ap.comments_start = 100
        with pytest.raises(ValidationError) as error:
            ap.full_clean()
        assert "before the reader comments" in error.value.message_dict["text"][0]

    def test_an_edit_that_keeps_every_quote_in_place_is_accepted(self):
        herald = Source.objects.get(slug="boston-herald-patrick-refuses-to-sign")
        herald.text = herald.text + "\nCorrection appended."
        herald.full_clean()
