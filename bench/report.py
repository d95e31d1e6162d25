"""docs/performance.md from bench/run.py's results: every table, and each target met or missed by how much.

`write(results)` returns the Markdown; `python bench/run.py --report-only RESULTS.json` writes it
again from saved results without measuring.
"""

import math
from pathlib import Path

GROWTH_TARGET = 1.5  # latency at the largest size over the smallest, at most
FLOOR_TARGET = 0.7  # the API's speed over the floor's (floor ms / API ms), at least
DATASETTE_TARGET = 1.0  # the API's speed over Datasette's, at least
P99_TARGET_MS = 50.0  # under load: a 304, a cached page, one position cold
# What the figures alone do not say (each miss's cause, from the queries' plans), written by hand.
FINDINGS = Path(__file__).resolve().parent / "findings.md"


def size_label(size):
    size = int(size)
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return f"{size:,}"


def ms(value):
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def times(value):
    return "–" if value is None else f"{value:.2f}"


def ok(figure):
    return bool(figure) and figure.get("status") == "ok" and figure.get("median_ms") is not None


# --- Verdicts ----------------------------------------------------------------------------------


def by(shortfall):
    """How much a target was missed by, never "0.00"."""
    return f"by {shortfall:.2f}" if shortfall >= 0.005 else "by under 0.01"


# In the tables a missed target is in bold; the Targets section says by how much.
def at_most(value, target, unit="×"):
    if value is None:
        return "–"
    return f"{value:.2f}{unit}" if value <= target else f"**{value:.2f}{unit}**"


def at_least(value, target):
    if value is None:
        return "–"
    return f"{value:.2f}" if value >= target else f"**{value:.2f}**"


def p99_verdict(value):
    if value is None:
        return "–"
    return ms(value) if value < P99_TARGET_MS else f"**{ms(value)}**"


def growth(operation, sizes, target="api"):
    small, large = str(sizes[0]), str(sizes[-1])
    cold = operation.get("cold", {})
    before, after = cold.get(small, {}).get(target), cold.get(large, {}).get(target)
    if not (ok(before) and ok(after)) or not before["median_ms"]:
        return None
    return after["median_ms"] / before["median_ms"]


def speed_ratio(operation, size, peer):
    """The API's speed over the peer's (peer ms / API ms), when both answered alike."""
    figures = operation.get("cold", {}).get(str(size), {})
    api, other = figures.get("api"), figures.get(peer)
    if not (ok(api) and ok(other)) or not api["median_ms"]:
        return None
    return other["median_ms"] / api["median_ms"]


def cold_problem(figure):
    """Why a cold figure is not one, or None."""
    if figure and figure.get("cached_answers"):
        return f"{figure['cached_answers']} of {figure.get('n')} answers came from a cache"
    return None


def status_cell(figure):
    if not figure:
        return "–"
    status = figure.get("status")
    if status == "ok":
        return None
    return {"not available": "n/a", "timeout": "timeout", "differs": "differs"}.get(status, "error")


def figure_cell(figure):
    word = status_cell(figure)
    if word is not None:
        return word
    problem = cold_problem(figure)
    return f"{ms(figure.get('median_ms'))}" + (" (cached!)" if problem else "")


RUNNING = """## Running it

```sh
.venv/bin/python bench/run.py                     # the full run: 2,000 and 200,000 positions, both databases
.venv/bin/python bench/run.py --quick             # a few minutes: 2,000 and 20,000, short loops
.venv/bin/python bench/run.py --only stance,timeline --databases sqlite   # some operations or groups
.venv/bin/python bench/run.py --production        # under load through the production topology's script
DATABASE_URL=postgres://... .venv/bin/python bench/run.py --url http://127.0.0.1:8080 [--cold-url ...]
.venv/bin/python bench/run.py --worker-models sync:2,sync:5,gthread:2x4,uvicorn:2
.venv/bin/python bench/run.py --report-only artifacts/bench-DATE.json     # this page again, from saved results
```

It installs `wrk` (Debian) and Datasette (into `.venv-bench`, `bench/requirements.txt`) when
missing, and uvicorn's worker (into `.venv`, `bench/requirements-workers.txt`) when a worker
model needs it. PostgreSQL is a throwaway cluster unless `DATABASE_URL` names a server (then it
creates and drops `kb_bench_<size>` databases there). `--production` starts the topology with
`--topology-command` (default `scripts/production.sh`): it must run in the foreground until
SIGTERM, serve on `127.0.0.1:$PORT` over `$DATABASE_URL`, pass the app its environment
(`DJANGO_SETTINGS_MODULE=bench.settings_cold` for the cold stack) and answer `/healthz`. Every loop
is bounded in requests and in time, and only 127.0.0.1 is requested."""


# --- The document ------------------------------------------------------------------------------


def write(results):
    lines = []
    add = lines.append
    sizes = results["settings"]["sizes"]
    small, large = size_label(sizes[0]), size_label(sizes[-1])
    add("# Performance")
    add("")
    add("<!-- Written by bench/run.py from its results (--report-only FILE writes it again): do not edit by hand. -->")
    add("")
    add(
        "What `bench/run.py` measures, for issue 18: each filter of the positions list alone and the common "
        "pairs, search, facets, a CSV page, the change feed, every timeline, every detail and a deep page, "
        f"at {sizes[0]:,} and {sizes[-1]:,} synthetic positions, on each database, with the floor "
        "(`bench/floor_views.py`) and Datasette side by side; cache off and cache on apart; and, under load, "
        "p99 at many connections."
    )
    add("")
    add("## This run")
    add("")
    add(f"- Command: `{results['command']}`")
    add(f"- Code: commit `{results.get('commit', '?')}`; {results.get('date', '?')}; took {_duration(results)}.")
    machine = results.get("machine", {})
    versions = ", ".join(f"{name} {version}" for name, version in results.get("versions", {}).items() if version)
    add(
        f"- Machine: {machine.get('cores')} cores ({machine.get('cpu')}), {machine.get('memory_gb')} GB, "
        f"{machine.get('system')}; {versions}."
    )
    loads = [value for leg in results.get("databases", []) for value in leg.get("loadavg", [])]
    loads += (results.get("load") or {}).get("loadavg", [])
    if loads:
        add(
            f"- Load average (1 minute) {min(loads):.1f} to {max(loads):.1f} on {machine.get('cores')} cores during "
            "the run, sampled before each operation (the benchmark's own servers and clients included). Absolute "
            "milliseconds move with the load from minute to minute; the ratios are taken between requests sent "
            "one after another in turn (the API, its floor and Datasette, at both sizes), so the load weighs on "
            "each alike. Read the ratios."
        )
    settings = results["settings"]
    if results.get("quick"):
        add(
            f"- **A quick run** (`--quick`): {sizes[0]:,} and {sizes[-1]:,} positions, {settings['rounds']} requests "
            "per figure. It proves the harness; the targets are judged on the full run (2,000 and 200,000 "
            "positions, 100 requests per figure), which `bench/run.py` without options makes."
        )
    add("")
    add("## How it measures")
    add("")
    add(_method(results))
    add("")
    add(RUNNING)
    add("")
    add("## Targets")
    add("")
    add("| target | result |")
    add("| --- | --- |")
    for target, result in _targets(results):
        add(f"| {target} | {result} |")
    add("")
    if FINDINGS.exists():
        add("## Why the misses miss")
        add("")
        add(
            f"<!-- From {FINDINGS.relative_to(FINDINGS.parent.parent)}, written by hand from a run's figures and plans. -->"
        )
        add("")
        add(FINDINGS.read_text(encoding="utf-8").strip())
        add("")
    for leg in results.get("databases", []):
        _leg(leg, sizes, small, large, add)
    if results.get("load"):
        _load(results["load"], add)
    if results.get("workers"):
        _workers(results["workers"], add)
    _not_available(results, add)
    _operation_list(results, add)
    return "\n".join(lines).rstrip() + "\n"


def _operation_list(results, add):
    """What each operation requests (bench/targets.py chose it from the synthetic knowledge base)."""
    legs = results.get("databases", [])
    if not legs:
        return
    sizes = results["settings"]["sizes"]
    add(f"## The operations (paths at {sizes[-1]:,} positions, on {legs[0]['database']})")
    add("")
    add("| operation | group | what | path |")
    add("| --- | --- | --- | --- |")
    for name, operation in legs[0]["operations"].items():
        path = operation.get("paths", {}).get(str(sizes[-1]), "")
        add(f"| `{name}` | {operation.get('group', '')} | {operation.get('what', '')} | `{path}` |")
    add("")


def _duration(results):
    seconds = results.get("seconds")
    if seconds is None:
        return "?"
    return f"{seconds / 60:.1f} minutes" if seconds >= 120 else f"{seconds:.0f} s"


def _method(results):
    settings = results["settings"]
    return "\n".join(
        [
            f"- **One client** (the tables of each database): for each operation, rounds of one request to each "
            f"target in turn (the order turns round by round), at most {settings['rounds']} rounds or "
            f"{settings['seconds']} s, at least 3; the median is shown. The app runs under gunicorn, one sync "
            "worker per server, debug off, on 127.0.0.1; the first answers of each server are not counted.",
            "- **Cold** = no HTTP cache and no app cache: a server whose every cache is a DummyCache "
            "(`bench/settings_cold.py`), requests without `If-None-Match`. Each answer must have run its queries "
            "and carry its own `X-Bench-Response` value (`bench/middleware.py`); one that did not came from a "
            "cache and is flagged, never counted as cold. The database's own buffers are warm.",
            "- **Cache on** = the app as configured, a second server: a *revalidation* sends the page's ETag "
            "in `If-None-Match` and must get 304; a *cached page* is the same request again, counted as cached "
            "only if it ran fewer queries than cold (else: n/a, no cache answered).",
            "- **Floor**: the same queries and the same JSON writer without the framework "
            "(`bench/floor_views.py`), on the cold server. **Datasette**: the same SQLite file, its table JSON "
            "with the same filter (`_where` for the API's ORs), order and page size. Each must answer what the "
            "API answers (same results and count; for Datasette the same sort keys in the same order) before "
            "it is measured; one that does not is shown as `differs`.",
            f"- **Growth** = the API's median at {settings['sizes'][-1]:,} positions over its median at "
            f"{settings['sizes'][0]:,} (target at most {GROWTH_TARGET}×). **API/floor** and **API/Datasette** = "
            f"their median over the API's (the API's speed relative to theirs; targets {FLOOR_TARGET} and "
            f"{DATASETTE_TARGET}); the worse of the two sizes is judged. **Queries**: `X-Queries`, SQL queries "
            "of one request, on every database alias.",
            "- **Not available**: an operation the API does not answer yet (400 naming the parameter, 404 for the "
            "path) is shown as n/a, with what it waits for, not as a failure.",
        ]
        + (
            [
                f"- **Under load**: wrk, {settings.get('concurrency')} connections, {settings.get('duration')} s per "
                "figure; cold, revalidation (304) and cached page apart, as above, each checked first (a cold "
                "stack must compute, a revalidation must get 304, a cached page must run fewer queries)."
            ]
            if results.get("load")
            else []
        )
        + ["- In the tables, a figure that misses its target is in **bold**; n/a: not available, see the end."]
    )


def _operations(results):
    for leg in results.get("databases", []):
        for name, operation in leg["operations"].items():
            yield leg, name, operation


def _list(items, limit=None):
    if not items:
        return ""
    if limit is None or len(items) <= limit:
        return "; ".join(items)
    return "; ".join(items[:limit]) + f"; and {len(items) - limit} more"


def _targets(results):
    sizes = results["settings"]["sizes"]
    rows = []
    for leg in results.get("databases", []):
        database = leg["database"]
        judged, missed = 0, []
        for name, operation in leg["operations"].items():
            value = growth(operation, sizes)
            if value is None:
                continue
            judged += 1
            if value > GROWTH_TARGET:
                missed.append(f"`{name}` {value:.2f}× ({by(value - GROWTH_TARGET)})")
        label = f"{size_label(sizes[-1])} over {size_label(sizes[0])}"
        if results.get("quick"):
            label += "; quick sizes, the target is for 200k over 2k"
        rows.append(
            (
                f"{database}: every operation grows at most {GROWTH_TARGET}× ({label})",
                _met_line(judged, missed),
            )
        )
    judged, missed = 0, []
    detail = []
    for leg, name, operation in _operations(results):
        worst = _worst(operation, sizes, "floor")
        if worst is None:
            continue
        judged += 1
        value, size = worst
        if value < FLOOR_TARGET:
            missed.append(
                f"`{name}` on {leg['database']} at {size_label(size)}: {value:.2f} ({by(FLOOR_TARGET - value)})"
            )
        if name == "detail_position":
            detail.append(
                f"{leg['database']}: {value:.2f} at {size_label(size)}"
                + ("" if value >= FLOOR_TARGET else f", **missed** ({by(FLOOR_TARGET - value)})")
            )
    rows.append((f"Cold reads at least {FLOOR_TARGET}× the floor, every operation", _met_line(judged, missed)))
    rows.append((f"One position at least {FLOOR_TARGET}× the floor", "; ".join(detail) if detail else "not measured"))
    judged, missed = 0, []
    for leg, name, operation in _operations(results):
        worst = _worst(operation, sizes, "datasette")
        if worst is None:
            continue
        judged += 1
        value, size = worst
        if value < DATASETTE_TARGET:
            missed.append(
                f"`{name}` on {leg['database']} at {size_label(size)}: {value:.2f} ({by(DATASETTE_TARGET - value)})"
            )
    rows.append(("At least as fast as Datasette on every equivalent (SQLite)", _met_line(judged, missed)))
    cached_cold = [
        f"`{name}` ({leg['database']}, {size_label(size)})"
        for leg, name, operation in _operations(results)
        for size, figures in operation.get("cold", {}).items()
        if cold_problem(figures.get("api"))
    ]
    rows.append(
        (
            "A cached figure is never passed off as a cold one",
            "every cold answer was computed" if not cached_cold else "flagged: " + _list(cached_cold),
        )
    )
    load = results.get("load")
    if load:
        where = load["where"]
        for mode, label in (("revalidate", "A revalidation (304)"), ("cached", "A cached page")):
            rows.append(
                (
                    f"{label}: p99 < {P99_TARGET_MS:.0f} ms at {load['concurrency']} connections",
                    _p99_line(load, mode) + f"; {where}",
                )
            )
        detail = load["operations"].get("detail_position", {}).get("cold")
        rows.append(
            (
                f"One position, cold: p99 < {P99_TARGET_MS:.0f} ms",
                (_p99_sentence(detail["p99_ms"]) if detail and detail.get("status") == "ok" else "not measured")
                + f"; {where}",
            )
        )
        reported = sum(
            1 for operation in load["operations"].values() if (operation.get("cold") or {}).get("status") == "ok"
        )
        total = len(load["operations"])
        rows.append(
            (
                "Cold p99 reported for every operation",
                f"{reported} of the {total} operations measured under load (the others: not available)",
            )
        )
    else:
        rows.append(
            (
                f"Under load: p99 < {P99_TARGET_MS:.0f} ms (304, cached page, one position cold)",
                "not measured in this run",
            )
        )
    workers = results.get("workers")
    rows.append(
        (
            "The worker model, chosen by measurement",
            workers["choice"] if workers else "not compared in this run (`--worker-models`)",
        )
    )
    if results.get("quick"):
        rows.append(("`--quick` stays under a few minutes", f"this run took {_duration(results)}"))
    return rows


def _p99_sentence(value):
    if value < P99_TARGET_MS:
        return f"met: {ms(value)} ms"
    return f"**missed**: {ms(value)} ms (by {value - P99_TARGET_MS:.0f} ms)"


def _met_line(judged, missed):
    if not judged:
        return "nothing measured"
    if not missed:
        return "met on the one operation measured" if judged == 1 else f"met on all {judged} operations measured"
    return f"**missed on {len(missed)} of {judged}**: " + _list(missed)


def _worst(operation, sizes, peer):
    values = [(speed_ratio(operation, size, peer), size) for size in sizes]
    values = [(value, size) for value, size in values if value is not None]
    return min(values) if values else None


def _p99_line(load, mode):
    measured, missed = 0, []
    for name, operation in load["operations"].items():
        figure = operation.get(mode)
        if not figure or figure.get("status") != "ok":
            continue
        measured += 1
        if figure["p99_ms"] >= P99_TARGET_MS:
            missed.append(f"`{name}` {ms(figure['p99_ms'])} ms (by {figure['p99_ms'] - P99_TARGET_MS:.0f})")
    if not measured:
        reasons = {
            (operation.get(mode) or {}).get("detail")
            for operation in load["operations"].values()
            if (operation.get("cold") or {}).get("status") == "ok"
        }
        reasons.discard(None)
        return "not available" + (f": {_list(sorted(reasons), 2)}" if reasons else "")
    return _met_line(measured, missed)


def _leg(leg, sizes, small, large, add):
    database = leg["database"]
    add(f"## {database}")
    add("")
    generated = ", ".join(
        f"{size_label(size)} in {seconds:.0f} s" for size, seconds in leg.get("generated_seconds", {}).items()
    )
    loads = leg.get("loadavg", [])
    add(
        f"{leg.get('version', database)}. Synthetic knowledge base generated: {generated}. "
        + (f"Load average {min(loads):.1f} to {max(loads):.1f}." if loads else "")
    )
    add("")
    has_datasette = any(
        "datasette" in figures
        for operation in leg["operations"].values()
        for figures in operation.get("cold", {}).values()
    )
    add(f"### {database}: cold reads (no HTTP cache, no app cache), one client, median ms")
    add("")
    header = [
        "operation",
        f"API {small}",
        f"API {large}",
        f"growth ≤ {GROWTH_TARGET}×",
        f"floor {small}",
        f"floor {large}",
        f"API/floor ≥ {FLOOR_TARGET} ({small} / {large})",
    ]
    if has_datasette:
        header += [
            f"Datasette {small}",
            f"Datasette {large}",
            f"API/Datasette ≥ {DATASETTE_TARGET:.0f} ({small} / {large})",
        ]
    header += [f"queries {small} / {large}", f"rows {small} / {large}", "floor growth"]
    add("| " + " | ".join(header) + " |")
    add("|" + " --- |" + " ---: |" * (len(header) - 1))
    for name, operation in leg["operations"].items():
        cold = operation.get("cold", {})
        at = [cold.get(str(size), {}) for size in (sizes[0], sizes[-1])]
        api = [figures.get("api") for figures in at]
        floor = [figures.get("floor") for figures in at]
        cells = [
            f"`{name}`",
            figure_cell(api[0]),
            figure_cell(api[1]),
            at_most(growth(operation, sizes), GROWTH_TARGET),
        ]
        cells += [figure_cell(floor[0]), figure_cell(floor[1])]
        cells.append(
            " / ".join(at_least(speed_ratio(operation, size, "floor"), FLOOR_TARGET) for size in (sizes[0], sizes[-1]))
        )
        if has_datasette:
            peer = [figures.get("datasette") for figures in at]
            cells += [figure_cell(peer[0]), figure_cell(peer[1])]
            cells.append(
                " / ".join(
                    at_least(speed_ratio(operation, size, "datasette"), DATASETTE_TARGET)
                    for size in (sizes[0], sizes[-1])
                )
                if any(peer)
                else "–"
            )
        cells.append(" / ".join(_queries(figure) for figure in api))
        cells.append(" / ".join(str(figure.get("rows", "–")) if ok(figure) else "–" for figure in api))
        cells.append(times(growth(operation, sizes, "floor")))
        add("| " + " | ".join(cells) + " |")
    add("")
    add(f"### {database}: cache on, one client, median ms")
    add("")
    add(
        f"| operation | 304 {small} | 304 {large} | 304 queries | cached page {small} | cached page {large} | cached queries |"
    )
    add("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, operation in leg["operations"].items():
        warm = operation.get("warm", {})
        at = [warm.get(str(size), {}) for size in (sizes[0], sizes[-1])]
        if not any(at):
            continue
        revalidate = [figures.get("revalidate") for figures in at]
        cached = [figures.get("cached") for figures in at]
        cells = [
            f"`{name}`",
            figure_cell(revalidate[0]),
            figure_cell(revalidate[1]),
            " / ".join(_queries(f) for f in revalidate),
        ]
        cells += [figure_cell(cached[0]), figure_cell(cached[1]), " / ".join(_queries(f) for f in cached)]
        add("| " + " | ".join(cells) + " |")
    add("")
    reasons = sorted(
        {
            f"{figure.get('detail')}"
            for operation in leg["operations"].values()
            for figures in operation.get("warm", {}).values()
            for figure in figures.values()
            if figure and figure.get("status") == "not available"
        }
    )
    if reasons:
        add("n/a above: " + "; ".join(reasons) + ".")
        add("")
    differing = [
        f"`{name}` {peer} at {size_label(size)}: {figure.get('detail')}"
        for name, operation in leg["operations"].items()
        for size, figures in operation.get("cold", {}).items()
        for peer, figure in figures.items()
        if figure and figure.get("status") == "differs"
    ]
    if differing:
        add("Peers that did not answer what the API answers (not compared): " + "; ".join(differing) + ".")
        add("")


def _queries(figure):
    if not ok(figure):
        return "–"
    return "?" if figure.get("queries") is None else str(figure["queries"])


def _load(load, add):
    add(f"## Under load: {load['concurrency']} connections")
    add("")
    loads = load.get("loadavg", [])
    add(
        f"{load['where']}; {load['database']}, {load['size']:,} positions; wrk, {load['duration']} s per figure"
        + (f"; load average {min(loads):.1f} to {max(loads):.1f}." if loads else ".")
    )
    add("")
    add(
        f"| operation | cold req/s | cold p50 ms | cold p99 ms | 304 req/s | 304 p99 ms < {P99_TARGET_MS:.0f} | cached req/s | cached p99 ms < {P99_TARGET_MS:.0f} |"
    )
    add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, operation in load["operations"].items():
        cells = [f"`{name}`"]
        cold = operation.get("cold") or {}
        if cold.get("status") == "ok":
            p99 = cold["p99_ms"]
            cells += [
                f"{cold['rps']:.0f}",
                ms(cold["p50_ms"]),
                p99_verdict(p99) if name == "detail_position" else ms(p99),
            ]
        else:
            cells += [_load_status(cold), "", ""]
        for mode in ("revalidate", "cached"):
            figure = operation.get(mode) or {}
            if figure.get("status") == "ok":
                cells += [f"{figure['rps']:.0f}", p99_verdict(figure["p99_ms"])]
            else:
                cells += [_load_status(figure), ""]
        add("| " + " | ".join(cells) + " |")
    add("")
    errors = [
        f"`{name}` {mode}: {figure['errors']} errors, {figure['timeouts']} timeouts"
        for name, operation in load["operations"].items()
        for mode, figure in operation.items()
        if isinstance(figure, dict) and (figure.get("errors") or figure.get("timeouts"))
    ]
    if errors:
        add("wrk saw: " + "; ".join(errors) + ".")
        add("")


def _load_status(figure):
    if not figure:
        return "–"
    return {"not available": "n/a", "not cold": "cached!"}.get(figure.get("status"), figure.get("status", "–"))


def _workers(workers, add):
    add(f"## Worker models: {workers['concurrency']} connections, cold")
    add("")
    add(
        f"Through the {workers.get('where', 'local gunicorn, no proxy, cold')}; {workers['database']}, "
        f"{workers['size']:,} synthetic positions, gunicorn on this {workers.get('cores', 2)}-core "
        f"machine, wrk {workers['duration']} s per figure. req/s and p99 ms."
    )
    add("")
    names = list(next((model["operations"] for model in workers["models"].values() if model.get("operations")), {}))
    add(
        "| worker model | "
        + " | ".join(f"`{name}`" for name in names)
        + " | geometric mean req/s | geometric mean p99 ms |"
    )
    add("| --- |" + " ---: |" * (len(names) + 2))
    for spec, model in workers["models"].items():
        if model.get("status") != "ok":
            add(
                f"| {model.get('describe', spec)} | "
                + " | ".join("–" for _ in names)
                + f" | {model.get('detail', '')} | |"
            )
            continue
        cells = []
        for name in names:
            figure = model["operations"].get(name) or {}
            cells.append(
                f"{figure['rps']:.0f} / {ms(figure['p99_ms'])}"
                if figure.get("status") == "ok"
                else _load_status(figure)
            )
        add(
            f"| {model['describe']} | "
            + " | ".join(cells)
            + f" | {times(model.get('rps_mean'))} | {ms(model.get('p99_mean'))} |"
        )
    add("")
    add(f"Choice: {workers['choice']}")
    add("")


def geometric_mean(values):
    values = [value for value in values if value]
    if not values:
        return None
    return math.exp(sum(math.log(value) for value in values) / len(values))


def _not_available(results, add):
    waiting = {}
    for leg, name, operation in _operations(results):
        for figures in operation.get("cold", {}).values():
            api = figures.get("api")
            if api and api.get("status") == "not available":
                waiting.setdefault(name, (operation, api.get("detail"), set()))[2].add(leg["database"])
    early = {}
    for leg, name, operation in _operations(results):
        api = [figures.get("api") for figures in operation.get("cold", {}).values()]
        if operation.get("needs") and any(ok(figure) for figure in api):
            early.setdefault(name, (operation, set()))[1].add(leg["database"])
    if early:
        add("## Answered before their feature landed")
        add("")
        add("Measured as the API answers them today, which may not be what they are for yet:")
        add("")
        for name, (operation, databases) in early.items():
            add(
                f"- `{name}` ({operation['what']}), on {' and '.join(sorted(databases))}: waits for {operation['needs']}."
            )
        add("")
    if not waiting:
        return
    add("## Not available yet")
    add("")
    add("Operations the API did not answer in this run, with its answer and what they wait for:")
    add("")
    for name, (operation, detail, databases) in waiting.items():
        needs = f" Waits for {operation['needs']}." if operation.get("needs") else ""
        add(f"- `{name}` ({operation['what']}), on {' and '.join(sorted(databases))}: {detail.rstrip('.')}.{needs}")
    add("")
