"""No lost updates (issue 13, reproduction 2): every record's answer carries an ETag of its version,
every write advances the version, PUT/PATCH/DELETE honour If-Match, a PATCH writes only the
fields it names, and the admin refuses to save over a change made since its form was opened.
The same race with real threads on PostgreSQL: tests/test_concurrency.py.
"""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb.models import Citation, Jurisdiction, Official, OtherName, Position, Program, ProgramFact, Source
from tests.admin_helpers import change_form_data, change_url
from tests.api_helpers import API, assert_error

QUINN = "pat-quinn"
POSITION = "illinois-refuses"
HERALD = "boston-herald-patrick-refuses-to-sign"
ETAG = re.compile(r'^"kb\d+-v(\d+)"$')
RECORDS = [
    ("programs", Program, "secure-communities"),
    ("jurisdictions", Jurisdiction, "illinois"),
    ("organizations", None, "centro-presente"),
    ("officials", Official, QUINN),
    ("positions", Position, POSITION),
    ("sources", Source, HERALD),
]

pytestmark = pytest.mark.usefixtures("knowledge_base")


@pytest.fixture
def curator(knowledge_base):
    user = User.objects.create_user("curator", password="a-long-enough-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="kb"))
    return user


@pytest.fixture
def token_api(curator):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    return client


def version_of(response):
    match = ETAG.match(response["ETag"])
    assert match, response["ETag"]
    return int(match.group(1))


def quinn():
    return Official.objects.get(slug=QUINN)


# ---------------------------------------------------------------- ETags and versions


@pytest.mark.parametrize("resource, model, slug", RECORDS)
def test_every_records_answer_carries_the_etag_of_its_version(api, resource, model, slug):
    response = api.get(f"{API}{resource}/{slug}/")

    assert response.status_code == 200
    from django.apps import apps

    model = model or apps.get_model("kb", resource[:-1])
    assert version_of(response) == model.objects.get(slug=slug).version


def test_an_unchanged_record_answers_304_to_its_etag(api):
    etag = api.get(f"{API}officials/{QUINN}/")["ETag"]

    assert api.get(f"{API}officials/{QUINN}/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_every_write_advances_the_version_and_answers_with_the_new_etag(token_api):
    before = quinn().version

    response = token_api.patch(f"{API}officials/{QUINN}/", {"role": "Former governor"}, format="json")

    assert response.status_code == 200
    assert quinn().version == before + 1
    assert version_of(response) == before + 1
    assert quinn().history.first().version == before + 1  # the history row knows the version it made


def test_changing_only_a_positions_citations_advances_its_version(token_api):
    before = Position.objects.get(slug=POSITION).version

    response = token_api.patch(
        f"{API}positions/{POSITION}/",
        {"citations": [{"source": HERALD, "quote": "Illinois Gov. Pat Quinn"}]},
        format="json",
    )

    assert response.status_code == 200, response.content[:500]
    after = Position.objects.get(slug=POSITION).version
    assert after > before
    assert version_of(response) == after


def test_a_part_of_a_record_advances_the_records_version_and_its_owners():
    """A citation of an other name is part of the other name, and so of its official."""
    other_name = OtherName.objects.filter(official__slug=QUINN).first() or OtherName.objects.create(
        official=quinn(), name="Patrick Quinn"
    )
    official_before, other_name_before = quinn().version, other_name.version
    citation = Citation(other_name=other_name, source=Source.objects.get(slug=HERALD), quote="Pat Quinn")
    citation.full_clean()
    citation.save()

    assert OtherName.objects.get(pk=other_name.pk).version == other_name_before + 1
    assert quinn().version == official_before + 1

    citation.delete()

    assert quinn().version == official_before + 2


def test_a_fact_of_a_program_advances_the_programs_version():
    program = Program.objects.get(slug="secure-communities")
    fact = ProgramFact.objects.filter(program=program).first()
    before = program.version

    fact.statement = f"{fact.statement} (checked)"
    fact.save()

    assert Program.objects.get(pk=program.pk).version == before + 1


# ---------------------------------------------------------------- If-Match


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_stale_if_match_is_412_with_the_current_version_and_nothing_is_written(token_api, method):
    jurisdiction = Jurisdiction.objects.create(
        slug="texas", name="Texas", kind="state", ocd_id="ocd-division/country:us/state:tx"
    )
    stale = token_api.get(f"{API}jurisdictions/texas/")["ETag"]
    token_api.patch(f"{API}jurisdictions/texas/", {"name": "Lone Star State"}, format="json")
    current = Jurisdiction.objects.get(pk=jurisdiction.pk)
    history = Jurisdiction.history.filter(id=jurisdiction.pk).count()
    body = {"slug": "texas", "name": "Tejas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}

    response = getattr(token_api, method)(
        f"{API}jurisdictions/texas/", body if method != "delete" else None, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412, response.content[:500]
    error = response.json()
    assert error["code"] == "precondition_failed"
    assert error["version"] == current.version
    assert error["etag"] == response["ETag"] and version_of(response) == current.version
    assert "If-Match" in error["errors"]
    assert f"it is now at version {current.version}" in error["detail"]
    after = Jurisdiction.objects.get(pk=jurisdiction.pk)
    assert (after.name, after.version) == ("Lone Star State", current.version)
    assert Jurisdiction.history.filter(id=jurisdiction.pk).count() == history


@pytest.mark.parametrize(
    "if_match",
    ["current", "weak", "*", None],
    ids=["the-current-etag", "the-current-etag-weakened-by-gzip", "any-version", "no-if-match"],
)
def test_a_write_with_the_current_version_or_without_if_match_is_accepted(token_api, if_match):
    etag = token_api.get(f"{API}officials/{QUINN}/")["ETag"]
    headers = {
        "current": {"HTTP_IF_MATCH": etag},
        "weak": {"HTTP_IF_MATCH": f"W/{etag}"},
        "*": {"HTTP_IF_MATCH": "*"},
        None: {},
    }[if_match]

    response = token_api.patch(f"{API}officials/{QUINN}/", {"role": "Former governor"}, format="json", **headers)

    assert response.status_code == 200, response.content[:500]
    assert quinn().role == "Former governor"


def test_an_if_match_from_before_another_records_change_is_still_current(token_api):
    """Only the record's own version counts: K, the knowledge base's, moves with every record."""
    etag = token_api.get(f"{API}officials/{QUINN}/")["ETag"]
    token_api.patch(f"{API}officials/andrew-cuomo/", {"role": "Former governor"}, format="json")

    response = token_api.patch(f"{API}officials/{QUINN}/", {"role": "Governor"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200


def test_an_if_match_that_is_not_an_etag_is_a_400_naming_the_header(token_api):
    response = token_api.patch(f"{API}officials/{QUINN}/", {"role": "X"}, format="json", HTTP_IF_MATCH="yesterday")

    assert_error(response, 400, "If-Match", code="invalid")
    assert quinn().role == "Governor of Illinois"


# ---------------------------------------------------------------- PATCH writes what it names


def test_a_patch_writes_only_the_fields_it_names(token_api):
    with CaptureQueriesContext(connection) as queries:
        response = token_api.patch(f"{API}officials/{QUINN}/", {"role": "Former governor"}, format="json")

    assert response.status_code == 200
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "kb_official" SET "role"')]
    assert len(updates) == 1, [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    set_clause = updates[0].split(" WHERE ")[0]
    assert '"name"' not in set_clause and '"jurisdiction_id"' not in set_clause


def test_a_patch_does_not_undo_a_change_made_since_the_record_was_read(token_api):
    """The serialised version of the race: the first PATCH's change is in the row the second reads."""
    token_api.patch(f"{API}officials/{QUINN}/", {"role": "Former governor"}, format="json")
    token_api.patch(f"{API}officials/{QUINN}/", {"name": "Patrick Quinn"}, format="json")

    assert (quinn().name, quinn().role) == ("Patrick Quinn", "Former governor")


# ---------------------------------------------------------------- the admin


def test_the_admin_refuses_to_save_over_a_change_made_since_the_form_was_opened(curator, client, token_api):
    client.force_login(curator)
    url = change_url(quinn())
    opened = change_form_data(client, url)  # the curator opens the form...
    token_api.patch(f"{API}officials/{QUINN}/", {"role": "Former governor"}, format="json")  # ...someone else saves

    response = client.post(url, {**opened, "name": "Patrick Quinn"})

    assert response.status_code == 200  # the form again, not a redirect
    page = response.content.decode()
    assert "Not saved: this official was changed by curator" in page
    assert "role (“Governor of Illinois” → “Former governor”)" in page
    assert (quinn().name, quinn().role) == ("Pat Quinn", "Former governor")
    # The form keeps the curator's values; saving again, knowingly, replaces the other change.
    form = response.context["adminform"].form
    assert form["name"].value() == "Patrick Quinn"
    assert int(form["opened_version"].value()) == quinn().version
    again = client.post(url, {**opened, "name": "Patrick Quinn", "opened_version": form["opened_version"].value()})
    assert again.status_code == 302
    assert (quinn().name, quinn().role) == ("Patrick Quinn", "Governor of Illinois")


def test_the_admin_saves_when_nothing_changed_since_the_form_was_opened(curator, client):
    client.force_login(curator)
    url = change_url(quinn())
    data = change_form_data(client, url)
    assert int(data["opened_version"]) == quinn().version

    response = client.post(url, {**data, "role": "Former governor"})

    assert response.status_code == 302
    assert quinn().role == "Former governor"


def test_the_admin_says_when_only_a_records_citations_changed(curator, client):
    client.force_login(curator)
    position = Position.objects.get(slug=POSITION)
    url = change_url(position)
    opened = change_form_data(client, url)
    position.citations.first().delete()

    response = client.post(url, opened)

    assert response.status_code == 200
    assert "its citations, other names or other parts" in response.content.decode()
