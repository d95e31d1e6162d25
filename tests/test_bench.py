"""The benchmark's own machinery (bench/): what it counts as not available, as cold, as cached,
how it bounds its loops, what the report marks met or missed, and the topology's contract.

The measuring runs against a small HTTP server in the test, on 127.0.0.1, whose answers are
fixed: each behaviour below is one path of it.
"""

import http.server
import importlib
import json
import sys
import threading
import time

import pytest
from django.db import connection
from django.http import HttpResponse

from bench import measure, report, servers
from bench.middleware import QueryCountMiddleware


class FixedAnswers(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept connections, as gunicorn's gthread and Datasette keep them

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        path = self.path.split("?")[0]
        status, headers, body = 200, {"X-Queries": "2", "X-Bench-Response": f"{time.perf_counter_ns()}"}, b"{}"
        if path == "/page":
            body = json.dumps({"count": 2, "results": [{"slug": "a", "date": "2011-06-03"}, {"slug": "b"}]}).encode()
        elif path == "/same-answer-again":
            headers["X-Bench-Response"] = "stored"
        elif path == "/no-queries":
            headers["X-Queries"] = "0"
        elif path == "/unknown-parameter":
            status, body = (
                400,
                b'{"detail": "Invalid input: facet.", "errors": {"facet": ["Unknown query parameter."]}}',
            )
        elif path == "/unknown-path":
            status, body = 404, b'{"detail": "Not found."}'
        elif path == "/broken":
            status, body = 500, b'{"detail": "A server error occurred."}'
        elif path == "/slow":
            time.sleep(1.5)
        elif path == "/etag":
            headers["ETag"] = '"v1"'
            if self.headers.get("If-None-Match") == '"v1"':
                status, body = 304, b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def fixed():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FixedAnswers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def client():
    client = measure.Client(timeout=0.5)
    yield client
    client.close()


def sample_one(client, target, rounds=5, seconds=10):
    return measure.sample(client, {"it": target}, rounds, seconds)["it"]


# ---------------------------------------------------------------- what is not available, or wrong


@pytest.mark.parametrize(
    ("path", "said"), [("/unknown-parameter", "400: Invalid input: facet."), ("/unknown-path", "404")]
)
def test_an_operation_the_api_does_not_answer_yet_is_not_available_not_a_failure(fixed, client, path, said):
    figure = sample_one(client, measure.Target(fixed + path))
    assert figure["status"] == "not available" and figure["detail"].startswith(said)
    assert "median_ms" not in figure  # nothing measured for it


def test_a_server_error_is_an_error(fixed, client):
    figure = sample_one(client, measure.Target(fixed + "/broken"))
    assert figure["status"] == "error" and figure["detail"].startswith("500")


def test_a_request_past_the_timeout_is_reported_and_not_waited_for(fixed, client):
    started = time.monotonic()
    figure = sample_one(client, measure.Target(fixed + "/slow"))
    assert figure["status"] == "timeout"
    assert time.monotonic() - started < 1.4


# ---------------------------------------------------------------- bounds and interleaving


def test_a_loop_stops_at_its_number_of_rounds(fixed, client):
    figure = sample_one(client, measure.Target(fixed + "/page"), rounds=7)
    assert figure["status"] == "ok" and figure["n"] == 7
    assert figure["rows"] == 2 and figure["queries"] == 2
    assert figure["min_ms"] <= figure["median_ms"] <= figure["p99_ms"]


def test_a_loop_stops_at_its_time_after_three_rounds(fixed, client):
    figure = sample_one(client, measure.Target(fixed + "/page"), rounds=10_000, seconds=0)
    assert figure["n"] == measure.MIN_ROUNDS


def test_targets_take_turns_each_round(fixed, client, monkeypatch):
    order = []
    get = client.get
    monkeypatch.setattr(
        client, "get", lambda url, headers=None: order.append(url.rsplit("/", 1)[1]) or get(url, headers)
    )
    targets = {name: measure.Target(f"{fixed}/{name}") for name in ("page", "etag", "no-queries")}
    measure.sample(client, targets, rounds=3, seconds=10, warmup=1)
    timed = order[3:]  # after each target's first answer
    assert timed == ["page", "etag", "no-queries", "etag", "no-queries", "page", "no-queries", "page", "etag"]


# ---------------------------------------------------------------- cold is never cached


def test_a_computed_answer_is_a_cold_one(fixed, client):
    figure = sample_one(client, measure.Target(fixed + "/page", cold=True))
    assert figure["cold_checked"] and figure["cached_answers"] == 0


@pytest.mark.parametrize("path", ["/same-answer-again", "/no-queries"])
def test_an_answer_from_a_cache_is_flagged_in_a_cold_figure(fixed, client, path):
    figure = sample_one(client, measure.Target(fixed + path, cold=True))
    assert figure["cached_answers"] > 0
    assert report.figure_cell(figure).endswith("(cached!)")


def test_a_revalidation_must_get_304(fixed, client):
    revalidated = sample_one(client, measure.Target(fixed + "/etag", {"If-None-Match": '"v1"'}, expect=304))
    assert revalidated["status"] == "ok" and revalidated["n"] == 5
    stale = sample_one(client, measure.Target(fixed + "/etag", {"If-None-Match": '"v0"'}, expect=304))
    assert stale["status"] == "not available" and "no revalidation" in stale["detail"]


def test_the_middleware_counts_every_query_and_marks_every_answer(db):
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT 2")
        return HttpResponse("ok")

    middleware = QueryCountMiddleware(view)
    first, second = middleware(None), middleware(None)
    assert first["X-Queries"] == second["X-Queries"] == "2"
    assert first["X-Bench-Response"] != second["X-Bench-Response"]


def test_the_cold_settings_cache_nothing(monkeypatch):
    monkeypatch.setenv("KB_BENCH_FLOOR", "true")
    monkeypatch.delitem(sys.modules, "bench.settings_cold", raising=False)
    cold = importlib.import_module("bench.settings_cold")
    assert cold.CACHES and all(cache["BACKEND"].endswith("DummyCache") for cache in cold.CACHES.values())
    assert not [name for name in cold.MIDDLEWARE if name.startswith("django.middleware.cache.")]
    assert "bench.middleware.QueryCountMiddleware" in cold.MIDDLEWARE


# ---------------------------------------------------------------- do the peers answer alike?


def answer(document):
    return measure.Answer(200, 0, body=json.dumps(document).encode())


def test_a_floor_with_other_results_or_count_differs():
    api = answer({"count": 2, "results": [{"slug": "a"}, {"slug": "b"}]})
    assert (
        measure.same_as_api(api, answer({"count": 2, "results": [{"slug": "a"}, {"slug": "b"}]}), "floor", "date")
        is None
    )
    assert measure.same_as_api(api, answer({"count": 3, "results": [{"slug": "a"}, {"slug": "b"}]}), "floor", "date")
    assert measure.same_as_api(api, answer({"count": 2, "results": [{"slug": "a"}]}), "floor", "date")


def test_datasette_answers_alike_when_its_rows_have_the_same_sort_keys_in_order():
    api = answer({"count": 3, "results": [{"slug": "b", "date": "2011-01-01"}, {"slug": "a", "date": "2011-01-01"}]})
    ties_in_another_order = answer({"rows": [{"slug": "a", "date": "2011-01-01"}, {"slug": "b", "date": "2011-01-01"}]})
    assert measure.same_as_api(api, ties_in_another_order, "datasette", "date") is None
    other_rows = answer({"rows": [{"slug": "a", "date": "2011-01-01"}, {"slug": "c", "date": "2012-01-01"}]})
    assert measure.same_as_api(api, other_rows, "datasette", "date") == "other rows"
    assert measure.same_as_api(api, answer({"rows": [{"date": "2011-01-01"}]}), "datasette", "date")


# ---------------------------------------------------------------- the report


def figure(median, **more):
    return {"status": "ok", "median_ms": median, "n": 100, "queries": 3, "rows": 100, **more}


def results(**cold_at_large):
    small = {"api": figure(10), "floor": figure(8), "datasette": figure(12)}
    large = {"api": figure(30), "floor": figure(9), "datasette": figure(20), **cold_at_large}
    return {
        "command": ".venv/bin/python bench/run.py",
        "commit": "abc1234",
        "date": "2026-12-01",
        "seconds": 600,
        "quick": False,
        "machine": {"cores": 2, "cpu": "a CPU", "memory_gb": 23, "system": "Linux"},
        "versions": {"Python": "3.11"},
        "settings": {"sizes": [2000, 200000], "rounds": 100, "seconds": 60, "concurrency": 16, "duration": 5},
        "databases": [
            {
                "database": "SQLite",
                "sizes": [2000, 200000],
                "loadavg": [1.5, 3.2],
                "generated_seconds": {"2000": 1, "200000": 30},
                "operations": {
                    "stance": {
                        "group": "filter",
                        "what": "stance=refuses",
                        "paths": {"200000": "/api/v1/positions/?stance=refuses&limit=100"},
                        "cold": {"2000": small, "200000": large},
                        "warm": {
                            "2000": {
                                "revalidate": figure(2),
                                "cached": {"status": "not available", "detail": "no cache answered"},
                            },
                            "200000": {
                                "revalidate": figure(3),
                                "cached": {"status": "not available", "detail": "no cache answered"},
                            },
                        },
                    },
                    "facets": {
                        "group": "data out",
                        "what": "counts by stance and program",
                        "needs": "issue 14",
                        "cold": {
                            size: {"api": {"status": "not available", "detail": "400: Invalid input: facet."}}
                            for size in ("2000", "200000")
                        },
                        "warm": {},
                    },
                },
            }
        ],
        "load": {
            "where": "local gunicorn",
            "database": "PostgreSQL",
            "size": 200000,
            "concurrency": 16,
            "duration": 5,
            "operations": {
                "detail_position": {
                    "cold": {"status": "ok", "rps": 300, "p50_ms": 40, "p99_ms": 75},
                    "revalidate": {"status": "ok", "rps": 900, "p50_ms": 10, "p99_ms": 20},
                    "cached": {"status": "not available", "detail": "no cache answered"},
                }
            },
        },
        "workers": None,
    }


def test_the_report_marks_each_target_met_or_missed_by_how_much():
    document = report.write(results())
    assert "`stance` 3.00× (by 1.50)" in document  # growth 30 / 10 against 1.5
    assert "`stance` on SQLite at 200k: 0.30 (by 0.40)" in document  # floor 9 / API 30 against 0.7
    assert "`stance` on SQLite at 200k: 0.67 (by 0.33)" in document  # Datasette 20 / API 30 against 1.0
    assert "**missed**: 75.0 ms (by 25 ms); local gunicorn" in document  # one position, cold p99 under load
    assert "met on the one operation measured; local gunicorn" in document  # the 304's p99
    assert "| `stance` | 10.0 | 30.0 | **3.00×** |" in document
    assert "load average (1 minute) 1.5 to 3.2" in document.lower()
    assert (
        "`facets` (counts by stance and program), on SQLite: 400: Invalid input: facet. Waits for issue 14." in document
    )
    assert "every cold answer was computed" in document


def test_the_report_never_passes_a_cached_answer_off_as_cold():
    document = report.write(results(api=figure(30, cached_answers=4)))
    assert "flagged: `stance` (SQLite, 200k)" in document
    assert "30.0 (cached!)" in document


def test_a_peer_that_answers_otherwise_is_not_compared():
    document = report.write(results(datasette={"status": "differs", "detail": "other rows", "median_ms": 1}))
    assert "`stance` datasette at 200k: other rows" in document
    assert "`stance` on SQLite at 200k: 0.67" not in document


# ---------------------------------------------------------------- the production topology's contract


def test_the_topology_command_serves_on_the_port_it_is_given_and_stops_with_its_group(tmp_path):
    (tmp_path / "healthz").write_text("ok")
    command = f"{sys.executable} -m http.server {{port}} --bind 127.0.0.1 --directory {tmp_path}"
    stack = servers.topology(command, "postgres://nowhere/kb")
    try:
        assert stack.base.endswith(f":{stack.port}")
        assert measure.Client(5).get(stack.base + "/healthz").status == 200
    finally:
        stack.stop()
    assert stack.process.poll() is not None


def test_a_topology_script_not_there_yet_says_what_to_do_instead():
    with pytest.raises(SystemExit, match="issue 17.*--url"):
        servers.topology("scripts/no-such-production.sh", "postgres://nowhere/kb")


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("sync:2", ("sync", 2, 1)),
        ("gthread:2x4", ("gthread", 2, 4)),
        ("gthread:3", ("gthread", 3, 4)),
        ("uvicorn", ("uvicorn", 2, 1)),
    ],
)
def test_worker_models_are_named_by_kind_and_size(spec, parsed):
    assert servers.parse_worker_model(spec) == parsed
