"""load_kb never loses a person's work (issue 13, reproduction 1).

`make run` and the Docker image run load_kb at every start. It adds what is new in the fixture
and takes what the fixture changed since its last load, field by field; what a person changed
or added since, through the API or the admin, stays. Where both changed a field, the person's
value stays and the conflict is reported; `--prefer-fixture` takes the fixture's.
"""

import io
import json

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb.fixture_build import FIXTURE_FILE
from kb.models import Citation, Jurisdiction, LoadedRecord, Official, Position, Source
from tests.admin_helpers import change_form_data, change_url

API = "/api/v1/"
HERALD = "boston-herald-patrick-refuses-to-sign"
QUINN = "pat-quinn"
ILLINOIS_REFUSES = "illinois-refuses"
CURATORS_ROLE = "Governor of Illinois (2009-2015)"

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


@pytest.fixture
def admin_client_of(curator, client):
    client.force_login(curator)
    return client


def load(*args, **options):
    """Run load_kb as a start does; its output."""
    out = io.StringIO()
    call_command("load_kb", *args, stdout=out, **options)
    return out.getvalue()


def fixture_records():
    return json.loads(FIXTURE_FILE.read_text(encoding="utf-8"))


def the(records, model, **fields):
    [record] = [r for r in records if r["model"] == model and all(r["fields"].get(k) == v for k, v in fields.items())]
    return record


def changed_fixture(tmp_path, change):
    """The fixture, with `change(records)` applied, in a file of its own."""
    records = fixture_records()
    change(records)
    path = tmp_path / "kb.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return str(path)


def set_role(records, role):
    the(records, "kb.official", slug=QUINN)["fields"]["role"] = role


def drop_illinois_refuses(records):
    """The fixture without Illinois' refusal and its parts: its voice, reasons and all their citations."""

    def of_the_position(record):
        fields = record["fields"]
        # A voice's or reason's natural key starts with its position's: ["position", slug, ...] or [slug, rank].
        parents = [fields.get("position"), *(fields.get(name) for name in ("voice", "reason"))]
        return fields.get("slug") == ILLINOIS_REFUSES or any(
            parent and ILLINOIS_REFUSES in parent[:2] for parent in parents
        )

    records[:] = [record for record in records if not of_the_position(record)]


def quinn():
    return Official.objects.get(slug=QUINN)


# ---------------------------------------------------------------- a restart keeps curators' edits


def test_a_role_changed_through_the_api_survives_a_restart(token_api):
    response = token_api.patch(f"{API}officials/{QUINN}/", {"role": CURATORS_ROLE}, format="json")
    assert response.status_code == 200, response.content[:500]

    output = load()

    assert quinn().role == CURATORS_ROLE
    assert "kb.Official: 7 unchanged" in output
    assert "conflict" not in output


def test_a_role_changed_in_the_admin_survives_a_restart(admin_client_of):
    url = change_url(quinn())
    data = change_form_data(admin_client_of, url)
    data["role"] = CURATORS_ROLE
    response = admin_client_of.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert quinn().role == CURATORS_ROLE

    load()

    assert quinn().role == CURATORS_ROLE


def test_a_citation_added_in_the_admin_to_a_fixture_position_survives_a_restart(admin_client_of):
    position = Position.objects.get(slug=ILLINOIS_REFUSES)
    before = set(position.citations.values_list("pk", flat=True))
    response = admin_client_of.post(
        reverse("admin:kb_citation_add"),
        {
            "source": Citation.objects.filter(source__slug=HERALD).first().source_id,
            "quote": "Illinois Gov. Pat Quinn decided in early May to bow out of the program",
            "position": position.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    [added] = set(position.citations.values_list("pk", flat=True)) - before

    load()

    assert set(position.citations.values_list("pk", flat=True)) == before | {added}


def test_citations_a_curator_replaced_through_the_api_stay_as_the_curator_left_them(token_api):
    position = token_api.get(f"{API}positions/{ILLINOIS_REFUSES}/").json()
    citations = [{"source": c["source"], "quote": c["quote"]} for c in position["citations"]]
    citations.append({"source": HERALD, "quote": "Illinois Gov. Pat Quinn"})
    response = token_api.patch(f"{API}positions/{ILLINOIS_REFUSES}/", {"citations": citations}, format="json")
    assert response.status_code == 200, response.content[:500]
    expected = sorted((c["source"], c["quote"]) for c in citations)

    output = load()

    saved = Position.objects.get(slug=ILLINOIS_REFUSES).citations.values_list("source__slug", "quote")
    assert sorted(saved) == expected  # none lost, none brought back twice
    # The curator's rows are the fixture's citations made again: matched by natural key, unchanged.
    assert "deleted since the last load" not in output


def test_a_change_in_the_fixture_arrives_where_no_one_changed_it(token_api, tmp_path):
    token_api.patch(f"{API}officials/{QUINN}/", {"role": CURATORS_ROLE}, format="json")

    def change(records):
        the(records, "kb.official", slug=QUINN)["fields"]["name"] = "Patrick Quinn"
        the(records, "kb.jurisdiction", slug="illinois")["fields"]["name"] = "State of Illinois"
        records.append(
            {
                "model": "kb.jurisdiction",
                "fields": {
                    "slug": "texas",
                    "name": "Texas",
                    "kind": "state",
                    "parent": ["united-states"],
                    "ocd_id": "ocd-division/country:us/state:tx",
                },
            }
        )

    assert token_api.get(f"{API}positions/", {"search": "Patrick Quinn"}).json()["count"] == 1

    output = load(fixture=changed_fixture(tmp_path, change))

    assert (quinn().name, quinn().role) == ("Patrick Quinn", CURATORS_ROLE)
    assert Jurisdiction.objects.get(slug="illinois").name == "State of Illinois"
    assert Jurisdiction.objects.get(slug="texas").parent.slug == "united-states"
    assert "kb.Jurisdiction: 1 created, 1 updated, 5 unchanged" in output
    assert "kb.Official: 1 updated, 6 unchanged" in output
    # What derives from the record follows: his new name is a name of his (docs/search.md), so it
    # finds what his surname finds: the two positions he holds or voices, and the Globe's version
    # of Illinois' refusal, whose note names him. Before the load the two words were no name: one match.
    found = token_api.get(f"{API}positions/", {"search": "Patrick Quinn"}).json()["results"]
    assert sorted(position["slug"] for position in found) == [
        "illinois-refuses",
        "illinois-refuses-globe-version",
        "illinois-withdraws-2011-05",
    ]


def test_a_second_load_of_a_changed_fixture_changes_nothing_more(tmp_path):
    fixture = changed_fixture(tmp_path, lambda records: set_role(records, "Former governor"))
    load(fixture=fixture)
    version = quinn().version

    output = load(fixture=fixture)

    assert quinn().version == version
    assert "updated" not in output and "created" not in output


# ---------------------------------------------------------------- both changed: a conflict


def test_where_both_changed_a_field_the_persons_value_stays_and_the_conflict_is_reported(token_api, tmp_path):
    token_api.patch(f"{API}officials/{QUINN}/", {"role": CURATORS_ROLE}, format="json")
    fixture = changed_fixture(tmp_path, lambda records: set_role(records, "Former governor of Illinois"))

    output = load(fixture=fixture)

    assert quinn().role == CURATORS_ROLE
    assert "1 conflict(s)" in output
    assert (
        f"kb.Official('{QUINN}',) role: kept '{CURATORS_ROLE}'; the fixture has 'Former governor of Illinois'"
    ) in output
    assert "load_kb --prefer-fixture takes the fixture's" in output
    # Reported once: the next start loads the same fixture and keeps the curator's role quietly.
    again = load(fixture=fixture)
    assert "conflict" not in again
    assert quinn().role == CURATORS_ROLE


def test_prefer_fixture_takes_the_fixtures_value_and_history_says_it_was_a_load(token_api, curator, tmp_path):
    token_api.patch(f"{API}officials/{QUINN}/", {"role": CURATORS_ROLE}, format="json")
    fixture = changed_fixture(tmp_path, lambda records: set_role(records, "Former governor of Illinois"))

    output = load("--prefer-fixture", fixture=fixture)

    assert quinn().role == "Former governor of Illinois"
    assert f"kb.Official('{QUINN}',) role: took the fixture's 'Former governor of Illinois'" in output
    by_load, by_curator = quinn().history.all()[:2]
    assert (by_load.history_user, by_load.history_change_reason) == (None, "load_kb")
    assert (by_curator.history_user, by_curator.history_change_reason) == (curator, None)


def test_the_same_change_made_by_both_is_no_conflict(token_api, tmp_path):
    token_api.patch(f"{API}officials/{QUINN}/", {"role": CURATORS_ROLE}, format="json")

    output = load(fixture=changed_fixture(tmp_path, lambda records: set_role(records, CURATORS_ROLE)))

    assert quinn().role == CURATORS_ROLE
    assert "conflict" not in output


# ---------------------------------------------------------------- deleted, added, dropped


def test_a_record_a_person_deleted_stays_deleted_unless_the_fixture_is_preferred(token_api):
    citations = Position.objects.get(slug=ILLINOIS_REFUSES).citations.count()
    assert token_api.delete(f"{API}positions/{ILLINOIS_REFUSES}/").status_code == 204

    output = load()

    assert not Position.objects.filter(slug=ILLINOIS_REFUSES).exists()
    assert f"kb.Position('{ILLINOIS_REFUSES}',): not loaded, it was deleted since the last load." in output
    assert "the position it names was deleted or not added" in output  # its citations stay deleted too

    output = load("--prefer-fixture")

    assert Position.objects.get(slug=ILLINOIS_REFUSES).citations.count() == citations
    assert "kb.Position: 1 restored, 20 unchanged" in output


def test_a_record_the_fixture_no_longer_has_is_removed_with_its_citations(tmp_path):
    output = load(fixture=changed_fixture(tmp_path, drop_illinois_refuses))

    assert not Position.objects.filter(slug=ILLINOIS_REFUSES).exists()
    assert "kb.Position: 20 unchanged, 1 removed" in output
    removed = Position.history.filter(slug=ILLINOIS_REFUSES).first()
    assert (removed.history_type, removed.history_user, removed.history_change_reason) == ("-", None, "load_kb")


def test_a_record_the_fixture_no_longer_has_stays_when_a_person_added_to_it(tmp_path):
    position = Position.objects.get(slug=ILLINOIS_REFUSES)
    added = Citation(position=position, source=Citation.objects.filter(source__slug=HERALD).first().source)
    added.quote = "Illinois Gov. Pat Quinn"
    added.full_clean()
    added.save()

    output = load(fixture=changed_fixture(tmp_path, drop_illinois_refuses))

    assert Position.objects.filter(slug=ILLINOIS_REFUSES).exists()
    assert f"kb.Position('{ILLINOIS_REFUSES}',): no longer in the fixture, but kept" in output
    # The fixture's own citations of it went; the person's stays.
    assert list(position.citations.values_list("quote", flat=True)) == ["Illinois Gov. Pat Quinn"]


def test_a_record_a_person_added_is_never_touched(token_api):
    response = token_api.post(
        f"{API}jurisdictions/",
        {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"},
        format="json",
    )
    assert response.status_code == 201

    load()

    assert Jurisdiction.objects.filter(slug="texas").exists()


def test_a_new_fixture_record_that_clashes_with_a_persons_is_not_added_and_the_start_goes_on(token_api, tmp_path):
    texas = {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}
    response = token_api.post(f"{API}jurisdictions/", {**texas, "slug": "lone-star-state"}, format="json")
    assert response.status_code == 201

    def add_texas(records):
        records.append({"model": "kb.jurisdiction", "fields": {**texas, "parent": None}})

    output = load(fixture=changed_fixture(tmp_path, add_texas))

    assert not Jurisdiction.objects.filter(slug="texas").exists()
    assert Jurisdiction.objects.get(slug="lone-star-state").ocd_id == texas["ocd_id"]
    assert "kb.Jurisdiction('texas',): not added, as it does not fit the changes made since the last load" in output
    assert f"Loaded {len(fixture_records()) + 1} record(s)" in output


def test_a_fixture_record_with_the_key_of_a_persons_record_is_that_record_and_differences_are_conflicts(
    token_api, tmp_path
):
    texas = {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}
    token_api.post(f"{API}jurisdictions/", {**texas, "name": "Lone Star"}, format="json")

    output = load(
        fixture=changed_fixture(
            tmp_path, lambda records: records.append({"model": "kb.jurisdiction", "fields": {**texas, "parent": None}})
        )
    )

    assert Jurisdiction.objects.get(slug="texas").name == "Lone Star"
    assert "kb.Jurisdiction('texas',) name: kept 'Lone Star'; the fixture has 'Texas'" in output


def test_a_fixture_text_change_that_would_strand_a_persons_citation_is_not_applied(tmp_path):
    source = Source.objects.get(slug=HERALD)
    covered = set()
    for start, end in source.citations.values_list("start", "end"):
        covered.update(range(start, end))
    # A phrase of the text no fixture citation quotes, found once: a curator cites it.
    start = next(
        i
        for i in range(len(source.text) - 30)
        if not covered & set(range(i, i + 30))
        and source.text.count(source.text[i : i + 30]) == 1
        and source.find_evidence(source.text[i : i + 30]) == i  # the publisher's words, not a reader's
    )
    phrase = source.text[start : start + 30]
    cited = Citation(position=Position.objects.get(slug=ILLINOIS_REFUSES), source=source, quote=phrase)
    cited.full_clean()
    cited.save()

    def rewrite(records):
        fields = the(records, "kb.source", slug=HERALD)["fields"]
        fields["text"] = fields["text"].replace(phrase, "x" * len(phrase))

    output = load(fixture=changed_fixture(tmp_path, rewrite))

    assert Source.objects.get(pk=source.pk).text == source.text
    assert f"kb.Source('{HERALD}',): the fixture's change to text was not applied" in output
    assert f"Loaded {len(fixture_records())} record(s)" in output


# ---------------------------------------------------------------- before load_kb remembered


def test_the_first_load_after_the_upgrade_tells_a_persons_change_by_its_history(token_api, tmp_path):
    """A database loaded before load_kb kept a baseline: the history says who changed what last."""
    LoadedRecord.objects.all().delete()
    token_api.patch(f"{API}officials/{QUINN}/", {"role": CURATORS_ROLE}, format="json")

    def change(records):
        set_role(records, "Former governor of Illinois")
        the(records, "kb.official", slug="andrew-cuomo")["fields"]["role"] = "Former governor of New York"

    output = load(fixture=changed_fixture(tmp_path, change))

    assert quinn().role == CURATORS_ROLE  # a person's change last: kept, reported
    assert f"kb.Official('{QUINN}',) role: kept '{CURATORS_ROLE}'" in output
    assert Official.objects.get(slug="andrew-cuomo").role == "Former governor of New York"  # a load's last
    assert LoadedRecord.objects.count() == len(fixture_records())
