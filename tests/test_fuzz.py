"""Fuzzing from the schema: schemathesis generates requests for every operation of the live OpenAPI
schema (/api/schema/), valid and invalid, sends them to the WSGI application in-process, and checks
each answer: never a server error, a status code the schema documents, the content type it
documents, and a body that matches the documented schema.

Each operation is fuzzed twice: anonymously (reads work, writes are refused) and as a superuser
with a token, so writes really execute. Generated slugs, and the references inside bodies, are
often real ones from the knowledge base, so updates and deletes reach records and are not all 404s.
Each request runs in a savepoint rolled back afterwards: every example starts from the same
knowledge base, and a refused write cannot spoil the next.

Bounded for CI: a fixed number of examples per operation, derandomized, so a run is reproducible
and a failure is found again by the next run. Anything found is fixed in the code, never excluded.
"""

import json
from functools import cache
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

SCHEMA_URL = "/api/schema/?format=json"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "kb.json"
EXAMPLES_PER_OPERATION = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

RESOURCE_MODELS = {
    "programs": "kb.program",
    "jurisdictions": "kb.jurisdiction",
    "organizations": "kb.organization",
    "officials": "kb.official",
    "positions": "kb.position",
    "sources": "kb.source",
}
# Body fields that name another record by slug, and the resource they name.
REFERENCE_FIELDS = {
    "body.program": "programs",
    "body.official": "officials",
    "body.jurisdiction": "jurisdictions",
    "body.organization": "organizations",
    "body.parent": "jurisdictions",
    "body.agency": "organizations",
    "body.derived_from": "sources",
    "body.event": "events",
    "body.citations[*].source": "sources",
    "body.voices[*].official": "officials",
    "body.voices[*].organization": "organizations",
    "body.voices[*].citations[*].source": "sources",
    "body.reasons[*].citations[*].source": "sources",
}
# Kinds of record that bodies name but that have no resource of their own.
NAMED_MODELS = {"events": "kb.event"}


@cache
def slugs_by_resource():
    records = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return {
        resource: sorted({record["fields"]["slug"] for record in records if record["model"] == model})
        for resource, model in {**RESOURCE_MODELS, **NAMED_MODELS}.items()
    }


def fuzzing_config():
    """schemathesis' configuration, as its schemathesis.toml would say it."""
    real_slugs = slugs_by_resource()
    return schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",  # valid requests and invalid ones
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",  # nothing written to .hypothesis/
            },
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
            "dictionaries": {f"{resource}-slugs": {"values": slugs} for resource, slugs in real_slugs.items()},
            "operations": [
                {
                    "include-path-regex": rf"^/api/v1/{resource}/",
                    "parameters": {
                        "path.slug": {"dictionary": f"{resource}-slugs", "probability": 0.7},
                        **{
                            field: {"dictionary": f"{target}-slugs", "probability": 0.5}
                            for field, target in REFERENCE_FIELDS.items()
                        },
                    },
                }
                for resource in RESOURCE_MODELS
            ],
        }
    )


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests here reach the WSGI application directly, not through Django's test client, so do
    as that client does: leave the connection open at each request's start and end. Django would
    otherwise close it, seeing it inside the test's transaction, and on PostgreSQL (unlike in-memory
    SQLite) that really ends the connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(knowledge_base):
    user = User.objects.create_superuser("fuzzer", password=None)
    return Token.objects.create(user=user).key


# Fetched once, at collection, from the application itself (generating it needs no database), so
# each operation is a test of its own.
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=fuzzing_config())


# The database fixtures are set up once per operation, not per example: on purpose, since
# call_and_check() rolls each example back itself.
ONE_DATABASE_PER_OPERATION = hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])


def call_and_check(case, **headers):
    """One generated request, in a savepoint that is rolled back whatever the outcome."""
    with transaction.atomic():
        # Uncompressed: the WSGI transport hands schemathesis the body as sent, and the checks read it.
        response = case.call(headers={"Accept-Encoding": "identity", **headers})
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@ONE_DATABASE_PER_OPERATION
def test_anonymous_requests_conform_to_the_schema(case, knowledge_base):
    call_and_check(case)


@schema.parametrize()
@ONE_DATABASE_PER_OPERATION
def test_superuser_requests_conform_to_the_schema(case, superuser_token):
    call_and_check(case, Authorization=f"Token {superuser_token}")


def test_the_fuzzer_reaches_real_records(knowledge_base):
    """The dictionaries name records the test database has, or the fuzzer would only meet 404s."""
    from django.apps import apps

    for resource, model in {**RESOURCE_MODELS, **NAMED_MODELS}.items():
        assert slugs_by_resource()[resource], resource
        stored = set(apps.get_model(model).objects.values_list("slug", flat=True))
        assert set(slugs_by_resource()[resource]) <= stored, resource
