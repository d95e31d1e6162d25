"""The schema as a client reads it: reads open to anyone (no lock), real examples only, every error
code in one enum, path parameters described, no docstring written for the code, `format` and the
multi-valued convention documented; a throttled answer carries the IETF RateLimit fields.
"""

import ast
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

import api
from api.examples import load_examples
from api.exceptions import ERROR_CODES
from api.params import MULTIPLE_HELP
from tests.api_helpers import API, assert_error, get

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return Client().get("/api/schema/", {"format": "json"}).json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_reads_are_documented_as_open_to_anyone(schema):
    gets = [(path, operation) for path, method, operation in operations(schema) if method == "get"]

    assert gets and all(operation.get("security", []) in ([], [{}]) for _, operation in gets)
    writes = [operation for _, method, operation in operations(schema) if method in ("post", "patch", "delete")]
    assert all(operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}] for operation in writes)


def test_no_example_is_a_placeholder(schema):
    text = json.dumps(schema)

    assert "example.org" not in text and '"count": 123' not in text
    assert "http://api.example" not in text


def test_every_list_example_is_a_recorded_page(schema):
    recorded = {f"`GET {entry['path']}`": entry["value"] for entry in load_examples().values()}
    shown = 0
    for path, _method, operation in operations(schema):
        content = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        for example in content.get("examples", {}).values():
            assert example["value"] == recorded[example["description"]], path
            if "results" in example["value"]:
                assert set(example["value"]) >= {"count", "next", "previous", "results"}
                assert example["value"]["results"], path
            shown += 1
    assert shown >= 15


def test_the_error_code_is_an_enum_of_every_code(schema):
    enum = schema["components"]["schemas"]["ErrorCode"]["enum"]

    assert set(enum) == set(ERROR_CODES)
    assert {"not_acceptable", "authentication_failed", "invalid", "throttled", "busy"} <= set(enum)


def _literal_codes():
    """Every code written as a literal where an error body is made, in api/ and config/."""
    codes = set()
    for folder in ("api", "config"):
        for path in (ROOT / folder).glob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("error_response", "_plain_error"):
                    codes.update(arg.value for arg in node.args[1:2] if isinstance(arg, ast.Constant))
                if isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=False):
                        if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                            codes.add(value.value)
                if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "default_code" for t in node.targets):
                    codes.add(node.value.value)
    return codes


def test_every_code_written_in_the_code_is_in_the_enum():
    assert _literal_codes() and _literal_codes() <= set(ERROR_CODES)


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def writer(knowledge_base):
    return token_client(User.objects.create_superuser("writer", password="a-long-enough-password"))


@pytest.fixture
def reader(knowledge_base):
    return token_client(User.objects.create_user("reader", password="a-long-enough-password"))


def test_every_code_the_api_answers_is_in_the_enum(knowledge_base, api, writer, reader):
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    answers = {
        "invalid": get(api, "positions/", {"stance": "likes"}),
        "not_found": get(api, "positions/no-such-position/"),
        "method_not_allowed": api.delete(API + "changes/"),
        "not_acceptable": get(api, "positions/", HTTP_ACCEPT="text/xml"),
        "authentication_failed": bad_token.get(API + "positions/"),
        "not_authenticated": api.post(API + "jurisdictions/", {}, format="json"),
        "permission_denied": reader.post(API + "jurisdictions/", {}, format="json"),
        "unsupported_media_type": writer.post(API + "jurisdictions/", "x", content_type="text/plain"),
        "parse_error": writer.post(API + "jurisdictions/", "{", content_type="application/json"),
        "protected": writer.delete(API + "sources/boston-herald-patrick-refuses-to-sign/"),
    }
    for code, response in answers.items():
        body = response.json()
        assert body["code"] == code, (code, body)
        assert body["code"] in ERROR_CODES


def test_every_path_parameter_is_described(schema):
    undescribed = [
        f"{method.upper()} {path} {{{parameter['name']}}}"
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and not parameter.get("description", "").strip()
    ]

    assert undescribed == []
    [slug] = [
        p for p in schema["paths"][f"{API}jurisdictions/{{slug}}/timeline/"]["get"]["parameters"] if p["in"] == "path"
    ]
    assert slug["description"].startswith("The jurisdiction's slug")


def _docstrings_for_the_code():
    """Docstrings of the api package's classes and functions, but a serializer's own (its record's
    description): each first sentence, whitespace collapsed."""
    found = set()
    for module_info in pkgutil.iter_modules(api.__path__):
        module = importlib.import_module(f"api.{module_info.name}")
        for _, member in inspect.getmembers(module):
            if getattr(member, "__module__", None) != module.__name__:
                continue
            candidates = [member]
            if inspect.isclass(member):
                candidates += [value for value in vars(member).values() if inspect.isfunction(value)]
            for candidate in candidates:
                own = candidate.__dict__.get("__doc__") if inspect.isclass(candidate) else candidate.__doc__
                if not own:
                    continue
                if inspect.isclass(candidate) and issubclass(candidate, serializers.BaseSerializer):
                    if candidate.__dict__.get("Meta") is not None or candidate.__dict__.get("_declared_fields"):
                        continue  # a serializer of a record or body: its own docstring describes it
                sentence = " ".join(own.split()).split(". ")[0]
                if len(sentence) > 25:
                    found.add(sentence)
    return found


def test_no_docstring_written_for_the_code_reaches_the_schema(schema):
    text = " ".join(json.dumps(schema, ensure_ascii=False).replace("\\n", " ").split())
    leaked = [sentence for sentence in _docstrings_for_the_code() if sentence in text]

    assert leaked == []
    assert "Runs the model's own validation" not in text
    assert "Read by anyone; write with a token" not in text


def test_format_is_documented_on_every_list_and_record(schema):
    for path, method, operation in operations(schema):
        if method != "get" or not path.startswith(API) or "export" in path or "changes" in path or path == API:
            continue
        [parameter] = [p for p in operation["parameters"] if p["name"] == "format"]
        if path == f"{API}search/":  # hits of every kind, with no one CSV layout: JSON only, and it says so
            assert parameter["schema"]["enum"] == ["json"]
            assert "search has no CSV" in parameter["description"]
            continue
        assert set(parameter["schema"]["enum"]) == {"json", "csv"}, path
        assert "CSV" in parameter["description"]


def test_every_multi_valued_parameter_is_documented_in_both_forms(schema):
    arrays = [
        (path, parameter)
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("type") == "array"
    ]

    assert {parameter["name"] for _, parameter in arrays} >= {"stance", "expand", "ordering", "facet", "kind"}
    for path, parameter in arrays:
        assert parameter.get("explode") is True and MULTIPLE_HELP in parameter["description"], (path, parameter)


def test_the_offset_has_no_default(schema):
    for path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "offset":
                assert "default" not in parameter["schema"], path


def test_429_is_documented_with_the_ratelimit_fields(schema):
    headers = schema["paths"][f"{API}positions/"]["get"]["responses"]["429"]["headers"]

    assert {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(headers)


def test_a_throttled_answer_carries_the_ietf_ratelimit_fields(knowledge_base, throttle_rates):
    throttle_rates(anon="2/min")
    client = APIClient()
    client.get(API + "positions/")
    client.get(API + "positions/")

    response = client.get(API + "positions/")

    assert_error(response, 429, code="throttled")
    assert response["RateLimit-Limit"] == "2"
    assert response["RateLimit-Remaining"] == "0"
    assert 0 < int(response["RateLimit-Reset"]) <= 60
    assert response["RateLimit-Reset"] == response["Retry-After"]
    assert re.fullmatch(r"2;w=60", response["RateLimit-Policy"])
