"""Writing through the API: token and session auth, create/replace/change/delete of every resource,
positions with nested citations located from their quotes, and the knowledge base's rules
refusing bad writes as 4xx with nothing written.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.utils.crypto import get_random_string
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb import registry
from kb.models import Citation, Jurisdiction, Official, Organization, Position, Program, Reason, Source, Voice
from tests.api_helpers import (  # noqa: F401  (fixtures)
    API,
    assert_error,
    get,
    new_position,
    page,
)

PASSWORD = "a-long-enough-password"
HERALD = "boston-herald-patrick-refuses-to-sign"
AP = "ap-patrick-massachusetts-wont-participate"
GLOBE = "boston-globe-patrick-wont-sign"
CUOMO = "New York Gov. Andrew Cuomo"
MODELS = ("position", "official", "source", "jurisdiction", "organization", "program")


@pytest.fixture
def editor(db):
    """A curator: may add, change and delete every resource, and nothing else."""
    user = User.objects.create_user("curator", password=PASSWORD)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="kb",
            codename__in=[f"{action}_{model}" for action in ("add", "change", "delete") for model in MODELS],
        )
    )
    return user


@pytest.fixture
def token_api(editor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    return client


@pytest.fixture
def session_api(editor):
    """A browser's session: logged in, and checked for CSRF as a browser would be."""
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="curator", password=PASSWORD)
    return client


def csrf_headers(client):
    """The CSRF cookie a browser would hold, and the header its page's script would send."""
    secret = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return {"HTTP_X_CSRFTOKEN": secret}


def source_text(slug):
    return Source.objects.get(slug=slug).text


def kb_counts():
    return {model.__name__: model.objects.count() for model in registry.record_models()}


# ---------------------------------------------------------------- authentication


def test_a_token_lets_a_curator_write(knowledge_base, token_api):
    response = token_api.patch(
        f"{API}officials/deval-patrick/", {"role": "Governor of the Commonwealth"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert Official.objects.get(slug="deval-patrick").role == "Governor of the Commonwealth"


def test_a_session_lets_a_curator_write_with_a_csrf_token(knowledge_base, session_api):
    response = session_api.patch(
        f"{API}officials/deval-patrick/", {"role": "Governor"}, format="json", **csrf_headers(session_api)
    )

    assert response.status_code == 200, response.content
    assert Official.objects.get(slug="deval-patrick").role == "Governor"


def test_a_session_without_a_csrf_token_is_a_403(knowledge_base, session_api):
    response = session_api.patch(f"{API}officials/deval-patrick/", {"role": "Governor"}, format="json")

    body = assert_error(response, 403, code="permission_denied")
    assert "CSRF" in body["detail"]
    assert Official.objects.get(slug="deval-patrick").role == "Governor of Massachusetts"


def test_a_token_needs_no_csrf_token(knowledge_base, editor):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")

    assert client.patch(f"{API}officials/deval-patrick/", {"role": "Governor"}, format="json").status_code == 200


def test_a_curator_without_delete_permission_cannot_delete(knowledge_base, editor, token_api):
    editor.user_permissions.remove(Permission.objects.get(codename="delete_position"))

    assert_error(token_api.delete(f"{API}positions/boston-participates-2011/"), 403)
    assert Position.objects.filter(slug="boston-participates-2011").exists()


# ---------------------------------------------------------------- positions

NY_EVENT = "new-york-leaves-secure-communities"
NY_VERSIONS = {"new-york-withdraws-2011-06", "new-york-suspends-ap-version", "new-york-refuses-globe-version"}


def test_creating_a_position_locates_each_quote_in_its_source(knowledge_base, token_api):
    response = token_api.post(f"{API}positions/", new_position(), format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == created["url"] == f"http://testserver{API}positions/new-york-suspends-participation/"
    assert created["program"]["slug"] == "secure-communities"
    assert created["jurisdiction"]["slug"] == "new-york"
    assert created["official"] is None and created["organization"] is None
    assert [(v["rank"], v["official"]["slug"]) for v in created["voices"]] == [(0, "andrew-cuomo")]
    assert [(r["rank"], r["topic"]) for r in created["reasons"]] == [(0, "targets_non_criminals")]
    assert (created["citation_count"], created["independent_source_count"]) == (2, 2)
    quotes = [*created["citations"], *created["voices"][0]["citations"], *created["reasons"][0]["citations"]]
    assert len(quotes) == 4
    for citation in quotes:
        assert source_text(citation["source"])[citation["start"] : citation["end"]] == citation["quote"]


def test_a_created_position_is_read_back_and_found_by_the_filters(knowledge_base, token_api, api):
    token_api.post(f"{API}positions/", new_position(), format="json")

    position = get(api, "positions/new-york-suspends-participation/").json()
    assert position["stance"] == "withdraws"
    assert {c["source"] for c in position["citations"]} == {AP, HERALD}
    found = {
        "search": {"search": "suspended participation"},
        "voiced_by": {"voiced_by": "andrew-cuomo"},
        "reason_topic": {"reason_topic": "targets_non_criminals", "jurisdiction": "new-york"},
        "disputed": {"disputed": "false", "jurisdiction": "new-york"},
    }
    for name, params in found.items():
        assert "new-york-suspends-participation" in [
            p["slug"] for p in page(get(api, "positions/", params))["results"]
        ], name


def test_a_new_event_of_a_holder_supersedes_its_earlier_one_in_as_of(knowledge_base, token_api, api):
    # Written without an event, AP's report is an event of its own, begun after New York's
    # departure had certainly happened (by 5 June): from 6 June it is New York's latest.
    token_api.post(f"{API}positions/", new_position(), format="json")

    on = {
        day: {
            p["slug"]: p["in_force"]
            for p in page(get(api, "positions/", {"as_of": day, "jurisdiction": "new-york"}))["results"]
        }
        for day in ("2011-06-05", "2011-06-06")
    }
    assert on["2011-06-05"] == dict.fromkeys(NY_VERSIONS, "certain")
    assert on["2011-06-06"] == {"new-york-suspends-participation": "certain"}


def test_a_version_written_into_an_event_joins_its_versions(knowledge_base, token_api, api):
    response = token_api.post(f"{API}positions/", new_position(event=NY_EVENT), format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["event"]["slug"] == NY_EVENT and created["disputed"] is True
    assert {version["slug"] for version in created["versions"]} == NY_VERSIONS
    on_june_6 = page(get(api, "positions/", {"as_of": "2011-06-06", "jurisdiction": "new-york"}))["results"]
    assert {p["slug"] for p in on_june_6} == NY_VERSIONS | {"new-york-suspends-participation"}
    herald = get(api, "positions/new-york-withdraws-2011-06/").json()
    assert "new-york-suspends-participation" in {version["slug"] for version in herald["versions"]}


def test_a_version_of_another_holders_event_is_a_400_naming_the_event(knowledge_base, token_api):
    before = kb_counts()

    body = assert_error(
        token_api.post(f"{API}positions/", new_position(event=NY_EVENT, jurisdiction="illinois"), format="json"),
        400,
        "event",
    )

    assert "share a holder" in body["errors"]["event"][0]
    assert kb_counts() == before


def test_start_and_end_sent_by_a_client_are_ignored(knowledge_base, token_api):
    citation = {"source": HERALD, "quote": "New York Gov. Andrew Cuomo", "start": 0, "end": 3}

    response = token_api.post(f"{API}positions/", new_position(citations=[citation]), format="json")

    assert response.status_code == 201, response.content
    [saved] = response.json()["citations"]
    assert saved["start"] == source_text(HERALD).index("New York Gov. Andrew Cuomo")
    assert saved["end"] == saved["start"] + len("New York Gov. Andrew Cuomo")


NOT_VERBATIM = [
    ([{"source": HERALD, "quote": "Governor Cuomo joined the program"}], "citations.0.quote"),
    # Straight quote where the Herald has a curly one: not verbatim.
    ([{"source": HERALD, "quote": "Patrick's Secretary of Public Safety"}], "citations.0.quote"),
    # Verbatim in the documents, but only in a part that is not the publisher's: never evidence.
    ([{"source": AP, "quote": "Taxachusetts says"}], "citations.0.quote"),  # reader comments
    ([{"source": HERALD, "quote": "Refuses to Sign onto S-Comm"}], "citations.0.quote"),  # a reposter's header
    ([{"source": GLOBE, "quote": "Please consider calling the Governor"}], "citations.0.quote"),  # call to action
    (
        [{"source": HERALD, "quote": "New York Gov. Andrew Cuomo"}, {"source": AP, "quote": "not in the text"}],
        "citations.1.quote",
    ),
    ([{"source": HERALD, "quote": ""}], "citations.0.quote"),
    ([{"source": "no-such-source", "quote": "New York Gov. Andrew Cuomo"}], "citations.0.source"),
    ([{"quote": "New York Gov. Andrew Cuomo"}], "citations.0.source"),
    ([], "citations"),
]


@pytest.mark.parametrize(("citations", "field"), NOT_VERBATIM)
def test_a_citation_that_is_not_verbatim_evidence_is_a_400_and_nothing_is_written(
    knowledge_base, token_api, citations, field
):
    before = kb_counts()

    body = assert_error(
        token_api.post(f"{API}positions/", new_position(citations=citations), format="json"), 400, field
    )

    assert kb_counts() == before
    assert set(body["errors"]) == {field}


@pytest.mark.parametrize(
    ("child", "field"),
    [
        (
            {"voices": [{"official": "andrew-cuomo", "citations": [{"source": AP, "quote": "Taxachusetts says"}]}]},
            "voices.0.citations.0.quote",
        ),
        (
            {"reasons": [{"topic": "other", "summary": "Why.", "citations": [{"source": HERALD, "quote": "Nope"}]}]},
            "reasons.0.citations.0.quote",
        ),
        ({"voices": [{"official": "andrew-cuomo", "citations": []}]}, "voices.0.citations"),
        ({"reasons": [{"topic": "other", "summary": "Why."}]}, "reasons.0.citations"),
        ({"voices": [{"citations": [{"source": HERALD, "quote": "New York Gov. Andrew Cuomo"}]}]}, "voices.0.official"),
        ({"voices": [{"official": "nobody", "citations": [{"source": HERALD, "quote": CUOMO}]}]}, "voices.0.official"),
        (
            {"reasons": [{"topic": "vibes", "summary": "Why.", "citations": [{"source": HERALD, "quote": CUOMO}]}]},
            "reasons.0.topic",
        ),
    ],
)
def test_a_voice_or_reason_is_held_to_the_same_citations_and_names_its_field(knowledge_base, token_api, child, field):
    before = kb_counts()

    assert_error(token_api.post(f"{API}positions/", new_position(**child), format="json"), 400, field)

    assert kb_counts() == before


def test_a_citation_error_names_the_quote_and_the_source(knowledge_base, token_api):
    citations = [{"source": HERALD, "quote": "Governor Cuomo joined the program"}]

    body = assert_error(token_api.post(f"{API}positions/", new_position(citations=citations), format="json"), 400)

    [message] = body["errors"]["citations.0.quote"]
    assert "Governor Cuomo joined the program" in message and HERALD in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (new_position(stanse="refuses"), "stanse"),
        (new_position(date="2011-06-06"), "date"),  # the old single date: now an interval
        (
            new_position(citations=[{"source": HERALD, "quote": "New York Gov. Andrew Cuomo", "page": 2}]),
            "citations.0.page",
        ),
    ],
)
def test_a_field_the_resource_does_not_have_is_a_400_naming_it(knowledge_base, token_api, body, field):
    before = kb_counts()

    assert_error(token_api.post(f"{API}positions/", body, format="json"), 400, field)

    assert kb_counts() == before


def test_a_position_without_citations_is_a_400(knowledge_base, token_api):
    position = new_position()
    del position["citations"]

    assert_error(token_api.post(f"{API}positions/", position, format="json"), 400, "citations")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"stance": "maybe"}, "stance"),
        ({"stance": "Refuses"}, "stance"),
        ({"date_precision": "hour"}, "date_precision"),
        ({"date_basis": "rumoured"}, "date_basis"),
        ({"date_earliest": "2011-06-31"}, "date_earliest"),
        ({"date_latest": None}, "date_latest"),
        ({"program": "e-verify"}, "program"),
        ({"event": "nothing-happened"}, "event"),
        ({"official": "nobody"}, "official"),
        ({"jurisdiction": "texas"}, "jurisdiction"),
        ({"organization": "nobody"}, "organization"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "massachusetts-refuses-secure-communities-2011-06-03"}, "slug"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 501}, "summary"),
    ],
)
def test_a_bad_position_field_is_a_400_naming_it_and_nothing_is_written(knowledge_base, token_api, changes, field):
    before = kb_counts()

    assert_error(token_api.post(f"{API}positions/", new_position(**changes), format="json"), 400, field)

    assert kb_counts() == before


BAD_INTERVALS = [
    pytest.param("2011-05-31", "2011-06-06", "week", id="a week from a Tuesday"),
    pytest.param("2011-05-30", "2011-06-04", "week", id="a week to a Saturday"),
    pytest.param("2011-06-02", "2011-06-30", "month", id="a month not from the 1st"),
    pytest.param("2012-02-01", "2012-02-28", "month", id="a leap February to the 28th"),
    pytest.param("2011-01-01", "2011-12-30", "year", id="a year not to 31 December"),
    pytest.param("2011-06-06", "2011-06-06", "range", id="a range with earliest = latest"),
    pytest.param("2011-06-09", "2011-06-03", "range", id="a range with earliest > latest"),
    pytest.param("2011-06-03", "2011-06-06", "day", id="a day with earliest != latest"),
]


@pytest.mark.parametrize(("earliest", "latest", "precision"), BAD_INTERVALS)
def test_a_date_that_does_not_fit_its_precision_is_a_400_naming_the_field(
    knowledge_base, token_api, earliest, latest, precision
):
    before = kb_counts()
    body = new_position(date_earliest=earliest, date_latest=latest, date_precision=precision)

    errors = assert_error(token_api.post(f"{API}positions/", body, format="json"), 400, "date_latest")["errors"]

    assert f"{earliest} .. {latest} does not fit {precision} precision" in errors["date_latest"][0]
    assert "__all__" not in errors and "non_field_errors" not in errors, errors
    assert kb_counts() == before


@pytest.mark.parametrize(
    ("earliest", "latest", "precision"),
    [
        ("2011-06-01", "2011-06-30", "month"),
        ("2012-02-01", "2012-02-29", "month"),
        ("2011-05-30", "2011-06-05", "week"),
        ("2011-01-01", "2011-12-31", "year"),
        ("2011-06-03", "2011-06-09", "range"),
    ],
)
def test_a_date_that_fits_its_precision_is_accepted(knowledge_base, token_api, earliest, latest, precision):
    # Stated, so not bound to its report's day; "has suspended" stands in for the source's date words.
    body = new_position(
        date_earliest=earliest,
        date_latest=latest,
        date_precision=precision,
        date_basis="stated",
        date_text="has suspended",
    )

    response = token_api.post(f"{API}positions/", body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["date_edtf"] in (earliest[:7], earliest[:4], f"{earliest}/{latest}")


def test_date_words_not_in_the_positions_own_quotes_are_a_400_naming_date_text(knowledge_base, token_api):
    before = kb_counts()
    # "said last week" is in the voice's quote, not in the position's own.
    body = new_position(date_basis="stated", date_text="said last week")

    errors = assert_error(token_api.post(f"{API}positions/", body, format="json"), 400, "date_text")["errors"]

    assert "'said last week' are not in any of the position's own quotes" in errors["date_text"][0]
    assert kb_counts() == before


def test_date_words_in_a_quote_are_accepted(knowledge_base, token_api):
    body = new_position(
        date_basis="stated",
        date_text="last week",
        date_earliest="2011-05-30",
        date_latest="2011-06-05",
        date_precision="week",
        citations=[{"source": HERALD, "quote": "New York Gov. Andrew Cuomo said last week he was withdrawing"}],
    )

    response = token_api.post(f"{API}positions/", body, format="json")

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("changes", "sources"),
    [
        (
            {"date_earliest": "2011-06-03", "date_latest": "2011-06-03"},
            "ap-patrick-massachusetts-wont-participate 2011-06-06",
        ),
        ({"date_earliest": "2011-06-01", "date_latest": "2011-06-30", "date_precision": "month"}, "2011-06-06"),
        (
            {"citations": [{"source": "blog-patrick-refuses-to-join-secure-communities", "quote": "Deval Patrick"}]},
            "blog-patrick-refuses-to-join-secure-communities undated",
        ),
    ],
    ids=["the letter's day", "the report's month", "an undated source"],
)
def test_a_reported_position_not_dated_by_its_report_is_a_400_naming_the_date(
    knowledge_base, token_api, changes, sources
):
    before = kb_counts()

    errors = assert_error(
        token_api.post(f"{API}positions/", new_position(**changes), format="json"), 400, "date_earliest"
    )["errors"]

    assert errors["date_earliest"][0].startswith("A reported position is dated by its report")
    assert sources in errors["date_earliest"][0]
    assert kb_counts() == before


def test_a_change_of_citations_is_held_to_the_positions_date(knowledge_base, token_api):
    # The Herald's "last week" version: its new citations must still hold its date words.
    slug = "new-york-withdraws-2011-06"
    citations = [{"source": HERALD, "quote": "saying it hasn’t deported felons"}]

    assert_error(token_api.patch(f"{API}positions/{slug}/", {"citations": citations}, format="json"), 400, "date_text")
    assert Citation.objects.filter(position__slug=slug).count() == 2
    # A change of another field is checked against the citations it has.
    assert token_api.patch(f"{API}positions/{slug}/", {"note": "Checked."}, format="json").status_code == 200
    assert_error(token_api.patch(f"{API}positions/{slug}/", {"date_text": "in May"}, format="json"), 400, "date_text")


def test_a_stated_date_without_its_words_is_a_400(knowledge_base, token_api):
    before = kb_counts()

    body = assert_error(
        token_api.post(f"{API}positions/", new_position(date_basis="stated", date_text=""), format="json"),
        400,
        "date_text",
    )

    assert body["errors"]["date_text"] == ["A stated date gives the source's words for it (date_text)."]
    assert kb_counts() == before


def test_a_position_held_by_nobody_is_a_400(knowledge_base, token_api):
    before = kb_counts()

    body = assert_error(
        token_api.post(f"{API}positions/", new_position(official=None, jurisdiction=None), format="json"),
        400,
        "jurisdiction",
    )

    assert kb_counts() == before
    assert "name one" in body["errors"]["jurisdiction"][0] and "__all__" not in body["errors"]


def test_replacing_a_position_replaces_its_citations(knowledge_base, token_api):
    token_api.post(f"{API}positions/", new_position(), format="json")
    replacement = new_position(
        stance="refuses",
        summary="New York refuses Secure Communities (Globe version).",
        date_earliest="2011-06-03",
        date_latest="2011-06-09",
        date_precision="range",
        citations=[{"source": GLOBE, "quote": "Illinois and New York refusing to sign on"}],
    )

    response = token_api.put(f"{API}positions/new-york-suspends-participation/", replacement, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["stance"] == "refuses"
    [citation] = response.json()["citations"]
    assert citation["source"] == GLOBE
    position = Position.objects.get(slug="new-york-suspends-participation")
    assert [c.quote for c in position.citations.all()] == ["Illinois and New York refusing to sign on"]


def test_changing_a_field_of_a_position_keeps_its_citations_voices_and_reasons(knowledge_base, token_api):
    slug = "massachusetts-refuses-secure-communities-2011-06-03"
    before = sorted(Citation.objects.filter(position__slug=slug).values_list("source__slug", "quote", "start", "end"))
    children = (Voice.objects.filter(position__slug=slug).count(), Reason.objects.filter(position__slug=slug).count())

    response = token_api.patch(f"{API}positions/{slug}/", {"note": "Checked again."}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["note"] == "Checked again."
    assert len(response.json()["citations"]) == 11
    after = sorted(Citation.objects.filter(position__slug=slug).values_list("source__slug", "quote", "start", "end"))
    assert after == before
    assert (len(response.json()["voices"]), len(response.json()["reasons"])) == children == (2, 10)


def test_changing_the_citations_of_a_position_replaces_them(knowledge_base, token_api):
    slug = "illinois-refuses"
    citations = [{"source": AP, "quote": "Illinois Gov. Pat Quinn has also said Illinois won’t participate."}]

    response = token_api.patch(f"{API}positions/{slug}/", {"citations": citations}, format="json")

    assert response.status_code == 200, response.content
    assert [(c["source"], c["quote"]) for c in response.json()["citations"]] == [(AP, citations[0]["quote"])]
    assert Citation.objects.filter(position__slug=slug).count() == 1


def test_changing_the_voices_of_a_position_replaces_them_with_their_citations(knowledge_base, token_api):
    slug = "massachusetts-refuses-secure-communities-2011-06-03"
    voices = [
        {
            "official": "deval-patrick",
            "citations": [{"source": GLOBE, "quote": "Governor Deval Patrick said today"}],
        }
    ]

    response = token_api.patch(f"{API}positions/{slug}/", {"voices": voices}, format="json")

    assert response.status_code == 200, response.content
    assert [(v["official"]["slug"], [c["quote"] for c in v["citations"]]) for v in response.json()["voices"]] == [
        ("deval-patrick", ["Governor Deval Patrick said today"])
    ]
    assert not Citation.objects.filter(voice__position__slug=slug, voice__official__slug="mary-beth-heffernan").exists()


def test_a_bad_citation_in_a_change_leaves_the_old_citations(knowledge_base, token_api):
    slug = "illinois-refuses"
    citations = [{"source": AP, "quote": "Illinois joined"}]

    assert_error(
        token_api.patch(f"{API}positions/{slug}/", {"citations": citations}, format="json"), 400, "citations.0.quote"
    )

    assert Citation.objects.filter(position__slug=slug).count() == 2


def test_a_change_that_breaks_the_date_interval_is_a_400_naming_the_field(knowledge_base, token_api):
    slug = "new-york-withdraws-2011-06"

    body = assert_error(
        token_api.patch(f"{API}positions/{slug}/", {"date_latest": "2011-06-04"}, format="json"), 400, "date_latest"
    )

    assert "does not fit week precision" in body["errors"]["date_latest"][0]
    position = Position.objects.get(slug=slug)
    assert (str(position.date_earliest), str(position.date_latest)) == ("2011-05-30", "2011-06-05")


def test_renaming_a_position_to_a_taken_slug_is_a_400(knowledge_base, token_api):
    assert_error(
        token_api.patch(f"{API}positions/illinois-refuses/", {"slug": "illinois-withdraws-2011-05"}, format="json"),
        400,
        "slug",
    )


def test_deleting_a_position_deletes_its_citations_voices_and_reasons(knowledge_base, token_api, api):
    slug = "massachusetts-will-join-secure-communities-2010-12"

    assert token_api.delete(f"{API}positions/{slug}/").status_code == 204

    assert_error(get(api, f"positions/{slug}/"), 404)
    assert not Citation.objects.filter(position__slug=slug).exists()
    assert not Voice.objects.filter(position__slug=slug).exists()
    assert not Reason.objects.filter(position__slug=slug).exists()
    assert not Citation.objects.filter(voice__position__slug=slug).exists()
    assert Position.objects.count() == 20
    # And as_of is recomputed: Massachusetts is refusing from the letter on, and nothing before.
    assert page(get(api, "positions/", {"as_of": "2011-01-01", "jurisdiction": "massachusetts"}))["results"] == []


def test_deleting_an_unknown_position_is_a_404(knowledge_base, token_api):
    assert_error(token_api.delete(f"{API}positions/no-such-position/"), 404)


# ---------------------------------------------------------------- officials

SHERIFF = {
    "slug": "steven-tompkins",
    "name": "Steven Tompkins",
    "role": "Sheriff of Suffolk County",
    "jurisdiction": "massachusetts",
}


def test_creating_an_official(knowledge_base, token_api, api):
    response = token_api.post(f"{API}officials/", SHERIFF, format="json")

    assert response.status_code == 201, response.content
    official = get(api, "officials/steven-tompkins/").json()
    assert official["jurisdiction"]["slug"] == "massachusetts"
    assert official["organization"] is None
    assert official["other_names"] == [] and official["citations"] == []
    assert [o["slug"] for o in page(get(api, "officials/", {"search": "Tompkins"}))["results"]] == ["steven-tompkins"]


def test_replacing_changing_and_deleting_an_official(knowledge_base, token_api, api):
    token_api.post(f"{API}officials/", SHERIFF, format="json")

    replaced = token_api.put(
        f"{API}officials/steven-tompkins/", {**SHERIFF, "name": "Steven W. Tompkins"}, format="json"
    )
    changed = token_api.patch(f"{API}officials/steven-tompkins/", {"role": "Former sheriff"}, format="json")
    deleted = token_api.delete(f"{API}officials/steven-tompkins/")

    assert replaced.status_code == 200 and replaced.json()["name"] == "Steven W. Tompkins"
    assert changed.status_code == 200 and changed.json()["role"] == "Former sheriff"
    assert changed.json()["name"] == "Steven W. Tompkins"
    assert deleted.status_code == 204
    assert_error(get(api, "officials/steven-tompkins/"), 404)


def test_an_official_acting_for_nobody_is_a_400(knowledge_base, token_api):
    assert_error(token_api.post(f"{API}officials/", {**SHERIFF, "jurisdiction": None}, format="json"), 400)
    assert not Official.objects.filter(slug="steven-tompkins").exists()


def test_a_duplicate_official_slug_is_a_400(knowledge_base, token_api):
    assert_error(token_api.post(f"{API}officials/", {**SHERIFF, "slug": "deval-patrick"}, format="json"), 400, "slug")


def test_deleting_an_official_who_voiced_positions_is_a_409_and_nothing_is_deleted(knowledge_base, token_api):
    before = kb_counts()

    body = assert_error(token_api.delete(f"{API}officials/deval-patrick/"), 409, code="protected")

    assert "voices" in body["detail"]
    assert kb_counts() == before


# ---------------------------------------------------------------- sources

NEW_SOURCE = {
    "slug": "globe-menino-on-secure-communities",
    "title": "Menino on Secure Communities",
    "publisher": "The Boston Globe",
    "authors": ["A Reporter"],
    "kind": "news_article",
    "original_url": "https://www.example.org/globe/menino-secure-communities",
    "published_earliest": "2011-06-01",
    "published_latest": "2011-06-30",
    "published_precision": "month",
    "published_text": "June 2011",
    "file_name": "005_new.txt",
    "text": "June 2011. Mayor Thomas Menino said Boston would stay in Secure Communities.",
}


def test_creating_a_source_then_citing_it(knowledge_base, token_api, api):
    response = token_api.post(f"{API}sources/", NEW_SOURCE, format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["text"] == NEW_SOURCE["text"]
    assert created["original_url"] == NEW_SOURCE["original_url"]
    assert (created["published_edtf"], created["parts"], created["derived_from"]) == ("2011-06", [], None)
    citation = {"source": NEW_SOURCE["slug"], "quote": "Boston would stay in Secure Communities"}
    position = token_api.post(
        f"{API}positions/",
        new_position(
            slug="boston-stays",
            jurisdiction="boston",
            stance="participates",
            citations=[citation],
            voices=[],
            reasons=[],
            date_earliest="2011-06-01",
            date_latest="2011-06-30",
            date_precision="month",
        ),
        format="json",
    )
    assert position.status_code == 201, position.content
    assert position.json()["citations"][0]["start"] == NEW_SOURCE["text"].index(citation["quote"])
    assert [s["slug"] for s in page(get(api, "sources/", {"search": "Menino stay"}))["results"]] == [NEW_SOURCE["slug"]]


def test_replacing_changing_and_deleting_an_uncited_source(knowledge_base, token_api, api):
    token_api.post(f"{API}sources/", NEW_SOURCE, format="json")
    url = f"{API}sources/{NEW_SOURCE['slug']}/"

    replaced = token_api.put(url, {**NEW_SOURCE, "title": "Menino stays in"}, format="json")
    changed = token_api.patch(url, {"authors": ["A Reporter", "Another Reporter"]}, format="json")
    deleted = token_api.delete(url)

    assert replaced.status_code == 200 and replaced.json()["title"] == "Menino stays in"
    assert changed.status_code == 200 and changed.json()["authors"] == ["A Reporter", "Another Reporter"]
    assert deleted.status_code == 204
    assert_error(get(api, f"sources/{NEW_SOURCE['slug']}/"), 404)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "tweet"}, "kind"),
        ({"published_text": "July 2011"}, "published_text"),
        ({"published_latest": "2011-06-29"}, "published_latest"),
        ({"published_precision": "week"}, "published_latest"),
        ({"published_latest": None}, "published_latest"),
        ({"original_url": "not an address"}, "original_url"),
        ({"derived_from": "no-such-source"}, "derived_from"),
        ({"derivation": "paraphrases", "derived_from": AP}, "derivation"),
        ({"comments_start": 10_000}, "comments_start"),  # gone: parts that are not the publisher's are records
        ({"file_name": "001_0b758dc937da1ae3.txt"}, "file_name"),
        ({"slug": HERALD}, "slug"),
        ({"text": ""}, "text"),
        ({"authors": "A Reporter"}, "authors"),
    ],
)
def test_a_bad_source_field_is_a_400_naming_it(knowledge_base, token_api, changes, field):
    assert_error(token_api.post(f"{API}sources/", {**NEW_SOURCE, **changes}, format="json"), 400, field)
    assert not Source.objects.filter(slug=NEW_SOURCE["slug"]).exists()


def test_a_source_published_mid_month_with_month_precision_is_a_400(knowledge_base, token_api):
    body = assert_error(
        token_api.post(f"{API}sources/", {**NEW_SOURCE, "published_earliest": "2011-06-06"}, format="json"),
        400,
        "published_latest",
    )
    assert "does not fit month precision" in body["errors"]["published_latest"][0]
    assert not Source.objects.filter(slug=NEW_SOURCE["slug"]).exists()


def test_a_source_derived_from_another_says_how(knowledge_base, token_api, api):
    body = assert_error(
        token_api.post(f"{API}sources/", {**NEW_SOURCE, "derived_from": AP}, format="json"), 400, "derivation"
    )
    assert "says how" in body["errors"]["derivation"][0] and "__all__" not in body["errors"]
    assert_error(
        token_api.post(f"{API}sources/", {**NEW_SOURCE, "derivation": "quotes"}, format="json"), 400, "derived_from"
    )
    assert not Source.objects.filter(slug=NEW_SOURCE["slug"]).exists()

    response = token_api.post(
        f"{API}sources/", {**NEW_SOURCE, "derived_from": AP, "derivation": "quotes"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["derived_from"]["slug"] == AP


def test_a_source_cannot_be_derived_from_itself_through_others(knowledge_base, token_api):
    body = assert_error(
        token_api.patch(
            f"{API}sources/{AP}/",
            {"derived_from": "wbur-mass-wont-join-immigration-check-program", "derivation": "quotes"},
            format="json",
        ),
        400,
        "derived_from",
    )

    assert "derived from itself" in body["errors"]["derived_from"][0]
    assert Source.objects.get(slug=AP).derived_from is None


def test_deleting_a_cited_source_is_a_409_and_nothing_is_deleted(knowledge_base, token_api, api):
    before = kb_counts()

    body = assert_error(token_api.delete(f"{API}sources/{HERALD}/"), 409, code="protected")

    assert "citations" in body["detail"]
    assert "cannot be deleted" in body["detail"]
    assert kb_counts() == before
    assert get(api, f"sources/{HERALD}/").status_code == 200


def test_a_change_to_a_cited_source_that_strands_its_citations_is_a_400(knowledge_base, token_api):
    herald = Source.objects.get(slug=HERALD)
    change = {"text": "Rewritten. " + herald.text}  # prepended: every offset shifts

    body = assert_error(token_api.patch(f"{API}sources/{HERALD}/", change, format="json"), 400, "text")

    assert "citation" in body["errors"]["text"][0]
    herald.refresh_from_db()
    for citation in Citation.objects.filter(source=herald):
        assert herald.text[citation.start : citation.end] == citation.quote


def test_a_change_to_a_cited_source_that_keeps_its_quotes_is_accepted(knowledge_base, token_api):
    herald = Source.objects.get(slug=HERALD)

    response = token_api.patch(
        f"{API}sources/{HERALD}/", {"text": herald.text + "\nCorrection appended."}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["text"].endswith("Correction appended.")


# ---------------------------------------------------------------- jurisdictions

TEXAS = {
    "slug": "texas",
    "name": "Texas",
    "kind": "state",
    "parent": "united-states",
    "ocd_id": "ocd-division/country:us/state:tx",
}


def test_creating_replacing_changing_and_deleting_a_jurisdiction(knowledge_base, token_api, api):
    created = token_api.post(f"{API}jurisdictions/", TEXAS, format="json")
    replaced = token_api.put(f"{API}jurisdictions/texas/", {**TEXAS, "name": "State of Texas"}, format="json")
    changed = token_api.patch(f"{API}jurisdictions/texas/", {"name": "Texas"}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["parent"]["slug"] == "united-states"
    assert replaced.status_code == 200 and replaced.json()["name"] == "State of Texas"
    assert changed.status_code == 200 and changed.json()["name"] == "Texas"
    assert "texas" in [j["slug"] for j in page(get(api, "jurisdictions/", {"parent": "united-states"}))["results"]]
    assert token_api.delete(f"{API}jurisdictions/texas/").status_code == 204
    assert_error(get(api, "jurisdictions/texas/"), 404)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "county"}, "kind"),
        ({"parent": "atlantis"}, "parent"),
        ({"slug": "massachusetts"}, "slug"),
        ({"ocd_id": "ocd-division/country:us/state:ma"}, "ocd_id"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_jurisdiction_field_is_a_400_naming_it(knowledge_base, token_api, changes, field):
    assert_error(token_api.post(f"{API}jurisdictions/", {**TEXAS, **changes}, format="json"), 400, field)
    assert not Jurisdiction.objects.filter(ocd_id=TEXAS["ocd_id"]).exists()


def test_an_ocd_id_of_another_form_is_a_400(knowledge_base, token_api):
    assert_error(token_api.post(f"{API}jurisdictions/", {**TEXAS, "ocd_id": "us/tx"}, format="json"), 400)
    assert not Jurisdiction.objects.filter(slug="texas").exists()


def test_a_jurisdiction_cannot_be_put_inside_itself(knowledge_base, token_api):
    assert_error(
        token_api.patch(f"{API}jurisdictions/united-states/", {"parent": "boston"}, format="json"), 400, "parent"
    )
    assert_error(token_api.patch(f"{API}jurisdictions/boston/", {"parent": "boston"}, format="json"), 400)

    assert Jurisdiction.objects.get(slug="united-states").parent is None


def test_deleting_a_jurisdiction_others_refer_to_is_a_409_and_nothing_is_deleted(knowledge_base, token_api):
    before = kb_counts()

    assert_error(token_api.delete(f"{API}jurisdictions/massachusetts/"), 409, code="protected")
    assert_error(token_api.delete(f"{API}jurisdictions/california/"), 409, code="protected")

    assert kb_counts() == before


# ---------------------------------------------------------------- organizations

ACLU = {
    "slug": "aclu-of-massachusetts",
    "name": "ACLU of Massachusetts",
    "kind": "advocacy_group",
    "description": "Civil liberties group.",
    "jurisdiction": "massachusetts",
    "parent": None,
}


def test_creating_replacing_changing_and_deleting_an_organization(knowledge_base, token_api, api):
    created = token_api.post(f"{API}organizations/", ACLU, format="json")
    replaced = token_api.put(
        f"{API}organizations/aclu-of-massachusetts/", {**ACLU, "description": "Civil liberties."}, format="json"
    )
    changed = token_api.patch(f"{API}organizations/aclu-of-massachusetts/", {"kind": "political_group"}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["jurisdiction"]["slug"] == "massachusetts"
    assert replaced.status_code == 200 and replaced.json()["description"] == "Civil liberties."
    assert changed.status_code == 200 and changed.json()["kind"] == "political_group"
    assert token_api.delete(f"{API}organizations/aclu-of-massachusetts/").status_code == 204
    assert_error(get(api, "organizations/aclu-of-massachusetts/"), 404)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "church"}, "kind"),
        ({"slug": "centro-presente"}, "slug"),
        ({"jurisdiction": "atlantis"}, "jurisdiction"),
    ],
)
def test_a_bad_organization_field_is_a_400_naming_it(knowledge_base, token_api, changes, field):
    assert_error(token_api.post(f"{API}organizations/", {**ACLU, **changes}, format="json"), 400, field)
    assert not Organization.objects.filter(name=ACLU["name"]).exists()


def test_deleting_an_organization_with_positions_is_a_409_and_nothing_is_deleted(knowledge_base, token_api):
    before = kb_counts()

    assert_error(token_api.delete(f"{API}organizations/centro-presente/"), 409, code="protected")
    assert_error(token_api.delete(f"{API}organizations/immigration-and-customs-enforcement/"), 409, code="protected")

    assert kb_counts() == before


# ---------------------------------------------------------------- programs

E_VERIFY = {
    "slug": "e-verify",
    "name": "E-Verify",
    "agency": "department-of-homeland-security",
    "description": "Checks that employees may work in the United States.",
    "started_earliest": "1997-01-01",
    "started_latest": "1997-12-31",
    "started_precision": "year",
    "started_text": "1997",
}


def test_creating_replacing_changing_and_deleting_a_program(knowledge_base, token_api, api):
    created = token_api.post(f"{API}programs/", E_VERIFY, format="json")
    replaced = token_api.put(f"{API}programs/e-verify/", {**E_VERIFY, "name": "E-Verify (Basic Pilot)"}, format="json")
    changed = token_api.patch(
        f"{API}programs/e-verify/",
        {"started_earliest": "1997-06-01", "started_latest": "1997-06-30", "started_precision": "month"},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["agency"]["slug"] == "department-of-homeland-security"
    assert created.json()["facts"] == []
    assert replaced.status_code == 200 and replaced.json()["name"] == "E-Verify (Basic Pilot)"
    assert changed.status_code == 200 and changed.json()["started_edtf"] == "1997-06"
    assert page(get(api, "positions/", {"program": "e-verify"}))["count"] == 0
    assert token_api.delete(f"{API}programs/e-verify/").status_code == 204
    assert_error(get(api, "programs/e-verify/"), 404)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"agency": "nobody"}, "agency"),
        ({"agency": None}, "agency"),
        ({"slug": "secure-communities"}, "slug"),
        ({"started_precision": "decade"}, "started_precision"),
        ({"started_latest": "1997-12-30"}, "started_latest"),
        ({"started_on": "1997-01-01"}, "started_on"),  # the old single date: now an interval
    ],
)
def test_a_bad_program_field_is_a_400_naming_it(knowledge_base, token_api, changes, field):
    assert_error(token_api.post(f"{API}programs/", {**E_VERIFY, **changes}, format="json"), 400, field)
    assert not Program.objects.filter(name=E_VERIFY["name"]).exists()


def test_a_program_start_off_its_precision_is_a_400(knowledge_base, token_api):
    body = assert_error(
        token_api.post(f"{API}programs/", {**E_VERIFY, "started_earliest": "1997-03-04"}, format="json"),
        400,
        "started_latest",
    )
    assert "does not fit year precision" in body["errors"]["started_latest"][0]
    assert not Program.objects.filter(slug="e-verify").exists()


def test_deleting_a_program_with_positions_is_a_409_and_nothing_is_deleted(knowledge_base, token_api):
    before = kb_counts()

    body = assert_error(token_api.delete(f"{API}programs/secure-communities/"), 409, code="protected")

    assert "positions" in body["detail"]
    assert kb_counts() == before


# ---------------------------------------------------------------- never a 500


@pytest.mark.parametrize(
    "body",
    [
        {"program": "\x00"},
        {"slug": "\x00"},
        {"summary": "\x00"},
        {"citations": [{"source": "\x00", "quote": "New York Gov. Andrew Cuomo"}]},
        {"citations": [{"source": HERALD, "quote": "\x00"}]},
        {"citations": "not a list"},
        {"citations": [None]},
        {"voices": [None]},
        {"reasons": "not a list"},
        {"date_earliest": None},
        {"date_earliest": ["2011-06-06"]},
        {"event": {"slug": "new-york-leaves-secure-communities"}},
        {"stance": ["refuses"]},
    ],
    ids=lambda body: repr(body)[:50],
)
def test_odd_write_bodies_are_a_400_never_a_500(knowledge_base, token_api, body):
    response = token_api.post(f"{API}positions/", new_position(**body), format="json")

    assert_error(response, 400)


def test_a_json_body_that_is_not_an_object_is_a_400(knowledge_base, token_api):
    assert_error(token_api.post(f"{API}positions/", [new_position()], format="json"), 400)
