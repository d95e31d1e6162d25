"""The production topology, for real (deploy/topology.py): nginx from Debian's package in front of
gunicorn on 127.0.0.1, a PostgreSQL primary with a streaming replica made by pg_basebackup -R,
and Redis. One topology for the module (about 15 s to start), every request on loopback.

- slow clients wait on nginx, not on gunicorn's workers: /healthz answers within a second while
  50 connections dribble their headers (and, without nginx, three such connections starve it);
- one rate for every worker (Redis), counted per client address, which only the proxy may tell:
  a client that reaches gunicorn directly cannot forge its address or claim https;
- reads go to the replica; a client that wrote reads from the primary for a while; a replica
  that lags past the bound or is down is skipped without an error;
- ETags from the knowledge-base version through nginx (gzip's weak form too), static files from
  nginx, and nginx's limits on headers and bodies;
- and last, scripts/loadtest.py, briefly: under load, the replica restarts, then the primary.

Run in the PostgreSQL leg of `make test` (skipped, with that reason, in its SQLite leg).
"""

import http.client
import itertools
import json
import socket
import threading
import time
from pathlib import Path

import psycopg
import pytest

from deploy.topology import PROXY_ADDRESS, Topology

pytestmark = pytest.mark.topology

ANON_RATE = 10  # per minute, for the throttling tests
MAX_LAG_SECONDS = 2
STICKY_SECONDS = 6
READER_ADDRESSES = itertools.count(1)


@pytest.fixture(scope="module")
def topology(topology_binaries):
    environment = {
        "DJANGO_THROTTLE_ANON": f"{ANON_RATE}/min",
        "DJANGO_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS),
        "DJANGO_REPLICA_STICKY_SECONDS": str(STICKY_SECONDS),
        "DJANGO_REPLICA_CHECK_SECONDS": "0.2",
    }
    with Topology(workers=3, app_environment=environment) as running:
        yield running


@pytest.fixture(scope="module")
def token(topology):
    code = (
        "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token; "
        "user = User.objects.create_superuser('topology', password=None); "
        "print(Token.objects.create(user=user).key)"
    )
    key = topology.manage("shell", "-c", code).strip().splitlines()[-1]
    # A GET authenticates on the replica, which has the new token only once it has replayed it.
    deadline = time.monotonic() + 10
    while not replica_sql(topology, f"SELECT 1 FROM authtoken_token WHERE key = '{key}'"):
        assert time.monotonic() < deadline, "the replica never received the new token"
        time.sleep(0.1)
    return key


def request(url, path, method="GET", headers=None, body=None, source=None, timeout=10):
    """(status, headers, body) of one request to http://host:port `url`, from `source` if given."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Host": f"{host}:{port}", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def replica_sql(topology, statement):
    with psycopg.connect(topology.replica.url.replace("postgres://", "postgresql://"), autocommit=True) as connection:
        return connection.execute(statement).fetchall()


# ---------------------------------------------------------------- slow clients


class SlowClients:
    """`count` connections that each send a request line, then one more header line every
    `interval` seconds and never finish their headers; a connection the server closes is opened anew."""

    def __init__(self, url, count, interval):
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.count = count
        self.interval = interval
        self.stop = threading.Event()
        self.opened = 0
        self.lines_sent = 0
        self.closed_by_server = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self):
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {self.host}\r\n".encode())
        self.opened += 1
        return sock

    def _run(self):
        sockets = [self._open() for _ in range(self.count)]
        try:
            line = 0
            while not self.stop.wait(self.interval):
                line += 1
                for index, sock in enumerate(sockets):
                    try:
                        sock.sendall(f"X-Slow-{line}: still typing\r\n".encode())
                        self.lines_sent += 1
                    except OSError:
                        self.closed_by_server += 1
                        sock.close()
                        sockets[index] = self._open()
        finally:
            for sock in sockets:
                sock.close()

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while self.opened < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.thread.join(timeout=15)


def probe_healthz(url, seconds, every=0.5, timeout=1.0):
    """[(seconds taken or None when it timed out or failed, status)] for probes over `seconds`."""
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            status, _, _ = request(url, "/healthz", timeout=timeout)
            results.append((time.monotonic() - start, status))
        except OSError:
            results.append((None, None))
        time.sleep(max(0.0, every - (time.monotonic() - start)))
    return results


def test_without_the_proxy_three_slow_clients_starve_gunicorn(topology):
    # The finding, reproduced against gunicorn itself: three sync workers, three slow clients.
    with SlowClients(topology.app_url, count=3, interval=1):
        probes = probe_healthz(topology.app_url, seconds=3)

    assert all(taken is None for taken, _ in probes), probes


def test_with_50_slow_clients_healthz_answers_through_nginx_within_a_second(topology):
    with SlowClients(topology.url, count=50, interval=3) as slow:
        probes = probe_healthz(topology.url, seconds=14)

    assert len(probes) >= 20
    assert [probe for probe in probes if probe[0] is None or probe[0] >= 1 or probe[1] != 200] == []
    assert slow.lines_sent >= 50 * 3  # they were there, typing, throughout
    # nginx's client_header_timeout (10 s) cut the ones that never finished.
    assert slow.closed_by_server >= 1


# ---------------------------------------------------------------- one rate, per client address


def test_one_rate_holds_across_the_workers_and_each_address_has_its_own(topology):
    statuses = [request(topology.url, "/api/v1/", source="127.0.0.5")[0] for _ in range(ANON_RATE + 2)]
    other = request(topology.url, "/api/v1/", source="127.0.0.6")[0]

    # Three gunicorn workers counting in their own memory would have let through up to three times as many.
    assert statuses == [200] * ANON_RATE + [429, 429]
    assert other == 200  # nginx told the app the real client's address


def test_a_client_that_reaches_gunicorn_directly_cannot_dodge_its_rate_by_forging_its_address(topology):
    statuses = [
        request(topology.app_url, "/api/v1/", headers={"X-Forwarded-For": f"198.51.100.{number}"}, source="127.0.0.7")[
            0
        ]
        for number in range(ANON_RATE + 2)
    ]

    assert statuses == [200] * ANON_RATE + [429, 429]


def test_a_client_cannot_dodge_its_rate_through_nginx_either(topology):
    # nginx appends the address it saw; the app takes the right-most address that is not a proxy.
    statuses = [
        request(topology.url, "/api/v1/", headers={"X-Forwarded-For": f"198.51.100.{number}"}, source="127.0.0.8")[0]
        for number in range(ANON_RATE + 2)
    ]

    assert statuses == [200] * ANON_RATE + [429, 429]


def test_only_the_proxy_may_say_a_request_came_over_https(topology, token):
    auth = {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}
    direct = json.loads(request(topology.app_url, "/api/v1/", headers=auth, source="127.0.0.9")[2])
    through_nginx = json.loads(request(topology.url, "/api/v1/", headers=auth)[2])
    from_the_proxy_address = json.loads(request(topology.app_url, "/api/v1/", headers=auth, source=PROXY_ADDRESS)[2])

    assert direct["positions"].startswith("http://")
    assert through_nginx["positions"].startswith("http://")  # nginx says what it saw: plain http
    assert from_the_proxy_address["positions"].startswith("https://")  # the proxy is believed


# ---------------------------------------------------------------- read replicas


def wait_until_the_replica_has(topology, slug, name, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = replica_sql(topology, f"SELECT name FROM kb_jurisdiction WHERE slug = '{slug}'")
        if rows and rows[0][0] == name:
            return
        time.sleep(0.1)
    raise AssertionError(f"the replica never replayed {slug}'s name {name!r}")


def rename_boston(topology, token, name):
    status, headers, _ = request(
        topology.url,
        "/api/v1/jurisdictions/boston/",
        method="PATCH",
        headers={"Authorization": f"Token {token}"},
        body={"name": name},
    )
    assert status == 200
    return headers["Set-Cookie"].split(";")[0]  # the signed cookie: read from the primary for a while


def name_of_boston(topology, cookie=None):
    # Anonymous reads, each from an address of its own (the module's rate is ten a minute per address).
    source = f"127.0.1.{next(READER_ADDRESSES)}"
    headers = {"Cookie": cookie} if cookie else {}
    status, _, body = request(topology.url, "/api/v1/jurisdictions/boston/", headers=headers, source=source)
    assert status == 200, body
    return json.loads(body)["name"]


def test_reads_come_from_the_replica_and_a_writer_reads_its_own_writes(topology, token):
    rename_boston(topology, token, "Boston (before)")
    wait_until_the_replica_has(topology, "boston", "Boston (before)")
    replica_sql(topology, "SELECT pg_wal_replay_pause()")
    try:
        cookie = rename_boston(topology, token, "Boston (after)")

        stale = name_of_boston(topology)  # at once: the replica is behind by less than the bound
        own = name_of_boston(topology, cookie)
    finally:
        replica_sql(topology, "SELECT pg_wal_replay_resume()")

    assert stale == "Boston (before)"  # served by the replica, which has not replayed the write
    assert own == "Boston (after)"  # the writer's cookie sends it to the primary


def test_a_replica_that_lags_past_the_bound_is_skipped(topology, token):
    rename_boston(topology, token, "Boston (lag 1)")
    wait_until_the_replica_has(topology, "boston", "Boston (lag 1)")
    replica_sql(topology, "SELECT pg_wal_replay_pause()")
    try:
        rename_boston(topology, token, "Boston (lag 2)")
        time.sleep(MAX_LAG_SECONDS + 1)

        name = name_of_boston(topology)
    finally:
        replica_sql(topology, "SELECT pg_wal_replay_resume()")

    assert name == "Boston (lag 2)"  # from the primary: the replica is too far behind


def test_a_replica_that_is_down_is_skipped_without_an_error(topology):
    topology.replica.stop("fast")
    try:
        answers = [request(topology.url, "/api/v1/positions/?limit=1", source=f"127.0.3.{n}")[0] for n in range(1, 9)]
    finally:
        topology.replica.start()

    assert answers == [200] * 8


# ---------------------------------------------------------------- caching through nginx


def test_the_version_etag_revalidates_through_nginx_in_its_gzip_form(topology, token):
    source = "127.0.4.1"
    gzip = {"Accept-Encoding": "gzip"}
    status, headers, _ = request(topology.url, "/api/v1/positions/?limit=2", headers=gzip, source=source)
    etag = headers["ETag"]

    revalidated = request(
        topology.url, "/api/v1/positions/?limit=2", headers={**gzip, "If-None-Match": etag}, source=source
    )
    rename_boston(topology, token, "Boston (cache)")
    wait_until_the_replica_has(topology, "boston", "Boston (cache)")
    after_a_write = request(
        topology.url, "/api/v1/positions/?limit=2", headers={**gzip, "If-None-Match": etag}, source=source
    )

    assert status == 200 and etag.startswith('W/"kb')
    assert "public" in headers["Cache-Control"] and "stale-while-revalidate" in headers["Cache-Control"]
    assert revalidated[0] == 304 and revalidated[2] == b""
    assert after_a_write[0] == 200 and after_a_write[1]["ETag"] != etag


# ---------------------------------------------------------------- what nginx does itself


def test_nginx_serves_the_collected_static_files_itself(topology):
    manifest = json.loads((topology.directory / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]

    status, headers, body = request(topology.url, f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})

    assert status == 200 and body
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"  # nginx's, not whitenoise's
    assert headers.get("Content-Encoding") == "gzip"  # the .gz collectstatic wrote


def test_nginx_refuses_oversized_headers_and_bodies_before_gunicorn(topology):
    big_header = request(topology.url, "/healthz", headers={"X-Big": "a" * 9000})
    big_body = request(topology.url, "/api/v1/positions/", method="POST", body={"summary": "a" * 3_200_000})

    assert big_header[0] == 400
    assert big_body[0] == 413


# ---------------------------------------------------------------- load and fault (last: it restarts servers)


def test_under_load_a_replica_restart_costs_nothing_and_a_primary_restart_only_writes_for_a_while(topology):
    """scripts/loadtest.py, briefly, on this module's topology (its full run: docs/reliability.md).
    Each request comes from an address of its own, so the module's ten-a-minute rate holds none back."""
    loadtest = load_the_load_test()

    figures = loadtest.run(topology, clients=4, seconds=16, outage=2, spread=True)

    replica, primary = figures["faults"]["replica"], figures["faults"]["primary"]
    assert loadtest.verdict(figures) == [], figures
    assert figures["server_errors_other_than_503"] == 0
    assert figures["failed_without_answer"] == 0
    assert replica["errors"] == 0 and replica["reads_answered_while_down"] > 0
    assert replica["seconds_to_recover"] < 10
    assert primary["reads_failed_while_down"] == 0 and primary["reads_answered_while_down"] > 0
    assert primary["writes_failed_while_down"] + primary["answers_503"] > 0
    assert primary["latency_worst_ms"] < 3000  # within the connect timeout: no hanging
    assert primary["seconds_to_recover"] < 5
    assert figures["errors_after_recovery"] == 0
    assert figures["statuses"].get("429", 0) == 0


def load_the_load_test():
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "scripts" / "loadtest.py"
    spec = importlib.util.spec_from_file_location("loadtest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
