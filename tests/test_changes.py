"""The change feed and `updated_since`, read from the history of every record: creates, updates
(field names, old and new values) and deletes (tombstones), who for staff only, paged by cursor
so that a client syncing page by page, while others write, sees every change exactly once.
"""

import threading
import time
from unittest import mock

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.utils.urls import replace_query_param

from api.changes import recorded_models
from kb import version as kb_version
from kb.models import OtherName, Position, ProgramFact, Source
from tests.api_helpers import API, ON_POSTGRESQL, assert_error, get, page

TEXAS = {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}
HERALD = "boston-herald-patrick-refuses-to-sign"
CUOMO = "New York Gov. Andrew Cuomo"


@pytest.fixture
def curator(knowledge_base):
    user = User.objects.create_user("curator", password="a-long-enough-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="kb"))
    return user


@pytest.fixture
def curator_api(curator):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    return client


def latest_cursor(client):
    """The `next` link of the feed as it stands: where a client that has synced everything is."""
    url = API + "changes/?limit=1000"
    while True:
        body = client.get(url).json()
        url = body["next"]
        if not body["has_more"]:
            return url


def changes_from(client, url):
    found = []
    while True:
        body = client.get(url).json()
        found.extend(body["results"])
        url = body["next"]
        if not body["has_more"]:
            return found, url


def history_rows():
    return sum(model.history.count() for model in recorded_models().values())


# ---------------------------------------------------------------- what the feed says


def test_the_feed_starts_with_every_record_the_load_created(knowledge_base, api):
    changes, _ = changes_from(api, API + "changes/?limit=1000")

    created = [change for change in changes if change["action"] == "created" and change["kind"] == "position"]
    assert {change["slug"] for change in created} >= set(Position.objects.values_list("slug", flat=True))
    assert len(changes) == history_rows()
    assert {change["kind"] for change in changes} == set(recorded_models())


def test_a_create_an_update_and_a_delete_through_the_api(curator_api, api):
    start = latest_cursor(api)
    assert curator_api.post(API + "jurisdictions/", TEXAS, format="json").status_code == 201
    assert curator_api.patch(API + "jurisdictions/texas/", {"name": "Tejas"}, format="json").status_code == 200
    assert curator_api.delete(API + "jurisdictions/texas/").status_code == 204

    created, updated, deleted = changes_from(api, start)[0]

    assert (created["kind"], created["slug"], created["action"]) == ("jurisdiction", "texas", "created")
    assert created["values"]["name"] == {"old": None, "new": "Texas"}
    assert created["url"] == f"http://testserver{API}jurisdictions/texas/"
    assert (updated["action"], updated["changed"]) == ("updated", ["name"])
    assert updated["values"] == {"name": {"old": "Texas", "new": "Tejas"}}
    assert (deleted["action"], deleted["slug"], deleted["url"]) == ("deleted", "texas", None)  # a tombstone
    assert deleted["changed"] == [] and deleted["values"] == {}
    assert created["time"] <= updated["time"] <= deleted["time"]


def test_related_records_are_named_by_slug_and_a_citation_by_what_it_cites(curator_api, api):
    start = latest_cursor(api)
    response = curator_api.patch(
        API + "positions/boston-participates-2011/",
        {"citations": [{"source": HERALD, "quote": CUOMO}]},
        format="json",
    )
    assert response.status_code == 200

    changes, _ = changes_from(api, start)

    added = [change for change in changes if change["kind"] == "citation" and change["action"] == "created"]
    [citation] = added
    assert citation["values"]["position"]["new"] == "boston-participates-2011"
    assert citation["values"]["source"]["new"] == HERALD
    assert citation["values"]["quote"]["new"] == CUOMO
    assert citation["slug"] is None and citation["url"].endswith(f"{API}citations/{citation['id']}/")
    removed = [change for change in changes if change["kind"] == "citation" and change["action"] == "deleted"]
    assert len(removed) == 2  # Boston's two earlier quotes


def test_staff_see_who_made_a_change_and_others_do_not(curator_api, api, curator):
    start = latest_cursor(api)
    curator_api.post(API + "jurisdictions/", TEXAS, format="json")

    [anonymous] = changes_from(api, start)[0]
    [staff] = changes_from(curator_api, start)[0]

    assert "user" not in anonymous
    assert staff["user"] == "curator"


def test_a_source_text_change_is_named_without_its_values(curator_api, api):
    start = latest_cursor(api)
    source = curator_api.get(f"{API}sources/{HERALD}/").json()
    response = curator_api.patch(f"{API}sources/{HERALD}/", {"text": source["text"] + " (Corrected.)"}, format="json")
    assert response.status_code == 200, response.content[:300]

    [change] = changes_from(api, start)[0]

    assert change["changed"] == ["text"] and change["values"] == {}


# ---------------------------------------------------------------- syncing


def test_a_sync_loop_sees_every_change_once_while_others_write_between_pages(curator_api, api):
    start = latest_cursor(api)
    before = history_rows()
    seen, url, writes = [], start, 0
    for number in range(12):
        # Writes between pages: some land in tables the client has paged past, some ahead.
        slug = f"state-{number}"
        curator_api.post(
            API + "jurisdictions/",
            {
                "slug": slug,
                "name": f"State {number}",
                "kind": "state",
                "ocd_id": f"ocd-division/country:us/state:x{number}",
            },
            format="json",
        )
        if number % 3 == 0:
            curator_api.patch(
                API + "positions/illinois-refuses/", {"summary": f"Illinois refuses ({number})."}, format="json"
            )
        writes += 1
        body = api.get(replace_query_param(url, "limit", 2)).json()
        seen.extend(body["results"])
        url = body["next"]
    rest, _ = changes_from(api, url)
    seen.extend(rest)

    keys = [(change["kind"], change["id"], change["time"], change["action"]) for change in seen]
    assert len(keys) == len(set(keys))  # none repeated
    assert len(seen) == history_rows() - before  # none missed
    assert {change["slug"] for change in seen if change["kind"] == "jurisdiction"} == {f"state-{n}" for n in range(12)}


def test_an_empty_page_still_gives_where_to_continue(api, knowledge_base):
    end = latest_cursor(api)
    body = api.get(end).json()

    assert body["results"] == [] and body["has_more"] is False and body["next"] == end


def test_since_starts_at_a_moment(curator_api, api):
    moment = timezone.now()
    curator_api.post(API + "jurisdictions/", TEXAS, format="json")

    changes, _ = changes_from(api, API + f"changes/?since={moment.isoformat().replace('+00:00', 'Z')}")

    assert [(change["kind"], change["slug"]) for change in changes] == [("jurisdiction", "texas")]


def test_kind_limits_the_feed_to_kinds_of_record(api, knowledge_base):
    body = get(api, "changes/", {"kind": "program,source", "limit": 1000}).json()

    assert {change["kind"] for change in body["results"]} == {"program", "source"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJwb3NpdGlvbiI6LTF9"}, "cursor"),  # {"position":-1}
        ({"since": "yesterday"}, "since"),
        ({"since": "2011-06-06", "cursor": "e30"}, "since"),
        ({"kind": "opinion"}, "kind"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"page": "2"}, "page"),
    ],
)
def test_bad_feed_parameters_are_a_400_naming_them(api, knowledge_base, params, field):
    assert_error(get(api, "changes/", params), 400, field, code="invalid")


def test_a_page_of_the_feed_costs_the_same_queries_at_any_size(api, knowledge_base):
    def queries(limit):
        with CaptureQueriesContext(connection) as captured:
            assert get(api, "changes/", {"limit": limit}).status_code == 200
        return len(captured)

    # Per kind of record: its next rows, the rows before the changed ones; then slugs by kind.
    assert queries(5) <= queries(1000) <= 4 * len(recorded_models()) + 2


# ---------------------------------------------------------------- updated_since


def test_updated_since_lists_what_changed_itself_or_in_its_parts(curator_api, api):
    moment = timezone.now().isoformat()
    curator_api.patch(
        API + "positions/boston-participates-2011/", {"citations": [{"source": HERALD, "quote": CUOMO}]}, format="json"
    )
    curator_api.patch(API + "jurisdictions/boston/", {"name": "City of Boston"}, format="json")
    # An official's other name's citation: two levels down.
    other_name = OtherName.objects.filter(official__slug="mary-beth-heffernan").first()
    other_name.citations.first().save()
    # A program's fact.
    fact = ProgramFact.objects.get(slug="in-42-states")
    fact.save()

    def changed(path):
        return {record["slug"] for record in page(get(api, path, {"updated_since": moment, "limit": 100}))["results"]}

    assert changed("positions/") == {"boston-participates-2011"}
    assert changed("jurisdictions/") == {"boston"}
    assert changed("officials/") == {"mary-beth-heffernan"}
    assert changed("programs/") == {"secure-communities"}
    assert changed("facts/") == {"in-42-states"}
    assert changed("sources/") == set()
    assert len(page(get(api, "citations/", {"updated_since": moment}))["results"]) == 1 + 1  # added; re-saved


def test_updated_since_takes_a_date_or_a_moment_with_an_offset(api, knowledge_base):
    everything = page(get(api, "positions/", {"limit": 1}))["count"]

    assert page(get(api, "positions/", {"updated_since": "2000-01-01", "limit": 1}))["count"] == everything
    assert page(get(api, "positions/", {"updated_since": "2999-01-01T00:00:00+02:00"}))["count"] == 0
    assert_error(get(api, "positions/", {"updated_since": "last week"}), 400, "updated_since")


def test_updated_since_works_with_csv_and_facets(curator_api, api):
    moment = timezone.now().isoformat()
    curator_api.patch(API + "positions/illinois-refuses/", {"summary": "Illinois refuses, reworded."}, format="json")

    body = get(api, "positions/", {"updated_since": moment, "facet": "stance"}).json()
    csv_text = b"".join(get(api, "positions/", {"updated_since": moment, "format": "csv"}).streaming_content)

    assert [(value["slug"], value["count"]) for value in body["facets"]["stance"]["values"]] == [("refuses", 1)]
    assert csv_text.decode().count("\r\n") == 2 and b"illinois-refuses" in csv_text


# ---------------------------------------------------------------- concurrent writers (PostgreSQL)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has one writer at a time: ids are visible in order")
@pytest.mark.django_db(transaction=True)
def test_the_feed_waits_for_a_write_in_progress_so_it_never_skips_it(knowledge_base):
    """A write holding a lower history id commits after one with a higher id: the feed must not move
    past the lower one before it is visible.

    Writes through the models also queue on the knowledge base's version row (kb.version), which
    orders them already; the feed's own barrier is what this proves, so the version is not advanced
    here, as for a writer that does not take it. The records are sources: a write to a table of
    names also takes the search's names token (kb.search.index), which would order them too."""
    not_advancing = mock.patch.object(kb_version, "advance")
    not_advancing.start()
    try:
        _the_feed_waits_for_a_write_in_progress()
    finally:
        not_advancing.stop()


def _the_feed_waits_for_a_write_in_progress():
    client = APIClient()
    start = latest_cursor(client)
    inserted, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                Source.objects.create(slug="slow", kind="news_article", file_name="slow.txt", text="Slow.")
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(10)
    Source.objects.create(slug="fast", kind="news_article", file_name="fast.txt", text="Fast.")

    answer = {}

    def reader():
        try:
            answer["changes"] = changes_from(APIClient(), start)[0]
        finally:
            connection.close()

    reading = threading.Thread(target=reader)
    reading.start()
    time.sleep(0.5)
    assert reading.is_alive()  # waiting for the slow write, not reading past it
    release.set()
    writer.join(10)
    reading.join(20)

    assert [change["slug"] for change in answer["changes"]] == ["slow", "fast"]
    Source.objects.filter(slug__in=["slow", "fast"]).delete()
