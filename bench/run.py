#!/usr/bin/env python3
"""The benchmark: the API under gunicorn, driven by wrk, side by side with its floor and Datasette.

    .venv/bin/python bench/run.py            # the full run (about 20 minutes)
    .venv/bin/python bench/run.py --quick    # about a minute: smaller sizes, one short run each

For each database (PostgreSQL, then an SQLite file) and each size of the synthetic knowledge
base, it generates the knowledge base (manage.py generate_synthetic_kb), starts the app under
gunicorn on 127.0.0.1, and for each main operation measures with wrk (another process):
requests/s, p50 and p99 latency, and SQL queries per request, of

- the API;
- the floor: bench/floor_views.py, the same queries and JSON without the framework;
- Datasette (SQLite only), serving the same file, on its table JSON API with the same filter,
  order and page size, where it has an equivalent.

Each figure is the median of --repeat runs. It prints a table per database and size, each
operation's latency at the largest size over the smallest, and ends with `min ratio to floor`.

PostgreSQL is a throwaway cluster (scripts/with-postgres.sh) unless DATABASE_URL names one
(whose synthetic knowledge base is replaced, and removed at the end). The SQLite file lives in a
temporary directory. wrk is installed from Debian's package, Datasette into .venv-bench, when
missing. Only 127.0.0.1 is ever requested, and every run is bounded in time.
"""

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
BENCH_VENV = ROOT / ".venv-bench"
WORKERS = 2  # one per core of the reference machine


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="About a minute: 2,000 and 20,000 positions, 2 s runs, once."
    )
    parser.add_argument("--sizes", help="Comma-separated numbers of positions (default 2000,200000; quick 2000,20000).")
    parser.add_argument("--duration", type=int, help="Seconds per wrk run (default 3; quick 2).")
    parser.add_argument("--repeat", type=int, help="Runs per figure, whose median is kept (default 3; quick 1).")
    parser.add_argument("--concurrency", help="Comma-separated concurrent connections (default 1,16; quick 16).")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (no SQLite, no Datasette).")
    parser.add_argument("--sqlite-only", action="store_true", help="SQLite and Datasette only, at the largest size.")
    parser.add_argument("--json", type=Path, help="Also write every figure to this JSON file.")
    parser.add_argument(
        "--operations", help="Comma-separated operations to measure (default: all of bench/targets.py)."
    )
    parser.add_argument("--inside-postgres", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    quick = options.quick
    options.sizes = [int(size) for size in (options.sizes or ("2000,20000" if quick else "2000,200000")).split(",")]
    options.duration = options.duration or (2 if quick else 3)
    options.repeat = options.repeat or (1 if quick else 3)
    options.concurrency = [int(c) for c in (options.concurrency or ("16" if quick else "1,16")).split(",")]

    if not options.inside_postgres and not os.environ.get("DATABASE_URL"):
        # Re-run inside a throwaway PostgreSQL cluster, which the script removes afterwards.
        arguments = [
            str(ROOT / "scripts" / "with-postgres.sh"),
            sys.executable,
            __file__,
            *sys.argv[1:],
            "--inside-postgres",
        ]
        os.execv(arguments[0], arguments)

    prepare_tools(sqlite=not options.no_sqlite)
    started = time.monotonic()
    results = {"machine": machine(), "date": datetime.date.today().isoformat(), "command": command_line(), "runs": []}
    postgres_url = os.environ["DATABASE_URL"]
    for size in [] if options.sqlite_only else options.sizes:
        results["runs"].append(measure("PostgreSQL", postgres_url, size, options, datasette_file=None))
        save(results, options)
    if not options.sqlite_only:
        manage(postgres_url, "generate_synthetic_kb", "--remove")
    if not options.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as directory:
            sqlite_file = Path(directory) / "bench.sqlite3"
            url = f"sqlite:///{sqlite_file}"
            manage(url, "migrate", "--noinput")
            manage(url, "load_kb")
            results["runs"].append(measure("SQLite", url, options.sizes[-1], options, datasette_file=sqlite_file))
            save(results, options)
    report(results, options)
    print(f"(benchmark took {time.monotonic() - started:.0f} s)")


def save(results, options):
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


# --- Set-up ------------------------------------------------------------------------------------


def prepare_tools(sqlite):
    if shutil.which("wrk") is None:
        subprocess.run([str(ROOT / "scripts" / "system-deps.sh"), "wrk"], check=True)
    if sqlite and not (BENCH_VENV / "bin" / "datasette").exists():
        print("Installing Datasette into .venv-bench", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [
                str(BENCH_VENV / "bin" / "pip"),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(ROOT / "bench" / "requirements.txt"),
            ],
            check=True,
        )


def environment(database_url):
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")},
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_LOG_LEVEL": "WARNING",
        "KB_BENCH_FLOOR": "true",
        "PYTHONPATH": str(ROOT),
    }


def manage(database_url, *arguments):
    subprocess.run(
        [str(PYTHON), "manage.py", *arguments],
        cwd=ROOT,
        env=environment(database_url),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A process serving HTTP on 127.0.0.1, stopped (its whole process group) on exit."""

    def __init__(self, arguments, env, ready_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        arguments = [part.replace("{port}", str(self.port)) for part in arguments]
        self.process = subprocess.Popen(
            arguments, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"{arguments[0]} did not start: {self.process.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)

    def drain(self, limit=180):
        """Wait until requests wrk gave up on have been served: the next operation starts on an idle server."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.base + self.ready_path, timeout=limit) as response:
                    response.read()
            except OSError:
                pass
            if time.monotonic() - started < 0.05:
                return
            time.sleep(0.2)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def gunicorn(database_url):
    return Server(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            "127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--backlog",
            "256",
            "--log-level",
            "warning",
            "--no-control-socket",
        ],
        environment(database_url),
        "/healthz",
    )


def datasette(sqlite_file):
    return Server(
        [
            str(BENCH_VENV / "bin" / "datasette"),
            "serve",
            "-i",
            str(sqlite_file),
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--setting",
            "sql_time_limit_ms",
            "5000",
            "--setting",
            "max_returned_rows",
            "1000",
        ],
        {**os.environ},
        "/-/versions.json",
    )


# --- Measuring ---------------------------------------------------------------------------------


def measure(database, database_url, size, options, datasette_file):
    print(f"\n== {database}, {size:,} synthetic positions ==", flush=True)
    manage(database_url, "migrate", "--noinput")
    manage(database_url, "load_kb")
    generated = time.monotonic()
    manage(database_url, "generate_synthetic_kb", "--positions", str(size), "--verbosity", "0")
    print(f"generated in {time.monotonic() - generated:.0f} s", flush=True)
    operations = json.loads(
        subprocess.run(
            [str(PYTHON), "-m", "bench.targets"],
            cwd=ROOT,
            env=environment(database_url),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    # The machine may be shared: the load average says how much else was running meanwhile.
    run = {"database": database, "size": size, "operations": {}, "load": [os.getloadavg()[0]]}
    servers = {"api": gunicorn(database_url)}
    if datasette_file is not None:
        servers["datasette"] = datasette(datasette_file)
    if options.operations:
        operations = {name: operations[name] for name in options.operations.split(",")}
    try:
        for name, operation in operations.items():
            targets = {
                "api": servers["api"].base + operation["path"],
                "floor": servers["api"].base + "/bench/floor" + operation["path"],
            }
            if "datasette" in servers and operation.get("datasette"):
                targets["datasette"] = servers["datasette"].base + operation["datasette"]
            figures = run["operations"][name] = {"what": operation["what"]}
            for target, url in targets.items():
                figures[target] = {"queries": queries_of(url), "by_concurrency": {}}
            for concurrency in options.concurrency:
                # The targets take turns, run after run, so that whatever else loads the machine
                # weighs on each alike and the ratios stay fair.
                runs = {target: [] for target in targets}
                for url in targets.values():
                    wrk(url, concurrency, 1)  # warm-up
                for _ in range(options.repeat):
                    for target, url in targets.items():
                        runs[target].append(wrk(url, concurrency, options.duration))
                for target in targets:
                    figures[target]["by_concurrency"][concurrency] = {
                        key: statistics.median(run[key] for run in runs[target]) for key in ("rps", "p50", "p99")
                    }
            print(summary_line(name, figures, options.concurrency), flush=True)
            for server in servers.values():
                server.drain()
    finally:
        for server in servers.values():
            server.stop()
    run["load"].append(os.getloadavg()[0])
    return run


def queries_of(url):
    """The SQL queries one request took (None for Datasette, or when it takes over 30 s). The
    second of two requests: a worker's first also opens its database connection."""
    try:
        for _ in range(2):
            with urllib.request.urlopen(url, timeout=30) as response:
                if response.status != 200:
                    raise SystemExit(f"{url} answered {response.status}")
                response.read()
                value = response.headers.get("X-Queries")
    except TimeoutError:
        return None
    return int(value) if value is not None else None


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def wrk(url, concurrency, duration):
    """One wrk run: requests/s and the p50 and p99 latencies in ms."""
    output = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{duration}s", "--latency", "--timeout", "10s", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=duration + 60,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    latency = {
        percent: float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
        for percent, value, unit in WRK_LATENCY.findall(output)
    }
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return {"rps": rps, "p50": latency["50"], "p99": latency["99"]}


# --- Reporting ---------------------------------------------------------------------------------


def summary_line(name, figures, concurrencies):
    top = max(concurrencies)
    parts = [f"{name:>10}:"]
    for target in ("api", "floor", "datasette"):
        if target in figures:
            figure = figures[target]["by_concurrency"][top]
            parts.append(f"{target} {figure['rps']:7.0f}/s p99 {figure['p99']:6.1f} ms")
    return "  ".join(parts)


def report(results, options):
    top = max(options.concurrency)
    low = min(options.concurrency)
    print(f"\nMachine: {results['machine']}; date: {results['date']}")
    print(f"Command: {results['command']}")
    print(
        f"wrk, {options.duration} s per run, median of {options.repeat}; gunicorn, {WORKERS} sync workers; page of 100."
    )
    ratios = []
    for run in results["runs"]:
        load = " to ".join(f"{value:.1f}" for value in run["load"])
        print(
            f"\n### {run['database']}, {run['size']:,} synthetic positions, {top} concurrent clients (load average {load})\n"
        )
        print(
            "| operation | API req/s | p50 ms | p99 ms | queries | floor req/s | floor queries | API/floor | Datasette req/s | API/Datasette |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, figures in run["operations"].items():
            api, floor = figures["api"]["by_concurrency"][top], figures["floor"]["by_concurrency"][top]
            if floor["rps"] > 0:
                ratio = f"{api['rps'] / floor['rps']:.2f}"
                ratios.append(api["rps"] / floor["rps"])
            else:
                ratio = "none done"  # not one request of either finished within a run
            peer = figures.get("datasette")
            peer_rps = f"{peer['by_concurrency'][top]['rps']:.0f}" if peer else "n/a"
            peer_ratio = (
                f"{api['rps'] / peer['by_concurrency'][top]['rps']:.2f}"
                if peer and peer["by_concurrency"][top]["rps"]
                else "n/a"
            )
            print(
                f"| {name} | {api['rps']:.0f} | {api['p50']:.1f} | {api['p99']:.1f} | {figures['api']['queries']} "
                f"| {floor['rps']:.0f} | {figures['floor']['queries']} | {ratio} | {peer_rps} | {peer_ratio} |"
            )
    postgres = [run for run in results["runs"] if run["database"] == "PostgreSQL"]
    if len(postgres) >= 2:
        small, large = postgres[0], postgres[-1]
        print(
            f"\n### Latency at {large['size']:,} over {small['size']:,} positions (PostgreSQL, p50, {low} client(s))\n"
        )
        print(f"| operation | p50 ms at {small['size']:,} | p50 ms at {large['size']:,} | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for name in large["operations"]:
            before = small["operations"][name]["api"]["by_concurrency"][low]["p50"]
            after = large["operations"][name]["api"]["by_concurrency"][low]["p50"]
            print(f"| {name} | {before:.1f} | {after:.1f} | {after / before if before else float('nan'):.2f} |")
    print(f"\nmin ratio to floor: {min(ratios):.2f}")


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores ({cpu}), {int(memory) // 1024 // 1024} GB, {platform.system()} {platform.release()}, load {load:.1f} at start"


def command_line():
    arguments = [argument for argument in sys.argv[1:] if argument != "--inside-postgres"]
    return " ".join([".venv/bin/python bench/run.py", *arguments])


if __name__ == "__main__":
    main()
