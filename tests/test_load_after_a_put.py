"""A PUT or PATCH of a position makes its citations anew (new rows, the same natural keys): the
next load takes those rows for the fixture's citations, neither reporting them deleted nor, with
--prefer-fixture, adding them a second time."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb.models import Position
from tests.api_helpers import API

POSITION = "illinois-refuses"

pytestmark = pytest.mark.usefixtures("knowledge_base")


@pytest.fixture
def token_api():
    curator = User.objects.create_user("curator", password="a-long-enough-password", is_staff=True)
    curator.user_permissions.set(Permission.objects.filter(content_type__app_label="kb"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=curator).key}")
    return client


@pytest.mark.parametrize("options", [(), ("--prefer-fixture",)])
def test_citations_sent_back_unchanged_are_neither_lost_nor_doubled_by_the_next_load(token_api, options):
    position = token_api.get(f"{API}positions/{POSITION}/").json()
    citations = [{"source": c["source"], "quote": c["quote"]} for c in position["citations"]]
    response = token_api.patch(f"{API}positions/{POSITION}/", {"citations": citations}, format="json")
    assert response.status_code == 200, response.content[:500]

    call_command("load_kb", *options, verbosity=0)

    saved = Position.objects.get(slug=POSITION).citations.values_list("source__slug", "quote")
    assert sorted(saved) == sorted((c["source"], c["quote"]) for c in citations)
    assert token_api.get(f"{API}positions/{POSITION}/").json()["citations"] == position["citations"]
