"""Bad input, sent on purpose: what real clients get wrong and what attackers try, each answered
with a 4xx JSON error that says what is wrong, and the database left exactly as it was.

Query parameters one by one are covered in test_api_errors.py; here: request bodies (dates, enums,
slugs, unknown fields, malformed JSON, content types, size), hostile search strings, extreme
paging, and what a client sees when the server fails (no traceback) or the database is down (503).
"""

import json
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import DataError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.views import PositionViewSet
from tests.api_helpers import new_position

API = "/api/v1/"
ERROR_KEYS = {"status", "code", "detail", "errors"}
HERALD = "boston-herald-patrick-refuses-to-sign"
CUOMO = "New York Gov. Andrew Cuomo"


def kb_state():
    """Row counts of every knowledge-base table and of its history: any write would change one."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_app_config("kb").get_models()}


@pytest.fixture
def unchanged(knowledge_base):
    """Fails the test if the knowledge base or its history changed."""
    before = kb_state()
    yield
    assert kb_state() == before


@pytest.fixture
def token_api(knowledge_base):
    """A client with every permission, so a refusal is about the input, never about rights."""
    user = User.objects.create_superuser("curator", password=None)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def anonymous():
    return APIClient(raise_request_exception=False)


def assert_error(response, status, field=None, code=None):
    assert response.status_code == status, response.content[:1000]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"], body
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(message, str) and message for message in body["errors"][field]), body
    if code is not None:
        assert body["code"] == code, body
    return body


def post_json(client, path, body):
    return client.generic("POST", API + path, json.dumps(body), content_type="application/json")


def test_the_well_formed_position_of_these_tests_is_accepted(token_api):
    """The bad bodies below differ from this one in one field each: it alone must be the reason."""
    assert post_json(token_api, "positions/", new_position()).status_code == 201


# ---------------------------------------------------------------- bodies: one field wrong

BAD_FIELDS = [
    # malformed and impossible days, at either end of the interval
    ("date_earliest", {"date_earliest": "2011-02-30"}),
    ("date_earliest", {"date_earliest": "2011-13-01"}),
    ("date_earliest", {"date_earliest": "2011-06-00"}),
    ("date_earliest", {"date_earliest": "June 6, 2011"}),
    ("date_earliest", {"date_earliest": "06/06/2011"}),
    ("date_earliest", {"date_earliest": "2011-06-06T12:00:00Z"}),
    ("date_earliest", {"date_earliest": "10000-01-01"}),
    ("date_earliest", {"date_earliest": "0000-01-01"}),
    ("date_earliest", {"date_earliest": 20110606}),
    ("date_earliest", {"date_earliest": ""}),
    ("date_earliest", {"date_earliest": None}),
    ("date_latest", {"date_latest": "2011-02-29"}),  # 2011 is no leap year
    ("date_latest", {"date_latest": "2011-06-06T00:00"}),
    ("date_latest", {"date_latest": None}),
    # an interval that does not fit its precision
    ("date_latest", {"date_latest": "2011-06-07"}),  # a day of two days
    ("date_latest", {"date_earliest": "2011-06-01", "date_latest": "2011-06-07", "date_precision": "week"}),
    ("date_latest", {"date_earliest": "2012-02-01", "date_latest": "2012-02-28", "date_precision": "month"}),
    ("date_latest", {"date_earliest": "2011-06-07", "date_precision": "range"}),  # earliest after latest
    # unknown enum values
    ("stance", {"stance": "maybe"}),
    ("stance", {"stance": "REFUSES"}),
    ("stance", {"stance": "refuses "}),
    ("stance", {"stance": ["refuses"]}),
    ("date_precision", {"date_precision": "fortnight"}),
    ("date_precision", {"date_precision": "Day"}),
    ("date_basis", {"date_basis": "rumoured"}),
    (
        "reasons.0.topic",
        {"reasons": [{"topic": "vibes", "summary": "Why.", "citations": [{"source": HERALD, "quote": CUOMO}]}]},
    ),
    # unknown slugs
    ("program", {"program": "e-verify"}),
    ("event", {"event": "nothing-happened"}),
    ("official", {"official": "nobody"}),
    ("jurisdiction", {"jurisdiction": "texas"}),
    ("organization", {"organization": "nobody"}),
    ("citations.0.source", {"citations": [{"source": "nowhere", "quote": CUOMO}]}),
    ("voices.0.official", {"voices": [{"official": "nobody", "citations": [{"source": HERALD, "quote": CUOMO}]}]}),
    # a NUL byte, which PostgreSQL refuses in any text: answered before the query
    ("program", {"program": "secure-communities\x00"}),
    ("official", {"official": "\x00"}),
    ("event", {"event": "\x00"}),
    ("citations.0.source", {"citations": [{"source": "\x00", "quote": CUOMO}]}),
    ("date_text", {"date_text": "June\x00"}),
    # malformed slugs and lengths
    ("slug", {"slug": "Not A Slug"}),
    ("slug", {"slug": "a" * 200}),
    ("slug", {"slug": "<script>"}),
    ("summary", {"summary": "x" * 501}),
    ("summary", {"summary": ""}),
    # unknown fields, at the top and inside a citation, a voice or a reason
    ("stanse", {"stanse": "refuses"}),
    ("date", {"date": "2011-06-06"}),  # the single date of the old model
    ("citations.0.page", {"citations": [{"source": HERALD, "quote": CUOMO, "page": 2}]}),
    (
        "voices.0.person",
        {"voices": [{"official": "andrew-cuomo", "person": "x", "citations": [{"source": HERALD, "quote": CUOMO}]}]},
    ),
    # wrong types
    ("citations", {"citations": {"source": HERALD, "quote": CUOMO}}),
    ("voices", {"voices": {"official": "andrew-cuomo"}}),
    ("summary", {"summary": {"text": "nested"}}),
    ("slug", {"slug": 42.5}),
]


@pytest.mark.parametrize(("field", "changes"), BAD_FIELDS, ids=[f"{f}={str(c)[:40]}" for f, c in BAD_FIELDS])
def test_a_bad_field_in_a_new_position_is_a_400_naming_it(token_api, unchanged, field, changes):
    assert_error(post_json(token_api, "positions/", new_position(**changes)), 400, field, code="invalid")


@pytest.mark.parametrize(
    ("path", "changes", "field"),
    [
        (
            "sources/ap-patrick-massachusetts-wont-participate/",
            {"published_earliest": "2011-02-29"},
            "published_earliest",
        ),
        ("sources/ap-patrick-massachusetts-wont-participate/", {"published_latest": "2011-06-07"}, "published_latest"),
        ("sources/ap-patrick-massachusetts-wont-participate/", {"kind": "tweet"}, "kind"),
        ("sources/ap-patrick-massachusetts-wont-participate/", {"derivation": "paraphrases"}, "derivation"),
        ("sources/ap-patrick-massachusetts-wont-participate/", {"original_url": "javascript:alert(1)"}, "original_url"),
        ("sources/ap-patrick-massachusetts-wont-participate/", {"comments_start": 10**30}, "comments_start"),
        ("sources/ap-patrick-massachusetts-wont-participate/", {"authors": "Jane Doe"}, "authors"),
        ("jurisdictions/boston/", {"kind": "county"}, "kind"),
        ("jurisdictions/boston/", {"parent": "atlantis"}, "parent"),
        ("jurisdictions/boston/", {"population": 600000}, "population"),
        ("officials/deval-patrick/", {"organization": "no-such-agency"}, "organization"),
        ("programs/secure-communities/", {"started_earliest": "2008-02-30"}, "started_earliest"),
        ("programs/secure-communities/", {"started_latest": "2008-10-30"}, "started_latest"),  # October has 31
        ("positions/new-york-withdraws-2011-06/", {"date_earliest": "2011-05-31"}, "date_latest"),  # not a Monday
        ("positions/new-york-withdraws-2011-06/", {"event": "illinois-leaves-secure-communities"}, "event"),
    ],
)
def test_a_bad_field_in_a_change_is_a_400_naming_it(token_api, unchanged, path, changes, field):
    assert_error(token_api.patch(API + path, changes, format="json"), 400, field, code="invalid")


def test_an_unknown_field_error_lists_the_accepted_fields(token_api, unchanged):
    body = assert_error(post_json(token_api, "jurisdictions/", {"slug": "texas", "populaton": 1}), 400, "populaton")

    assert "name, kind, parent, ocd_id" in body["errors"]["populaton"][0]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("programs/secure-communities/", "facts"),
        # (a source's `parts` are written with it, the whole list: api.documents)
        ("sources/ap-patrick-massachusetts-wont-participate/", "published_edtf"),
        ("positions/new-york-withdraws-2011-06/", "versions"),
        ("positions/new-york-withdraws-2011-06/", "citation_count"),
    ],
)
def test_a_read_only_field_in_a_change_is_ignored(token_api, path, field):
    before = token_api.get(API + path).json()[field]

    response = token_api.patch(API + path, {field: []}, format="json")

    assert response.status_code == 200, response.content[:500]
    assert response.json()[field] == before


def test_read_only_fields_sent_back_from_a_read_are_accepted(token_api):
    """A client may send back what it read (url, timeline_url): only unknown names are refused."""
    read = token_api.get(API + "jurisdictions/boston/").json()

    response = token_api.put(API + "jurisdictions/boston/", {**read, "parent": read["parent"]["slug"]}, format="json")

    assert response.status_code == 200, response.content[:500]


# ---------------------------------------------------------------- bodies: not JSON, or too much of it

MALFORMED_BODIES = [
    "{not json",
    '{"slug": "texas",}',
    "[1, 2",
    '{"slug": "texas"} trailing',
    "NaN",
    '{"slug": NaN}',
    "\ufeff{}",
    '"\ud800"',
]


@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_a_body_that_is_not_json_is_a_400_parse_error(token_api, unchanged, body):
    response = token_api.generic(
        "POST", API + "jurisdictions/", body.encode("utf-8", "surrogatepass"), content_type="application/json"
    )

    assert_error(response, 400, code="parse_error")


@pytest.mark.parametrize("body", [b"\xff\xfe\x00", b"\xc3\x28", "{}".encode("utf-16")])
def test_a_body_that_is_not_utf8_is_a_400_parse_error(token_api, unchanged, body):
    assert_error(
        token_api.generic("POST", API + "jurisdictions/", body, content_type="application/json"),
        400,
        code="parse_error",
    )


@pytest.mark.parametrize("body", [[], [{}], "texas", 42, None, True])
def test_a_json_body_that_is_not_an_object_is_a_400(token_api, unchanged, body):
    assert_error(post_json(token_api, "jurisdictions/", body), 400, code="invalid")


def test_a_body_nested_thousands_deep_is_a_400_not_a_crash(token_api, unchanged):
    body = "[" * 100_000 + "]" * 100_000

    body = assert_error(token_api.generic("POST", API + "jurisdictions/", body, content_type="application/json"), 400)

    assert "nested too deeply" in body["detail"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/javascript",
        "",
    ],
)
def test_a_body_that_is_not_declared_json_is_a_415(token_api, unchanged, content_type):
    response = token_api.generic("POST", API + "jurisdictions/", '{"slug": "texas"}', content_type=content_type)

    body = assert_error(response, 415, code="unsupported_media_type")
    assert "application/json" not in content_type
    assert "media type" in body["detail"]


def test_an_oversized_body_is_a_413_that_gives_the_limit(token_api, unchanged, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps(new_position(note="x" * 20_000))

    body = assert_error(token_api.generic("POST", API + "positions/", body, content_type="application/json"), 413)

    assert body["code"] == "too_large"
    assert "10000 bytes" in body["detail"]


def test_a_body_just_under_the_limit_is_read(token_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps(new_position(note="x" * 8_000))

    assert token_api.generic("POST", API + "positions/", body, content_type="application/json").status_code == 201


# ---------------------------------------------------------------- hostile and unusual search strings

SEARCHES = [
    "' OR '1'='1",
    "'; DROP TABLE kb_position; --",
    '" OR 1=1 --',
    "1); DELETE FROM kb_source WHERE (1=1",
    "UNION SELECT password FROM auth_user",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt; &amp;",
    "Patrick\x00",
    "\x00",
    "💥🇺🇸 Patrick",
    "מסצ'וסטס",  # right-to-left
    "\u202eevil\u202c",  # right-to-left override
    "ma\u0301ssachusetts",  # combining accent
    "%_%",
    "\\",
    ".*",
    "(?i)patrick|",
    "[[:alpha:]]",
    "a:* & b | !c",  # PostgreSQL tsquery syntax
    "Patrick " * 60,  # more words than are used
    " " * 400,
]


@pytest.mark.parametrize("resource", ["positions", "officials", "sources", "programs"])
@pytest.mark.parametrize("query", SEARCHES, ids=[repr(query)[:30] for query in SEARCHES])
def test_hostile_searches_answer_json_and_change_nothing(anonymous, unchanged, resource, query):
    response = anonymous.get(API + f"{resource}/", {"search": query})

    assert response.status_code in (200, 400), response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 400:
        assert_error(response, 400, "search")


def test_sql_in_a_search_is_searched_for_not_run(anonymous, knowledge_base):
    everything = anonymous.get(API + "positions/").json()["count"]

    assert anonymous.get(API + "positions/", {"search": "' OR '1'='1"}).json()["count"] < everything
    assert anonymous.get(API + "positions/", {"search": "x' OR 1=1 --"}).json()["count"] == 0


def test_a_search_too_long_to_use_is_a_400_that_gives_the_limit(anonymous, unchanged):
    body = assert_error(anonymous.get(API + "positions/", {"search": "Patrick " * 2000}), 400, "search")

    assert "500" in body["errors"]["search"][0]


def test_a_search_word_that_starts_a_real_word_still_finds_it_next_to_noise(anonymous, knowledge_base):
    """Unusual characters around a real word do not hide the record."""
    response = anonymous.get(API + "officials/", {"search": "💥 <b>Heffernan</b> \u202e"})

    assert [official["slug"] for official in response.json()["results"]] == ["mary-beth-heffernan"]


# ---------------------------------------------------------------- paging at the extremes


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": str(10**30)}, "limit"),
        ({"limit": "-" + "9" * 40}, "limit"),
        ({"offset": "-" + "9" * 40}, "offset"),
        ({"offset": str(2**63)}, "offset"),
        ({"offset": str(10**30)}, "offset"),
        ({"limit": "1e3"}, "limit"),
        ({"limit": "0x10"}, "limit"),
        ({"limit": "٣"}, "limit"),  # an Arabic-Indic digit, which int() would take
        ({"offset": " 1"}, "offset"),
    ],
)
def test_extreme_paging_is_a_400_naming_the_parameter(anonymous, unchanged, params, field):
    assert_error(anonymous.get(API + "positions/", params), 400, field)


def test_an_offset_past_the_end_is_an_empty_page(anonymous, knowledge_base):
    body = anonymous.get(API + "positions/", {"offset": str(2**62)}).json()

    assert body["results"] == [] and body["next"] is None and body["count"] > 0


# ---------------------------------------------------------------- what a client sees when we fail


def test_a_server_error_is_json_without_traceback_or_settings(anonymous, knowledge_base, settings):
    settings.DEBUG = False
    failure = RuntimeError(f"internal detail {settings.SECRET_KEY}")

    with mock.patch.object(PositionViewSet, "list", side_effect=failure):
        response = anonymous.get(API + "positions/")

    body = assert_error(response, 500, code="server_error")
    text = response.content.decode()
    for leak in ("Traceback", "internal detail", settings.SECRET_KEY, "RuntimeError", "api/views.py"):
        assert leak not in text
    assert body["errors"] == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "positions/"),
        ("get", "positions/boston-participates-2011/"),
        ("get", "jurisdictions/massachusetts/timeline/"),
        ("post", "jurisdictions/"),
        ("delete", "positions/boston-participates-2011/"),
    ],
)
def test_a_database_that_does_not_answer_is_a_503_with_retry_after(anonymous, knowledge_base, method, path):
    refused = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)  # its lookup needs the database too

    # Patched only for the request: the test database's teardown needs a working connection.
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=refused):
        response = getattr(client, method)(API + path, {}, format="json")

    body = assert_error(response, 503, code="database_unavailable")
    assert int(response["Retry-After"]) > 0
    assert "127.0.0.1" not in body["detail"]  # where the database is stays in the log


def test_an_unknown_host_is_a_400_in_json(anonymous):
    response = anonymous.get(API + "positions/", HTTP_HOST="evil.example.com")

    assert_error(response, 400, code="bad_request")


def test_a_value_the_database_refuses_is_a_400_not_a_500(anonymous, knowledge_base):
    """The last line of defence when validation misses one: PostgreSQL's DataError (a NUL byte,
    a number out of range) is the input's fault."""
    refused = DataError("integer out of range")

    with mock.patch.object(PositionViewSet, "list", side_effect=refused):
        response = anonymous.get(API + "positions/")

    body = assert_error(response, 400, code="invalid")
    assert "integer out of range" not in body["detail"]


def test_a_database_outage_met_outside_a_view_is_a_503_too(rf):
    """Django's handler500 answers for errors a middleware raises (a session saved on the way out)."""
    from api.exceptions import server_error

    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(rf.get("/admin/"))

    assert response.status_code == 503
    assert json.loads(response.content)["code"] == "database_unavailable"
    assert response["Retry-After"]
