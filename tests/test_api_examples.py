"""The documentation's examples are what the API answers on the real knowledge base."""

import pytest
from django.core.management import call_command

from api.examples import EXAMPLE_REQUESTS, EXAMPLES_FILE, load_examples

pytestmark = pytest.mark.usefixtures("knowledge_base")


def test_the_recorded_examples_are_current():
    call_command("make_api_examples", "--check")


def test_every_example_request_is_recorded():
    assert set(load_examples()) == {f"{resource}:{action}" for resource, action in EXAMPLE_REQUESTS}


def test_the_schema_shows_the_examples(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"]["/api/v1/positions/"]["get"]["responses"]
    shown = listing["200"]["content"]["application/json"]["examples"]
    (example,) = shown.values()
    assert example["value"]["results"][0]["stance"] == "refuses"
    bad_request = listing["400"]["content"]["application/json"]["examples"]
    assert any("stance" in item["value"]["errors"] for item in bad_request.values())
    assert EXAMPLES_FILE.exists()


def test_every_recorded_example_is_shown_on_its_operation(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = {"list": "/api/v1/{}/", "retrieve": "/api/v1/{}/{{slug}}/", "timeline": "/api/v1/{}/{{slug}}/timeline/"}
    for (resource, action), (summary, _, _) in EXAMPLE_REQUESTS.items():
        if resource == "errors":
            continue
        responses = schema["paths"][paths[action].format(resource)]["get"]["responses"]
        shown = responses["200"]["content"]["application/json"]["examples"]
        # A one-word summary is the example's key, and no summary of its own is written.
        assert summary in {example.get("summary", key) for key, example in shown.items()}, (resource, action)
