"""Hardening: sign-in attempts limited (django-axes), proxy headers believed only from the proxy,
forged cursors refused, the browsable API as cheap as the JSON, a Content-Security-Policy on every
HTML page, and the read-replica router's choices.

The same against real servers (nginx, gunicorn, a streaming replica): test_production_topology.py.
"""

import base64
import ipaddress
import json
import logging
import time
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from api import pagination
from config import replicas
from config.proxies import forwarded_client
from tests.api_helpers import API
from tests.test_permissions import settings_under

PASSWORD = "a-long-enough-password"


# ---------------------------------------------------------------- sign-in attempts (django-axes)


@pytest.fixture
def curator(django_user_model):
    return django_user_model.objects.create_user("curator", password=PASSWORD, is_staff=True)


def sign_in(client, username, password, address="192.0.2.10"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address)


def assert_locked_out(response, client, settings):
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert f"for {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in page
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.seconds
    assert SESSION_KEY not in client.session  # not signed in


def test_after_five_wrong_passwords_even_the_right_one_is_refused_with_a_clear_message(db, client, curator, settings):
    statuses = [sign_in(client, "curator", "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]

    # The form again with its error, then the lockout page from the failure that reaches the limit.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert_locked_out(sign_in(client, "curator", PASSWORD), client, settings)


def test_one_address_trying_many_usernames_is_locked_out(db, client, curator, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"someone-{number}", "wrong", address="192.0.2.20")

    assert_locked_out(sign_in(client, "curator", PASSWORD, address="192.0.2.20"), client, settings)


def test_one_username_tried_from_many_addresses_is_locked_out(db, client, curator, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "curator", "wrong", address=f"192.0.2.{30 + number}")

    assert_locked_out(sign_in(client, "curator", PASSWORD, address="192.0.2.99"), client, settings)


def test_below_the_limit_the_right_password_signs_in(db, client, curator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "curator", "wrong")

    response = sign_in(client, "curator", PASSWORD)

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(curator.pk)


def test_a_forged_x_forwarded_for_does_not_reset_the_address_count(db, client, curator, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/admin/login/",
            {"username": f"someone-{number}", "password": "wrong"},
            REMOTE_ADDR="192.0.2.40",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )

    assert sign_in(client, "curator", PASSWORD, address="192.0.2.40").status_code == 429


# ---------------------------------------------------------------- proxy headers


@pytest.fixture
def behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.2/32")]
    return "10.0.0.2"


def test_a_direct_client_forging_x_forwarded_for_cannot_dodge_a_10_per_minute_rate(
    knowledge_base, api, throttle_rates, behind_a_proxy
):
    throttle_rates(anon="10/min")
    statuses = [
        api.get(API, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, {behind_a_proxy}").status_code
        for n in range(12)
    ]

    assert statuses == [200] * 10 + [429, 429]


def test_through_the_proxy_each_client_address_has_its_own_rate(knowledge_base, api, throttle_rates, behind_a_proxy):
    throttle_rates(anon="2/min")
    first = [api.get(API, REMOTE_ADDR=behind_a_proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code for _ in "abc"]
    # The client put its own address in front: the proxy appended the one it saw, which counts.
    forged = api.get(API, REMOTE_ADDR=behind_a_proxy, HTTP_X_FORWARDED_FOR="198.51.100.77, 198.51.100.1")
    other = api.get(API, REMOTE_ADDR=behind_a_proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert first == [200, 200, 429]
    assert forged.status_code == 429
    assert other.status_code == 200


def test_a_direct_client_cannot_claim_https(knowledge_base, api, behind_a_proxy):
    direct = api.get(API, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https").json()
    proxied = api.get(API, REMOTE_ADDR=behind_a_proxy, HTTP_X_FORWARDED_PROTO="https").json()

    assert direct["positions"].startswith("http://")
    assert proxied["positions"].startswith("https://")


def test_without_trusted_proxies_the_headers_are_ignored(knowledge_base, api, throttle_rates, settings):
    settings.TRUSTED_PROXIES = []
    throttle_rates(anon="1/min")
    api.get(API, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert api.get(API, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429
    claimed = api.get(API, REMOTE_ADDR="127.0.0.3", HTTP_X_FORWARDED_PROTO="https")
    assert claimed.json()["positions"].startswith("http://")


@pytest.mark.parametrize(
    ("chain", "client"),
    [
        ("198.51.100.1", "198.51.100.1"),
        ("6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the left part is the client's own say
        ("198.51.100.1, 10.0.0.2", "198.51.100.1"),  # a second trusted proxy is skipped
        ("10.0.0.2", "10.0.0.2"),  # only proxies: the left-most
        ("not-an-address, 198.51.100.1", "198.51.100.1"),
        ("198.51.100.1, garbage", None),  # garbled past the proxy: the connecting address stays
        ("", None),
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_a_proxy(behind_a_proxy, chain, client):
    assert forwarded_client(chain) == client


def test_trusted_proxies_must_be_addresses_or_networks():
    completed = settings_under({"DJANGO_TRUSTED_PROXIES": "10.0.0.0/8, nginx"}, "settings.DEBUG")

    assert completed.returncode != 0
    assert "DJANGO_TRUSTED_PROXIES must be comma-separated addresses or networks" in completed.stderr


# ---------------------------------------------------------------- forged cursors


def encoded(document):
    raw = document if isinstance(document, str) else json.dumps(document)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


FORGED_CURSORS = [
    {"o": ["date", "slug"], "k": [None, None], "b": False},
    '{"o":["date","slug"],"k":["2011-06-06",Infinity],"b":false}',
    '{"o":["date","slug"],"k":[1e400,"x"],"b":false}',
    '{"o":["date","slug"],"k":[NaN,"x"],"b":false}',
    {"o": ["date", "slug"], "k": ["2011-06-06", 2**70], "b": False},
    {"o": ["date", "slug"], "k": [2011, "x"], "b": False},
    {"o": ["date", "slug"], "k": ["2011-06-06", ["x"]], "b": False},
    {"o": ["date", "slug"], "k": ["2011-06-06", {"x": 1}], "b": False},
    {"o": ["date", "slug"], "k": ["2011-06-06", True], "b": False},
    {"o": ["date", "slug"], "k": ["2011-06-06", "x\x00y"], "b": False},
    {"o": ["date", "slug"], "k": ["2011-13-45", "x"], "b": False},
    {"o": ["date", "slug"], "k": "2011-06-06", "b": False},
    {"o": ["date", "slug"], "k": ["2011-06-06", "x"], "b": "yes"},
    {"o": ["date", "slug"], "k": ["2011-06-06", "x"]},
    {"o": "date", "k": ["2011-06-06"], "b": False},
    ["date", "slug"],
    "null",
    "[" * 500 + "]" * 500,
    "\xff\xfe not json",
]


@pytest.mark.parametrize("document", FORGED_CURSORS, ids=range(len(FORGED_CURSORS)))
def test_a_forged_cursor_is_a_400_naming_it_with_no_traceback_logged(knowledge_base, api, caplog, document):
    with caplog.at_level(logging.WARNING):
        response = api.get(API + "positions/", {"cursor": encoded(document), "limit": 2})

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["cursor"]
    assert [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR] == []


def test_a_cursor_the_api_wrote_still_works(knowledge_base, api, monkeypatch):
    monkeypatch.setattr(pagination, "CURSOR_FROM_OFFSET", 0)
    first = api.get(API + "positions/", {"limit": 2}).json()

    second = api.get(first["next"])

    assert second.status_code == 200
    assert second.json()["results"][0]["slug"] not in {row["slug"] for row in first["results"]}


# ---------------------------------------------------------------- the browsable API


def cost(client, path, accept):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    return len(queries), response.content


@pytest.mark.parametrize("path", [f"{API}positions/?limit=1", f"{API}officials/?limit=1", f"{API}sources/?limit=1"])
def test_an_anonymous_html_page_costs_what_the_json_costs(knowledge_base, client, path):
    json_queries, json_body = cost(client, path, "application/json")
    html_queries, html_body = cost(client, path, "text/html")

    assert html_queries == json_queries
    assert b"<option" not in html_body  # no filter form listing every record
    assert len(html_body) < 4 * len(json_body) + 25_000  # the page around the indented JSON


# ---------------------------------------------------------------- Content-Security-Policy


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/admin/login/", "text/html"),
        (API, "text/html"),
        (f"{API}positions/", "text/html"),
        ("/api/docs/", "text/html"),
        ("/api/redoc/", "text/html"),
    ],
)
def test_every_html_page_carries_a_policy_that_keeps_to_the_site(knowledge_base, client, path, accept):
    response = client.get(path, HTTP_ACCEPT=accept)

    assert response["Content-Type"].startswith("text/html")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # scripts fall back to 'self': no inline ones


def test_json_answers_carry_no_page_policy(knowledge_base, client):
    assert "Content-Security-Policy" not in client.get(API)


# ---------------------------------------------------------------- the read-replica router


def test_without_replicas_everything_reads_from_the_primary(rf):
    assert replicas.replica_aliases() == []
    assert replicas.choose_read_alias(rf.get("/api/v1/positions/")) == "default"


@pytest.fixture
def one_healthy_replica(monkeypatch):
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])
    monkeypatch.setattr(replicas.health, "usable", lambda alias: True)


def test_reads_go_to_a_healthy_replica_and_writes_to_the_primary(one_healthy_replica, rf):
    assert replicas.choose_read_alias(rf.get("/api/v1/positions/")) == "replica1"
    assert replicas.choose_read_alias(rf.post("/api/v1/positions/")) == "default"
    router = replicas.ReadReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica1", "kb") is False and router.allow_migrate("default", "kb") is True


def test_a_client_that_wrote_reads_from_the_primary_until_its_cookie_expires(one_healthy_replica, settings):
    settings.REPLICA_STICKY_SECONDS = 10

    def wrote(request):
        return HttpResponse(status=201)

    response = replicas.ReadReplicaMiddleware(wrote)(RequestFactory().post("/api/v1/jurisdictions/"))
    cookie = response.cookies[replicas.STICKY_COOKIE]
    assert cookie["httponly"] and cookie["max-age"] == 11

    reader = RequestFactory()
    reader.cookies[replicas.STICKY_COOKIE] = cookie.value
    assert replicas.choose_read_alias(reader.get("/api/v1/jurisdictions/")) == "default"
    with mock.patch("time.time", return_value=time.time() + 11):
        assert replicas.choose_read_alias(reader.get("/api/v1/jurisdictions/")) == "replica1"


def test_a_forged_sticky_cookie_is_ignored(one_healthy_replica):
    reader = RequestFactory()
    reader.cookies[replicas.STICKY_COOKIE] = str(time.time() + 3600)

    assert replicas.choose_read_alias(reader.get("/api/v1/jurisdictions/")) == "replica1"


def test_a_replica_that_does_not_answer_is_skipped_and_asked_again_later(settings, monkeypatch):
    settings.REPLICA_CHECK_SECONDS = 60
    health = replicas.ReplicaHealth()
    calls = []
    monkeypatch.setattr(replicas.ReplicaHealth, "_check", staticmethod(lambda alias: calls.append(alias) or False))

    assert health.usable("replica1") is False
    assert health.usable("replica1") is False
    assert calls == ["replica1"]  # once per interval, not once per request


def test_replicas_mirror_the_test_database_and_need_postgresql():
    completed = settings_under(
        {"DATABASE_REPLICA_URLS": "postgres://kb@replica-1:5432/kb, postgres://kb@replica-2:5432/kb"},
        '{alias: settings.DATABASES[alias]["TEST"] for alias in settings.DATABASES if alias != "default"}',
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1]) == {
        "replica1": {"MIRROR": "default"},
        "replica2": {"MIRROR": "default"},
    }

    refused = settings_under({"DATABASE_REPLICA_URLS": "sqlite:///replica.db"}, "settings.DEBUG")
    assert refused.returncode != 0 and "DATABASE_REPLICA_URLS must be comma-separated PostgreSQL URLs" in refused.stderr


def test_the_sticky_window_may_not_be_shorter_than_the_lag_bound():
    completed = settings_under(
        {"DJANGO_REPLICA_MAX_LAG_SECONDS": "30", "DJANGO_REPLICA_STICKY_SECONDS": "5"}, "settings.DEBUG"
    )

    assert completed.returncode != 0
    assert "DJANGO_REPLICA_STICKY_SECONDS must be at least DJANGO_REPLICA_MAX_LAG_SECONDS" in completed.stderr


# ---------------------------------------------------------------- the shared cache down


def test_a_redis_that_does_not_answer_is_a_503_not_a_500(knowledge_base, api, throttle_rates):
    import socket

    from django.test import override_settings

    with socket.socket() as probe:  # a port nothing listens on once the socket is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    throttle_rates(anon="100/min")
    etag = api.get(API + "positions/")["ETag"]

    with override_settings(CACHES=down):
        page = api.get(API + "positions/")
        revalidation = api.get(API + "positions/", HTTP_IF_NONE_MATCH=etag)

    for response in (page, revalidation):
        assert response.status_code == 503
        assert response.json()["code"] == "cache_unavailable"
        assert response["Retry-After"]
