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

from kb.models import Citation, Jurisdiction, Official, Organization, Position, Program, ProgramFact, Source
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
    return {
        model.__name__: model.objects.count()
        for model in (Position, Citation, Source, Official, Program, ProgramFact, Jurisdiction, Organization)
    }


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


def test_creating_a_position_locates_each_quote_in_its_source(knowledge_base, token_api):
    response = token_api.post(f"{API}positions/", new_position(), format="json")

    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == created["url"] == f"http://testserver{API}positions/new-york-suspends-participation/"
    assert created["program"]["slug"] == "secure-communities"
    assert created["official"]["slug"] == "andrew-cuomo"
    assert created["organization"] is None
    assert len(created["citations"]) == 2
    for citation in created["citations"]:
        assert source_text(citation["source"])[citation["start"] : citation["end"]] == citation["quote"]


def test_a_created_position_is_read_back_and_found_by_the_filters(knowledge_base, token_api, api):
    token_api.post(f"{API}positions/", new_position(), format="json")

    position = get(api, "positions/new-york-suspends-participation/").json()
    assert position["stance"] == "withdraws"
    assert {c["source"] for c in position["citations"]} == {AP, HERALD}
    assert "new-york-suspends-participation" in [
        p["slug"] for p in page(get(api, "positions/", {"as_of": "2011-06-30", "jurisdiction": "new-york"}))["results"]
    ]
    assert "new-york-suspends-participation" in [
        p["slug"] for p in page(get(api, "positions/", {"search": "suspended participation"}))["results"]
    ]


def test_start_and_end_sent_by_a_client_are_ignored(knowledge_base, token_api):
    citation = {"source": HERALD, "quote": "New York Gov. Andrew Cuomo", "start": 0, "end": 3}

    response = token_api.post(f"{API}positions/", new_position(citations=[citation]), format="json")

    assert response.status_code == 201, response.content
    [saved] = response.json()["citations"]
    assert saved["start"] == source_text(HERALD).index("New York Gov. Andrew Cuomo")
    assert saved["end"] == saved["start"] + len("New York Gov. Andrew Cuomo")


@pytest.mark.parametrize(
    ("citations", "field"),
    [
        ([{"source": HERALD, "quote": "Governor Cuomo joined the program"}], "citations.0.quote"),
        # Straight quote where the Herald has a curly one: not verbatim.
        ([{"source": HERALD, "quote": "Patrick's Secretary of Public Safety"}], "citations.0.quote"),
        # Verbatim in the AP page, but only in its reader comments, which are never evidence.
        ([{"source": AP, "quote": "Taxachusetts says"}], "citations.0.quote"),
        (
            [{"source": HERALD, "quote": "New York Gov. Andrew Cuomo"}, {"source": AP, "quote": "not in the text"}],
            "citations.1.quote",
        ),
        ([{"source": HERALD, "quote": ""}], "citations.0.quote"),
        ([{"source": "no-such-source", "quote": "New York Gov. Andrew Cuomo"}], "citations.0.source"),
        ([{"quote": "New York Gov. Andrew Cuomo"}], "citations.0.source"),
        ([], "citations"),
    ],
)
def test_a_citation_that_is_not_verbatim_evidence_is_a_400_and_nothing_is_written(
    knowledge_base, token_api, citations, field
):
    before = kb_counts()

    body = assert_error(
        token_api.post(f"{API}positions/", new_position(citations=citations), format="json"), 400, field
    )

    assert kb_counts() == before
    assert set(body["errors"]) == {field}


def test_a_citation_error_names_the_quote_and_the_source(knowledge_base, token_api):
    citations = [{"source": HERALD, "quote": "Governor Cuomo joined the program"}]

    body = assert_error(token_api.post(f"{API}positions/", new_position(citations=citations), format="json"), 400)

    [message] = body["errors"]["citations.0.quote"]
    assert "Governor Cuomo joined the program" in message and HERALD in message


def test_a_position_without_citations_is_a_400(knowledge_base, token_api):
    position = new_position()
    del position["citations"]

    assert_error(token_api.post(f"{API}positions/", position, format="json"), 400, "citations")


@pytest.mark.parametrize(
    ("date", "precision"),
    [("2011-06-06", "month"), ("2011-06-01", "year"), ("2011-02-01", "year")],
)
def test_a_date_that_is_not_the_first_day_of_its_precision_is_a_400_naming_the_date(
    knowledge_base, token_api, date, precision
):
    before = kb_counts()

    body = assert_error(
        token_api.post(f"{API}positions/", new_position(date=date, date_precision=precision), format="json"),
        400,
        "date",
    )

    assert "__all__" not in body["errors"], body
    assert date in body["errors"]["date"][0]  # the date given, and what its precision accepts
    assert kb_counts() == before


def test_month_precision_on_the_first_of_the_month_is_accepted(knowledge_base, token_api):
    response = token_api.post(
        f"{API}positions/", new_position(date="2011-06-01", date_precision="month"), format="json"
    )

    assert response.status_code == 201, response.content


def test_a_position_held_by_nobody_is_a_400(knowledge_base, token_api):
    before = kb_counts()

    body = assert_error(
        token_api.post(f"{API}positions/", new_position(official=None, jurisdiction=None), format="json"), 400
    )

    assert kb_counts() == before
    # No one field is at fault: the error is the record's, and names each kind of holder.
    [message] = body["errors"]["__all__"]
    assert all(holder in message for holder in ("official", "jurisdiction", "organization")), message


def test_replacing_a_position_replaces_its_citations(knowledge_base, token_api):
    token_api.post(f"{API}positions/", new_position(), format="json")
    replacement = new_position(
        stance="refuses",
        summary="New York refuses Secure Communities (Globe version).",
        citations=[{"source": "boston-globe-patrick-wont-sign", "quote": "Illinois and New York refusing to sign on"}],
    )

    response = token_api.put(f"{API}positions/new-york-suspends-participation/", replacement, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["stance"] == "refuses"
    [citation] = response.json()["citations"]
    assert citation["source"] == "boston-globe-patrick-wont-sign"
    position = Position.objects.get(slug="new-york-suspends-participation")
    assert [c.quote for c in position.citations.all()] == ["Illinois and New York refusing to sign on"]


def test_changing_a_field_of_a_position_keeps_its_citations(knowledge_base, token_api):
    slug = "massachusetts-refuses-secure-communities-2011-06-03"
    before = list(Citation.objects.filter(position__slug=slug).values_list("source__slug", "quote", "start", "end"))

    response = token_api.patch(f"{API}positions/{slug}/", {"note": "Checked again."}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["note"] == "Checked again."
    assert len(response.json()["citations"]) == 5
    after = list(Citation.objects.filter(position__slug=slug).values_list("source__slug", "quote", "start", "end"))
    assert sorted(after) == sorted(before)


def test_changing_the_citations_of_a_position_replaces_them(knowledge_base, token_api):
    slug = "illinois-refuses"
    citations = [{"source": AP, "quote": "Illinois Gov. Pat Quinn has also said Illinois won’t participate."}]

    response = token_api.patch(f"{API}positions/{slug}/", {"citations": citations}, format="json")

    assert response.status_code == 200, response.content
    assert [(c["source"], c["quote"]) for c in response.json()["citations"]] == [(AP, citations[0]["quote"])]
    assert Citation.objects.filter(position__slug=slug).count() == 1


def test_a_bad_citation_in_a_change_leaves_the_old_citations(knowledge_base, token_api):
    slug = "illinois-refuses"
    citations = [{"source": AP, "quote": "Illinois joined"}]

    assert_error(
        token_api.patch(f"{API}positions/{slug}/", {"citations": citations}, format="json"), 400, "citations.0.quote"
    )

    assert Citation.objects.filter(position__slug=slug).count() == 3


def test_a_change_that_breaks_the_date_precision_is_a_400(knowledge_base, token_api):
    slug = "new-york-withdraws-2011-06"

    assert_error(token_api.patch(f"{API}positions/{slug}/", {"date": "2011-06-15"}, format="json"), 400)

    assert str(Position.objects.get(slug=slug).date) == "2011-06-01"


def test_renaming_a_position_to_a_taken_slug_is_a_400(knowledge_base, token_api):
    assert_error(
        token_api.patch(f"{API}positions/illinois-refuses/", {"slug": "illinois-withdraws-2011-05"}, format="json"),
        400,
        "slug",
    )


def test_deleting_a_position_deletes_its_citations(knowledge_base, token_api, api):
    slug = "california-considering-community-opt-out"

    assert token_api.delete(f"{API}positions/{slug}/").status_code == 204

    assert_error(get(api, f"positions/{slug}/"), 404)
    assert not Citation.objects.filter(position__slug=slug).exists()
    assert Position.objects.count() == 20


def test_deleting_an_unknown_position_is_a_404(knowledge_base, token_api):
    assert_error(token_api.delete(f"{API}positions/no-such-position/"), 404)


# ---------------------------------------------------------------- officials

THOMAS_MENINO = {"slug": "thomas-menino", "name": "Thomas Menino", "role": "Mayor of Boston", "jurisdiction": "boston"}


def test_creating_an_official(knowledge_base, token_api, api):
    response = token_api.post(f"{API}officials/", THOMAS_MENINO, format="json")

    assert response.status_code == 201, response.content
    official = get(api, "officials/thomas-menino/").json()
    assert official["jurisdiction"]["slug"] == "boston"
    assert official["organization"] is None
    assert official["other_names"] == [] and official["citations"] == []
    assert [o["slug"] for o in page(get(api, "officials/", {"search": "Menino"}))["results"]] == ["thomas-menino"]


def test_replacing_changing_and_deleting_an_official(knowledge_base, token_api, api):
    token_api.post(f"{API}officials/", THOMAS_MENINO, format="json")

    replaced = token_api.put(
        f"{API}officials/thomas-menino/", {**THOMAS_MENINO, "name": "Thomas M. Menino"}, format="json"
    )
    changed = token_api.patch(f"{API}officials/thomas-menino/", {"role": "Former mayor of Boston"}, format="json")
    deleted = token_api.delete(f"{API}officials/thomas-menino/")

    assert replaced.status_code == 200 and replaced.json()["name"] == "Thomas M. Menino"
    assert changed.status_code == 200 and changed.json()["role"] == "Former mayor of Boston"
    assert changed.json()["name"] == "Thomas M. Menino"
    assert deleted.status_code == 204
    assert_error(get(api, "officials/thomas-menino/"), 404)


def test_an_official_acting_for_nobody_is_a_400(knowledge_base, token_api):
    assert_error(token_api.post(f"{API}officials/", {**THOMAS_MENINO, "jurisdiction": None}, format="json"), 400)
    assert not Official.objects.filter(slug="thomas-menino").exists()


def test_a_duplicate_official_slug_is_a_400(knowledge_base, token_api):
    assert_error(
        token_api.post(f"{API}officials/", {**THOMAS_MENINO, "slug": "deval-patrick"}, format="json"), 400, "slug"
    )


def test_deleting_an_official_with_positions_is_a_409_and_nothing_is_deleted(knowledge_base, token_api):
    before = kb_counts()

    body = assert_error(token_api.delete(f"{API}officials/deval-patrick/"), 409, code="protected")

    assert "positions" in body["detail"]
    assert kb_counts() == before


# ---------------------------------------------------------------- sources

NEW_SOURCE = {
    "slug": "globe-menino-on-secure-communities",
    "title": "Menino on Secure Communities",
    "publisher": "The Boston Globe",
    "authors": ["A Reporter"],
    "kind": "news_article",
    "published_on": "2011-06-01",
    "published_precision": "month",
    "published_quote": "June 2011",
    "file_name": "005_new.txt",
    "text": "June 2011. Mayor Thomas Menino said Boston would stay in Secure Communities.",
}


def test_creating_a_source_then_citing_it(knowledge_base, token_api, api):
    response = token_api.post(f"{API}sources/", NEW_SOURCE, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["text"] == NEW_SOURCE["text"]
    citation = {"source": NEW_SOURCE["slug"], "quote": "Boston would stay in Secure Communities"}
    position = token_api.post(
        f"{API}positions/",
        new_position(
            slug="boston-stays", official=None, jurisdiction="boston", stance="participates", citations=[citation]
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
        ({"published_quote": "July 2011"}, "published_quote"),
        ({"comments_start": 10_000}, "comments_start"),
        ({"file_name": "001_0b758dc937da1ae3.txt"}, "file_name"),
        ({"slug": HERALD}, "slug"),
        ({"text": ""}, "text"),
        ({"authors": "A Reporter"}, "authors"),
        ({"published_on": "2011-06-06"}, "published_on"),  # mid-month, with month precision
    ],
)
def test_a_bad_source_field_is_a_400_naming_it(knowledge_base, token_api, changes, field):
    assert_error(token_api.post(f"{API}sources/", {**NEW_SOURCE, **changes}, format="json"), 400, field)
    assert not Source.objects.filter(slug=NEW_SOURCE["slug"]).exists()


def test_deleting_a_cited_source_is_a_409_and_nothing_is_deleted(knowledge_base, token_api, api):
    before = kb_counts()

    body = assert_error(token_api.delete(f"{API}sources/{HERALD}/"), 409, code="protected")

    assert "citations" in body["detail"]
    assert "cannot be deleted" in body["detail"]
    assert kb_counts() == before
    assert get(api, f"sources/{HERALD}/").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": "Rewritten. "}, "text"),  # prepended: every offset shifts
        ({"comments_start": 100}, "text"),  # quotes after offset 100 would fall in the comments
    ],
)
def test_a_change_to_a_cited_source_that_strands_its_citations_is_a_400(knowledge_base, token_api, change, field):
    herald = Source.objects.get(slug=HERALD)
    if "text" in change:
        change = {"text": change["text"] + herald.text}

    body = assert_error(token_api.patch(f"{API}sources/{HERALD}/", change, format="json"), 400, field)

    assert "citation" in body["errors"][field][0]
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
    "started_on": "1997-01-01",
    "started_precision": "year",
}


def test_creating_replacing_changing_and_deleting_a_program(knowledge_base, token_api, api):
    created = token_api.post(f"{API}programs/", E_VERIFY, format="json")
    replaced = token_api.put(f"{API}programs/e-verify/", {**E_VERIFY, "name": "E-Verify (Basic Pilot)"}, format="json")
    changed = token_api.patch(
        f"{API}programs/e-verify/", {"started_on": "1997-06-01", "started_precision": "month"}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["agency"]["slug"] == "department-of-homeland-security"
    assert created.json()["facts"] == []
    assert replaced.status_code == 200 and replaced.json()["name"] == "E-Verify (Basic Pilot)"
    assert changed.status_code == 200 and changed.json()["started_on"] == "1997-06-01"
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
        ({"started_on": "1997-03-04"}, "started_on"),  # not the 1st of January, with year precision
    ],
)
def test_a_bad_program_field_is_a_400_naming_it(knowledge_base, token_api, changes, field):
    assert_error(token_api.post(f"{API}programs/", {**E_VERIFY, **changes}, format="json"), 400, field)
    assert not Program.objects.filter(name=E_VERIFY["name"]).exists()


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
        {"date": None},
        {"stance": ["refuses"]},
    ],
    ids=lambda body: repr(body)[:50],
)
def test_odd_write_bodies_are_a_400_never_a_500(knowledge_base, token_api, body):
    response = token_api.post(f"{API}positions/", new_position(**body), format="json")

    assert_error(response, 400)
