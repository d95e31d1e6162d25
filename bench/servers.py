"""What bench/run.py measures, serving on 127.0.0.1: the app under gunicorn (any worker model),
Datasette, the production topology started by its script, or a stack already running.

Each is started in its own process group and stopped with it. A stack is pluggable: anything
with `base` (its URL), `drain()` and `stop()`.
"""

import os
import secrets
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
BENCH_VENV = ROOT / ".venv-bench"
COLD_SETTINGS = "bench.settings_cold"


def app_environment(database_url, settings=None):
    """The app's environment: production settings (debug off) with the floor and X-Queries on."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_LOG_LEVEL="WARNING",
        KB_BENCH_FLOOR="true",
        PYTHONPATH=str(ROOT),
    )
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    return env


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A process serving HTTP on 127.0.0.1:{port}, stopped (its whole process group) by stop()."""

    def __init__(self, name, arguments, env, ready_path, start_timeout=90):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        self.arguments = [part.replace("{port}", str(self.port)) for part in arguments]
        env = {**env, "PORT": str(self.port)}
        self.process = subprocess.Popen(
            self.arguments,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                error = self.process.stderr.read().decode(errors="replace")[-2000:]
                raise SystemExit(f"{name} did not start ({' '.join(self.arguments)}):\n{error}")
            time.sleep(0.3)

    def drain(self, limit=180):
        """Wait until requests a client gave up on are served: the next measure starts on an idle server."""
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
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Running:
    """A stack started elsewhere (--url): measured, never started or stopped here."""

    def __init__(self, name, base):
        self.name = name
        self.base = base.rstrip("/")

    def drain(self, limit=180):
        pass

    def stop(self):
        pass


# --- The app under gunicorn --------------------------------------------------------------------

WORKER_CLASSES = {
    "sync": "sync",
    "gthread": "gthread",
    "uvicorn": "uvicorn_worker.UvicornWorker",
    "gevent": "gevent",
}


def parse_worker_model(spec):
    """ "sync:2", "gthread:2x4", "uvicorn:2": (model, workers, threads)."""
    model, _, size = spec.partition(":")
    if model not in WORKER_CLASSES:
        raise SystemExit(f"Unknown worker model {model!r}: choose from {', '.join(WORKER_CLASSES)}.")
    workers, _, threads = (size or "2").partition("x")
    return model, int(workers), int(threads or (4 if model == "gthread" else 1))


def describe_worker_model(spec):
    model, workers, threads = parse_worker_model(spec)
    if model == "gthread":
        return f"gunicorn, {workers} gthread workers × {threads} threads"
    if model == "uvicorn":
        return f"gunicorn, {workers} uvicorn (ASGI) workers"
    return f"gunicorn, {workers} {model} workers"


def gunicorn(database_url, settings=None, worker_model="sync:1", name="app"):
    model, workers, threads = parse_worker_model(worker_model)
    application = "bench.asgi:application" if model == "uvicorn" else "config.wsgi:application"
    arguments = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        application,
        "--bind",
        "127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        WORKER_CLASSES[model],
        "--backlog",
        "256",
        "--log-level",
        "warning",
        "--no-control-socket",
    ]
    if model == "gthread":
        arguments += ["--threads", str(threads)]
    env = app_environment(database_url, settings)
    if settings is None:
        # Cached pages, as production keeps them with REDIS_URL: here in each worker's memory.
        env.setdefault("DJANGO_RESPONSE_CACHE_SECONDS", "300")
    return Server(name, arguments, env, "/healthz")


def worker_model_available(spec):
    model, _, _ = parse_worker_model(spec)
    module = {"uvicorn": "uvicorn_worker", "gevent": "gevent"}.get(model)
    if module is None:
        return True
    check = subprocess.run([str(PYTHON), "-c", f"import {module}"], capture_output=True)
    return check.returncode == 0


# --- Datasette ---------------------------------------------------------------------------------


def datasette(sqlite_files):
    """One Datasette serving each file read-only (immutable), as /<file stem>/."""
    arguments = [str(BENCH_VENV / "bin" / "datasette"), "serve"]
    for path in sqlite_files:
        arguments += ["-i", str(path)]
    arguments += [
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--setting",
        "sql_time_limit_ms",
        "30000",
        "--setting",
        "max_returned_rows",
        "1000",
    ]
    return Server("datasette", arguments, dict(os.environ), "/-/versions.json")


def datasette_version():
    try:
        output = subprocess.run(
            [str(BENCH_VENV / "bin" / "datasette"), "--version"], capture_output=True, text=True, check=True
        )
        return output.stdout.split()[-1]  # "datasette, version 0.65.5"
    except (OSError, subprocess.CalledProcessError, IndexError):
        return None


# --- The production topology (issue 17) --------------------------------------------------------

DEFAULT_TOPOLOGY_COMMAND = "scripts/production.sh serve"


def gunicorn_arguments(worker_model):
    """GUNICORN_CMD_ARGS for a worker model: how the production topology is told which to run."""
    model, workers, threads = parse_worker_model(worker_model)
    arguments = f"--workers {workers} --worker-class {WORKER_CLASSES[model]}"
    return arguments + (f" --threads {threads}" if model == "gthread" else "")


def topology(command, database_url, settings=None, name="production topology", worker_model=None):
    """The production topology, started by its one command.

    The contract: the command runs in the foreground until SIGTERM, stopping everything it
    started; it serves on http://127.0.0.1:$PORT (the proxy's port) over the database in
    $DATABASE_URL (the primary, which already holds the knowledge base); it passes the app the
    environment it is given (DJANGO_SETTINGS_MODULE, KB_BENCH_FLOOR); and /healthz answers 200
    once it is ready. `{port}` and `{database_url}` in the command are replaced too.
    """
    arguments = [part.replace("{database_url}", database_url) for part in shlex.split(command)]
    executable = ROOT / arguments[0]
    if not executable.exists() and not Path(arguments[0]).is_absolute():
        raise SystemExit(
            f"{arguments[0]} does not exist yet (the production topology of issue 17): "
            "pass --topology-command, or --url for a stack already running."
        )
    env = app_environment(database_url, settings)
    if worker_model:
        env["GUNICORN_CMD_ARGS"] = gunicorn_arguments(worker_model)
    return Server(name, arguments, env, "/healthz", start_timeout=300)
