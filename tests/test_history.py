"""Nothing is lost: every change to a record of the knowledge base, through the API, the admin or
load_kb, is kept with who, when and what changed, and the admin shows it. A cited source cannot
be deleted, and the refusal says why.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb.models import Citation, Jurisdiction, Position, Reason, Source, Voice

API = "/api/v1/"
HERALD = "boston-herald-patrick-refuses-to-sign"
CUOMO = "New York Gov. Andrew Cuomo"
TEXAS = {"slug": "texas", "name": "Texas", "kind": "state", "ocd_id": "ocd-division/country:us/state:tx"}


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


def changes(record):
    """{field: (old, new)} between a historical record and the one before it."""
    previous = record.prev_record
    if previous is None:
        return {}
    return {change.field: (change.old, change.new) for change in record.diff_against(previous).changes}


# ---------------------------------------------------------------- through the API


def test_a_record_created_through_the_api_is_kept_with_its_author_and_time(token_api, curator):
    response = token_api.post(API + "jurisdictions/", TEXAS, format="json")
    assert response.status_code == 201

    [created] = Jurisdiction.history.filter(slug="texas")
    assert created.history_type == "+"
    assert created.history_user == curator
    assert created.history_date is not None
    assert (created.name, created.kind, created.ocd_id) == ("Texas", "state", TEXAS["ocd_id"])


def test_a_change_through_the_api_keeps_the_old_and_new_value_of_each_field(token_api, curator):
    before = Jurisdiction.objects.get(slug="boston")

    assert token_api.patch(API + "jurisdictions/boston/", {"name": "Beantown"}, format="json").status_code == 200

    latest = Jurisdiction.history.filter(id=before.pk).first()
    assert latest.history_type == "~"
    assert latest.history_user == curator
    assert changes(latest) == {"name": (before.name, "Beantown")}


def test_a_deletion_through_the_api_keeps_the_last_version(token_api, curator):
    token_api.post(API + "jurisdictions/", TEXAS, format="json")

    assert token_api.delete(API + "jurisdictions/texas/").status_code == 204

    deleted = Jurisdiction.history.filter(slug="texas").first()
    assert deleted.history_type == "-"
    assert deleted.history_user == curator
    assert deleted.name == "Texas"
    assert not Jurisdiction.objects.filter(slug="texas").exists()


def test_replacing_the_citations_of_a_position_keeps_the_old_and_the_new(token_api, curator):
    position = Position.objects.get(slug="boston-participates-2011")
    old_quotes = set(position.citations.values_list("quote", flat=True))

    response = token_api.patch(
        API + f"positions/{position.slug}/", {"citations": [{"source": HERALD, "quote": CUOMO}]}, format="json"
    )

    assert response.status_code == 200, response.content[:500]
    mine = Citation.history.filter(position_id=position.pk, history_user=curator)
    assert set(mine.filter(history_type="-").values_list("quote", flat=True)) == old_quotes
    assert list(mine.filter(history_type="+").values_list("quote", flat=True)) == [CUOMO]


def test_a_refused_write_leaves_no_history(token_api):
    before = Jurisdiction.history.count()

    response = token_api.patch(API + "jurisdictions/boston/", {"kind": "county"}, format="json")

    assert response.status_code == 400
    assert Jurisdiction.history.count() == before


def test_replacing_the_voices_and_reasons_of_a_position_keeps_the_old_and_the_new(token_api, curator):
    position = Position.objects.get(slug="new-york-withdraws-2011-06")
    voices = [{"official": "andrew-cuomo", "citations": [{"source": HERALD, "quote": CUOMO}]}]
    reasons = [{"topic": "other", "summary": "Cuomo's reason.", "citations": [{"source": HERALD, "quote": CUOMO}]}]

    response = token_api.patch(
        API + f"positions/{position.slug}/", {"voices": voices, "reasons": reasons}, format="json"
    )

    assert response.status_code == 200, response.content[:500]
    assert Voice.history.filter(position_id=position.pk, history_user=curator, history_type="-").count() == 1
    assert Voice.history.filter(position_id=position.pk, history_user=curator, history_type="+").count() == 1
    removed = Reason.history.filter(position_id=position.pk, history_user=curator, history_type="-")
    assert list(removed.values_list("summary", flat=True)) == ["It hasn't deported felons."]
    added = Citation.history.filter(reason__isnull=False, history_user=curator, history_type="+")
    assert list(added.values_list("quote", flat=True)) == [CUOMO]


def test_the_derived_columns_are_not_copied_into_history():
    derived = {"search_text", "holder_key", "in_force_from", "certain_from", "contested_from", "in_force_until"}
    assert not derived & {field.name for field in Position.history.model._meta.fields}
    assert "lineage_root" not in {field.name for field in Source.history.model._meta.fields}


# ---------------------------------------------------------------- a cited source


def test_a_cited_source_cannot_be_deleted_and_the_api_says_why(token_api):
    response = token_api.delete(API + f"sources/{HERALD}/")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "protected"
    assert "citations" in body["detail"] and "refer to it" in body["detail"]
    assert Source.objects.filter(slug=HERALD).exists()
    assert not Source.history.filter(slug=HERALD, history_type="-").exists()


def test_a_cited_source_cannot_be_deleted_in_the_admin_and_the_page_says_why(admin_client_of):
    source = Source.objects.get(slug=HERALD)
    url = reverse("admin:kb_source_delete", args=[source.pk])

    page = admin_client_of.get(url)
    admin_client_of.post(url, {"post": "yes"})

    assert page.status_code == 200
    assert "protected" in page.content.decode()
    assert Source.objects.filter(slug=HERALD).exists()


# ---------------------------------------------------------------- through the admin


def test_a_deletion_in_the_admin_is_kept_with_its_author(admin_client_of, curator):
    texas = Jurisdiction.objects.create(**TEXAS)

    response = admin_client_of.post(reverse("admin:kb_jurisdiction_delete", args=[texas.pk]), {"post": "yes"})

    assert response.status_code == 302
    deleted = Jurisdiction.history.filter(id=texas.pk).first()
    assert (deleted.history_type, deleted.history_user) == ("-", curator)


def test_a_change_in_the_admin_is_kept_with_its_author(admin_client_of, curator):
    texas = Jurisdiction.objects.create(**TEXAS)
    url = reverse("admin:kb_jurisdiction_change", args=[texas.pk])
    form = admin_client_of.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(name="Lone Star State", parent="")
    for inline in admin_client_of.get(url).context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{management.prefix}-{name}": value for name, value in management.initial.items()})

    response = admin_client_of.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = Jurisdiction.history.filter(id=texas.pk).first()
    assert latest.history_user == curator
    assert changes(latest) == {"name": ("Texas", "Lone Star State")}


def test_the_admin_history_page_shows_who_changed_which_field(token_api, admin_client_of):
    token_api.patch(API + "jurisdictions/boston/", {"name": "Beantown"}, format="json")
    boston = Jurisdiction.objects.get(slug="boston")

    page = admin_client_of.get(reverse("admin:kb_jurisdiction_history", args=[boston.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "curator" in text
    assert "Beantown" in text and "Boston" in text  # the new and the old name


@pytest.mark.parametrize(
    "model",
    [
        "source",
        "jurisdiction",
        "organization",
        "official",
        "program",
        "programfact",
        "position",
        "othername",
        "citation",
    ],
)
def test_every_kind_of_record_has_a_history_page_in_the_admin(admin_client_of, model):
    from django.apps import apps

    record = apps.get_model("kb", model).objects.first()

    page = admin_client_of.get(reverse(f"admin:kb_{model}_history", args=[record.pk]))

    assert page.status_code == 200
    assert "Changed by" in page.content.decode()


# ---------------------------------------------------------------- through load_kb


def test_loading_records_history_with_no_user_and_a_second_load_adds_none(knowledge_base):
    """load_kb saves raw (Django's deserializer); its creations are kept all the same, with no user."""
    loaded = Position.history.filter(slug="boston-participates-2011", history_type="+")
    assert loaded.exists() and loaded.first().history_user is None

    before = {model: model.history.count() for model in (Source, Jurisdiction, Position, Citation)}
    call_command("load_kb", verbosity=0)

    assert {model: model.history.count() for model in before} == before


def test_loading_after_a_curators_change_keeps_it_and_writes_no_history(token_api, curator):
    boston = Jurisdiction.objects.get(slug="boston")
    token_api.patch(API + "jurisdictions/boston/", {"name": "Beantown"}, format="json")
    rows = Jurisdiction.history.filter(id=boston.pk).count()

    call_command("load_kb", verbosity=0)

    assert Jurisdiction.objects.get(pk=boston.pk).name == "Beantown"
    latest = Jurisdiction.history.filter(id=boston.pk).first()
    assert (latest.history_user, latest.name) == (curator, "Beantown")
    assert Jurisdiction.history.filter(id=boston.pk).count() == rows
