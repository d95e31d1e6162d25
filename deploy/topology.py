"""The production topology on one machine, without Docker, on 127.0.0.1 only:

    nginx (deploy/nginx.conf.template) -> gunicorn (config.wsgi, debug off)
        -> PostgreSQL primary, and a streaming replica made from it with pg_basebackup -R
        -> Redis (the shared cache: throttle counters)

It is what docker-compose.yml runs, with the same nginx file and the same variables, for the tests
(tests/test_production_topology.py), the load-and-fault script (scripts/loadtest.py) and the
benchmark. From Python:

    with Topology() as topology:       # everything started, migrated, loaded, collected
        topology.url                   # http://127.0.0.1:<port>, through nginx
        topology.restart_replica()     # and restart_primary(): faults for the load test

From the shell (scripts/production.sh passes its arguments here):

    scripts/production.sh start [--dir DIR]    start it and leave it running; prints the URL
    scripts/production.sh env [--dir DIR]      its variables as `export` lines (KB_URL too)
    scripts/production.sh stop [--dir DIR]     stop it and remove DIR
    scripts/production.sh run -- COMMAND...    start, run COMMAND with those variables, stop
    scripts/production.sh serve                in the foreground until SIGTERM, over the primary
                                               in $DATABASE_URL, nginx on 127.0.0.1:$PORT (the
                                               benchmark's contract: bench/servers.py topology())

Everything lives in one directory under /tmp (data, logs, sockets, the rendered configuration)
and is stopped and removed by stop(), by the context manager's exit, and by a start that failed
half-way. PostgreSQL refuses to run as root: as root the servers run as the `postgres` user, and
nginx's workers as `nobody`. Missing binaries are installed from Debian's packages
(scripts/system-deps.sh).
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"  # the only address anything here listens on or talks to
# As docker-compose.yml's database services: PostgreSQL's default 128 MB of shared buffers holds
# less than the positions table at 200,000 positions (docs/scaling.md).
SHARED_BUFFERS = "1GB"
# nginx connects to gunicorn from this loopback address, the only one the app trusts for
# X-Forwarded-*: a client on the machine that talks to gunicorn directly comes from 127.0.0.1.
PROXY_ADDRESS = "127.0.0.2"
DEFAULT_DIR = Path("/tmp/kb-production")
STATE_FILE = "topology.json"

# Which part of docker-compose.yml each piece is (tests/test_production_topology.py compares).
SERVICES = {"proxy": "nginx", "web": "gunicorn", "db": "PostgreSQL primary", "db-replica": "replica", "redis": "Redis"}
# The variables that wire the app to the others, set here and in compose's web service alike.
APP_WIRING = ("DATABASE_URL", "DATABASE_REPLICA_URLS", "REDIS_URL", "DJANGO_TRUSTED_PROXIES")
# The template's variables, set here and in compose's proxy service alike.
TEMPLATE_VARIABLES = ("NGINX_LISTEN", "NGINX_UPSTREAM", "NGINX_STATIC_ROOT", "NGINX_PROXY_BIND")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def missing_binaries():
    """The Debian packages whose binaries this needs and are not installed."""
    missing = []
    if _postgres_bindir() is None:
        missing.append("postgresql")
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def install_binaries():
    """Install what is missing through scripts/system-deps.sh; the packages still missing after."""
    missing = missing_binaries()
    if missing:
        subprocess.run([str(ROOT / "scripts" / "system-deps.sh"), *missing], check=False)
    return missing_binaries()


def _postgres_bindir():
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    found = shutil.which("initdb")
    for initdb in [*candidates, *([Path(found)] if found else [])]:
        if initdb.exists():
            return initdb.parent
    return None


def _nginx_binary():
    return shutil.which("nginx") or "/usr/sbin/nginx"


def render_template(variables, template=TEMPLATE):
    """The nginx file rendered as envsubst renders it, with only the template's own variables."""
    names = " ".join(f"${{{name}}}" for name in TEMPLATE_VARIABLES)
    completed = subprocess.run(
        ["envsubst", names],
        input=template.read_text(encoding="utf-8"),
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def wait_for(url, deadline_seconds=60, expect=200):
    deadline = time.monotonic() + deadline_seconds
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == expect:
                    return
                last = response.status
        except urllib.error.HTTPError as error:
            last = error.code
        except OSError as error:
            last = error
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer {expect} in {deadline_seconds} s (last: {last})")


class Postgres:
    """One PostgreSQL server of the topology: a primary made by initdb, or a replica of one."""

    def __init__(self, directory, name, as_server):
        self.bindir = _postgres_bindir()
        self.directory = directory
        self.name = name
        self.data = directory / name
        self.log = directory / f"{name}.log"
        self.port = free_port()
        self.as_server = as_server

    def _run(self, *args):
        completed = subprocess.run(
            [*self.as_server, *map(str, args)], capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        if completed.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{Path(str(args[0])).name} failed for {self.name}:\n{completed.stderr}\n{tail}")
        return completed.stdout

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

    def clone_from(self, primary):
        # -R writes primary_conninfo and standby.signal: the copy starts as a streaming replica.
        self._run(
            self.bindir / "pg_basebackup",
            "-h",
            HOST,
            "-p",
            primary.port,
            "-U",
            "postgres",
            "-D",
            self.data,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )

    def start(self):
        # Durability is worth nothing in a topology thrown away after the run; speed is.
        options = (
            f"-c port={self.port} -c listen_addresses={HOST} -c unix_socket_directories={self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
            f"-c wal_retrieve_retry_interval=500ms -c shared_buffers={SHARED_BUFFERS}"
        )
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o", options, "start")

    def stop(self, mode="fast"):
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def running(self):
        return (self.data / "postmaster.pid").exists()

    def stop_quietly(self):
        if self.running():
            subprocess.run(
                [*self.as_server, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                stdin=subprocess.DEVNULL,
            )

    @property
    def url(self):
        return f"postgres://postgres@{HOST}:{self.port}/postgres"


class ExternalPostgres:
    """A primary this topology did not start (`serve` over $DATABASE_URL): used, never stopped."""

    def __init__(self, url):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        if parts.hostname not in (HOST, "localhost"):
            raise RuntimeError(f"The primary must be on {HOST}: the replica is made from it with pg_basebackup.")
        self.url = url
        self.host, self.port = HOST, parts.port or 5432
        self.database = parts.path.lstrip("/") or "postgres"

    def stop_quietly(self):
        pass


class Process:
    """A server this topology started in the foreground, in a session of its own, and its pid."""

    def __init__(self, name, command, log_path, env=None, cwd=ROOT):
        self.name = name
        with open(log_path, "ab") as log_file:
            self.popen = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid = self.popen.pid


def _alive(pid):
    """Running, not gone nor a zombie (an orphan's zombie may wait long for a reaper in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# gunicorn's quick shutdown is SIGINT (SIGTERM waits for requests in progress); nginx's and Redis' is SIGTERM.
STOP_SIGNALS = {"web": signal.SIGINT}
# It keeps nothing: past two seconds its workers are killed.
STOP_TIMEOUTS = {"web": 2}


def stop_pid(pid, timeout=15, stop_signal=signal.SIGTERM):
    """Stop the process group `pid` leads (a server started in a session of its own, with its
    workers): `stop_signal`, then SIGKILL after `timeout` seconds; quiet when it is gone already."""
    try:
        os.killpg(pid, stop_signal)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
            if finished:
                break
        except ChildProcessError:  # not our child (stopped from another process): poll for it
            if not _alive(pid):
                break
        time.sleep(0.1)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    # Workers the leader left behind, if any, go with their group.
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Redis:
    """redis-server on a free loopback port, keeping nothing on disk."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://{HOST}:{self.port}/0"

    def start(self):
        command = [
            shutil.which("redis-server"),
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        self.process = Process("redis", command, self.directory / "redis.log")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return self.process
            except OSError:
                time.sleep(0.1)
        stop_pid(self.process.pid)
        raise RuntimeError(f"Redis did not answer on {HOST}:{self.port}")

    def stop(self):
        if self.process is not None:
            stop_pid(self.process.pid)
            self.process = None


class Topology:
    """Start with start() (or `with`), stop with stop(); see the module's docstring."""

    def __init__(self, directory=None, workers=3, app_environment=None, primary_url=None, proxy_port=None):
        # workers=None: as config/gunicorn.py says (the production worker model, or GUNICORN_CMD_ARGS).
        self.workers = workers
        self.extra_environment = dict(app_environment or {})
        # A primary that runs already and holds the knowledge base: the replica is made from it.
        self.primary_url = primary_url
        self.requested_proxy_port = proxy_port
        self.requested_directory = Path(directory) if directory else None
        self.directory = None
        self.processes = {}
        self.servers = {}
        self.environment = {}
        self.app_port = self.proxy_port = self.redis_port = None

    # ---------------------------------------------------------------- start and stop

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        missing = install_binaries()
        if missing:
            raise RuntimeError(
                f"Missing system packages: {', '.join(missing)} (scripts/system-deps.sh could not install them)"
            )
        self._make_directory()
        try:
            self._start_databases()
            self._start_redis()
            self.environment = self._app_environment()
            self._prepare_app()
            self._start_gunicorn()
            self._start_nginx()
            self._save_state()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stop everything this topology started and remove its directory; safe to call twice."""
        for name in ("proxy", "web", "redis"):
            process = self.processes.pop(name, None)
            if process is not None:
                stop_pid(
                    process.pid, timeout=STOP_TIMEOUTS.get(name, 15), stop_signal=STOP_SIGNALS.get(name, signal.SIGTERM)
                )
        for name in ("db-replica", "db"):
            server = self.servers.pop(name, None)
            if server is not None:
                server.stop_quietly()
        if self.directory is not None and self.directory.exists():
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def _make_directory(self):
        if self.requested_directory is not None:
            if (self.requested_directory / STATE_FILE).exists():
                raise RuntimeError(f"A topology already runs in {self.requested_directory}: stop it first.")
            self.requested_directory.mkdir(parents=True, exist_ok=True)
            self.directory = self.requested_directory
        else:
            # Under /tmp, which the postgres user can enter (not $TMPDIR, maybe in a home).
            self.directory = Path(tempfile.mkdtemp(prefix="kb-production-", dir="/tmp"))
        self.directory.chmod(0o755)
        self.as_server = []
        if os.geteuid() == 0:
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                subprocess.run(
                    ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "postgres"], check=True
                )
            self.as_server = ["runuser", "-u", "postgres", "--"]

    def _start_databases(self):
        replica = Postgres(self.directory, "replica", self.as_server)
        if self.as_server:
            shutil.chown(self.directory, "postgres")
        if self.primary_url:
            primary = ExternalPostgres(self.primary_url)
            log(f"PostgreSQL primary: {primary.host}:{primary.port} (given), database {primary.database}")
            self.servers["db"] = primary
        else:
            primary = Postgres(self.directory, "primary", self.as_server)
            log(f"PostgreSQL primary on {HOST}:{primary.port}")
            primary.init()
            self.servers["db"] = primary
            primary.start()
        log(f"PostgreSQL replica on {HOST}:{replica.port} (pg_basebackup -R from the primary)")
        replica.clone_from(primary)
        self.servers["db-replica"] = replica
        replica.start()

    def _start_redis(self):
        redis = Redis(self.directory)
        log(f"Redis on {HOST}:{redis.port}")
        self.processes["redis"] = redis.start()
        self.redis_port = redis.port

    def _app_environment(self):
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DJANGO_", "DATABASE_", "REDIS_", "NGINX_", "KB_"))
        }
        database = getattr(self.servers["db"], "database", "postgres")
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.servers["db"].url,
            "DATABASE_REPLICA_URLS": self.servers["db-replica"].url.rsplit("/", 1)[0] + f"/{database}",
            "REDIS_URL": f"redis://{HOST}:{self.redis_port}/0",  # Redis.url
            "DJANGO_TRUSTED_PROXIES": PROXY_ADDRESS,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_STATIC_ROOT": str(self.directory / "static"),
            # Plain HTTP on loopback: cookies must not be HTTPS-only here.
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            **self.extra_environment,
        }

    def manage(self, *args):
        completed = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )
        return completed.stdout

    def _prepare_app(self):
        log("migrate, load_kb, and beside them collectstatic")
        collect = subprocess.Popen(
            [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput"],
            cwd=ROOT,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            self.manage("migrate", "--noinput")
            if not self.primary_url:  # a given primary holds its knowledge base already
                self.manage("load_kb")
        finally:
            output, _ = collect.communicate(timeout=300)
        if collect.returncode != 0:
            raise RuntimeError(f"manage.py collectstatic failed:\n{output[-3000:]}")

    def _start_gunicorn(self):
        self.app_port = free_port()
        workers = f"{self.workers} workers" if self.workers else "the workers of config/gunicorn.py"
        log(f"gunicorn: {workers} on {HOST}:{self.app_port}, debug off")
        command = [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--config",
            "config/gunicorn.py",
            "--bind",
            f"{HOST}:{self.app_port}",
            *(["--workers", str(self.workers)] if self.workers else []),
            "--timeout",
            "30",
            "--no-control-socket",
        ]
        self.processes["web"] = Process("web", command, self.directory / "gunicorn.log", env=self.environment)
        wait_for(f"http://{HOST}:{self.app_port}/healthz")

    def template_variables(self):
        return {
            "NGINX_LISTEN": f"{HOST}:{self.proxy_port}",
            "NGINX_UPSTREAM": f"{HOST}:{self.app_port}",
            "NGINX_STATIC_ROOT": self.environment["DJANGO_STATIC_ROOT"],
            "NGINX_PROXY_BIND": PROXY_ADDRESS,
        }

    def _start_nginx(self):
        self.proxy_port = self.requested_proxy_port or free_port()
        log(f"nginx on {HOST}:{self.proxy_port}, in front of gunicorn")
        nginx_dir = self.directory / "nginx"
        nginx_dir.mkdir()
        (nginx_dir / "kb.conf").write_text(render_template(self.template_variables()), encoding="utf-8")
        temp_paths = "\n".join(
            f"    {kind}_temp_path {nginx_dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        # The main context the nginx image has too; everything that serves is in the template.
        (nginx_dir / "nginx.conf").write_text(
            f"""{user}daemon off;
worker_processes 1;
pid {nginx_dir / "nginx.pid"};
error_log {nginx_dir / "error.log"} warn;
events {{
    worker_connections 1024;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {nginx_dir / "access.log"};
{temp_paths}
    include {nginx_dir / "kb.conf"};
}}
""",
            encoding="utf-8",
        )
        nginx = _nginx_binary()
        test = subprocess.run([nginx, "-t", "-q", "-c", str(nginx_dir / "nginx.conf")], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration:\n{test.stderr}")
        self.processes["proxy"] = Process(
            "proxy", [nginx, "-c", str(nginx_dir / "nginx.conf")], nginx_dir / "stderr.log"
        )
        wait_for(f"{self.url}/healthz")

    # ---------------------------------------------------------------- use

    @property
    def url(self):
        return f"http://{HOST}:{self.proxy_port}"

    @property
    def app_url(self):
        """gunicorn itself, bypassing nginx: what a client on the machine could reach directly."""
        return f"http://{HOST}:{self.app_port}"

    @property
    def primary(self):
        return self.servers["db"]

    @property
    def replica(self):
        return self.servers["db-replica"]

    def restart_replica(self, down_seconds=0):
        self.replica.stop("fast")
        time.sleep(down_seconds)
        self.replica.start()

    def restart_primary(self, down_seconds=0):
        self.primary.stop("fast")
        time.sleep(down_seconds)
        self.primary.start()

    def shell_environment(self):
        """What `env` prints: the app's wiring, and KB_URL (nginx) and KB_APP_URL (gunicorn)."""
        names = [*APP_WIRING, "DJANGO_SECRET_KEY", "DJANGO_STATIC_ROOT", "DJANGO_SECURE_COOKIES"]
        return {
            **{name: self.environment[name] for name in names},
            "KB_URL": self.url,
            "KB_APP_URL": self.app_url,
        }

    def _save_state(self):
        state = {
            "directory": str(self.directory),
            "pids": {name: process.pid for name, process in self.processes.items()},
            "databases": {name: str(server.data) for name, server in self.servers.items() if hasattr(server, "data")},
            "as_server": self.as_server,
            "environment": self.shell_environment(),
        }
        (self.directory / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")


PROGRAMS = {"proxy": "nginx", "web": "gunicorn", "redis": "redis-server"}


def _runs(pid, program):
    """Whether `pid` is still the server it was (a pid left in a state file may have been reused)."""
    try:
        return program.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def stop_from_state(directory):
    """`stop` from another process: what the state file says was started."""
    state_path = Path(directory) / STATE_FILE
    if not state_path.exists():
        log(f"Nothing runs in {directory}.")
        return
    state = json.loads(state_path.read_text(encoding="utf-8"))
    for name in ("proxy", "web", "redis"):
        pid = state["pids"].get(name)
        if pid and _runs(pid, PROGRAMS[name]):
            stop_pid(pid, timeout=STOP_TIMEOUTS.get(name, 15), stop_signal=STOP_SIGNALS.get(name, signal.SIGTERM))
    bindir = _postgres_bindir()
    for name in ("db-replica", "db"):
        data = state["databases"].get(name)
        if data and (Path(data) / "postmaster.pid").exists():
            subprocess.run(
                [*state["as_server"], str(bindir / "pg_ctl"), "-D", data, "-m", "fast", "stop"], capture_output=True
            )
    shutil.rmtree(state["directory"], ignore_errors=True)
    log(f"Stopped and removed {state['directory']}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description="The production topology on one machine (see deploy/topology.py).")
    parser.add_argument("command", choices=["start", "stop", "env", "run", "serve"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"where it lives (default {DEFAULT_DIR})")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn's workers (default: config/gunicorn.py's, or GUNICORN_CMD_ARGS)",
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="run: -- COMMAND...")
    options = parser.parse_args(argv)

    if options.command == "stop":
        stop_from_state(options.dir)
        return 0
    if options.command == "env":
        state_path = options.dir / STATE_FILE
        if not state_path.exists():
            log(f"Nothing runs in {options.dir}: scripts/production.sh start first.")
            return 1
        for name, value in json.loads(state_path.read_text(encoding="utf-8"))["environment"].items():
            print(f"export {name}='{value}'")
        return 0

    # SIGTERM (CI ending the run) stops everything too, through the exception's way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if options.command == "start":
        topology = Topology(options.dir, workers=options.workers).start()
        log(f"Serving on {topology.url} (nginx) -> {topology.app_url} (gunicorn). Stop: scripts/production.sh stop")
        return 0
    if options.command == "serve":
        return serve(options)
    command = options.rest[1:] if options.rest[:1] == ["--"] else options.rest
    if not command:
        parser.error("run needs a command: scripts/production.sh run -- COMMAND...")
    with Topology(workers=options.workers) as topology:
        log(f"Serving on {topology.url}; running {' '.join(command)}")
        return subprocess.run(command, env={**os.environ, **topology.shell_environment()}).returncode


# What `serve` passes on to the app from its own environment (the benchmark's cold stack, say).
SERVE_PASSES = ("DJANGO_SETTINGS_MODULE", "KB_BENCH_FLOOR", "DJANGO_RESPONSE_CACHE_SECONDS", "GUNICORN_CMD_ARGS")


def serve(options):
    """The topology over a primary that holds the knowledge base already, in the foreground until
    SIGTERM: $DATABASE_URL is the primary (on 127.0.0.1), nginx listens on 127.0.0.1:$PORT."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        log("serve needs DATABASE_URL: a PostgreSQL primary on 127.0.0.1 that holds the knowledge base.")
        return 2
    port = int(os.environ["PORT"]) if os.environ.get("PORT") else None
    passed = {name: os.environ[name] for name in SERVE_PASSES if name in os.environ}
    topology = Topology(
        workers=options.workers, app_environment=passed, primary_url=os.environ["DATABASE_URL"], proxy_port=port
    )
    with topology:
        log(f"Serving on {topology.url} (nginx) -> {topology.app_url} (gunicorn) until SIGTERM")
        while True:
            signal.pause()


if __name__ == "__main__":
    sys.exit(main())
