#!/usr/bin/env python3
"""Load and fault: concurrent clients against gunicorn on PostgreSQL, with a database restart in
the middle. Everything runs on this machine, on 127.0.0.1 only, and stops by itself.

    .venv/bin/python scripts/loadtest.py [--clients 8] [--seconds 50] [--outage 5] [--json FILE]

1. A throwaway PostgreSQL cluster in a temporary directory, on a free loopback port (as
   scripts/with-postgres.sh makes one; as root the server runs as the `postgres` user).
2. migrate, load_kb, a superuser token; gunicorn (3 workers, debug off) on 127.0.0.1.
3. --clients threads send a mix of reads (lists with filters, as_of, search, details, timelines,
   the schema, /healthz) and a few token-authenticated writes, for --seconds.
4. At 40% of the run PostgreSQL is stopped (`pg_ctl stop -m fast`), and started again --outage
   seconds later. The app is left alone: it must answer 503 quickly meanwhile, then recover.

It reports requests, status counts, latency, the 503s and their worst latency, and the seconds from
the restart until the first 200; it exits 1 when any 5xx other than 503 occurred, a request failed
without an HTTP answer (a hang or a dropped connection), or the app did not recover.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"  # the only address anything here listens on or talks to
REQUEST_TIMEOUT = 15  # seconds; a request that takes longer counts as hung


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------- PostgreSQL


class Postgres:
    """A throwaway cluster: initdb, start, stop, start again, remove."""

    def __init__(self):
        self.bindir = self._find_bindir()
        self.as_server = []
        if os.geteuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], check=True
                )
            self.as_server = ["runuser", "-u", "postgres", "--"]
        # Under /tmp, which the postgres user can enter.
        self.cluster = Path(tempfile.mkdtemp(prefix="kb-loadtest-", dir="/tmp"))
        self.data = self.cluster / "data"
        self.port = free_port()
        if self.as_server:
            shutil.chown(self.cluster, "postgres")

    @staticmethod
    def _find_bindir():
        candidates = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True
        )
        found = shutil.which("initdb")
        for initdb in [*candidates, *([Path(found)] if found else [])]:
            if initdb.exists():
                return initdb.parent
        subprocess.run([str(ROOT / "scripts" / "system-deps.sh"), "postgresql"], check=True)
        return Postgres._find_bindir()

    def _run(self, *args, **kwargs):
        return subprocess.run([*self.as_server, *map(str, args)], check=True, capture_output=True, text=True, **kwargs)

    def init(self):
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )

    def start(self):
        options = (
            f"-c port={self.port} -c listen_addresses={HOST} -c unix_socket_directories={self.cluster} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.cluster / "server.log",
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self, mode="fast"):
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_server, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
            )
        shutil.rmtree(self.cluster, ignore_errors=True)

    @property
    def url(self):
        return f"postgres://postgres@{HOST}:{self.port}/postgres"


# ---------------------------------------------------------------- the app


def app_environment(database_url):
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_SECURE_COOKIES="false",
    )
    return env


def manage(env, *args):
    completed = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def create_token(env):
    code = (
        "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token; "
        "user, _ = User.objects.get_or_create(username='loadtest', defaults={'is_superuser': True, 'is_staff': True}); "
        "print(Token.objects.get_or_create(user=user)[0].key)"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def wait_until_healthy(port, deadline_seconds=60):
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not answer /healthz in time")


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        payload = json.dumps(body) if body is not None else None
        all_headers = {"Host": "localhost", **(headers or {})}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------- clients

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
    "/healthz",
]


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []  # (start, end, status or error name, method, path)

    def add(self, *sample):
        with self.lock:
            self.samples.append(sample)


def client_loop(port, token, stop_at, results, seed):
    chooser = random.Random(seed)
    while time.monotonic() < stop_at:
        if chooser.random() < 0.05:
            # A write: rename Boston and back, as a curator would, with the token.
            method, path = "PATCH", "/api/v1/jurisdictions/boston/"
            body, headers = {"name": chooser.choice(["Boston", "City of Boston"])}, {"Authorization": f"Token {token}"}
        else:
            method, path, body, headers = "GET", chooser.choice(READS), None, None
        start = time.monotonic()
        try:
            status, _ = request(port, method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            status = type(error).__name__
        results.add(start, time.monotonic(), status, method, path)


# ---------------------------------------------------------------- the run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=50)
    parser.add_argument("--outage", type=float, default=5, help="seconds PostgreSQL stays down")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    postgres = Postgres()
    gunicorn = None
    try:
        log(f"PostgreSQL: initdb and start on {HOST}:{postgres.port}")
        postgres.init()
        postgres.start()
        env = app_environment(postgres.url)
        manage(env, "migrate", "--noinput")
        manage(env, "load_kb")
        token = create_token(env)

        port = free_port()
        log(f"gunicorn: {args.workers} workers on {HOST}:{port}, debug off")
        gunicorn = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--bind", f"{HOST}:{port}",
             "--workers", str(args.workers), "--timeout", "30", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=open(postgres.cluster / "gunicorn.log", "w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_healthy(port)

        results = Results()
        began = time.monotonic()
        stop_at = began + args.seconds
        threads = [
            threading.Thread(target=client_loop, args=(port, token, stop_at, results, seed), daemon=True)
            for seed in range(args.clients)
        ]
        log(f"{args.clients} clients for {args.seconds:.0f} s")
        for thread in threads:
            thread.start()

        time.sleep(args.seconds * 0.4)
        log("PostgreSQL: stop -m fast")
        postgres.stop("fast")
        down_at = time.monotonic()
        time.sleep(args.outage)
        log("PostgreSQL: start")
        postgres.start()
        up_at = time.monotonic()

        for thread in threads:
            thread.join(timeout=args.seconds + REQUEST_TIMEOUT + 10)
        figures = summarize(results.samples, began, down_at, up_at, stop_at)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        postgres.remove()

    report(figures, args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    problems = verdict(figures)
    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print("OK: no 5xx but the outage's 503s, no hung or dropped request, recovered by itself.")
    return 1 if problems else 0


def summarize(samples, began, down_at, up_at, stop_at):
    statuses = Counter(str(status) for _, _, status, _, _ in samples)
    latencies = [end - start for start, end, *_ in samples]
    unavailable = [end - start for start, end, status, *_ in samples if status == 503]
    first_ok_after_restart = min(
        (end for start, end, status, *_ in samples if status == 200 and start >= up_at), default=None
    )
    # After recovery, nothing but answers: no 503 from a request that started a second after the first 200.
    late_503 = sum(
        1 for start, _, status, *_ in samples
        if status == 503 and first_ok_after_restart is not None and start > first_ok_after_restart + 1
    )  # fmt: skip
    return {
        "requests": len(samples),
        "seconds": round(stop_at - began, 1),
        "statuses": dict(sorted(statuses.items())),
        "server_errors_other_than_503": sum(
            1 for _, _, status, *_ in samples if isinstance(status, int) and status >= 500 and status != 503
        ),
        "failed_without_answer": sum(1 for _, _, status, *_ in samples if not isinstance(status, int)),
        "latency_median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "latency_p99_ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 1) if len(latencies) > 1 else None,
        "latency_worst_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "database_down_seconds": round(up_at - down_at, 1),
        "answers_503": len(unavailable),
        "latency_503_worst_ms": round(max(unavailable) * 1000, 1) if unavailable else None,
        "latency_503_median_ms": round(statistics.median(unavailable) * 1000, 1) if unavailable else None,
        "seconds_from_restart_to_first_200": (
            round(first_ok_after_restart - up_at, 2) if first_ok_after_restart is not None else None
        ),
        "answers_503_after_recovery": late_503,
    }


def report(figures, args):
    print()
    print(f"Load and fault: {args.clients} clients, {figures['seconds']} s, gunicorn {args.workers} workers, "
          f"PostgreSQL down {figures['database_down_seconds']} s")  # fmt: skip
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"  {name.ljust(width)}  {value}")


def verdict(figures):
    problems = []
    if figures["server_errors_other_than_503"]:
        problems.append(f"{figures['server_errors_other_than_503']} answers were 5xx other than 503")
    if figures["failed_without_answer"]:
        problems.append(f"{figures['failed_without_answer']} requests got no HTTP answer (hung or dropped)")
    if figures["seconds_from_restart_to_first_200"] is None:
        problems.append("no 200 after PostgreSQL came back: the app did not recover")
    if figures["answers_503_after_recovery"]:
        problems.append(f"{figures['answers_503_after_recovery']} answers were 503 after the app had recovered")
    if not figures["answers_503"]:
        problems.append("no 503 while PostgreSQL was down: the fault was not exercised")
    return problems


if __name__ == "__main__":
    sys.exit(main())
