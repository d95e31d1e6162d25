"""What the API tests share: the curated facts, a client, and small readers for the API's two body
shapes (a page, an error). The knowledge base itself is tests/conftest.py's `knowledge_base`.

Expected values come from fixtures/kb.yaml, the curated facts, never from the API under test.
"""

import functools
from pathlib import Path

import yaml
from django.conf import settings

FACTS_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "kb.yaml"
API = "/api/v1/"
RESOURCES = ("programs", "jurisdictions", "organizations", "officials", "positions", "sources")
ERROR_KEYS = {"status", "code", "detail", "errors"}
PAGE_KEYS = {"count", "next", "previous", "results"}


# Read at collection, to mark tests that fail on one database only (the settings are loaded by then).
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@functools.cache
def curated():
    """fixtures/kb.yaml, the curated facts, as written by the curators."""
    return yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))


def curated_slugs(resource, **where):
    """Slugs of the curated records of `resource` whose fields equal `where` (or are in it, for a set)."""
    found = set()
    for record in curated()[resource]:
        if all(_field_matches(record.get(name), wanted) for name, wanted in where.items()):
            found.add(record["slug"])
    return found


def _field_matches(value, wanted):
    if isinstance(wanted, (set, frozenset, tuple)):
        return value in wanted
    return str(value) == str(wanted) if value is not None and wanted is not None else value == wanted


def curated_record(resource, slug):
    [record] = [record for record in curated()[resource] if record["slug"] == slug]
    return record


def get(client, path, params=None, **headers):
    """GET an API path (relative to /api/v1/ unless absolute); params may repeat a name with a list."""
    url = path if path.startswith("/") else API + path
    return client.get(url, params or {}, **headers)


def page(response):
    """A 200 page of results, checked for its shape."""
    assert response.status_code == 200, response.content[:2000]
    body = response.json()
    assert set(body) - {"suggestions"} == PAGE_KEYS  # suggestions: when a search finds nothing
    assert len(body["results"]) <= body["count"]
    return body


def slugs(response):
    """The slugs of a page's results, in order."""
    return [record["slug"] for record in page(response)["results"]]


def assert_error(response, status, *fields, code=None):
    """An error body of the one shape, with this status, naming each of `fields` in `errors`."""
    assert response.status_code == status, response.content[:2000]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    for field in fields:
        assert field in body["errors"], body
        assert all(isinstance(message, str) and message for message in body["errors"][field]), body
    if code is not None:
        assert body["code"] == code, body
    return body


def is_ref(value, resource, slug=None):
    """A related record as the API refers to it: {slug, name, url} pointing at its detail."""
    assert set(value) == {"slug", "name", "url"}, value
    assert value["url"].endswith(f"{API}{resource}/{value['slug']}/"), value
    if slug is not None:
        assert value["slug"] == slug
    return True


def new_position(**changes):
    """A position the sources back, as a client writes it: another telling of New York's departure
    as AP words it (the curators' is new-york-suspends-ap-version), voiced by Cuomo in the Herald,
    with his reason, and dated by AP's report."""
    position = {
        "slug": "new-york-suspends-participation",
        "program": "secure-communities",
        "jurisdiction": "new-york",
        "stance": "withdraws",
        "date_earliest": "2011-06-06",
        "date_latest": "2011-06-06",
        "date_precision": "day",
        "date_basis": "reported",
        "date_text": "",
        "summary": "New York Gov. Andrew Cuomo has suspended the state's participation in Secure Communities.",
        "voices": [
            {
                "official": "andrew-cuomo",
                "citations": [
                    {"source": "boston-herald-patrick-refuses-to-sign", "quote": "New York Gov. Andrew Cuomo said"}
                ],
            }
        ],
        "reasons": [
            {
                "topic": "targets_non_criminals",
                "summary": "It hasn't deported felons.",
                "citations": [
                    {"source": "boston-herald-patrick-refuses-to-sign", "quote": "saying it hasn’t deported felons"}
                ],
            }
        ],
        "citations": [
            {
                "source": "ap-patrick-massachusetts-wont-participate",
                "quote": "New York Gov. Andrew Cuomo has suspended that state’s participation in the program.",
            },
            {"source": "boston-herald-patrick-refuses-to-sign", "quote": "New York Gov. Andrew Cuomo"},
        ],
    }
    position.update(changes)
    return position
