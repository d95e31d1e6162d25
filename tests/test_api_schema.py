"""The OpenAPI schema and the pages built on it: valid, warning-free, every operation and query
parameter described, documented parameters the same as enforced ones, the docs served with
local assets only, and the browsable API at /api/v1/.
"""

import re

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

from tests.api_helpers import API, assert_error, get  # noqa: F401

STANCES = ["supports", "opposes", "participates", "will_join", "refuses", "withdraws", "considering_withdrawal"]
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    """The schema as a client downloads it (it reads no database)."""
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


# ---------------------------------------------------------------- the schema


def test_the_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_the_schema_generates_without_a_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert yaml.safe_load((tmp_path / "schema.yaml").read_text())["info"]["title"]


def test_the_schema_is_yaml_by_default(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")  # not ...openapi+json
    assert response.content.startswith(b"openapi: ")
    assert yaml.safe_load(response.content)["paths"]


def test_the_schema_documents_every_resource_and_timeline(schema):
    resources = ("programs", "jurisdictions", "organizations", "officials", "positions", "sources")

    for resource in resources:
        assert set(schema["paths"][f"{API}{resource}/"]) >= {"get", "post"}
        assert set(schema["paths"][f"{API}{resource}/{{slug}}/"]) >= {"get", "put", "patch", "delete"}
    assert "get" in schema["paths"][f"{API}jurisdictions/{{slug}}/timeline/"]
    assert "get" in schema["paths"][f"{API}officials/{{slug}}/timeline/"]


def test_every_operation_has_a_summary_or_description(schema):
    undescribed = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if not (operation.get("summary") or operation.get("description"))
    ]

    assert undescribed == []


def test_every_query_parameter_has_a_description(schema):
    undescribed = [
        f"{method.upper()} {path} ?{parameter['name']}"
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and not parameter.get("description", "").strip()
    ]

    assert undescribed == []


def test_the_stance_enum_lists_the_seven_stances(schema):
    stance = schema["components"]["schemas"]["Stance"]

    assert stance["enum"] == STANCES
    for value in STANCES:
        assert f"`{value}`" in stance["description"]


def test_positions_refer_to_the_stance_enum(schema):
    position = schema["components"]["schemas"]["Position"]

    assert position["properties"]["stance"]["$ref"] == "#/components/schemas/Stance"
    stance_parameter = next(
        parameter
        for parameter in schema["paths"][f"{API}positions/"]["get"]["parameters"]
        if parameter["name"] == "stance"
    )
    assert sorted(stance_parameter["schema"]["items"]["enum"]) == sorted(STANCES)


def test_errors_are_documented_with_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"status", "code", "detail", "errors"}

    listing = schema["paths"][f"{API}positions/"]
    assert listing["get"]["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    for code in ("400", "401", "403"):
        assert code in listing["post"]["responses"]
    assert "409" in schema["paths"][f"{API}sources/{{slug}}/"]["delete"]["responses"]
    assert "404" in schema["paths"][f"{API}positions/{{slug}}/"]["get"]["responses"]


def test_writing_is_documented_with_token_and_session_auth(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert "cookieAuth" in schemes


def _accepted_by_the_api(client, path):
    """The query parameters the API says it accepts, from its answer to an unknown one."""
    body = assert_error(client.get(path, {"no_such_parameter": "1"}), 400, "no_such_parameter")
    [message] = body["errors"]["no_such_parameter"]
    return set(re.search(r"Accepted here: (.*)\.$", message).group(1).split(", "))


@pytest.mark.parametrize(
    "path",
    [
        f"{API}positions/",
        f"{API}programs/",
        f"{API}jurisdictions/",
        f"{API}organizations/",
        f"{API}officials/",
        f"{API}sources/",
        f"{API}jurisdictions/{{slug}}/timeline/",
        f"{API}officials/{{slug}}/timeline/",
        f"{API}search/",
    ],
)
def test_documented_query_parameters_are_the_accepted_ones(knowledge_base, schema, client, path):
    documented = {
        parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"] if parameter["in"] == "query"
    }
    url = path.replace("{slug}", "massachusetts" if "jurisdictions" in path else "deval-patrick")
    # `format` picks a renderer (?format=json), not records, so it goes undocumented; sources accept
    # `expand` only to refuse any value, as they have nothing to expand.
    undocumented = {"format"} | ({"expand"} if path == f"{API}sources/" else set())

    assert documented == _accepted_by_the_api(client, url) - undocumented


def test_expand_is_documented_with_the_fields_each_resource_expands(schema):
    def expandable(path):
        [parameter] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "expand"]
        return set(parameter["schema"]["items"]["enum"])

    assert expandable(f"{API}positions/") == {"program", "official", "jurisdiction", "organization"}
    assert expandable(f"{API}positions/{{slug}}/") == {"program", "official", "jurisdiction", "organization"}
    assert expandable(f"{API}organizations/") == {"jurisdiction", "parent"}
    assert expandable(f"{API}programs/{{slug}}/") == {"agency"}
    assert not [p for p in schema["paths"][f"{API}sources/"]["get"]["parameters"] if p["name"] == "expand"]


def test_paging_parameters_say_their_bounds(schema):
    parameters = {p["name"]: p for p in schema["paths"][f"{API}positions/"]["get"]["parameters"]}

    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert parameters["offset"]["schema"]["minimum"] == 0


# ---------------------------------------------------------------- documentation pages

DOC_PAGES = ["/api/docs/", "/api/redoc/"]


def referenced_assets(html):
    """Every script, stylesheet, icon or preconnect a page loads, by src or href."""
    return re.findall(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", html)


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/",
        "/api/redoc/",
    ],
)
def test_the_documentation_pages_load_only_local_assets(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assets = referenced_assets(response.content.decode())
    assert assets, "the page loads its viewer from somewhere"
    assert [asset for asset in assets if re.match(r"(https?:)?//", asset)] == []
    assert all(asset.startswith("/static/") for asset in assets), assets


@pytest.mark.parametrize("path", DOC_PAGES)
def test_the_local_assets_of_the_documentation_pages_are_served(client, path):
    local = [asset for asset in referenced_assets(client.get(path).content.decode()) if asset.startswith("/static/")]

    assert local
    for asset in local:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content if response.streaming else [response.content])


@pytest.mark.parametrize("path", DOC_PAGES)
def test_the_documentation_pages_read_the_local_schema(client, path):
    assert "/api/schema/" in client.get(path).content.decode()


def test_the_home_page_redirects_to_the_documentation(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"


# ---------------------------------------------------------------- the browsable API


@pytest.mark.django_db
def test_the_api_root_is_browsable_in_a_browser(client):
    response = client.get(API, HTTP_ACCEPT="text/html,application/xhtml+xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for resource in ("programs", "jurisdictions", "organizations", "officials", "positions", "sources"):
        assert f"{API}{resource}/" in html


@pytest.mark.django_db
def test_the_api_root_is_json_otherwise(client):
    response = client.get(API)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        resource: f"http://testserver{API}{resource}/"
        for resource in ("programs", "jurisdictions", "organizations", "officials", "positions", "sources", "search")
    }


@pytest.mark.django_db
def test_the_api_root_is_json_when_asked_by_format(client):
    response = client.get(API, {"format": "json"}, HTTP_ACCEPT="text/html")

    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_a_list_is_browsable_too(client):
    response = client.get(f"{API}positions/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_browsable_api_assets_are_served(client):
    html = client.get(API, HTTP_ACCEPT="text/html").content.decode()
    local = [asset for asset in referenced_assets(html) if asset.startswith("/static/")]

    assert local
    for asset in local:
        assert client.get(asset).status_code == 200, asset


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_pages_forbid_remote_images_fonts_and_calls(client, path):
    # ReDoc's bundle hard-codes a logo from its maker's CDN: the browser must refuse it unsent.
    policy = client.get(path)["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy
    assert "font-src 'self' data:" in policy
    assert "connect-src 'self'" in policy
