"""What the documents say, as the knowledge base holds it: who stood where on Secure Communities, and when."""

import datetime

import pytest

from kb.models import Citation, Jurisdiction, Official, Organization, Position, Program, Source

pytestmark = pytest.mark.usefixtures("knowledge_base")

HERALD = "boston-herald-patrick-refuses-to-sign"
AP = "ap-patrick-massachusetts-wont-participate"
GLOBE = "boston-globe-patrick-wont-sign"
WBUR = "wbur-mass-wont-join-immigration-check-program"
BLOG = "blog-patrick-refuses-to-join-secure-communities"


def cited_sources(position_slug):
    return set(Citation.objects.filter(position__slug=position_slug).values_list("source__slug", flat=True))


def stances_of(jurisdiction_slug):
    return list(
        Position.objects.filter(jurisdiction__slug=jurisdiction_slug)
        .order_by("date", "slug")
        .values_list("stance", "date", "date_precision")
    )


def test_there_is_one_source_per_document_with_its_kind_and_dates():
    sources = {source.slug: source for source in Source.objects.all()}
    assert set(sources) == {HERALD, AP, GLOBE, WBUR, BLOG}
    assert (sources[HERALD].kind, sources[HERALD].published_on) == ("news_article", datetime.date(2011, 6, 6))
    assert sources[HERALD].authors == ["Hillary Chabot"]
    assert (sources[WBUR].kind, sources[WBUR].published_on) == ("radio_story", datetime.date(2011, 6, 6))
    assert sources[BLOG].kind == "blog_post"
    assert sources[GLOBE].authors == ["Maria Sacchetti", "Noah Bierman"]
    # The AP copy, the Globe copy and the blog carry no date of their own: none is invented.
    assert sources[AP].published_on is None and sources[GLOBE].published_on is None


def test_the_reader_comments_stay_in_the_text_but_nothing_cites_them():
    ap = Source.objects.get(slug=AP)
    assert ap.comments_start is not None
    assert "Taxachusetts says" in ap.text[ap.comments_start :]
    assert not ap.citations.filter(end__gt=ap.comments_start).exists()


def test_massachusetts_said_in_december_2010_it_would_join_then_refused_in_june_2011():
    assert stances_of("massachusetts") == [
        ("will_join", datetime.date(2010, 12, 1), "month"),
        ("refuses", datetime.date(2011, 6, 3), "day"),
    ]
    december = Position.objects.get(jurisdiction__slug="massachusetts", stance="will_join")
    assert december.official.slug == "deval-patrick"
    assert december.date_text == "last December"


def test_the_refusal_is_reported_by_all_five_documents():
    refusal = Position.objects.get(jurisdiction__slug="massachusetts", stance="refuses")
    assert refusal.official.slug == "deval-patrick"
    assert cited_sources(refusal.slug) == {HERALD, AP, GLOBE, WBUR, BLOG}


def test_as_of_gives_the_stance_in_force_before_and_after_massachusetts_changed():
    massachusetts = Position.objects.filter(jurisdiction__slug="massachusetts")
    assert [p.stance for p in massachusetts.as_of(datetime.date(2011, 6, 2))] == ["will_join"]
    assert [p.stance for p in massachusetts.as_of(datetime.date(2011, 6, 3))] == ["refuses"]
    assert not massachusetts.as_of(datetime.date(2010, 11, 30)).exists()


def test_who_had_refused_or_withdrawn_by_june_6_2011():
    in_force = Position.objects.as_of(datetime.date(2011, 6, 6)).filter(stance__in=["refuses", "withdraws"])
    holders = {(p.jurisdiction.slug, p.stance) for p in in_force}
    assert holders == {
        ("massachusetts", "refuses"),
        ("illinois", "refuses"),
        ("new-york", "withdraws"),
        ("new-york", "refuses"),  # the Globe's version, kept beside the Herald's and AP's
    }


def test_new_york_withdrew_per_the_herald_and_ap_but_refused_per_the_globe():
    withdrawal = Position.objects.get(jurisdiction__slug="new-york", stance="withdraws")
    assert withdrawal.official.slug == "andrew-cuomo"
    assert withdrawal.date_text == "last week"
    assert cited_sources(withdrawal.slug) == {HERALD, AP, WBUR}
    refusal = Position.objects.get(jurisdiction__slug="new-york", stance="refuses")
    assert cited_sources(refusal.slug) == {GLOBE}


def test_illinois_bowed_out_in_early_may_per_the_herald_and_refused_per_ap_and_the_globe():
    withdrawal = Position.objects.get(jurisdiction__slug="illinois", stance="withdraws")
    assert (withdrawal.date, withdrawal.date_precision, withdrawal.date_text) == (
        datetime.date(2011, 5, 1),
        "month",
        "in early May",
    )
    assert withdrawal.official.slug == "pat-quinn"
    refusal = Position.objects.get(jurisdiction__slug="illinois", stance="refuses")
    assert cited_sources(refusal.slug) == {AP, GLOBE, WBUR}


def test_california_is_considering_withdrawal_in_two_versions():
    versions = Position.objects.filter(jurisdiction__slug="california")
    assert {p.stance for p in versions} == {"considering_withdrawal"}
    assert {frozenset(cited_sources(p.slug)) for p in versions} == {frozenset({HERALD}), frozenset({AP, WBUR})}
    quotes = " ".join(Citation.objects.filter(position__in=versions).values_list("quote", flat=True))
    assert "withdraw the state" in quotes and "individual communities opt out" in quotes


def test_boston_has_participated_since_2006():
    since_2006 = Position.objects.get(slug="boston-participates-since-2006")
    assert (since_2006.stance, since_2006.date, since_2006.date_precision) == (
        "participates",
        datetime.date(2006, 1, 1),
        "year",
    )
    assert since_2006.organization.slug == "boston-police-department"
    assert Jurisdiction.objects.get(slug="boston").parent.slug == "massachusetts"
    assert Jurisdiction.objects.get(slug="massachusetts").parent.slug == "united-states"


@pytest.mark.parametrize(
    "organization, stance",
    [
        ("centro-presente", "opposes"),
        ("immigrant-advocacy-groups", "opposes"),
        ("greater-boston-tea-party", "supports"),
        ("tea-party-activists", "supports"),
        ("defenders-of-the-program", "supports"),
    ],
)
def test_advocates_on_both_sides_take_their_stances(organization, stance):
    assert set(Position.objects.filter(organization__slug=organization).values_list("stance", flat=True)) == {stance}


@pytest.mark.parametrize(
    "official, role, stance",
    [
        ("patricia-montes", "Executive director, Centro Presente", "opposes"),
        ("christen-varley", "President, Greater Boston Tea Party", "supports"),
        ("mary-beth-heffernan", "Massachusetts Secretary of Public Safety", "opposes"),
    ],
)
def test_people_who_speak_for_themselves_or_their_groups(official, role, stance):
    person = Official.objects.get(slug=official)
    assert person.role == role
    assert set(person.positions.values_list("stance", flat=True)) == {stance}


def test_heffernan_is_spelt_two_ways_and_each_spelling_is_cited():
    heffernan = Official.objects.get(slug="mary-beth-heffernan")
    assert heffernan.name == "Mary Beth Heffernan"
    variant = heffernan.other_names.get()
    assert variant.name == "Mary E. Heffernan"
    assert {c.source.slug for c in variant.citations.all()} == {GLOBE}
    assert {c.source.slug for c in heffernan.citations.all()} == {HERALD, AP, WBUR, BLOG}


def test_ice_is_named_three_ways():
    ice = Organization.objects.get(slug="immigration-and-customs-enforcement")
    assert set(ice.other_names.values_list("name", flat=True)) == {
        "ICE",
        "Immigration Customs Enforcement",
        "US Immigration and Customs Enforcement",
    }
    assert ice.parent.slug == "department-of-homeland-security"


def test_the_program_its_other_names_and_its_start():
    program = Program.objects.get(slug="secure-communities")
    assert program.agency.slug == "immigration-and-customs-enforcement"
    assert set(program.other_names.values_list("name", flat=True)) == {"S-Comm", "Secure Communities Program"}
    assert (program.started_on, program.started_precision) == (datetime.date(2008, 10, 1), "month")


@pytest.mark.parametrize(
    "slug, value, qualifier, sources",
    [
        ("in-42-states", 42, "exactly", {GLOBE}),
        ("deported-more-than-77000-criminals", 77000, "more_than", {GLOBE}),
        ("less-than-half-aggravated-felonies", 0.5, "less_than", {GLOBE}),
        ("boston-one-in-four-serious-criminals", 0.25, "about", {BLOG, AP, GLOBE, WBUR}),
        ("boston-more-than-half-non-criminal", 0.5, "more_than", {BLOG, AP, GLOBE, WBUR}),
    ],
)
def test_program_figures_are_cited_by_every_document_that_gives_them(slug, value, qualifier, sources):
    fact = Program.objects.get(slug="secure-communities").facts.get(slug=slug)
    assert float(fact.value) == value and fact.value_qualifier == qualifier
    assert {c.source.slug for c in fact.citations.all()} == sources


def test_the_year_it_was_to_become_mandatory():
    fact = Program.objects.get(slug="secure-communities").facts.get(slug="mandatory-nationwide-by-2013")
    assert (fact.kind, fact.date, fact.date_precision) == ("mandatory_by", datetime.date(2013, 1, 1), "year")


def test_every_position_has_a_citation():
    # That each citation is verbatim at its offsets is tests/test_api_read.py's to check.
    assert Position.objects.exists()
    assert not Position.objects.filter(citations__isnull=True).exists()


def test_every_stance_carries_its_date_precision_and_wording():
    for position in Position.objects.all():
        assert position.date and position.date_precision in {"day", "month", "year"} and position.date_text
