"""Who stood where on Secure Communities, and when, as the five documents tell it, through the API.

Each expectation below is what the documents say (docs/fact-check.md resolves every relative
date), checked against fixtures/kb.yaml (the curated facts) and asked of the API. The dates:

- the Herald and AP (and WBUR, which carries AP's text) are of Monday 2011-06-06; the Globe of
  2011-06-03 .. 2011-06-09 (its letter "dated Friday" is 2011-06-03); the blog carries no date;
- New York: the Herald's "last week" is 2011-05-30 .. 2011-06-05; AP's "has suspended" and the
  Globe's "refusing" are reported undated, so dated by their reports: one event, three versions;
- Illinois: the Herald's "in early May" is 2011-05-01 .. 2011-05-10; AP's "won't participate" and
  the Globe's "refusing" are reports of the same event;
- Massachusetts: "last December" (2010-12) it said it would join; the letter dated Friday
  2011-06-03 refuses.
"""

import pytest
from rest_framework.test import APIClient

from tests.api_helpers import curated, curated_record, curated_slugs, get, page, slugs

pytestmark = pytest.mark.usefixtures("knowledge_base")

CLIENT = APIClient()  # anonymous, as a reader is

HERALD = "boston-herald-patrick-refuses-to-sign"
AP = "ap-patrick-massachusetts-wont-participate"
GLOBE = "boston-globe-patrick-wont-sign"
WBUR = "wbur-mass-wont-join-immigration-check-program"
BLOG = "blog-patrick-refuses-to-join-secure-communities"

NEW_YORK_EVENT = "new-york-leaves-secure-communities"
ILLINOIS_EVENT = "illinois-leaves-secure-communities"
NY_HERALD, NY_AP, NY_GLOBE = (
    "new-york-withdraws-2011-06",
    "new-york-suspends-ap-version",
    "new-york-refuses-globe-version",
)
IL_HERALD, IL_AP, IL_GLOBE = "illinois-withdraws-2011-05", "illinois-refuses", "illinois-refuses-globe-version"
MA_DECEMBER = "massachusetts-will-join-secure-communities-2010-12"
MA_REFUSAL = "massachusetts-refuses-secure-communities-2011-06-03"
CERTAIN, POSSIBLE = "certain", "possible"


def in_force(day, **filters):
    """{slug: in_force} of the positions the API says were in force on `day`."""
    body = page(get(CLIENT, "positions/", {"as_of": day, "limit": 100, **filters}))
    return {record["slug"]: record["in_force"] for record in body["results"]}


def position(slug):
    response = get(CLIENT, f"positions/{slug}/")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def test_the_curated_file_has_the_events_this_test_reads():
    assert curated_slugs("positions", event=NEW_YORK_EVENT) == {NY_HERALD, NY_AP, NY_GLOBE}
    assert curated_slugs("positions", event=ILLINOIS_EVENT) == {IL_HERALD, IL_AP, IL_GLOBE}
    assert curated_slugs("positions", jurisdiction="massachusetts") == {MA_DECEMBER, MA_REFUSAL}


# ---- as_of: who stood where on a day, and how sure that is ----

AS_OF = [
    # New York: "last week" in the Herald of Monday 6 June is 30 May .. 5 June; the three versions
    # are one event, possible until it had certainly happened, certain from then.
    ("new-york", "2011-05-29", {}),
    ("new-york", "2011-05-30", {NY_HERALD: POSSIBLE, NY_AP: POSSIBLE, NY_GLOBE: POSSIBLE}),
    ("new-york", "2011-05-31", {NY_HERALD: POSSIBLE, NY_AP: POSSIBLE, NY_GLOBE: POSSIBLE}),
    ("new-york", "2011-06-01", {NY_HERALD: POSSIBLE, NY_AP: POSSIBLE, NY_GLOBE: POSSIBLE}),
    ("new-york", "2011-06-03", {NY_HERALD: POSSIBLE, NY_AP: POSSIBLE, NY_GLOBE: POSSIBLE}),
    ("new-york", "2011-06-05", {NY_HERALD: CERTAIN, NY_AP: CERTAIN, NY_GLOBE: CERTAIN}),
    ("new-york", "2011-06-06", {NY_HERALD: CERTAIN, NY_AP: CERTAIN, NY_GLOBE: CERTAIN}),
    ("new-york", "2012-01-01", {NY_HERALD: CERTAIN, NY_AP: CERTAIN, NY_GLOBE: CERTAIN}),
    # Illinois: "in early May" (1 .. 10 May); AP's and the Globe's reports (6 June, 3 .. 9 June)
    # are versions of the same event: they neither supersede the Herald's nor wait for their report.
    ("illinois", "2011-04-30", {}),
    ("illinois", "2011-05-01", {IL_HERALD: POSSIBLE, IL_AP: POSSIBLE, IL_GLOBE: POSSIBLE}),
    ("illinois", "2011-05-09", {IL_HERALD: POSSIBLE, IL_AP: POSSIBLE, IL_GLOBE: POSSIBLE}),
    ("illinois", "2011-05-10", {IL_HERALD: CERTAIN, IL_AP: CERTAIN, IL_GLOBE: CERTAIN}),
    ("illinois", "2011-05-31", {IL_HERALD: CERTAIN, IL_AP: CERTAIN, IL_GLOBE: CERTAIN}),
    ("illinois", "2011-06-01", {IL_HERALD: CERTAIN, IL_AP: CERTAIN, IL_GLOBE: CERTAIN}),
    ("illinois", "2011-06-03", {IL_HERALD: CERTAIN, IL_AP: CERTAIN, IL_GLOBE: CERTAIN}),
    ("illinois", "2011-06-06", {IL_HERALD: CERTAIN, IL_AP: CERTAIN, IL_GLOBE: CERTAIN}),
    # Massachusetts: would join "last December" (December 2010), refused by the letter of Friday 3 June.
    ("massachusetts", "2010-11-30", {}),
    ("massachusetts", "2010-12-01", {MA_DECEMBER: POSSIBLE}),
    ("massachusetts", "2010-12-31", {MA_DECEMBER: CERTAIN}),
    ("massachusetts", "2011-05-31", {MA_DECEMBER: CERTAIN}),
    ("massachusetts", "2011-06-01", {MA_DECEMBER: CERTAIN}),
    ("massachusetts", "2011-06-02", {MA_DECEMBER: CERTAIN}),
    ("massachusetts", "2011-06-03", {MA_REFUSAL: CERTAIN}),
    ("massachusetts", "2011-06-06", {MA_REFUSAL: CERTAIN}),
    # California: legislation reported by the Herald and AP on 6 June, in two versions.
    ("california", "2011-06-05", {}),
    (
        "california",
        "2011-06-06",
        {"california-considering-withdrawal-of-state": CERTAIN, "california-considering-community-opt-out": CERTAIN},
    ),
    # Boston: participating "since 2006", still when it "expanded in 2008", and in June 2011.
    ("boston", "2005-12-31", {}),
    ("boston", "2006-06-30", {"boston-participates-since-2006": POSSIBLE}),
    ("boston", "2007-06-30", {"boston-participates-since-2006": CERTAIN}),
    (
        "boston",
        "2008-06-30",
        {"boston-participates-since-2006": POSSIBLE, "boston-continues-after-2008-expansion": POSSIBLE},
    ),
    ("boston", "2009-06-30", {"boston-continues-after-2008-expansion": CERTAIN}),
    ("boston", "2011-06-03", {"boston-continues-after-2008-expansion": CERTAIN}),
    ("boston", "2011-06-06", {"boston-participates-2011": CERTAIN}),
]


@pytest.mark.parametrize("jurisdiction, day, expected", AS_OF, ids=[f"{j}-{d}" for j, d, _ in AS_OF])
def test_as_of_gives_who_stood_where_and_how_sure(jurisdiction, day, expected):
    assert set(expected) <= curated_slugs("positions", jurisdiction=jurisdiction)
    assert in_force(day, jurisdiction=jurisdiction) == expected


def test_new_yorks_last_week_is_possible_until_the_week_is_out_with_every_version_of_the_event():
    for day in ("2011-05-31", "2011-06-01", "2011-06-03"):
        answer = in_force(day, jurisdiction="new-york")
        assert answer == dict.fromkeys(curated_slugs("positions", event=NEW_YORK_EVENT), POSSIBLE), day
    assert set(in_force("2011-06-06", jurisdiction="new-york").values()) == {CERTAIN}


def test_a_report_of_an_event_never_supersedes_its_dated_version():
    # The bug of issue 12: illinois-refuses, dated only by AP's report (6 June), had replaced the
    # Herald's dated "early May" on 6 June although nothing new had happened.
    answer = in_force("2011-06-06", jurisdiction="illinois")
    assert IL_HERALD in answer and answer[IL_HERALD] == CERTAIN
    assert curated_record("positions", IL_AP)["date_basis"] == "reported"


def test_massachusetts_will_join_before_the_letter_and_refuses_from_its_day():
    assert {
        (slug, curated_record("positions", slug)["stance"])
        for slug in in_force("2011-06-02", jurisdiction="massachusetts")
    } == {(MA_DECEMBER, "will_join")}
    assert {
        (slug, curated_record("positions", slug)["stance"])
        for slug in in_force("2011-06-03", jurisdiction="massachusetts")
    } == {(MA_REFUSAL, "refuses")}


def test_massachusetts_and_everything_in_it_on_june_6_2011():
    assert in_force("2011-06-06", jurisdiction="massachusetts", include_sub_jurisdictions="true") == {
        MA_REFUSAL: CERTAIN,
        "boston-participates-2011": CERTAIN,
    }


def test_who_had_refused_or_withdrawn_by_june_6_2011():
    answer = in_force("2011-06-06", stance=["refuses", "withdraws"])
    assert answer == {
        MA_REFUSAL: CERTAIN,
        NY_HERALD: CERTAIN,
        NY_AP: CERTAIN,
        NY_GLOBE: CERTAIN,
        IL_HERALD: CERTAIN,
        IL_AP: CERTAIN,
        IL_GLOBE: CERTAIN,
    }


def test_without_as_of_in_force_is_null():
    assert {record["in_force"] for record in page(get(CLIENT, "positions/", {"limit": 100}))["results"]} == {None}


# ---- The advocates ----

ADVOCATES = [
    ("centro-presente", "2011-06-09", {"centro-presente-opposes": CERTAIN}),
    ("centro-presente", "2011-06-03", {"centro-presente-opposes": POSSIBLE}),
    ("centro-presente", "2011-06-02", {}),
    ("greater-boston-tea-party", "2011-06-09", {"greater-boston-tea-party-supports": CERTAIN}),
    ("tea-party-activists", "2011-01-01", {"tea-party-activists-support-2011": POSSIBLE}),
    ("tea-party-activists", "2011-06-09", {"tea-party-activists-support-2011": CERTAIN}),
    ("defenders-of-the-program", "2011-06-06", {"defenders-of-the-program-support": CERTAIN}),
    ("law-enforcement-officials", "2011-06-06", {"law-enforcement-officials-oppose": CERTAIN}),
    ("domestic-violence-advocates", "2011-06-06", {"domestic-violence-advocates-oppose": CERTAIN}),
    # Their protests and the 2011 meetings (this year: 1 January .. the Globe's 9 June) are two events.
    (
        "immigrant-advocacy-groups",
        "2011-06-06",
        {"immigrant-advocacy-groups-oppose": CERTAIN, "immigrant-advocates-oppose-at-public-meetings-2011": POSSIBLE},
    ),
    (
        "immigrant-advocacy-groups",
        "2011-06-09",
        {"immigrant-advocacy-groups-oppose": CERTAIN, "immigrant-advocates-oppose-at-public-meetings-2011": CERTAIN},
    ),
]


@pytest.mark.parametrize("organization, day, expected", ADVOCATES, ids=[f"{o}-{d}" for o, d, _ in ADVOCATES])
def test_the_advocates_on_both_sides(organization, day, expected):
    assert in_force(day, organization=organization) == expected


@pytest.mark.parametrize(
    "organization, stance",
    [
        ("centro-presente", "opposes"),
        ("immigrant-advocacy-groups", "opposes"),
        ("law-enforcement-officials", "opposes"),
        ("domestic-violence-advocates", "opposes"),
        ("greater-boston-tea-party", "supports"),
        ("tea-party-activists", "supports"),
        ("defenders-of-the-program", "supports"),
    ],
)
def test_each_advocate_takes_one_side(organization, stance):
    records = page(get(CLIENT, "positions/", {"organization": organization}))["results"]
    assert {record["slug"] for record in records} == curated_slugs("positions", organization=organization)
    assert {record["stance"] for record in records} == {stance}


@pytest.mark.parametrize(
    "slug, voice, organization",
    [
        ("centro-presente-opposes", "patricia-montes", "centro-presente"),
        ("greater-boston-tea-party-supports", "christen-varley", "greater-boston-tea-party"),
    ],
)
def test_people_who_speak_for_their_groups_voice_the_groups_stance(slug, voice, organization):
    record = position(slug)
    assert record["organization"]["slug"] == organization and record["official"] is None
    assert [v["official"]["slug"] for v in record["voices"]] == [voice]
    assert slug in slugs(get(CLIENT, f"officials/{voice}/timeline/"))


# ---- Holders and voices ----


def test_the_refusal_is_massachusetts_voiced_by_heffernan_and_patrick_and_reported_by_all_five():
    refusal = position(MA_REFUSAL)
    assert (refusal["jurisdiction"]["slug"], refusal["official"], refusal["organization"]) == (
        "massachusetts",
        None,
        None,
    )
    assert [(v["rank"], v["official"]["slug"]) for v in refusal["voices"]] == [
        (0, "mary-beth-heffernan"),
        (0, "deval-patrick"),
    ]
    heffernan = refusal["voices"][0]
    assert {c["source"] for c in heffernan["citations"]} == {HERALD, AP, GLOBE, WBUR, BLOG}
    assert {c["source"] for c in refusal["voices"][1]["citations"]} == {GLOBE}
    assert {c["source"] for c in refusal["citations"]} == {HERALD, AP, GLOBE, WBUR, BLOG}
    assert (refusal["date_earliest"], refusal["date_latest"], refusal["date_precision"], refusal["date_text"]) == (
        "2011-06-03",
        "2011-06-03",
        "day",
        "dated Friday",
    )


def test_a_chain_of_attribution_ap_heffernan_law_enforcement_officials():
    record = position("law-enforcement-officials-oppose")
    assert [(v["rank"], (v["official"] or v["organization"])["slug"]) for v in record["voices"]] == [
        (0, "mary-beth-heffernan"),
        (1, "law-enforcement-officials"),
    ]
    assert record["organization"]["slug"] == "law-enforcement-officials"


def test_what_heffernan_voiced_is_found_by_voiced_by_and_on_her_timeline():
    voiced = set(slugs(get(CLIENT, "positions/", {"voiced_by": "mary-beth-heffernan"})))
    assert voiced == {MA_REFUSAL, "law-enforcement-officials-oppose"}
    assert voiced <= set(slugs(get(CLIENT, "officials/mary-beth-heffernan/timeline/")))
    assert not page(get(CLIENT, "positions/", {"official": "mary-beth-heffernan"}))["results"]


def test_californias_legislation_is_voiced_by_its_lawmakers_and_held_by_the_state():
    record = position("california-considering-withdrawal-of-state")
    assert record["jurisdiction"]["slug"] == "california"
    assert [v["organization"]["slug"] for v in record["voices"]] == ["california-lawmakers"]
    assert slugs(get(CLIENT, "positions/", {"voiced_by_organization": "california-lawmakers"})) == [record["slug"]]


def test_boston_is_the_one_holder_of_its_participation():
    for slug in curated_slugs("positions", jurisdiction="boston"):
        record = position(slug)
        assert (record["jurisdiction"]["slug"], record["organization"], record["official"]) == ("boston", None, None)


# ---- Disputed versions ----


@pytest.mark.parametrize("event", [NEW_YORK_EVENT, ILLINOIS_EVENT, "california-legislation-on-secure-communities"])
def test_each_version_of_a_disputed_event_links_the_others(event):
    versions = curated_slugs("positions", event=event)
    for slug in versions:
        record = position(slug)
        assert record["disputed"] is True
        assert record["event"]["slug"] == event
        assert {version["slug"] for version in record["versions"]} == versions - {slug}
        assert all(version["url"].endswith(f"/api/v1/positions/{version['slug']}/") for version in record["versions"])


def test_disputed_filters_the_versions_of_events_told_differently():
    disputed = {slug for slug in curated_slugs("positions") if curated_record("positions", slug).get("event")}
    assert set(slugs(get(CLIENT, "positions/", {"disputed": "true", "limit": 100}))) == disputed
    undisputed = set(slugs(get(CLIENT, "positions/", {"disputed": "false", "limit": 100})))
    assert undisputed == curated_slugs("positions") - disputed
    assert {position(slug)["disputed"] for slug in undisputed} == {False}


def test_new_york_withdrew_per_the_herald_suspended_per_ap_refused_per_the_globe():
    assert {slug: position(slug)["stance"] for slug in (NY_HERALD, NY_AP, NY_GLOBE)} == {
        NY_HERALD: "withdraws",
        NY_AP: "withdraws",
        NY_GLOBE: "refuses",
    }
    assert {c["source"] for c in position(NY_HERALD)["citations"]} == {HERALD}
    assert {c["source"] for c in position(NY_AP)["citations"]} == {AP, WBUR}
    assert {c["source"] for c in position(NY_GLOBE)["citations"]} == {GLOBE}
    herald = position(NY_HERALD)
    assert (herald["date_earliest"], herald["date_latest"], herald["date_precision"], herald["date_edtf"]) == (
        "2011-05-30",
        "2011-06-05",
        "week",
        "2011-05-30/2011-06-05",
    )
    assert [v["official"]["slug"] for v in herald["voices"]] == ["andrew-cuomo"]


def test_illinois_bowed_out_in_early_may_per_the_herald_and_refused_per_ap_and_the_globe():
    herald = position(IL_HERALD)
    assert (herald["date_earliest"], herald["date_latest"], herald["date_precision"], herald["date_text"]) == (
        "2011-05-01",
        "2011-05-10",
        "range",
        "in early May",
    )
    assert [v["official"]["slug"] for v in herald["voices"]] == ["pat-quinn"]
    assert [v["official"]["slug"] for v in position(IL_AP)["voices"]] == ["pat-quinn"]
    # The Globe never names Quinn: its version has no voice.
    assert position(IL_GLOBE)["voices"] == []
    assert {c["source"] for c in position(IL_AP)["citations"]} == {AP, WBUR}


# ---- Reasons ----


@pytest.mark.parametrize(
    "topic, expected",
    [
        ("racial_profiling", {MA_REFUSAL, "immigrant-advocacy-groups-oppose"}),
        ("mixed_messages", {MA_REFUSAL}),
        ("targets_non_criminals", {MA_REFUSAL, NY_HERALD, IL_HERALD, "immigrant-advocacy-groups-oppose"}),
        ("cost", {"greater-boston-tea-party-supports"}),
    ],
)
def test_who_gave_which_reason(topic, expected):
    assert set(slugs(get(CLIENT, "positions/", {"reason_topic": topic, "limit": 100}))) == expected
    for slug in expected:
        assert topic in {reason["topic"] for reason in curated_record("positions", slug)["reasons"]}


def test_a_reason_carries_its_own_verbatim_citations():
    refusal = position(MA_REFUSAL)
    profiling = next(reason for reason in refusal["reasons"] if reason["topic"] == "racial_profiling")
    assert {c["source"] for c in profiling["citations"]} == {HERALD}
    assert any("potential for racial profiling" in c["quote"] for c in profiling["citations"])


# ---- Sources, their parts and their lineage ----


def test_five_documents_three_independent_sources():
    sources = {record["slug"]: record for record in page(get(CLIENT, "sources/"))["results"]}
    assert set(sources) == {HERALD, AP, GLOBE, WBUR, BLOG}
    assert (sources[WBUR]["derived_from"]["slug"], sources[WBUR]["derivation"]) == (AP, "carries_text")
    assert (sources[BLOG]["derived_from"]["slug"], sources[BLOG]["derivation"]) == (AP, "quotes")
    assert {slug for slug, record in sources.items() if record["derived_from"] is None} == {AP, HERALD, GLOBE}
    assert {record["original_url"] for record in sources.values()} == {""}  # no document names its address


@pytest.mark.parametrize(
    "slug, earliest, latest, precision, edtf",
    [
        (HERALD, "2011-06-06", "2011-06-06", "day", "2011-06-06"),
        (AP, "2011-06-06", "2011-06-06", "day", "2011-06-06"),
        (WBUR, "2011-06-06", "2011-06-06", "day", "2011-06-06"),
        (GLOBE, "2011-06-03", "2011-06-09", "range", "2011-06-03/2011-06-09"),
        (BLOG, None, None, "", ""),  # no date of its own: none is invented
    ],
)
def test_each_source_is_dated_as_far_as_it_dates_itself(slug, earliest, latest, precision, edtf):
    record = get(CLIENT, f"sources/{slug}/").json()
    assert (record["published_earliest"], record["published_latest"], record["published_precision"]) == (
        earliest,
        latest,
        precision,
    )
    assert record["published_edtf"] == edtf
    published = curated_record("sources", slug).get("published") or {}
    assert record["published_text"] == (published.get("text") or "")


@pytest.mark.parametrize(
    "slug, kinds, marker",
    [
        (HERALD, ["reposter_header"], "(Boston Herald)"),
        (GLOBE, ["reposter_header", "call_to_action"], "Please consider calling the Governor"),
        (AP, ["reader_comments"], "Taxachusetts says"),
        (WBUR, [], None),
        (BLOG, [], None),
    ],
)
def test_the_parts_that_are_not_the_publishers_are_marked_and_never_cited(slug, kinds, marker):
    record = get(CLIENT, f"sources/{slug}/").json()
    assert [part["kind"] for part in record["parts"]] == kinds
    if marker:
        assert any(marker in record["text"][part["start"] : part["end"]] for part in record["parts"])
    cited = page(get(CLIENT, "positions/", {"source": slug, "limit": 100}))["results"]
    for position_record in cited:
        for citation in position_record["citations"]:
            if citation["source"] == slug:
                assert all(
                    citation["end"] <= part["start"] or part["end"] <= citation["start"] for part in record["parts"]
                )


@pytest.mark.parametrize(
    "slug, citations, independent",
    [
        ("boston-participates-since-2006", 5, 3),  # the Herald, the Globe, and AP (with WBUR and the blog)
        (MA_REFUSAL, 11, 3),
        (NY_AP, 2, 1),  # AP and WBUR, which carries AP's text
        (NY_HERALD, 2, 1),
    ],
)
def test_every_position_counts_its_citations_and_its_independent_sources(slug, citations, independent):
    record = position(slug)
    assert len(curated_record("positions", slug)["citations"]) == citations
    assert (record["citation_count"], record["independent_source_count"]) == (citations, independent)


def test_a_program_fact_counts_its_independent_sources_too():
    program = get(CLIENT, "programs/secure-communities/").json()
    one_in_four = next(fact for fact in program["facts"] if fact["slug"] == "boston-one-in-four-serious-criminals")
    assert (one_in_four["citation_count"], one_in_four["independent_source_count"]) == (4, 2)  # AP's lineage, the Globe


# ---- Issue 12's named findings, each corrected ----


def test_every_stated_date_is_worded_in_one_of_its_quotes_and_every_reported_one_is_its_reports():
    sources = {record["slug"]: record for record in page(get(CLIENT, "sources/"))["results"]}
    for record in page(get(CLIENT, "positions/", {"limit": 100}))["results"]:
        quotes = [citation["quote"] for citation in record["citations"]]
        if record["date_basis"] == "stated":
            assert record["date_text"] and any(record["date_text"] in quote for quote in quotes), record["slug"]
        else:
            reports = {
                (sources[c["source"]]["published_earliest"], sources[c["source"]]["published_latest"])
                for c in record["citations"]
            }
            assert (record["date_earliest"], record["date_latest"]) in reports, record["slug"]


def test_the_december_position_no_longer_cites_a_belief_as_a_commitment():
    december = position(MA_DECEMBER)
    assert not any("might have no choice" in c["quote"] for c in december["citations"])
    assert [(v["official"] or v["organization"])["slug"] for v in december["voices"]] == [
        "deval-patrick",
        "patrick-administration",
    ]
    program = get(CLIENT, "programs/secure-communities/").json()
    belief = next(fact for fact in program["facts"] if fact["slug"] == "patrick-believed-state-might-have-no-choice")
    assert belief["kind"] == "participation_mandatory" and belief["date_precision"] == ""


@pytest.mark.parametrize(
    "slug, words",
    [
        ("immigrant-advocacy-groups-oppose", "could discourage"),  # the hedge kept
        ("greater-boston-tea-party-supports", "puts all Massachusetts residents at risk"),
    ],
)
def test_summaries_say_nothing_their_quotes_do_not(slug, words):
    record = position(slug)
    assert words in record["summary"]
    assert any(words in citation["quote"] for citation in record["citations"])


def test_the_white_house_claimed_participation_was_mandatory():
    program = get(CLIENT, "programs/secure-communities/").json()
    claim = next(fact for fact in program["facts"] if fact["slug"] == "white-house-indicated-mandatory-2010-12")
    assert claim["kind"] == "participation_mandatory"
    assert [v["organization"]["slug"] for v in claim["voices"]] == ["white-house"]
    assert (claim["date_earliest"], claim["date_latest"], claim["date_text"]) == (
        "2010-12-01",
        "2010-12-31",
        "last December",
    )


def test_the_program_its_owner_its_other_names_and_its_start():
    program = get(CLIENT, "programs/secure-communities/").json()
    assert program["agency"]["slug"] == "department-of-homeland-security"
    assert {name["name"] for name in program["other_names"]} == {
        "Secure Communities Program"
    }  # "S-Comm" is the reposter's
    assert (program["started_earliest"], program["started_latest"], program["started_precision"]) == (
        "2008-10-01",
        "2008-10-31",
        "month",
    )
    facts = {fact["slug"]: fact for fact in program["facts"]}
    assert (facts["in-42-states"]["date_precision"], facts["in-42-states"]["date_edtf"]) == (
        "range",
        "2011-06-03/2011-06-09",
    )
    assert (facts["mandatory-nationwide-by-2013"]["date_edtf"], facts["boston-pilot-since-2006"]["date_edtf"]) == (
        "2013",
        "2006",
    )


def test_patricks_identity_is_cited_to_reporting_not_to_opinion_or_a_reposters_line():
    patrick = get(CLIENT, "officials/deval-patrick/").json()
    assert {c["source"] for c in patrick["citations"]} == {AP, WBUR, HERALD, GLOBE}


@pytest.mark.parametrize(
    "path, name",
    [("officials/menino/", "Menino"), ("organizations/white-house/", "White House")],
)
def test_the_missing_actors_are_recorded(path, name):
    assert get(CLIENT, path).json()["name"] == name


def test_heffernan_is_spelt_two_ways_and_each_spelling_is_cited():
    heffernan = get(CLIENT, "officials/mary-beth-heffernan/").json()
    assert heffernan["name"] == "Mary Beth Heffernan"
    [variant] = heffernan["other_names"]
    assert variant["name"] == "Mary E. Heffernan"
    assert {c["source"] for c in variant["citations"]} == {GLOBE}
    assert {c["source"] for c in heffernan["citations"]} == {HERALD, AP, WBUR, BLOG}


def test_ice_is_named_three_ways_and_belongs_to_homeland_security():
    ice = get(CLIENT, "organizations/immigration-and-customs-enforcement/").json()
    assert {name["name"] for name in ice["other_names"]} == {
        "ICE",
        "Immigration Customs Enforcement",
        "US Immigration and Customs Enforcement",
    }
    assert ice["parent"]["slug"] == "department-of-homeland-security"


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
    program = get(CLIENT, "programs/secure-communities/").json()
    fact = next(fact for fact in program["facts"] if fact["slug"] == slug)
    assert (fact["value"], fact["value_qualifier"]) == (value, qualifier)
    assert {c["source"] for c in fact["citations"]} == sources


def test_every_curated_position_is_in_the_api():
    assert set(slugs(get(CLIENT, "positions/", {"limit": 100}))) == curated_slugs("positions")
    assert len(curated()["positions"]) == page(get(CLIENT, "positions/"))["count"]
