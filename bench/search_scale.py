#!/usr/bin/env python3
"""How search grows with the knowledge base: its operations at two sizes, served side by side.

    .venv/bin/python bench/search_scale.py                       # SQLite and PostgreSQL, 2,000 and 200,000
    .venv/bin/python bench/search_scale.py --databases sqlite --large 20000

bench/run.py measures one size after the other, minutes apart; on a shared machine the load
changes between them, and so does a ratio of their latencies. Here both sizes are generated
first (two SQLite files, or two databases of one throwaway PostgreSQL cluster), each is served
by its own gunicorn on 127.0.0.1, and wrk (1 connection) measures them in turns, round after
round, so both sizes meet the same load. It prints, per database and search operation of
bench/targets.py, the median p50 of each size and their ratio, and the ratio of each size's
fastest round, the least disturbed by the rest of the machine (docs/search.md).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run  # noqa: E402

OPERATIONS = ("search_word", "search_phrase", "search_misspelt")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2000, help="Positions of the small knowledge base.")
    parser.add_argument("--large", type=int, default=200_000, help="Positions of the large one.")
    parser.add_argument("--rounds", type=int, default=5, help="Turns of every size and operation.")
    parser.add_argument("--duration", type=int, default=3, help="Seconds per wrk run.")
    parser.add_argument("--databases", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this JSON file.")
    parser.add_argument("--inside-postgres", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    databases = options.databases.split(",")
    if "postgresql" in databases and not options.inside_postgres and not os.environ.get("DATABASE_URL"):
        arguments = [str(run.ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__, *sys.argv[1:]]
        os.execv(arguments[0], [*arguments, "--inside-postgres"])
    run.prepare_tools(sqlite=False)
    results = {"machine": run.machine(), "command": " ".join(["bench/search_scale.py", *sys.argv[1:]]), "runs": []}
    with tempfile.TemporaryDirectory(prefix="kb-search-scale-") as directory:
        for database in databases:
            if database == "sqlite":
                urls = {
                    size: f"sqlite:///{Path(directory) / f'{size}.sqlite3'}" for size in (options.small, options.large)
                }
            else:
                urls = {size: _postgresql_database(f"kb_scale_{size}") for size in (options.small, options.large)}
            results["runs"].append(measure(database, urls, options))
            if options.json:
                options.json.write_text(json.dumps(results, indent=2))
    report(results)


def _postgresql_database(name):
    """A new database in the cluster DATABASE_URL names, and its URL."""
    import psycopg

    base = os.environ["DATABASE_URL"]
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def measure(database, urls, options):
    figures = {"database": database, "sizes": {}, "load": [os.getloadavg()[0]]}
    targets, servers = {}, {}
    for size, url in urls.items():
        run.manage(url, "migrate", "--noinput")
        run.manage(url, "load_kb")
        started = time.monotonic()
        run.manage(url, "generate_synthetic_kb", "--positions", str(size), "--verbosity", "0")
        figures["sizes"][size] = {"generated_s": round(time.monotonic() - started), "operations": {}}
        print(f"{database}: {size:,} positions generated in {figures['sizes'][size]['generated_s']} s", flush=True)
        targets[size] = json.loads(
            subprocess.run(
                [str(run.PYTHON), "-m", "bench.targets"],
                cwd=run.ROOT,
                env=run.environment(url),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    try:
        for size, url in urls.items():
            servers[size] = run.gunicorn(url)
        latencies = {size: {name: [] for name in OPERATIONS} for size in urls}
        for size, server in servers.items():
            for name in OPERATIONS:
                run.wrk(server.base + targets[size][name]["path"], 1, 1)  # warm-up: each worker reads its names
        for round_number in range(options.rounds):
            for name in OPERATIONS:
                # The sizes take turns, first one then the other, so that neither always goes first.
                order = list(urls) if round_number % 2 == 0 else list(reversed(urls))
                for size in order:
                    url = servers[size].base + targets[size][name]["path"]
                    latencies[size][name].append(run.wrk(url, 1, options.duration)["p50"])
        for size in urls:
            for name in OPERATIONS:
                figures["sizes"][size]["operations"][name] = {
                    "what": targets[size][name]["what"],
                    "p50_ms": statistics.median(latencies[size][name]),
                    "runs_ms": latencies[size][name],
                }
    finally:
        for server in servers.values():
            server.stop()
    figures["load"].append(os.getloadavg()[0])
    return figures


def report(results):
    print(f"\nMachine: {results['machine']}\nCommand: .venv/bin/python {results['command']}")
    for figures in results["runs"]:
        small, large = sorted(figures["sizes"], key=int)
        load = " to ".join(f"{value:.1f}" for value in figures["load"])
        print(f"\n### {figures['database']}: p50 latency, 1 connection, median of the rounds (load average {load})\n")
        print(f"| operation | at {int(small):,} | ms | at {int(large):,} | ms | ratio | ratio of the fastest rounds |")
        print("| --- | --- | ---: | --- | ---: | ---: | ---: |")
        for name in OPERATIONS:
            before, after = figures["sizes"][small]["operations"][name], figures["sizes"][large]["operations"][name]
            fastest = min(after["runs_ms"]) / min(before["runs_ms"])
            print(
                f"| {name} | {before['what']} | {before['p50_ms']:.1f} | {after['what']} | {after['p50_ms']:.1f} "
                f"| {after['p50_ms'] / before['p50_ms']:.2f} | {fastest:.2f} ({min(before['runs_ms']):.1f} → "
                f"{min(after['runs_ms']):.1f} ms) |"
            )
        print(
            f"\nGenerated in {figures['sizes'][small]['generated_s']} s and {figures['sizes'][large]['generated_s']} s."
        )


if __name__ == "__main__":
    main()
