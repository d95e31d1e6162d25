"""The curators' admin: every model's pages, search by other names and quotes, citations located from quotes."""

import datetime

import pytest
from django.urls import reverse

from kb.models import (
    Citation,
    DatePrecision,
    Event,
    Jurisdiction,
    JurisdictionKind,
    Official,
    Organization,
    OrganizationKind,
    OtherName,
    Position,
    Program,
    ProgramFact,
    ProgramFactKind,
    Reason,
    ReasonTopic,
    Source,
    SourceKind,
    SourcePart,
    SourcePartKind,
    Stance,
    Voice,
)

EVIDENCE = (
    "Public Safety Secretary Mary Beth Heffernan said the state will sign on to "
    "Secure Communities in March, the federal fingerprint-sharing program.\n"
)
COMMENTS = "Comments\nreader42: the state will never join, mark my words\n"


NOT_EVIDENCE = "is only in parts that are not the publisher&#x27;s (a reposter&#x27;s header, reader comments)"


@pytest.fixture
def source(empty_database):
    source = Source.objects.create(
        slug="globe-heffernan",
        title="State to join fingerprint program",
        publisher="The Boston Globe",
        kind=SourceKind.NEWS_ARTICLE,
        file_name="globe-heffernan.txt",
        text=EVIDENCE + COMMENTS,
    )
    SourcePart.objects.create(
        source=source,
        kind=SourcePartKind.READER_COMMENTS,
        start=len(EVIDENCE),
        end=len(EVIDENCE + COMMENTS),
        author="readers",
    )
    return source


@pytest.fixture
def jurisdiction(empty_database):
    return Jurisdiction.objects.create(
        slug="massachusetts",
        name="Massachusetts",
        kind=JurisdictionKind.STATE,
        ocd_id="ocd-division/country:us/state:ma",
    )


@pytest.fixture
def organization(empty_database):
    organization = Organization.objects.create(
        slug="ice", name="Immigration and Customs Enforcement", kind=OrganizationKind.GOVERNMENT_AGENCY
    )
    OtherName.objects.create(name="ICE", organization=organization)
    return organization


@pytest.fixture
def official(jurisdiction):
    official = Official.objects.create(
        slug="mary-beth-heffernan",
        name="Mary Beth Heffernan",
        role="Secretary of Public Safety",
        jurisdiction=jurisdiction,
    )
    OtherName.objects.create(name="Mary E. Heffernan", official=official)
    return official


@pytest.fixture
def program(organization):
    program = Program.objects.create(
        slug="secure-communities",
        name="Secure Communities",
        agency=organization,
        description="Fingerprints taken at booking are shared with immigration authorities.",
    )
    OtherName.objects.create(name="S-Comm", program=program)
    return program


@pytest.fixture
def program_fact(program):
    return ProgramFact.objects.create(
        program=program,
        slug="secure-communities-mandatory",
        kind=ProgramFactKind.MANDATORY_BY,
        statement="Secure Communities is mandatory nationwide by 2013",
        date_earliest=datetime.date(2013, 1, 1),
        date_latest=datetime.date(2013, 12, 31),
        date_precision=DatePrecision.YEAR,
    )


@pytest.fixture
def position(official, program):
    return _position(official, program, slug="heffernan-will-join")


def _position(official, program, slug, **extra):
    return Position.objects.create(
        slug=slug,
        program=program,
        official=official,
        jurisdiction=official.jurisdiction,
        stance=Stance.WILL_JOIN,
        date_earliest=datetime.date(2012, 3, 1),
        date_latest=datetime.date(2012, 3, 31),
        date_precision=DatePrecision.MONTH,
        date_text="in March",
        summary=f"Heffernan says Massachusetts will join Secure Communities ({slug})",
        **extra,
    )


@pytest.fixture
def citation(source, position):
    citation = Citation(source=source, quote="will sign on to Secure Communities in March", position=position)
    citation.locate_quote()
    citation.save()
    return citation


@pytest.fixture
def event(program):
    return Event.objects.create(
        slug="massachusetts-joins", program=program, summary="Massachusetts joins Secure Communities"
    )


@pytest.fixture
def voice(position, official):
    return Voice.objects.create(position=position, official=official, rank=0)


@pytest.fixture
def reason(position):
    return Reason.objects.create(
        position=position, rank=0, topic=ReasonTopic.OTHER, summary="The program shares fingerprints."
    )


@pytest.fixture
def small_knowledge_base(
    source, jurisdiction, organization, official, program, program_fact, position, citation, event, voice, reason
):
    """One small record of every kind, built here in an emptied database: the curated fixture may change."""


def admin_url(model, view, *args):
    return reverse(f"admin:kb_{model._meta.model_name}_{view}", args=args)


def post_data(response):
    """The POST a browser would send back from a rendered admin form, its inlines included."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound_field in form:
            value = bound_field.value()
            if value not in (None, ""):
                data[bound_field.html_name] = value
    return data


MODEL_SEARCHES = [
    # model, search term, the fixture whose record it must find
    (Source, "Boston Globe", "source"),
    (Source, "fingerprint-sharing", "source"),
    (Jurisdiction, "Massachusetts", "jurisdiction"),
    (Organization, "ICE", "organization"),
    (Official, "Mary E. Heffernan", "official"),
    (Official, "Heffernan", "official"),
    (Program, "S-Comm", "program"),
    (ProgramFact, "mandatory nationwide", "program_fact"),
    (Position, "Mary E. Heffernan", "position"),
    (Position, "sign on to Secure", "position"),
    (OtherName, "Mary E.", "official_other_name"),
    (Citation, "sign on to Secure", "citation"),
]


@pytest.fixture
def official_other_name(official):
    return official.other_names.get()


@pytest.mark.parametrize(
    "model",
    [
        Source,
        Jurisdiction,
        Organization,
        Official,
        Program,
        ProgramFact,
        Event,
        Position,
        Voice,
        Reason,
        OtherName,
        Citation,
    ],
)
def test_every_model_has_a_changelist_a_change_form_and_an_add_form(admin_client, small_knowledge_base, model):
    record = model.objects.first()

    changelist = admin_client.get(admin_url(model, "changelist"))
    change = admin_client.get(admin_url(model, "change", record.pk))
    add = admin_client.get(admin_url(model, "add"))

    assert changelist.status_code == 200
    assert record in changelist.context["cl"].result_list
    assert change.status_code == 200
    assert add.status_code == 200


@pytest.mark.parametrize(("model", "term", "expected"), MODEL_SEARCHES)
def test_search_finds_records_by_name_other_name_and_quote(
    admin_client, small_knowledge_base, request, model, term, expected
):
    record = request.getfixturevalue(expected)

    response = admin_client.get(admin_url(model, "changelist"), {"q": term})

    assert response.status_code == 200
    assert record in response.context["cl"].result_list


@pytest.mark.parametrize("model", [Official, Position, Citation])
def test_search_for_an_unknown_name_finds_nothing(admin_client, small_knowledge_base, model):
    response = admin_client.get(admin_url(model, "changelist"), {"q": "Deval Patrick"})

    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize(
    ("model", "parameter", "matching", "not_matching"),
    [
        (Position, "stance__exact", Stance.WILL_JOIN, Stance.REFUSES),
        (Position, "date_precision__exact", DatePrecision.MONTH, DatePrecision.DAY),
        (Position, "date_earliest__year", "2012", "2013"),
        (ProgramFact, "kind__exact", ProgramFactKind.MANDATORY_BY, ProgramFactKind.STARTED),
        (ProgramFact, "date_precision__exact", DatePrecision.YEAR, DatePrecision.MONTH),
        (Citation, "cites", "position", "program_fact"),
    ],
)
def test_filters_keep_only_matching_records(
    admin_client, small_knowledge_base, model, parameter, matching, not_matching
):
    url = admin_url(model, "changelist")

    kept = admin_client.get(url, {parameter: matching}).context["cl"].result_list
    dropped = admin_client.get(url, {parameter: not_matching}).context["cl"].result_list

    assert list(kept) == [model.objects.get()]
    assert list(dropped) == []


@pytest.fixture
def other_records(organization):
    """A second record of each kind rows are filtered by (a filter with one choice is neither shown nor applied)."""
    agency = Organization.objects.create(
        slug="fbi", name="Federal Bureau of Investigation", kind=OrganizationKind.GOVERNMENT_AGENCY
    )
    return {
        "organization": agency,
        "program": Program.objects.create(slug="287g", name="287(g)", agency=agency, description="Deputized officers."),
        "jurisdiction": Jurisdiction.objects.create(
            slug="boston",
            name="Boston",
            kind=JurisdictionKind.CITY,
            ocd_id="ocd-division/country:us/state:ma/place:boston",
        ),
        "source": Source.objects.create(
            slug="herald-287g",
            title="Sheriff joins 287(g)",
            publisher="Boston Herald",
            kind=SourceKind.NEWS_ARTICLE,
            file_name="herald-287g.txt",
            text="The sheriff signed a 287(g) agreement.",
        ),
    }


@pytest.mark.parametrize(
    ("model", "field", "related", "expected"),
    [
        (Position, "program", "program", "position"),
        (Position, "jurisdiction", "jurisdiction", "position"),
        (Official, "jurisdiction", "jurisdiction", "official"),
        (Program, "agency", "organization", "program"),
        (ProgramFact, "program", "program", "program_fact"),
        (Citation, "source", "source", "citation"),
    ],
)
def test_filters_by_related_record(
    admin_client, small_knowledge_base, other_records, request, model, field, related, expected
):
    url = admin_url(model, "changelist")
    matching, other = request.getfixturevalue(related), other_records[related]

    kept = admin_client.get(url, {f"{field}__id__exact": matching.pk}).context["cl"].result_list
    dropped = admin_client.get(url, {f"{field}__id__exact": other.pk}).context["cl"].result_list

    assert list(kept) == [request.getfixturevalue(expected)]
    assert request.getfixturevalue(expected) not in dropped


def test_other_names_filter_by_what_they_name(admin_client, small_knowledge_base, official_other_name):
    response = admin_client.get(admin_url(OtherName, "changelist"), {"names": "official"})

    assert list(response.context["cl"].result_list) == [official_other_name]


def test_autocomplete_finds_sources_by_publisher(admin_client, small_knowledge_base, source):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "kb", "model_name": "citation", "field_name": "source", "term": "globe"},
    )

    assert response.json()["results"] == [{"id": str(source.pk), "text": str(source)}]


def test_source_change_form_shows_its_text_and_citation_count(admin_client, small_knowledge_base, source):
    response = admin_client.get(admin_url(Source, "change", source.pk))

    assert response.context["original"].citation_count == 1
    assert "fingerprint-sharing program" in response.content.decode()
    assert 'name="text"' not in response.content.decode()


class TestCitationAdmin:
    @pytest.fixture
    def citation_post(self, source, position):
        def post(quote):
            return {"source": source.pk, "quote": quote, "position": position.pk}

        return post

    def test_it_fills_offsets_from_the_quote(self, admin_client, citation_post, source):
        response = admin_client.post(
            admin_url(Citation, "add"), citation_post("the federal fingerprint-sharing program")
        )

        assert response.status_code == 302
        created = Citation.objects.get()
        assert source.text[created.start : created.end] == "the federal fingerprint-sharing program"

    @pytest.mark.parametrize(
        ("quote", "problem"),
        [
            ("the state will refuse", "is not verbatim in the source&#x27;s text"),
            ("the state will never join", NOT_EVIDENCE),
        ],
    )
    def test_it_refuses_a_quote_that_is_not_evidence_in_the_source(self, admin_client, citation_post, quote, problem):
        response = admin_client.post(admin_url(Citation, "add"), citation_post(quote))

        assert response.status_code == 200
        assert list(response.context["adminform"].form.errors) == ["quote"]
        assert problem in response.content.decode()
        assert not Citation.objects.exists()

    def test_it_refuses_a_citation_that_backs_no_fact(self, admin_client, source):
        response = admin_client.post(admin_url(Citation, "add"), {"source": source.pk, "quote": "Secure Communities"})

        assert response.status_code == 200
        assert "backs exactly one fact" in response.content.decode()
        assert not Citation.objects.exists()

    def test_it_relocates_an_edited_quote(self, admin_client, small_knowledge_base, citation, source):
        page = admin_client.get(admin_url(Citation, "change", citation.pk))
        data = post_data(page) | {"quote": "Mary Beth Heffernan"}

        response = admin_client.post(admin_url(Citation, "change", citation.pk), data)

        assert response.status_code == 302
        citation.refresh_from_db()
        assert source.text[citation.start : citation.end] == "Mary Beth Heffernan"


class TestCitationInlineOnPosition:
    def post_new_citation(self, client, position, source, quote):
        url = admin_url(Position, "change", position.pk)
        data = post_data(client.get(url))
        new = data["citations-TOTAL_FORMS"] - 1  # the blank extra form
        data |= {f"citations-{new}-source": source.pk, f"citations-{new}-quote": quote}
        return client.post(url, data)

    def test_it_fills_offsets_from_the_quote(self, admin_client, small_knowledge_base, position, source):
        response = self.post_new_citation(admin_client, position, source, "the federal fingerprint-sharing program")

        assert response.status_code == 302
        added = position.citations.get(quote="the federal fingerprint-sharing program")
        assert source.text[added.start : added.end] == added.quote

    @pytest.mark.parametrize(
        ("quote", "problem"),
        [
            ("the state will refuse", "is not verbatim in the source&#x27;s text"),
            ("the state will never join", NOT_EVIDENCE),
        ],
    )
    def test_it_refuses_a_quote_that_is_not_evidence_in_the_source(
        self, admin_client, small_knowledge_base, position, source, quote, problem
    ):
        response = self.post_new_citation(admin_client, position, source, quote)

        assert response.status_code == 200
        [citations] = [
            inline.formset
            for inline in response.context["inline_admin_formsets"]
            if inline.formset.prefix == "citations"
        ]
        new_form = citations.forms[-1]
        assert list(new_form.errors) == ["quote"]
        assert problem in response.content.decode()
        assert position.citations.count() == 1

    def test_it_saves_citations_with_a_new_position(
        self, admin_client, small_knowledge_base, official, program, source
    ):
        data = post_data(admin_client.get(admin_url(Position, "add")))
        data |= {
            "slug": "heffernan-supports",
            "summary": "Heffernan supports Secure Communities",
            "program": program.pk,
            "official": official.pk,
            "stance": Stance.SUPPORTS,
            "date_earliest": "2012-03-01",
            "date_latest": "2012-03-31",
            "date_precision": DatePrecision.MONTH,
            "date_text": "in March",
            "citations-0-source": source.pk,
            "citations-0-quote": "will sign on to Secure Communities in March",
        }

        response = admin_client.post(admin_url(Position, "add"), data)

        assert response.status_code == 302, response.context["errors"]
        added = Position.objects.get(slug="heffernan-supports").citations.get()
        assert source.text[added.start : added.end] == added.quote


def test_official_change_form_lists_positions_and_other_names(admin_client, small_knowledge_base, official, position):
    response = admin_client.get(admin_url(Official, "change", official.pk))

    content = response.content.decode()
    assert position.summary in content
    assert "Mary E. Heffernan" in content


def test_jurisdiction_change_form_lists_positions(admin_client, small_knowledge_base, jurisdiction, position):
    response = admin_client.get(admin_url(Jurisdiction, "change", jurisdiction.pk))

    assert position.summary in response.content.decode()


def add_cited_positions(official, program, source, count):
    quote = "Secure Communities"
    for number in range(count):
        position = _position(official, program, slug=f"heffernan-will-join-{number}")
        Citation.objects.create(
            source=source,
            quote=quote,
            start=EVIDENCE.index(quote),
            end=EVIDENCE.index(quote) + len(quote),
            position=position,
        )


# Session, user, then for positions: the program and jurisdiction filters' choices, the count,
# the page (holders, program and citation count joined in), the date hierarchy's range and days.
# For citations: the source filter's choices, the count, the page (source and cited fact joined in).
@pytest.mark.parametrize(("model", "queries"), [(Position, 8), (Citation, 5)])
def test_changelist_queries_do_not_grow_with_rows(
    admin_client, small_knowledge_base, official, program, source, django_assert_num_queries, model, queries
):
    for rows in (1, 20):
        add_cited_positions(official, program, source, rows - model.objects.count())
        with django_assert_num_queries(queries):
            response = admin_client.get(admin_url(model, "changelist"))

        assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize(
    ("earliest", "latest", "precision"),
    [
        ("2012-03-06", "2012-03-12", DatePrecision.WEEK),  # a Tuesday to the Monday after
        ("2012-02-01", "2012-02-28", DatePrecision.MONTH),  # 2012 is a leap year: February has 29 days
        ("2012-01-01", "2012-12-30", DatePrecision.YEAR),
        ("2012-03-01", "2012-03-01", DatePrecision.RANGE),
        ("2012-03-01", "2012-03-02", DatePrecision.DAY),
    ],
)
def test_the_admin_refuses_a_date_that_does_not_fit_its_precision(
    admin_client, small_knowledge_base, position, earliest, latest, precision
):
    url = admin_url(Position, "change", position.pk)
    data = post_data(admin_client.get(url)) | {
        "date_earliest": earliest,
        "date_latest": latest,
        "date_precision": precision,
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "date_latest" in errors, errors
    assert f"does not fit {precision} precision" in errors["date_latest"][0]
    position.refresh_from_db()
    assert (position.date_earliest, position.date_latest) == (datetime.date(2012, 3, 1), datetime.date(2012, 3, 31))


def test_the_admin_accepts_a_leap_february_and_a_monday_to_sunday_week(admin_client, small_knowledge_base, position):
    url = admin_url(Position, "change", position.pk)
    for earliest, latest, precision in (
        ("2012-02-01", "2012-02-29", DatePrecision.MONTH),
        ("2012-03-05", "2012-03-11", DatePrecision.WEEK),
    ):
        data = post_data(admin_client.get(url)) | {
            "date_earliest": earliest,
            "date_latest": latest,
            "date_precision": precision,
        }

        response = admin_client.post(url, data)

        assert response.status_code == 302, response.context["adminform"].form.errors
        position.refresh_from_db()
        assert (position.date_earliest.isoformat(), position.date_latest.isoformat()) == (earliest, latest)


def test_the_source_change_form_greys_the_parts_that_are_not_the_publishers(admin_client, small_knowledge_base, source):
    content = admin_client.get(admin_url(Source, "change", source.pk)).content.decode()

    assert '<span style="color: #888">Comments\nreader42: the state will never join' in content


def citations_formset(response):
    [formset] = [
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "citations"
    ]
    return formset


def test_the_admin_refuses_date_words_that_no_quote_of_the_position_holds(admin_client, small_knowledge_base, position):
    url = admin_url(Position, "change", position.pk)
    data = post_data(admin_client.get(url)) | {"date_text": "last spring"}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    [message] = citations_formset(response).non_form_errors()
    assert "The date words 'last spring' are not in any of the position's own quotes" in message
    position.refresh_from_db()
    assert position.date_text == "in March"


def test_the_admin_refuses_a_reported_date_that_is_not_its_reports(
    admin_client, small_knowledge_base, source, position
):
    Source.objects.filter(pk=source.pk).update(
        published_earliest=datetime.date(2012, 2, 1),
        published_latest=datetime.date(2012, 2, 29),
        published_precision=DatePrecision.MONTH,
        published_text="Public Safety",
    )
    url = admin_url(Position, "change", position.pk)
    data = post_data(admin_client.get(url)) | {"date_basis": "reported", "date_text": ""}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    [message] = citations_formset(response).non_form_errors()
    assert message.startswith("A reported position is dated by its report") and "globe-heffernan 2012-02" in message

    data |= {"date_earliest": "2012-02-01", "date_latest": "2012-02-29"}
    assert admin_client.post(url, data).status_code == 302
    position.refresh_from_db()
    assert (position.date_basis, position.date_earliest) == ("reported", datetime.date(2012, 2, 1))
