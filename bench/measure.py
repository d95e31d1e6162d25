"""How bench/run.py measures: one client, request by request, and wrk for many.

- `sample()`: one client with a kept connection per server, each round one request to every
  target, in an order that turns round by round, so whatever else loads the machine weighs on
  each target alike and their ratios stay fair. Every loop is bounded in requests and in time.
- `probe()` first: an answer the API does not give yet (400, 404, 405, 406) makes the target
  "not available", never a failure; any other non-2xx, or no answer in time, is reported too.
- A cold figure must be computed: each answer must have run queries (`X-Queries` > 0) and carry
  its own `X-Bench-Response` (bench/middleware.py); answers that do not are counted as cached
  and the figure is not reported as cold.
- `wrk()`: many connections for a fixed time, p50 and p99 as wrk reports them.
"""

import http.client
import json
import re
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

NOT_ANSWERED_YET = {400, 404, 405, 406}
MIN_ROUNDS = 3


@dataclass
class Answer:
    status: int | None
    seconds: float
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    timed_out: bool = False
    error: str = ""

    @property
    def queries(self):
        value = self.headers.get("x-queries")
        return int(value) if value is not None and value.isdigit() else None

    @property
    def nonce(self):
        return self.headers.get("x-bench-response")


class Client:
    """One kept-alive connection per server; a server that closes it (gunicorn's sync workers
    do after each answer) is reconnected, as a browser or `requests` would."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.connections = {}

    def get(self, url, headers=None):
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        key = (parts.hostname, parts.port)
        for attempt in (1, 2):
            connection = self.connections.get(key)
            if connection is None:
                connection = self.connections[key] = http.client.HTTPConnection(
                    parts.hostname, parts.port, timeout=self.timeout
                )
            started = time.perf_counter()
            try:
                connection.request("GET", target, headers={"Accept": "*/*", **(headers or {})})
                response = connection.getresponse()
                body = response.read()
            except TimeoutError:
                self.close(key)
                return Answer(None, time.perf_counter() - started, timed_out=True, error="no answer in time")
            except (http.client.HTTPException, ConnectionError, OSError) as error:
                self.close(key)
                if attempt == 1:
                    continue  # a kept connection the server had closed: once more, on a new one
                return Answer(None, time.perf_counter() - started, error=f"{type(error).__name__}: {error}")
            seconds = time.perf_counter() - started
            if response.will_close:
                self.close(key)
            return Answer(response.status, seconds, {k.lower(): v for k, v in response.getheaders()}, body)
        raise AssertionError("unreachable")

    def close(self, key=None):
        for each in [key] if key else list(self.connections):
            connection = self.connections.pop(each, None)
            if connection is not None:
                connection.close()


@dataclass
class Target:
    url: str
    headers: dict = field(default_factory=dict)
    expect: int = 200  # 304 for a revalidation
    cold: bool = False  # every answer must be computed


def probe(client, target):
    """The first answer: (status word, detail, answer)."""
    answer = client.get(target.url, target.headers)
    if answer.timed_out:
        return "timeout", f"no answer within {client.timeout:.0f} s", answer
    if answer.status is None:
        return "error", answer.error, answer
    if answer.status == target.expect:
        return "ok", "", answer
    if answer.status in NOT_ANSWERED_YET and target.expect == 200:
        return "not available", f"{answer.status}: {_said(answer)}", answer
    if answer.status == 200 and target.expect == 304:
        return "not available", "answered 200 to If-None-Match: no revalidation", answer
    return "error", f"{answer.status}: {_said(answer)}", answer


def _said(answer):
    """What an error answer says, short: its JSON `detail` or the start of its body."""
    try:
        document = json.loads(answer.body)
        if isinstance(document, dict):
            detail = document.get("detail") or document.get("floor") or document
            if isinstance(detail, (dict, list)):
                detail = json.dumps(detail)
            return str(detail)[:160]
    except ValueError:
        pass
    return answer.body[:120].decode("utf-8", "replace").strip() or "(empty)"


def sample(client, targets, rounds, seconds, warmup=2, on_probe=None):
    """Interleaved latencies of every target that answers as expected: {key: summary}."""
    summaries, alive = {}, []
    for key, target in targets.items():
        status, detail, first = probe(client, target)
        summaries[key] = {"status": status, "detail": detail}
        if on_probe is not None:
            on_probe(key, first)
        if status == "ok":
            alive.append(key)
            summaries[key].update(rows=rows_of(first), bytes=len(first.body))
    for _ in range(warmup - 1):
        for key in alive:
            client.get(targets[key].url, targets[key].headers)
    answers = {key: [] for key in alive}
    deadline = time.monotonic() + seconds
    for number in range(rounds):
        if not alive:
            break
        turn = number % len(alive)
        for key in alive[turn:] + alive[:turn]:
            answer = client.get(targets[key].url, targets[key].headers)
            answers[key].append(answer)
            if answer.timed_out or answer.status != targets[key].expect:
                summaries[key].update(
                    status="timeout" if answer.timed_out else "error",
                    detail=answer.error if answer.status is None else f"{answer.status} during the run",
                )
        alive = [key for key in alive if summaries[key]["status"] == "ok"]
        if number + 1 >= MIN_ROUNDS and time.monotonic() > deadline:
            break
    for key, taken in answers.items():
        good = [answer for answer in taken if answer.status == targets[key].expect]
        summaries[key].update(summarize(good, cold=targets[key].cold))
    return summaries


def summarize(answers, cold=False):
    if not answers:
        return {"n": 0}
    times = sorted(answer.seconds * 1000 for answer in answers)
    queries = [answer.queries for answer in answers if answer.queries is not None]
    summary = {
        "n": len(times),
        "median_ms": statistics.median(times),
        "p90_ms": percentile(times, 90),
        "p99_ms": percentile(times, 99),
        "min_ms": times[0],
        "queries": statistics.median_low(queries) if queries else None,
    }
    if cold:
        nonces = [answer.nonce for answer in answers if answer.nonce]
        cached = sum(1 for answer in answers if answer.queries == 0)
        repeated = len(nonces) - len(set(nonces))
        summary["cached_answers"] = cached + repeated
        summary["cold_checked"] = bool(nonces) and len(queries) == len(answers)
    return summary


def percentile(ordered, percent):
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


def rows_of(answer):
    """Results on a page (JSON lists), 1 for a record, CSV lines less the header."""
    content_type = answer.headers.get("content-type", "")
    if "csv" in content_type:
        return max(0, answer.body.count(b"\n") - 1)
    try:
        document = json.loads(answer.body)
    except ValueError:
        return None
    if isinstance(document, dict):
        for key in ("results", "rows"):
            if isinstance(document.get(key), list):
                return len(document[key])
        return 1
    return len(document) if isinstance(document, list) else None


# --- Do two answers say the same? --------------------------------------------------------------


def same_as_api(api, other, kind, sort_field):
    """None when they agree, else how they differ. `kind`: "floor" (the same JSON) or
    "datasette" (the same rows: the same sort keys in the same order, or the same record)."""
    try:
        mine, theirs = json.loads(api.body), json.loads(other.body)
    except ValueError:
        return "not JSON"
    if kind == "floor":
        if isinstance(mine, dict) and "results" in mine:
            if mine.get("count") != theirs.get("count"):
                return f"count {theirs.get('count')} against the API's {mine.get('count')}"
            if mine["results"] != theirs.get("results"):
                return "other results"
            return None
        return None if mine == theirs else "another document"
    rows = theirs.get("rows", [])
    if isinstance(mine, dict) and "results" in mine:
        api_keys = [result.get(sort_field) for result in mine["results"]]
        their_keys = [row.get(sort_field) for row in rows]
        if None in api_keys:
            return None  # the API's JSON does not show the sort key: nothing to compare
        if len(api_keys) != len(their_keys):
            return f"{len(their_keys)} rows against the API's {len(api_keys)}"
        return None if api_keys == their_keys else "other rows"
    if rows and isinstance(mine, dict) and mine.get("slug") not in (None, rows[0].get("slug")):
        return "another record"
    return None


# --- wrk -------------------------------------------------------------------------------------

WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
WRK_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def wrk(url, concurrency, duration, headers=None, timeout=10):
    """One wrk run: requests/s, p50 and p99 in ms, and what went wrong (non-2xx/3xx, timeouts)."""
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{duration}s", "--latency", "--timeout", f"{timeout}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    try:
        output = subprocess.run(
            [*command, url], check=True, capture_output=True, text=True, timeout=duration + timeout + 60
        ).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        return {"status": "error", "detail": f"wrk: {error}"}
    latency = {
        percent: float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
        for percent, value, unit in WRK_LATENCY.findall(output)
    }
    requests = re.search(r"(\d+) requests in", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = WRK_SOCKET_ERRORS.search(output)
    summary = {
        "status": "ok",
        "requests": int(requests.group(1)) if requests else 0,
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": latency.get("50"),
        "p99_ms": latency.get("99"),
        "errors": int(bad.group(1)) if bad else 0,
        "timeouts": int(sockets.group(4)) if sockets else 0,
    }
    if not summary["requests"] or summary["p99_ms"] is None:
        summary.update(status="timeout", detail=f"no answer within {timeout} s at {concurrency} connections")
    return summary
