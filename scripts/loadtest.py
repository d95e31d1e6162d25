#!/usr/bin/env python3
"""Load and fault through the production topology: concurrent clients against nginx -> gunicorn ->
PostgreSQL primary with a streaming replica, and Redis (deploy/topology.py), while the replica and
then the primary are restarted. Everything runs on this machine, on 127.0.0.1 only, and stops by itself.

    .venv/bin/python scripts/loadtest.py [--clients 8] [--seconds 60] [--outage 5] [--json FILE]

1. The topology starts (scripts/production.sh start does the same): migrate, load_kb, a
   superuser token; gunicorn (3 workers, debug off) behind nginx.
2. --clients threads send, through nginx, a mix of anonymous reads (lists with filters, as_of,
   search, details, timelines, some revalidations with If-None-Match, /healthz) and a few token
   writes, for --seconds.
3. At 20% of the run the replica is stopped (`pg_ctl stop -m fast`) and started --outage seconds
   later; at 55% the primary likewise. The app is left alone throughout.

What must hold: while the replica is down, every request is answered as before (the replica is
skipped); while the primary is down, reads are answered by the replica and writes (and /healthz,
which probes the primary) get a quick 503; no other 5xx, no request without an answer, and both
recover by themselves. For each fault it reports the requests, the errors, the worst latency and
the seconds to recover: for the primary, from its restart to the first write that succeeds; for the
replica, from its restart to the first connection of the app to it. Exit 1 when anything failed.
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.topology import HOST, Topology  # noqa: E402

REQUEST_TIMEOUT = 15  # seconds; a request that takes longer counts as hung

READS = [
    "/api/v1/positions/",
    "/api/v1/positions/?as_of=2011-06-06&stance=refuses&stance=withdraws",
    "/api/v1/positions/?jurisdiction=massachusetts&include_sub_jurisdictions=true&expand=official,program",
    "/api/v1/positions/?search=Patrick",
    "/api/v1/positions/boston-participates-2011/",
    "/api/v1/officials/?search=Heffernan",
    "/api/v1/officials/deval-patrick/timeline/",
    "/api/v1/jurisdictions/massachusetts/timeline/?program=secure-communities",
    "/api/v1/programs/secure-communities/",
    "/api/v1/sources/",
    "/api/v1/sources/boston-herald-patrick-refuses-to-sign/",
    "/api/v1/organizations/?limit=5&offset=3",
]
HEALTHZ = "/healthz"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def request(port, method, path, body=None, headers=None, source=None):
    connection = http.client.HTTPConnection(
        HOST, port, timeout=REQUEST_TIMEOUT, source_address=(source, 0) if source else None
    )
    try:
        payload = json.dumps(body) if body is not None else None
        all_headers = {"Host": f"localhost:{port}", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("ETag")
    finally:
        connection.close()


def create_token(topology):
    code = (
        "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token; "
        "user, _ = User.objects.get_or_create(username='loadtest', defaults={'is_superuser': True, 'is_staff': True}); "
        "print(Token.objects.get_or_create(user=user)[0].key)"
    )
    return topology.manage("shell", "-c", code).strip().splitlines()[-1]


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []  # (start, end, status or error name, kind)

    def add(self, *sample):
        with self.lock:
            self.samples.append(sample)


def client_loop(port, token, stop_at, results, seed, spread=False):
    """One client. With `spread`, each request comes from an address of its own in 127.0.0.0/8
    (as many clients would), so a per-address rate set on the server never holds the load back."""
    chooser = random.Random(seed)
    etags = {}
    while time.monotonic() < stop_at:
        draw = chooser.random()
        headers = None
        if draw < 0.05:
            # A write: rename Boston and back, as a curator would, with the token.
            kind, method, path = "write", "PATCH", "/api/v1/jurisdictions/boston/"
            body, headers = {"name": chooser.choice(["Boston", "City of Boston"])}, {"Authorization": f"Token {token}"}
        elif draw < 0.10:
            kind, method, path, body = "healthz", "GET", HEALTHZ, None
        else:
            kind, method, path, body = "read", "GET", chooser.choice(READS), None
            if path in etags and chooser.random() < 0.2:
                headers = {"If-None-Match": etags[path]}  # a revalidation, as a CDN or browser sends
        source = (
            f"127.{chooser.randint(1, 254)}.{chooser.randint(0, 255)}.{chooser.randint(1, 254)}" if spread else None
        )
        start = time.monotonic()
        try:
            status, etag = request(port, method, path, body, headers, source)
            if kind == "read" and etag:
                etags[path] = etag
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
        results.add(start, time.monotonic(), status, kind)


class ReplicaWatch:
    """Polls the replica for the app's connections: when they are back, the replica serves again."""

    def __init__(self, replica):
        self.url = replica.url.replace("postgres://", "postgresql://")
        self.first_app_connection_after = {}

    def wait_for_app_connection(self, since, deadline_seconds=30):
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url, connect_timeout=1, autocommit=True) as connection:
                    (count,) = connection.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                        "AND pid <> pg_backend_pid()"
                    ).fetchone()
                if count:
                    return time.monotonic()
            except psycopg.Error:
                pass
            time.sleep(0.05)
        return None


def run(topology, clients=8, seconds=60, outage=5, spread=False):
    """The load and the two faults against a started topology; the figures (see summarize)."""
    token = create_token(topology)
    port = topology.proxy_port
    results = Results()
    began = time.monotonic()
    stop_at = began + seconds
    threads = [
        threading.Thread(target=client_loop, args=(port, token, stop_at, results, seed, spread), daemon=True)
        for seed in range(clients)
    ]
    log(f"{clients} clients for {seconds:.0f} s through nginx on {topology.url}")
    for thread in threads:
        thread.start()

    faults = {}
    watch = ReplicaWatch(topology.replica)

    time.sleep(max(0.0, began + seconds * 0.2 - time.monotonic()))
    log("replica: stop -m fast")
    topology.replica.stop("fast")
    down_at = time.monotonic()
    time.sleep(outage)
    log("replica: start")
    topology.replica.start()
    up_at = time.monotonic()
    serving_again = watch.wait_for_app_connection(up_at)
    faults["replica"] = {"down_at": down_at, "up_at": up_at, "recovered_at": serving_again}

    time.sleep(max(0.0, began + seconds * 0.55 - time.monotonic()))
    log("primary: stop -m fast")
    topology.primary.stop("fast")
    down_at = time.monotonic()
    time.sleep(outage)
    log("primary: start")
    topology.primary.start()
    faults["primary"] = {"down_at": down_at, "up_at": time.monotonic(), "recovered_at": None}

    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 10)
    return summarize(results.samples, began, stop_at, faults)


def _ms(seconds):
    return round(seconds * 1000, 1)


def summarize(samples, began, stop_at, faults):
    def is_error(status):
        return not isinstance(status, int) or status >= 500

    latencies = [end - start for start, end, *_ in samples]
    primary = faults["primary"]
    first_write_after = min(
        (
            end
            for start, end, status, kind in samples
            if kind == "write" and status == 200 and start >= primary["up_at"]
        ),
        default=None,
    )
    primary["recovered_at"] = first_write_after

    per_fault = {}
    for name, fault in faults.items():
        # The fault's window: from the stop until recovery (or the restart, if it never recovered) plus a second.
        until = (fault["recovered_at"] or fault["up_at"]) + 1
        window = [sample for sample in samples if sample[1] >= fault["down_at"] and sample[0] <= until]
        down = [sample for sample in window if sample[0] < fault["up_at"]]
        per_fault[name] = {
            "down_seconds": round(fault["up_at"] - fault["down_at"], 1),
            "requests": len(window),
            "errors": sum(1 for *_, status, _ in window if is_error(status)),
            "answers_503": sum(1 for *_, status, _ in window if status == 503),
            "reads_answered_while_down": sum(1 for *_, status, kind in down if kind == "read" and status in (200, 304)),
            "reads_failed_while_down": sum(1 for *_, status, kind in down if kind == "read" and is_error(status)),
            "writes_failed_while_down": sum(1 for *_, status, kind in down if kind == "write" and is_error(status)),
            "latency_worst_ms": _ms(max((end - start for start, end, *_ in window), default=0)),
            "seconds_to_recover": (
                round(fault["recovered_at"] - fault["up_at"], 2) if fault["recovered_at"] is not None else None
            ),
        }
    late_errors = sum(
        1
        for start, _, status, _ in samples
        if is_error(status) and first_write_after is not None and start > first_write_after + 1
    )
    statuses = Counter(str(status) for _, _, status, _ in samples)
    return {
        "requests": len(samples),
        "seconds": round(stop_at - began, 1),
        "statuses": dict(sorted(statuses.items())),
        "server_errors_other_than_503": sum(
            1 for _, _, status, _ in samples if isinstance(status, int) and status >= 500 and status != 503
        ),
        "failed_without_answer": sum(1 for _, _, status, _ in samples if not isinstance(status, int)),
        "latency_median_ms": _ms(statistics.median(latencies)) if latencies else None,
        "latency_p99_ms": _ms(statistics.quantiles(latencies, n=100)[98]) if len(latencies) > 1 else None,
        "latency_worst_ms": _ms(max(latencies)) if latencies else None,
        "errors_after_recovery": late_errors,
        "faults": per_fault,
    }


def report(figures, args):
    print()
    print(
        f"Load and fault: {args.clients} clients, {figures['seconds']} s, through nginx -> gunicorn "
        f"({args.workers} workers) -> PostgreSQL primary + replica, Redis"
    )
    for name, value in figures.items():
        if name != "faults":
            print(f"  {name:<30}  {value}")
    print()
    print(f"  {'fault':<9} {'down s':>6} {'requests':>8} {'errors':>6} {'503':>5} {'worst ms':>9} {'recover s':>9}")
    for name, fault in figures["faults"].items():
        print(
            f"  {name:<9} {fault['down_seconds']:>6} {fault['requests']:>8} {fault['errors']:>6} "
            f"{fault['answers_503']:>5} {fault['latency_worst_ms']:>9} {fault['seconds_to_recover']!s:>9}"
        )
        print(
            f"  {'':<9} reads answered while down {fault['reads_answered_while_down']}, failed "
            f"{fault['reads_failed_while_down']}; writes failed {fault['writes_failed_while_down']}"
        )


def verdict(figures):
    problems = []
    if figures["server_errors_other_than_503"]:
        problems.append(f"{figures['server_errors_other_than_503']} answers were 5xx other than 503")
    if figures["failed_without_answer"]:
        problems.append(f"{figures['failed_without_answer']} requests got no HTTP answer (hung or dropped)")
    replica, primary = figures["faults"]["replica"], figures["faults"]["primary"]
    if replica["errors"]:
        problems.append(f"{replica['errors']} errors while the replica restarted: it was not skipped")
    if replica["seconds_to_recover"] is None:
        problems.append("the app never connected to the restarted replica again")
    if primary["reads_failed_while_down"]:
        problems.append(f"{primary['reads_failed_while_down']} reads failed while the primary was down")
    if not primary["writes_failed_while_down"] and not primary["answers_503"]:
        problems.append("no 503 while the primary was down: the fault was not exercised")
    if primary["seconds_to_recover"] is None:
        problems.append("no write succeeded after the primary came back: the app did not recover")
    if figures["errors_after_recovery"]:
        problems.append(f"{figures['errors_after_recovery']} errors after the app had recovered")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--outage", type=float, default=5, help="seconds each server stays down")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    with Topology(workers=args.workers) as topology:
        figures = run(topology, clients=args.clients, seconds=args.seconds, outage=args.outage)

    report(figures, args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    problems = verdict(figures)
    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print("OK: the replica's restart cost no error; while the primary was down reads were answered and "
              "writes got a quick 503; no other 5xx, nothing left unanswered, both recovered by themselves.")  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
