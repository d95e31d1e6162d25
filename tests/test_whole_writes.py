"""Every write is whole, and the database refuses what must never be (issue 13, reproductions 3, 4, 5).

A write through the API or the admin commits with its history row, its search text and what
derives from it, or not at all: a failure after the save leaves neither the row nor a history
row. On PostgreSQL, triggers refuse a citation that does not quote its source and a text change
that would strand one, from raw SQL too. A conflict the database finds is a 409 naming the
field, in our words; the database's go to the log.
"""

from unittest import mock

import pytest
from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.validators import UniqueValidator

from kb.conflicts import explain
from kb.models import Citation, Jurisdiction, Official, Position, Source
from kb.search import signals as search_signals
from tests.admin_helpers import change_form_data, change_url
from tests.api_helpers import API, ON_POSTGRESQL, assert_error

QUINN = "pat-quinn"
HERALD = "boston-herald-patrick-refuses-to-sign"
DATABASE_WORDS = ("duplicate key", "violates", "DETAIL", "Key (", "UNIQUE constraint", "kb_jurisdiction")
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="a PostgreSQL trigger")

pytestmark = pytest.mark.usefixtures("knowledge_base")


@pytest.fixture
def curator(knowledge_base):
    user = User.objects.create_user("curator", password="a-long-enough-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="kb"))
    return user


@pytest.fixture
def token_api(curator):
    # A server error is answered as in production (JSON 500), not raised into the test.
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    return client


def quinn():
    return Official.objects.get(slug=QUINN)


def failing_search_refresh():
    """kb.search's refresh, failing once the record itself is saved: as a bug or an outage would."""

    def refresh(records):
        raise RuntimeError("search refresh failed (injected by the test)")

    # Where every save's refresh is called (kb.search.signals), not the package's name for it.
    return mock.patch.object(search_signals, "refresh_search_text", side_effect=refresh)


# ---------------------------------------------------------------- a failure after the save


def test_an_api_write_that_fails_after_the_save_keeps_neither_the_change_nor_a_history_row(token_api):
    history = quinn().history.count()

    with failing_search_refresh():
        response = token_api.patch(f"{API}officials/{QUINN}/", {"role": "Former governor"}, format="json")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert quinn().role == "Governor of Illinois"
    assert quinn().history.count() == history


def test_an_api_create_that_fails_after_the_save_leaves_no_record(token_api):
    body = {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}

    with failing_search_refresh():
        response = token_api.post(f"{API}jurisdictions/", body, format="json")

    assert response.status_code == 500
    assert not Jurisdiction.objects.filter(slug="texas").exists()
    assert not Jurisdiction.history.filter(slug="texas").exists()


def test_a_position_whose_citation_is_refused_is_not_kept_half_written(token_api):
    """The position is saved before its citations; a refused citation takes it back out."""
    position = token_api.get(f"{API}positions/illinois-refuses/").json()
    before = Position.objects.get(slug="illinois-refuses")

    body = {**position, "summary": "Changed", "citations": [{"source": HERALD, "quote": "Illinois Gov. Pat Quinn"}]}
    body = {k: v for k, v in body.items() if k not in ("url",)}
    for field in ("program", "official", "jurisdiction", "organization"):
        body[field] = body[field]["slug"] if body[field] else None
    # Validation passes; the check at the citation's save reads a text without the quote.
    with mock.patch("kb.integrity.source_for_citing") as fresh:
        source = Source.objects.get(slug=HERALD)
        source.text = "Someone rewrote it."
        fresh.return_value = source
        response = token_api.put(f"{API}positions/illinois-refuses/", body, format="json")

    assert response.status_code == 400, response.content[:500]
    after = Position.objects.get(pk=before.pk)
    assert (after.summary, after.version) == (before.summary, before.version)
    assert after.citations.count() == before.citations.count()


def test_an_admin_save_that_fails_after_the_save_keeps_nothing(curator, client):
    client.force_login(curator)
    client.raise_request_exception = False
    url = change_url(quinn())
    data = {**change_form_data(client, url), "role": "Former governor"}
    history = quinn().history.count()

    with failing_search_refresh():
        response = client.post(url, data)

    assert response.status_code == 500
    assert quinn().role == "Governor of Illinois"
    assert quinn().history.count() == history


@postgresql_only
def test_a_failure_in_the_database_after_the_save_keeps_nothing(token_api):
    """The reproduction of the issue: a trigger makes the history insert fail, after the row's update."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_history() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'history refused (injected by the test)'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_history BEFORE INSERT ON kb_historicalofficial "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_history()"
        )

    response = token_api.patch(f"{API}officials/{QUINN}/", {"role": "Former governor"}, format="json")

    assert response.status_code == 500
    assert quinn().role == "Governor of Illinois"


# ---------------------------------------------------------------- what derives from a record


@pytest.mark.parametrize("where", ["api", "admin"])
def test_renaming_an_official_refreshes_the_search_text_of_their_positions(token_api, curator, client, where):
    if where == "api":
        response = token_api.patch(f"{API}officials/{QUINN}/", {"name": "Patrick Quinn"}, format="json")
        assert response.status_code == 200
    else:
        client.force_login(curator)
        url = change_url(quinn())
        assert client.post(url, {**change_form_data(client, url), "name": "Patrick Quinn"}).status_code == 302

    # Illinois holds its positions; Quinn voices them, and a position's search text gathers its voices.
    positions = Position.objects.held_or_voiced_by(official=quinn())
    assert positions.count() == 2
    assert all("Patrick Quinn" in position.search_text for position in positions)
    # Quoted: that spelling only, so only the texts that gathered his new name match.
    found = token_api.get(f"{API}positions/", {"search": '"Patrick Quinn"'}).json()
    assert {position["slug"] for position in found["results"]} == set(positions.values_list("slug", flat=True))


def test_a_rename_whose_positions_cannot_be_refreshed_is_not_kept(token_api):
    """The positions' search text is refreshed in the rename's transaction: failing it undoes the rename."""
    refresh = search_signals.refresh_search_text

    def refresh_but_not_positions(records):
        records = list(records)
        if any(isinstance(record, Position) for record in records):
            raise RuntimeError("positions' refresh failed (injected by the test)")
        return refresh(records)

    with mock.patch.object(search_signals, "refresh_search_text", side_effect=refresh_but_not_positions):
        response = token_api.patch(f"{API}officials/{QUINN}/", {"name": "Patrick Quinn"}, format="json")

    assert response.status_code == 500
    assert quinn().name == "Pat Quinn"
    assert "Patrick" not in quinn().search_text


# ---------------------------------------------------------------- the database refuses


@postgresql_only
def test_the_database_refuses_a_citation_that_does_not_quote_its_source_even_from_raw_sql():
    citation = Citation.objects.filter(source__slug=HERALD, position__isnull=False).first()

    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO kb_citation (source_id, quote, start, "end", position_id, version) '
            "VALUES (%s, %s, %s, %s, %s, 1)",
            [citation.source_id, "words not there", citation.start, citation.start + 15, citation.position_id],
        )
    assert explain(refused.value).errors.keys() == {"quote"}

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute('UPDATE kb_citation SET start = start + 1, "end" = "end" + 1 WHERE id = %s', [citation.pk])


@postgresql_only
def test_the_database_refuses_a_text_change_that_would_strand_a_citation_even_from_raw_sql():
    source = Source.objects.get(slug=HERALD)

    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE kb_source SET text = %s WHERE id = %s", ["Rewritten." + source.text, source.pk])
    assert explain(refused.value).errors.keys() == {"text"}

    # A change that keeps every citation at its offsets is allowed.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE kb_source SET text = %s WHERE id = %s", [source.text + "\nAppended.", source.pk])


def test_a_text_change_that_would_strand_a_citation_is_refused_on_every_database(token_api):
    source = Source.objects.get(slug=HERALD)

    response = token_api.patch(f"{API}sources/{HERALD}/", {"text": "Rewritten." + source.text}, format="json")

    assert_error(response, 400, "text")
    assert Source.objects.get(pk=source.pk).text == source.text


# ---------------------------------------------------------------- conflicts are clean


def test_a_slug_taken_meanwhile_is_a_409_naming_the_field_in_our_words(token_api, caplog):
    """What a POST that lost a race meets: validation passed, the database refuses (PostgreSQL
    and SQLite alike). The race itself, with threads: tests/test_concurrency.py."""
    body = {"slug": "illinois", "name": "Illinois", "kind": "state", "ocd_id": "ocd-division/country:us/state:il2"}

    # Both uniqueness checks pass, as they do when made before the other POST commits.
    with (
        mock.patch.object(UniqueValidator, "__call__", return_value=None),
        mock.patch.object(Jurisdiction, "validate_unique", return_value=None),
    ):
        response = token_api.post(f"{API}jurisdictions/", body, format="json")

    error = assert_error(response, 409, "slug", code="conflict")
    assert "choose another slug" in error["errors"]["slug"][0]
    for words in DATABASE_WORDS:
        assert words not in response.content.decode()
    assert any("Database refused a write" in record.getMessage() for record in caplog.records)  # the log has them


def test_a_protected_delete_names_what_still_refers_to_the_record(token_api):
    error = assert_error(token_api.delete(f"{API}sources/{HERALD}/"), 409, "citations", code="protected")

    assert "remove or re-point them first" in error["errors"]["citations"][0]


def test_a_write_that_postgresql_failed_to_break_a_deadlock_is_a_409_to_retry_not_an_outage(rf):
    from django.db import OperationalError

    from api.exceptions import exception_handler

    class Deadlock(Exception):
        diag = mock.Mock(sqlstate="40P01")

    error = OperationalError("deadlock detected DETAIL: Process 1 waits for ShareLock on transaction 2")
    error.__cause__ = Deadlock()

    response = exception_handler(error, {"request": rf.patch("/api/v1/officials/pat-quinn/"), "view": None})

    assert response.status_code == 409
    assert "Try again" in response.data["detail"] and "deadlock" not in str(response.data)
