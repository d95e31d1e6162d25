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

TIMELINES = [
    f"{API}jurisdictions/{{slug}}/timeline/",
    f"{API}officials/{{slug}}/timeline/",
    f"{API}organizations/{{slug}}/timeline/",
]
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
    for timeline in TIMELINES:
        assert "get" in schema["paths"][timeline]


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


def ref_of(prop):
    """The component a property refers to, written plainly or (when read-only) under allOf."""
    return prop.get("$ref") or prop["allOf"][0]["$ref"]


def test_positions_refer_to_the_stance_enum(schema):
    position = schema["components"]["schemas"]["Position"]

    assert ref_of(position["properties"]["stance"]) == "#/components/schemas/Stance"
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


# Each vocabulary of the model, by the component name the schema gives it (config.settings'
# ENUM_NAME_OVERRIDES), and where it is used.
ENUMS = {
    "Stance": ("Position", "stance"),
    "DatePrecision": ("Position", "date_precision"),
    "DateBasis": ("Position", "date_basis"),
    "SourceKind": ("Source", "kind"),
    "Derivation": ("Source", "derivation"),
    "SourcePartKind": ("SourcePart", "kind"),
    "ReasonTopic": ("Reason", "topic"),
    "ProgramFactKind": ("ProgramFact", "kind"),
}


@pytest.mark.parametrize("enum", ENUMS)
def test_each_vocabulary_is_one_named_enum_with_its_values_described(schema, enum):
    from kb import models

    components = schema["components"]["schemas"]
    values = [value for value in getattr(models, enum).values]
    assert components[enum]["enum"] == values
    for value in values:
        assert f"`{value}`" in components[enum]["description"]
    component, field = ENUMS[enum]
    prop = components[component]["properties"][field]
    refs = [ref_of(prop)] if "oneOf" not in prop else [option["$ref"] for option in prop["oneOf"]]
    assert f"#/components/schemas/{enum}" in refs, prop


def test_in_force_is_certain_or_possible_and_null_without_as_of(schema):
    in_force = schema["components"]["schemas"]["Position"]["properties"]["in_force"]

    assert in_force["nullable"] is True
    assert {option["$ref"] for option in in_force["oneOf"]} == {
        "#/components/schemas/InForce",
        "#/components/schemas/NullEnum",
    }
    assert schema["components"]["schemas"]["InForce"]["enum"] == ["certain", "possible"]
    assert "as_of" in in_force["description"]


@pytest.mark.parametrize(
    "component, fields",
    [
        (
            "Position",
            {
                "date_earliest",
                "date_latest",
                "date_precision",
                "date_edtf",
                "date_text",
                "event",
                "disputed",
                "versions",
                "voices",
                "reasons",
                "citation_count",
                "independent_source_count",
                "in_force",
            },
        ),
        (
            "Source",
            {"published_earliest", "published_latest", "published_edtf", "derived_from", "parts", "original_url"},
        ),
        ("Program", {"started_earliest", "started_latest", "started_edtf"}),
        ("ProgramFact", {"date_earliest", "date_latest", "date_edtf", "voices", "independent_source_count"}),
    ],
)
def test_the_new_fields_are_documented_each_with_a_description(schema, component, fields):
    properties = schema["components"]["schemas"][component]["properties"]

    assert fields <= set(properties)
    undescribed = [
        name
        for name in fields
        if not (properties[name].get("description") or properties[name].get("items", {}).get("description"))
        and "$ref" not in properties[name]
        and "allOf" not in properties[name]
    ]
    assert undescribed == []


def test_as_of_documents_the_new_york_example(schema):
    [as_of] = [p for p in schema["paths"][f"{API}positions/"]["get"]["parameters"] if p["name"] == "as_of"]

    for words in ("certain", "possible", "2011-05-30", "2011-06-05", "never supersedes"):
        assert words in as_of["description"]


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
        *TIMELINES,
        f"{API}search/",
    ],
)
def test_documented_query_parameters_are_the_accepted_ones(knowledge_base, schema, client, path):
    documented = {
        parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"] if parameter["in"] == "query"
    }
    slug = {"jurisdictions": "massachusetts", "officials": "deval-patrick", "organizations": "centro-presente"}
    url = path.replace("{slug}", slug.get(path.split("/")[3], ""))
    # `format` (json or csv; search's, json) is documented too.
    assert "format" in documented
    assert documented == _accepted_by_the_api(client, url)


def test_expand_is_documented_with_the_fields_each_resource_expands(schema):
    def expandable(path):
        [parameter] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "expand"]
        return set(parameter["schema"]["items"]["enum"])

    assert expandable(f"{API}positions/") == {"program", "official", "jurisdiction", "organization"}
    assert expandable(f"{API}positions/{{slug}}/") == {"program", "official", "jurisdiction", "organization"}
    assert expandable(f"{API}organizations/") == {"jurisdiction", "parent"}
    assert expandable(f"{API}programs/{{slug}}/") == {"agency"}
    assert expandable(f"{API}sources/") == {"derived_from"}
    for timeline in TIMELINES:
        assert expandable(timeline) == {"program", "official", "jurisdiction", "organization"}


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
    # Static files, and Swagger UI's start-up script, which its page serves itself (no inline script).
    assert all(asset.startswith("/static/") or asset == f"{path}?script=" for asset in assets), assets


@pytest.mark.parametrize("path", DOC_PAGES)
def test_the_local_assets_of_the_documentation_pages_are_served(client, path):
    local = [asset for asset in referenced_assets(client.get(path).content.decode()) if asset.startswith("/static/")]

    assert local
    for asset in local:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_swagger_ui_starts_from_a_script_of_its_own(client):
    assets = referenced_assets(client.get("/api/docs/").content.decode())

    assert "/api/docs/?script=" in assets
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize("path", DOC_PAGES)
def test_the_documentation_pages_read_the_local_schema(client, path):
    page = client.get(path).content.decode()
    # Swagger UI reads the schema's URL in its start-up script; ReDoc in its page.
    started_by = client.get(f"{path}?script=").content.decode() if f"{path}?script=" in page else page

    assert "/api/schema/" in started_by


@pytest.mark.usefixtures("knowledge_base")
def test_the_home_page_is_the_landing_page_and_links_to_the_documentation(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert 'href="/api/docs/"' in response.content.decode()


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
        for resource in (
            "programs",
            "jurisdictions",
            "organizations",
            "officials",
            "positions",
            "sources",
            "citations",
            "facts",
            "search",
            "changes",
            "export",
        )
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
