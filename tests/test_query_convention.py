"""One convention for query parameters: multi-valued ones take the repeated and the comma-separated
form alike; a single-valued one given twice is a 400 naming it; timelines refuse a filter that
contradicts their path and honour include_sub_jurisdictions; organizations have a timeline; no
schema default makes a generated client send what the API refuses (tested with a client that
openapi-python-client generates from the schema).
"""

import importlib
import subprocess
import sys

import httpx
import pytest
from django.test import Client

from api import pagination
from tests.api_helpers import API, assert_error, curated_slugs, get, page, slugs

pytestmark = pytest.mark.usefixtures("knowledge_base")


def found(client, path, params):
    return [record["slug"] for record in page(get(client, path, {**params, "limit": 100}))["results"]]


# ---------------------------------------------------------------- multi-valued parameters


@pytest.mark.parametrize(
    ("path", "repeated", "comma_separated"),
    [
        ("positions/", {"stance": ["refuses", "withdraws"]}, {"stance": "refuses,withdraws"}),
        ("positions/", {"ordering": ["stance", "-date_earliest"]}, {"ordering": "stance,-date_earliest"}),
        ("jurisdictions/massachusetts/timeline/", {"stance": ["opposes", "refuses"]}, {"stance": "opposes,refuses"}),
    ],
)
def test_a_multi_valued_filter_takes_the_repeated_and_the_comma_separated_form(api, path, repeated, comma_separated):
    assert found(api, path, repeated) == found(api, path, comma_separated)
    assert found(api, path, repeated) != found(api, path, {name: values[0] for name, values in repeated.items()})


def test_stance_in_both_forms_at_once_means_every_value(api):
    mixed = found(api, "positions/", {"stance": ["refuses,withdraws", "opposes"]})

    assert set(mixed) == curated_slugs("positions", stance={"refuses", "withdraws", "opposes"})


def test_expand_repeated_expands_every_field(api):
    [position] = page(get(api, "positions/", {"expand": ["program", "jurisdiction"], "stance": "refuses", "limit": 1}))[
        "results"
    ]

    assert "description" in position["program"]  # expanded
    assert "ocd_id" in position["jurisdiction"]  # expanded too, not only the last one


def test_expand_comma_separated_is_the_same_as_repeated(api):
    repeated = get(api, "positions/illinois-refuses/", {"expand": ["program", "jurisdiction"]}).json()
    comma_separated = get(api, "positions/illinois-refuses/", {"expand": "program,jurisdiction"}).json()

    assert repeated == comma_separated


def test_facet_takes_both_forms(api):
    repeated = get(api, "positions/", {"facet": ["stance", "program"], "limit": 1}).json()["facets"]
    comma_separated = get(api, "positions/", {"facet": "stance,program", "limit": 1}).json()["facets"]

    assert repeated == comma_separated and set(repeated) == {"stance", "program"}


# ---------------------------------------------------------------- single-valued parameters


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("positions/", {"jurisdiction": ["new-york", "illinois"]}, "jurisdiction"),
        ("positions/", {"limit": ["2", "5"]}, "limit"),
        ("positions/", {"as_of": ["2011-06-06", "2011-01-01"]}, "as_of"),
        ("positions/", {"search": ["patrick", "quinn"]}, "search"),
        ("positions/", {"format": ["json", "csv"]}, "format"),
        ("officials/", {"offset": ["0", "1"]}, "offset"),
        ("positions/illinois-refuses/", {"format": ["json", "json"]}, "format"),
        ("jurisdictions/massachusetts/timeline/", {"program": ["secure-communities", "secure-communities"]}, "program"),
        ("changes/", {"limit": ["1", "2"]}, "limit"),
    ],
)
def test_a_single_valued_parameter_given_twice_is_a_400_naming_it(api, path, params, name):
    body = assert_error(get(api, path, params), 400, name, code="invalid")

    assert "once" in body["errors"][name][0]


def test_the_error_names_every_parameter_given_twice_at_once(api):
    body = assert_error(get(api, "positions/", {"jurisdiction": ["new-york", "illinois"], "limit": ["2", "5"]}), 400)

    assert set(body["errors"]) == {"jurisdiction", "limit"}


# ---------------------------------------------------------------- timelines


def test_a_timeline_filter_that_contradicts_the_path_is_a_400(api):
    body = assert_error(get(api, "jurisdictions/massachusetts/timeline/", {"jurisdiction": "new-york"}), 400)

    assert "massachusetts" in body["errors"]["jurisdiction"][0]
    assert_error(get(api, "officials/deval-patrick/timeline/", {"official": "pat-quinn"}), 400, "official")
    assert_error(
        get(api, "organizations/centro-presente/timeline/", {"organization": "immigration-and-customs-enforcement"}),
        400,
        "organization",
    )


def test_a_timeline_filter_that_repeats_the_path_changes_nothing(api):
    timeline = found(api, "jurisdictions/massachusetts/timeline/", {})

    assert found(api, "jurisdictions/massachusetts/timeline/", {"jurisdiction": "massachusetts"}) == timeline
    assert "boston-participates-2011" in timeline


def test_a_jurisdiction_timeline_includes_sub_jurisdictions_unless_told_not_to(api):
    everything = found(api, "jurisdictions/massachusetts/timeline/", {})
    own = found(api, "jurisdictions/massachusetts/timeline/", {"include_sub_jurisdictions": "false"})

    assert found(api, "jurisdictions/massachusetts/timeline/", {"include_sub_jurisdictions": "true"}) == everything
    assert own == [slug for slug in everything if not slug.startswith("boston-")]
    assert own == [
        "massachusetts-will-join-secure-communities-2010-12",
        "massachusetts-refuses-secure-communities-2011-06-03",  # Heffernan's letter among its voices
    ]


def test_an_organization_has_a_timeline_of_what_it_held_and_what_it_voiced(api):
    # Centro Presente's own stance (which Patricia Montes voices for it).
    assert slugs(get(api, "organizations/centro-presente/timeline/")) == ["centro-presente-opposes"]
    # The Patrick administration holds no stance of its own: it voiced Massachusetts' in December 2010.
    assert slugs(get(api, "organizations/patrick-administration/timeline/")) == [
        "massachusetts-will-join-secure-communities-2010-12"
    ]
    assert_error(get(api, "organizations/no-such-group/timeline/"), 404, code="not_found")


def test_an_organization_timeline_takes_the_position_filters(api):
    assert found(api, "organizations/centro-presente/timeline/", {"stance": "opposes"}) == ["centro-presente-opposes"]
    assert found(api, "organizations/centro-presente/timeline/", {"stance": "supports"}) == []
    assert found(api, "organizations/centro-presente/timeline/", {"voiced_by": "patricia-montes"}) == [
        "centro-presente-opposes"
    ]
    assert found(api, "organizations/centro-presente/timeline/", {"voiced_by": "christen-varley"}) == []
    # Montes voices the stance; she holds none of it.
    assert found(api, "organizations/centro-presente/timeline/", {"official": "patricia-montes"}) == []


def test_the_organization_timeline_is_linked_from_the_organization(api):
    organization = get(api, "organizations/centro-presente/").json()

    assert organization["timeline_url"] == f"http://testserver{API}organizations/centro-presente/timeline/"


# ---------------------------------------------------------------- a generated client


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory, django_db_blocker):
    """A client openapi-python-client generates from the schema, as a developer would make one."""
    folder = tmp_path_factory.mktemp("client")
    with django_db_blocker.unblock():
        schema = Client().get("/api/schema/", {"format": "json"}).content
    (folder / "schema.json").write_bytes(schema)
    (folder / "config.yml").write_text(
        "post_hooks: []\nproject_name_override: kb_client\npackage_name_override: kb_client\n"
    )
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            "schema.json",
            "--config",
            "config.yml",
            "--meta",
            "none",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("kb_client")
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == "kb_client" or name.startswith("kb_client.")]:
            del sys.modules[name]


class DjangoTransport(httpx.BaseTransport):
    """Hands the generated client's requests to Django's test client, and notes each one."""

    def __init__(self):
        self.client = Client()
        self.sent = []

    def handle_request(self, request):
        self.sent.append(request.url)
        response = self.client.generic(request.method, request.url.raw_path.decode(), data=request.content)
        return httpx.Response(response.status_code, headers=dict(response.items()), content=response.content)


def test_a_generated_client_follows_the_cursor_without_sending_offset(generated_client, monkeypatch):
    from kb_client.api.positions import positions_list

    monkeypatch.setattr(pagination, "CURSOR_FROM_OFFSET", 0)
    transport = DjangoTransport()
    client = generated_client.Client(base_url="http://testserver", httpx_args={"transport": transport})

    first = positions_list.sync_detailed(client=client, limit=5)
    assert first.status_code == 200, first.content
    cursor = httpx.URL(first.parsed.next_).params["cursor"]
    second = positions_list.sync_detailed(client=client, cursor=cursor, limit=5)

    assert second.status_code == 200, second.content
    assert "offset" not in transport.sent[-1].params
    assert [position.slug for position in second.parsed.results]
    seen = [position.slug for position in first.parsed.results + second.parsed.results]
    assert len(seen) == len(set(seen)) == 10


def test_a_generated_client_sends_multi_valued_parameters_the_api_reads(generated_client):
    from kb_client.api.positions import positions_list
    from kb_client.models.positions_list_stance_item import PositionsListStanceItem

    client = generated_client.Client(base_url="http://testserver", httpx_args={"transport": DjangoTransport()})
    answer = positions_list.sync_detailed(
        client=client, stance=[PositionsListStanceItem.REFUSES, PositionsListStanceItem.WITHDRAWS], limit=100
    )

    assert answer.status_code == 200, answer.content
    assert {position.slug for position in answer.parsed.results} == curated_slugs(
        "positions", stance={"refuses", "withdraws"}
    )


def _operations(schema):
    for path, item in schema["paths"].items():
        if "get" in item and "{" not in path:
            yield path, item["get"]


REQUIRED = {f"{API}search/": {"q": "Heffernan"}}


def test_the_defaults_of_every_list_are_a_valid_request_with_a_cursor_too(client, monkeypatch):
    """What a generated client sends when the caller gives nothing: every parameter's default."""
    monkeypatch.setattr(pagination, "CURSOR_FROM_OFFSET", 0)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    checked = 0
    for path, operation in _operations(schema):
        defaults = {
            parameter["name"]: parameter["schema"]["default"]
            for parameter in operation.get("parameters", [])
            if "default" in parameter.get("schema", {})
        }
        # A required parameter the caller must give (search's `q`): given, and nothing else.
        required = {p["name"] for p in operation.get("parameters", []) if p.get("required") and p["in"] == "query"}
        assert required <= set(REQUIRED.get(path, {})), (path, required)
        defaults.update(REQUIRED.get(path, {}))
        response = client.get(path, defaults)
        assert response.status_code == 200, (path, defaults, response.content[:300])
        # A cursor from a one-record page, then sent with every default, as a client would.
        shortened = client.get(path, {**defaults, "limit": 1}) if "limit" in defaults else response
        cursor_link = shortened.json().get("next") if shortened["Content-Type"].startswith("application/json") else None
        if cursor_link and "cursor=" in cursor_link:
            cursor = httpx.URL(cursor_link).params["cursor"]
            again = client.get(path, {**defaults, "cursor": cursor})
            assert again.status_code == 200, (path, again.content[:300])
            checked += 1
    # Every list with more than one record and a key order (facts page by offset only), and the change feed.
    assert checked >= 7
