#!/usr/bin/env python3
"""The benchmark of issue 18: every operation users send, at two sizes, on both databases, with
the floor and Datasette side by side; cache off and cache on apart; under load on request.

    .venv/bin/python bench/run.py                  # the full run: 2,000 and 200,000 positions
    .venv/bin/python bench/run.py --quick          # a few minutes: 2,000 and 20,000, short loops
    .venv/bin/python bench/run.py --production     # under load through scripts/production.sh too
    .venv/bin/python bench/run.py --url http://127.0.0.1:8080   # under load, a stack already running
    .venv/bin/python bench/run.py --worker-models sync:2,gthread:2x4,uvicorn:2

For each database (PostgreSQL, then SQLite) it generates the synthetic knowledge base at each size
in a database of its own (manage.py generate_synthetic_kb), chooses the operations from it
(bench/targets.py), and serves each size twice under gunicorn on 127.0.0.1: cold (every cache a
DummyCache, bench/settings_cold.py) and as configured (cache on). Datasette serves the SQLite
files. Then, for each operation, one client sends one request to each target in turn (API, floor
and Datasette at both sizes; then, apart, the 304 revalidation and the cached page), bounded in
requests and in time (bench/measure.py). Under load, wrk drives the largest PostgreSQL size at
many connections, through the production topology with --production or --url, else through a
local gunicorn (and says so).

Results go to artifacts/bench-<date>.json (or --json) and docs/performance.md (or --doc;
bench/report.py), written again after each database. --report-only FILE rewrites the document from
saved results. PostgreSQL is a throwaway cluster (scripts/with-postgres.sh) unless DATABASE_URL
names a server, where it creates and drops databases named kb_bench_<size>. wrk is installed from
Debian's package and Datasette into .venv-bench when missing. Only 127.0.0.1 is requested.
"""

import argparse
import datetime
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import measure, report, servers  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_SIZES = "2000,200000"
QUICK_SIZES = "2000,20000"
QUICK_LOAD_OPERATIONS = "detail_position,stance,timeline_jurisdiction"
WORKER_OPERATIONS = "detail_position,stance,as_of,timeline_jurisdiction,search_word,deep_page"
DEFAULT_WORKER_MODELS = "sync:2,sync:5,gthread:2x4,uvicorn:2"


def parse_options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"A few minutes: {QUICK_SIZES} positions, short loops.")
    parser.add_argument(
        "--sizes", help=f"Comma-separated numbers of positions (default {DEFAULT_SIZES}; quick {QUICK_SIZES})."
    )
    parser.add_argument("--databases", default="postgresql,sqlite", help="postgresql, sqlite or both (default).")
    parser.add_argument(
        "--only",
        help="Comma-separated operations or groups (filter, pair, search, data out, timeline, detail, deep page).",
    )
    parser.add_argument("--rounds", type=int, help="Requests per figure at most (default 100; quick 12).")
    parser.add_argument("--seconds", type=float, help="Seconds per operation's loop at most (default 60; quick 6).")
    parser.add_argument("--timeout", type=float, help="Seconds one request may take (default 30; quick 15).")
    load = parser.add_argument_group("under load")
    load.add_argument(
        "--load",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Measure under load with wrk (default: on; quick: 3 operations).",
    )
    load.add_argument(
        "--load-operations",
        help="Comma-separated operations or groups under load (default all; quick: " + QUICK_LOAD_OPERATIONS + ").",
    )
    load.add_argument("--concurrency", type=int, default=16, help="Connections under load (default 16).")
    load.add_argument("--duration", type=int, help="Seconds per wrk figure (default 5; quick 2).")
    load.add_argument(
        "--worker-model",
        default="sync:2",
        help="The local gunicorn under load: sync:N, gthread:NxT, uvicorn:N (default sync:2).",
    )
    load.add_argument(
        "--production",
        action="store_true",
        help="Under load through the production topology, started by --topology-command.",
    )
    load.add_argument(
        "--topology-command",
        default=servers.DEFAULT_TOPOLOGY_COMMAND,
        help="The command that starts the production topology (default scripts/production.sh); see bench/servers.py topology().",
    )
    load.add_argument(
        "--url",
        help="Under load only, against a stack already running (its database in DATABASE_URL, for the choice of operations).",
    )
    load.add_argument(
        "--cold-url",
        help="With --url: a second stack with nothing cached (DJANGO_SETTINGS_MODULE=bench.settings_cold).",
    )
    parser.add_argument(
        "--worker-models",
        nargs="?",
        const=DEFAULT_WORKER_MODELS,
        help=f"Compare gunicorn worker models at the largest PostgreSQL size (default list {DEFAULT_WORKER_MODELS}).",
    )
    parser.add_argument("--json", type=Path, help="Results file (default artifacts/bench-<date>.json).")
    parser.add_argument(
        "--doc",
        type=Path,
        default=ROOT / "docs" / "performance.md",
        help="The document to write (default docs/performance.md).",
    )
    parser.add_argument("--no-doc", action="store_true", help="Write no document.")
    parser.add_argument(
        "--report-only", type=Path, metavar="RESULTS", help="Write the document from saved results, measuring nothing."
    )
    parser.add_argument("--inside-postgres", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    quick = options.quick
    options.sizes = sorted(
        int(size) for size in (options.sizes or (QUICK_SIZES if quick else DEFAULT_SIZES)).split(",")
    )
    options.databases = [name.strip().lower() for name in options.databases.split(",") if name.strip()]
    for name in options.databases:
        if name not in ("postgresql", "sqlite"):
            parser.error(f"--databases: {name!r} is neither postgresql nor sqlite")
    options.rounds = options.rounds or (12 if quick else 100)
    options.seconds = options.seconds or (6 if quick else 60)
    options.timeout = options.timeout or (15 if quick else 30)
    options.duration = options.duration or (2 if quick else 5)
    if options.load is None:
        options.load = True
    if options.load_operations is None and quick:
        options.load_operations = QUICK_LOAD_OPERATIONS
    options.json = options.json or ROOT / "artifacts" / f"bench-{datetime.date.today().isoformat()}.json"
    return options


def main():
    options = parse_options()
    if options.report_only:
        write_doc(json.loads(options.report_only.read_text()), options)
        return
    needs_postgres = "postgresql" in options.databases or options.worker_models
    if needs_postgres and not options.url and not options.inside_postgres and not os.environ.get("DATABASE_URL"):
        # Again, inside a throwaway PostgreSQL cluster, which the script removes afterwards.
        arguments = [
            str(ROOT / "scripts" / "with-postgres.sh"),
            sys.executable,
            __file__,
            *sys.argv[1:],
            "--inside-postgres",
        ]
        os.execv(arguments[0], arguments)

    prepare_tools(options)
    started = time.monotonic()
    results = {
        "command": command_line(),
        "date": datetime.date.today().isoformat(),
        "commit": commit(),
        "quick": options.quick,
        "machine": machine(),
        "versions": {"Python": platform.python_version(), "SQLite": sqlite3.sqlite_version, "Datasette": None},
        "settings": {
            "sizes": options.sizes,
            "rounds": options.rounds,
            "seconds": options.seconds,
            "timeout": options.timeout,
            "concurrency": options.concurrency,
            "duration": options.duration,
        },
        "databases": [],
        "load": None,
        "workers": None,
    }
    try:
        if options.url:
            url = os.environ.get("DATABASE_URL")
            if not url:
                raise SystemExit("--url needs DATABASE_URL: the stack's database, to choose the operations from.")
            plan = choose_operations(url, "bench")
            stacks = {
                "warm": servers.Running("stack", options.url),
                "cold": servers.Running("cold stack", options.cold_url or options.url),
            }
            where = f"the stack at {options.url}" + (f" (cold: {options.cold_url})" if options.cold_url else "")
            database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
            results["load"] = under_load(stacks, plan, options, where, database, count_positions(url))
        else:
            for database in options.databases:
                results["databases"].append(measure_database(database, options, results))
                finish(results, options, started)
    finally:
        finish(results, options, started)
    print(f"\nResults: {options.json}" + ("" if options.no_doc else f"; document: {options.doc}"))
    print(f"(benchmark took {time.monotonic() - started:.0f} s)")


def finish(results, options, started):
    results["seconds"] = time.monotonic() - started
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(results, indent=1, default=str))
    write_doc(results, options)


def write_doc(results, options):
    if not options.no_doc and (results.get("databases") or results.get("load") or results.get("workers")):
        options.doc.write_text(report.write(results))


# --- Set-up ------------------------------------------------------------------------------------


def prepare_tools(options):
    if (options.load or options.worker_models) and subprocess.run(["which", "wrk"], capture_output=True).returncode:
        subprocess.run([str(ROOT / "scripts" / "system-deps.sh"), "wrk"], check=True)
    if "sqlite" in options.databases and not options.url and not (servers.BENCH_VENV / "bin" / "datasette").exists():
        print("Installing Datasette into .venv-bench", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(servers.BENCH_VENV)], check=True)
        pip(servers.BENCH_VENV / "bin" / "pip", ROOT / "bench" / "requirements.txt")


def pip(executable, requirements):
    return (
        subprocess.run(
            [str(executable), "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)]
        ).returncode
        == 0
    )


def manage(database_url, *arguments):
    subprocess.run(
        [str(PYTHON), "manage.py", *arguments],
        cwd=ROOT,
        env=servers.app_environment(database_url),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def with_database_name(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def postgres(url, *statements):
    """Run each statement outside a transaction (CREATE DATABASE needs it); the last one's rows."""
    import psycopg

    rows = None
    with psycopg.connect(url, autocommit=True) as connection:
        for statement in statements:
            cursor = connection.execute(statement)
            rows = cursor.fetchall() if cursor.description else None
    return rows


def create_databases(database, options, directory):
    """{size: DATABASE_URL}: an empty database per size."""
    if database == "PostgreSQL":
        admin = os.environ["DATABASE_URL"]
        urls = {}
        for size in options.sizes:
            name = f"kb_bench_{size}"
            postgres(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
            urls[size] = with_database_name(admin, name)
        return urls
    return {size: f"sqlite:///{Path(directory) / f'bench-{size}.sqlite3'}" for size in options.sizes}


def drop_databases(database, urls):
    if database == "PostgreSQL":
        for url in urls.values():
            postgres(
                os.environ["DATABASE_URL"], f"DROP DATABASE IF EXISTS {urlsplit(url).path.lstrip('/')} WITH (FORCE)"
            )


def generate(url, size):
    manage(url, "migrate", "--noinput")
    manage(url, "load_kb")
    started = time.monotonic()
    manage(url, "generate_synthetic_kb", "--positions", str(size), "--verbosity", "0")
    return time.monotonic() - started


def choose_operations(url, datasette_database):
    output = subprocess.run(
        [str(PYTHON), "-m", "bench.targets"],
        cwd=ROOT,
        env={**servers.app_environment(url), "KB_BENCH_DATASETTE_DATABASE": datasette_database},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def count_positions(url):
    if url.startswith("postgres"):
        return postgres(url, "SELECT count(*) FROM kb_position")[0][0]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute("SELECT count(*) FROM kb_position").fetchone()[0]


def selected(plan, only):
    if not only:
        return list(plan["operations"])
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    chosen = [name for name, operation in plan["operations"].items() if name in wanted or operation["group"] in wanted]
    unknown = wanted - set(plan["operations"]) - {operation["group"] for operation in plan["operations"].values()}
    if unknown:
        raise SystemExit(f"No such operation or group: {', '.join(sorted(unknown))}.")
    return chosen


# --- One client: cold, then cache on -----------------------------------------------------------


def measure_database(database, options, results):
    database = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[database]
    print(f"\n== {database}: {', '.join(f'{size:,}' for size in options.sizes)} synthetic positions ==", flush=True)
    leg = {"database": database, "sizes": options.sizes, "generated_seconds": {}, "loadavg": [], "operations": {}}
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as directory:
        urls = create_databases(database, options, directory)
        running = []
        try:
            if database == "PostgreSQL":
                leg["version"] = "PostgreSQL " + postgres(urls[options.sizes[0]], "SHOW server_version")[0][0]
            else:
                leg["version"] = f"SQLite {sqlite3.sqlite_version}"
            plans = {}
            for size, url in urls.items():
                leg["generated_seconds"][str(size)] = generated = generate(url, size)
                print(f"generated {size:,} positions in {generated:.0f} s", flush=True)
                plans[size] = choose_operations(url, f"bench-{size}")
            cold, warm = {}, {}
            for size, url in urls.items():
                cold[size] = servers.gunicorn(url, servers.COLD_SETTINGS, "sync:1", name=f"cold {size}")
                running.append(cold[size])
                warm[size] = servers.gunicorn(url, None, "sync:1", name=f"warm {size}")
                running.append(warm[size])
            peer = None
            if database == "SQLite":
                peer = servers.datasette([url.removeprefix("sqlite:///") for url in urls.values()])
                running.append(peer)
                results["versions"]["Datasette"] = servers.datasette_version()
            largest = plans[options.sizes[-1]]
            leg["sort_field"] = largest["sort_field"]
            client = measure.Client(options.timeout)
            for name in selected(largest, options.only):
                leg["loadavg"].append(os.getloadavg()[0])
                operation = leg["operations"][name] = {
                    key: value
                    for key, value in largest["operations"][name].items()
                    if key in ("group", "what", "needs")
                }
                operation["paths"] = {str(size): plans[size]["operations"][name]["path"] for size in options.sizes}
                operation["cold"] = one_client_cold(client, name, plans, cold, peer, options, leg["sort_field"])
                operation["warm"] = one_client_warm(client, name, plans, warm, operation["cold"], options)
                print(summary_line(name, operation, options.sizes), flush=True)
                for server in running:
                    server.drain()
            client.close()
            if database == "PostgreSQL" and (options.load or options.worker_models):
                for server in running:
                    server.stop()
                running = []
                url = urls[options.sizes[-1]]
                if options.load:
                    results["load"] = load_locally_or_through_topology(url, largest, options)
                if options.worker_models:
                    results["workers"] = compare_worker_models(url, largest, options)
        finally:
            for server in running:
                server.stop()
            drop_databases(database, urls)
    return leg


def one_client_cold(client, name, plans, cold, peer, options, sort_field):
    targets = {}
    for size, plan in plans.items():
        operation = plan["operations"][name]
        base = cold[size].base
        targets[(size, "api")] = measure.Target(base + operation["path"], cold=True)
        targets[(size, "floor")] = measure.Target(base + "/bench/floor" + operation["path"], cold=True)
        if peer is not None and operation.get("datasette"):
            targets[(size, "datasette")] = measure.Target(peer.base + operation["datasette"])
    first = {}
    summaries = measure.sample(
        client, targets, options.rounds, options.seconds, on_probe=lambda key, answer: first.__setitem__(key, answer)
    )
    figures = {}
    for (size, target), summary in summaries.items():
        figures.setdefault(str(size), {})[target] = summary
    for size in plans:
        api = summaries.get((size, "api"))
        for target in ("floor", "datasette"):
            summary = summaries.get((size, target))
            if summary is None or api is None or api["status"] != "ok" or summary["status"] != "ok":
                continue
            difference = measure.same_as_api(first[(size, "api")], first[(size, target)], target, sort_field)
            if difference:
                summary.update(status="differs", detail=difference)
    return figures


def one_client_warm(client, name, plans, warm, cold, options):
    """The 304 revalidation and the cached page, on the servers as configured. A page the app
    computes again (as many queries as cold) is no cached page: n/a, and not measured."""
    targets, figures = {}, {}
    for size, plan in plans.items():
        url = warm[size].base + plan["operations"][name]["path"]
        status, detail, first = measure.probe(client, measure.Target(url))
        figures_at = figures[str(size)] = {}
        if status != "ok":
            continue  # as cold: not answered, nothing to revalidate
        etag = first.headers.get("etag")
        if etag:
            targets[(size, "revalidate")] = measure.Target(url, {"If-None-Match": etag}, expect=304)
        else:
            figures_at["revalidate"] = {"status": "not available", "detail": "no ETag"}
        again = client.get(url)
        cold_queries = (cold.get(str(size), {}).get("api") or {}).get("queries")
        if cold_queries and again.queries is not None and again.queries >= cold_queries:
            figures_at["cached"] = {
                "status": "not available",
                "detail": "no cache answered (the page ran as many queries again as cold)",
                "queries": again.queries,
            }
        else:
            targets[(size, "cached")] = measure.Target(url)
    if targets:
        for (size, target), summary in measure.sample(client, targets, options.rounds, options.seconds).items():
            figures[str(size)][target] = summary
    return figures


def summary_line(name, operation, sizes):
    parts = [f"{name:>22}:"]
    for size in (sizes[0], sizes[-1]):
        figures = operation["cold"].get(str(size), {})
        cells = []
        for target in ("api", "floor", "datasette"):
            figure = figures.get(target)
            if figure:
                cells.append(f"{target} {report.figure_cell(figure)}")
        parts.append(f"[{report.size_label(size)}] " + " ".join(cells))
    value = report.growth(operation, sizes)
    parts.append(f"growth {report.times(value)}")
    warm = operation["warm"].get(str(sizes[-1]), {})
    parts.append("304 " + report.figure_cell(warm.get("revalidate")))
    parts.append("cached " + report.figure_cell(warm.get("cached")))
    return "  ".join(parts)


# --- Many clients: wrk -------------------------------------------------------------------------


def load_locally_or_through_topology(url, plan, options):
    if options.production:
        where = f"production topology (`{options.topology_command}`)"
        start = lambda settings, name: servers.topology(options.topology_command, url, settings, name)  # noqa: E731
    else:
        where = f"local {servers.describe_worker_model(options.worker_model)}, no proxy: not the production topology (`--production`)"
        start = lambda settings, name: servers.gunicorn(url, settings, options.worker_model, name)  # noqa: E731
    stacks = {}
    try:
        stacks["cold"] = start(servers.COLD_SETTINGS, "cold stack")
        stacks["warm"] = start(None, "warm stack")
        return under_load(stacks, plan, options, where, "PostgreSQL", options.sizes[-1])
    finally:
        for stack in stacks.values():
            stack.stop()


def under_load(stacks, plan, options, where, database, size):
    print(f"\n== Under load: {options.concurrency} connections, {where} ==", flush=True)
    load = {
        "where": where,
        "database": database,
        "size": size,
        "concurrency": options.concurrency,
        "duration": options.duration,
        "loadavg": [],
        "operations": {},
    }
    client = measure.Client(options.timeout)
    for name in selected(plan, options.load_operations):
        load["loadavg"].append(os.getloadavg()[0])
        path = plan["operations"][name]["path"]
        figures = load["operations"][name] = {}
        figures["cold"], cold_queries = cold_under_load(client, stacks["cold"].base + path, options)
        # The requests wrk gave up on still hold the cold stack's workers, and the cores the cached
        # page is measured on: the cached p99s that missed 50 ms (as_of 52, search_word 172) came
        # straight after the two worst cold ones (585 and 508 ms).
        stacks["cold"].drain()
        figures["revalidate"], figures["cached"] = warm_under_load(
            client, stacks["warm"].base + path, cold_queries, options
        )
        print(
            f"{name:>22}: "
            + "  ".join(
                f"{mode} "
                + (
                    f"{figure['rps']:.0f}/s p99 {report.ms(figure['p99_ms'])} ms"
                    if figure.get("status") == "ok"
                    else figure.get("status", "–")
                )
                for mode, figure in figures.items()
            ),
            flush=True,
        )
        for stack in stacks.values():
            stack.drain()
    client.close()
    return load


def cold_under_load(client, url, options):
    """wrk on the cold stack, once three answers show it computes (queries run, answers distinct).
    Its queries: the fewest of the three (a worker's first request also sets its connection up)."""
    status, detail, first = measure.probe(client, measure.Target(url))
    if status != "ok":
        return {"status": status, "detail": detail}, None
    answers = [first, client.get(url), client.get(url)]
    queries = [answer.queries for answer in answers]
    nonces = [answer.nonce for answer in answers]
    if any(answer.status != 200 for answer in answers):
        return {"status": "error", "detail": "the stack stopped answering 200"}, None
    if 0 in queries or (None not in nonces and len(set(nonces)) < len(nonces)):
        return {"status": "not cold", "detail": "a cache answered (no queries, or the same answer twice)"}, None
    figure = measure.wrk(url, options.concurrency, options.duration, timeout=options.timeout)
    cold_queries = min(queries) if None not in queries else None
    figure["queries"] = cold_queries
    return figure, cold_queries


def warm_under_load(client, url, cold_queries, options):
    status, detail, first = measure.probe(client, measure.Target(url))
    if status != "ok":
        return {"status": status, "detail": detail}, {"status": status, "detail": detail}
    etag = first.headers.get("etag")
    if not etag:
        revalidate = {"status": "not available", "detail": "no ETag"}
    else:
        answer = client.get(url, {"If-None-Match": etag})
        if answer.status == 304:
            revalidate = measure.wrk(
                url, options.concurrency, options.duration, {"If-None-Match": etag}, options.timeout
            )
            revalidate["queries"] = answer.queries
        else:
            revalidate = {"status": "not available", "detail": f"answered {answer.status} to If-None-Match"}
    # A cached page: the same request again ran no queries, or fewer than cold.
    again = client.get(url)
    if (
        again.status == 200
        and again.queries is not None
        and (again.queries == 0 or again.queries < (cold_queries or 0))
    ):
        cached = measure.wrk(url, options.concurrency, options.duration, timeout=options.timeout)
        cached["queries"] = again.queries
    elif cold_queries and again.queries is not None:
        cached = {
            "status": "not available",
            "detail": "no cache answered (the page ran as many queries again as cold)",
        }
    else:
        cached = {"status": "not available", "detail": "could not tell whether a cache answered"}
    return revalidate, cached


def compare_worker_models(url, plan, options):
    names = [name for name in WORKER_OPERATIONS.split(",") if name in plan["operations"]]
    print(f"\n== Worker models: {options.worker_models} ==", flush=True)
    workers = {
        "where": (
            f"production topology (`{options.topology_command}`), cold"
            if options.production
            else "local gunicorn, no proxy, cold"
        ),
        "database": "PostgreSQL",
        "size": options.sizes[-1],
        "cores": os.cpu_count(),
        "concurrency": options.concurrency,
        "duration": options.duration,
        "models": {},
    }
    client = measure.Client(options.timeout)
    for spec in options.worker_models.split(","):
        spec = spec.strip()
        model = workers["models"][spec] = {"describe": servers.describe_worker_model(spec), "operations": {}}
        if not servers.worker_model_available(spec):
            pip(PYTHON.parent / "pip", ROOT / "bench" / "requirements-workers.txt")
        if not servers.worker_model_available(spec):
            model.update(status="not available", detail="not installable here")
            continue
        if options.production and spec.startswith("uvicorn"):
            model.update(
                status="not available",
                detail="not through the topology, whose gunicorn serves config.wsgi (WSGI): compare it without --production",
            )
            continue
        try:
            if options.production:
                server = servers.topology(options.topology_command, url, servers.COLD_SETTINGS, spec, worker_model=spec)
            else:
                server = servers.gunicorn(url, servers.COLD_SETTINGS, spec, name=spec)
        except SystemExit as error:
            model.update(status="error", detail=str(error).splitlines()[0])
            continue
        try:
            for name in names:
                target = server.base + plan["operations"][name]["path"]
                status, detail, _ = measure.probe(client, measure.Target(target))
                model["operations"][name] = (
                    measure.wrk(target, options.concurrency, options.duration, timeout=options.timeout)
                    if status == "ok"
                    else {"status": status, "detail": detail}
                )
                server.drain()
        finally:
            server.stop()
        good = [figure for figure in model["operations"].values() if figure.get("status") == "ok"]
        model.update(
            status="ok" if good else "error",
            rps_mean=report.geometric_mean([figure["rps"] for figure in good]),
            p99_mean=report.geometric_mean([figure["p99_ms"] for figure in good]),
        )
        print(
            f"{spec:>12}: {model['describe']}: {report.times(model['rps_mean'])} req/s, p99 {report.ms(model['p99_mean'])} ms (geometric means)",
            flush=True,
        )
    client.close()
    workers["choice"] = choose_worker_model(workers["models"])
    return workers


def choose_worker_model(models):
    """The lowest geometric-mean p99 among the models that served every operation; throughput breaks ties within 10%."""
    served = {spec: model for spec, model in models.items() if model.get("status") == "ok" and model.get("p99_mean")}
    if not served:
        return "none: no worker model served the operations"
    best = min(served.values(), key=lambda model: model["p99_mean"])
    close = [model for model in served.values() if model["p99_mean"] <= best["p99_mean"] * 1.1]
    chosen = max(close, key=lambda model: model["rps_mean"])
    return (
        f"{chosen['describe']}: p99 {report.ms(chosen['p99_mean'])} ms and {chosen['rps_mean']:.0f} req/s "
        "(geometric means over the operations), the lowest p99 (within 10%, the most requests/s)"
    )


# --- The run's circumstances -------------------------------------------------------------------


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
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": int(memory) // 1024 // 1024,
        "system": f"{platform.system()} {platform.release()}",
        "loadavg_at_start": os.getloadavg()[0],
    }


def commit():
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def command_line():
    arguments = [argument for argument in sys.argv[1:] if argument != "--inside-postgres"]
    return " ".join([".venv/bin/python bench/run.py", *arguments])


if __name__ == "__main__":
    # A TERM (a timeout, a CI runner stopping) unwinds like ^C: the servers and the production
    # topology started here are stopped by their `finally`s, not left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
