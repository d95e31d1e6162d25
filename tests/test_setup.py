"""The project's set-up as a specification: settings from the environment, the deploy check,
the health probe, and the production files (Dockerfile, docker-compose.yml, README) agreeing
with the settings they feed.

Settings are read once, at import; tests that vary the environment start a fresh Python.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest
import yaml
from django.contrib.auth.hashers import make_password
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "config" / "settings.py"

PRODUCTION_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "p" * 20 + "-production-like-secret-key-for-the-deploy-check-only-" + "q" * 20,
    "DJANGO_ALLOWED_HOSTS": "kb.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://kb.example.org",
}


def run_django(*args, environment=None):
    """Run `python *args` in the checkout with only the given project variables set."""
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("DJANGO_") and name != "DATABASE_URL"
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(environment or {})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def settings_under(environment, *names):
    """The values of the named settings when the project starts with `environment`."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}, default=str))"
    )
    completed = run_django("-c", code, environment=environment)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


def variables_read_by_settings():
    source = SETTINGS_FILE.read_text(encoding="utf-8")
    return set(re.findall(r"""(?:environ\.get\(|environ\[|getenv\(|env_\w+\()\s*["']([A-Z][A-Z0-9_]*)["']""", source))


# Settings


def test_debug_is_off_unless_set():
    assert settings_under({"DJANGO_SECRET_KEY": "x" * 50}, "DEBUG") == {"DEBUG": False}
    assert settings_under({"DJANGO_DEBUG": "true"}, "DEBUG") == {"DEBUG": True}


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_debug_rejects_a_value_that_is_neither_yes_nor_no(value):
    completed = run_django("manage.py", "check", environment={"DJANGO_DEBUG": value, "DJANGO_SECRET_KEY": "x" * 50})
    assert completed.returncode != 0
    assert "DJANGO_DEBUG must be one of" in completed.stderr


def test_start_up_without_a_secret_key_fails_clearly_when_debug_is_off():
    completed = run_django("manage.py", "check")
    assert completed.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in completed.stderr


def test_start_up_without_a_secret_key_works_in_debug():
    completed = run_django("manage.py", "check", environment={"DJANGO_DEBUG": "true"})
    assert completed.returncode == 0, completed.stderr


def test_database_defaults_to_the_sqlite_file_in_the_checkout():
    databases = settings_under({"DJANGO_DEBUG": "true"}, "DATABASES")["DATABASES"]
    assert databases["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(databases["default"]["NAME"]) == ROOT / "db.sqlite3"


def test_the_sqlite_file_is_git_ignored():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "--quiet", "--no-index", "db.sqlite3"], cwd=ROOT)
    assert ignored.returncode == 0


def test_database_url_selects_the_database_with_persistent_checked_connections():
    environment = {"DJANGO_DEBUG": "true", "DATABASE_URL": "postgres://kb:secret@db.internal:5433/kb"}
    database = settings_under(environment, "DATABASES")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["USER"]) == ("db.internal", 5433, "kb", "kb")
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True


def test_allowed_hosts_and_csrf_origins_are_comma_separated_lists():
    environment = {
        "DJANGO_DEBUG": "true",
        "DJANGO_ALLOWED_HOSTS": "kb.example.org, api.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://kb.example.org,https://api.example.org",
    }
    values = settings_under(environment, "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS")
    assert {"kb.example.org", "api.example.org"} <= set(values["ALLOWED_HOSTS"])
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://kb.example.org", "https://api.example.org"]


def test_static_files_are_served_by_whitenoise_from_a_manifest_in_production():
    values = settings_under(PRODUCTION_ENVIRONMENT, "MIDDLEWARE", "STORAGES")
    middleware = values["MIDDLEWARE"]
    # Right after SecurityMiddleware, as whitenoise asks, so static files skip the rest.
    assert (
        middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")
        == middleware.index("django.middleware.security.SecurityMiddleware") + 1
    )
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_logs_go_to_standard_output():
    code = "import django, logging; django.setup(); logging.getLogger('kb').warning('logged-to-stdout')"
    completed = run_django("-c", code, environment={"DJANGO_DEBUG": "true"})
    assert completed.returncode == 0, completed.stderr
    assert "logged-to-stdout" in completed.stdout
    assert "logged-to-stdout" not in completed.stderr


def test_the_tests_hash_passwords_fast_and_production_hashes_them_slowly():
    assert make_password("a-long-enough-password").startswith("md5$")
    production = settings_under(PRODUCTION_ENVIRONMENT, "PASSWORD_HASHERS")["PASSWORD_HASHERS"]
    assert production[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


def test_deploy_check_passes_with_production_variables():
    completed = run_django(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", environment=PRODUCTION_ENVIRONMENT
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# Health probe


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_with_a_reason_when_the_database_does_not(client, db):
    refused = OperationalError("connection refused")
    # Patched only for the request: the test database's teardown needs a working connection.
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=refused):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "The database did not answer."}


def test_healthz_answers_503_when_the_database_server_is_unreachable():
    with socket.socket() as probe:  # a port nothing listens on once the socket is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "import django; django.setup(); from django.test import Client; "
        "response = Client().get('/healthz', HTTP_HOST='localhost'); "
        "print(response.status_code, response.content.decode())"
    )
    environment = {**PRODUCTION_ENVIRONMENT, "DATABASE_URL": f"postgres://kb@127.0.0.1:{port}/kb"}
    completed = run_django("-c", code, environment=environment)
    assert completed.returncode == 0, completed.stderr
    status, body = completed.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert json.loads(body)["status"] == "unavailable"


def test_healthz_is_not_redirected_to_https():
    environment = {**PRODUCTION_ENVIRONMENT, "DJANGO_SECURE_SSL_REDIRECT": "true", "DATABASE_URL": "sqlite://:memory:"}
    code = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client().get('/admin/', HTTP_HOST='localhost').status_code, "
        "Client().get('/healthz', HTTP_HOST='localhost').status_code)"
    )
    completed = run_django("-c", code, environment=environment)
    assert completed.returncode == 0, completed.stderr
    admin_status, healthz_status = completed.stdout.split()[-2:]
    assert admin_status == "301"  # the redirect is on ...
    assert healthz_status == "200"  # ... and the probe is exempt


# Production files: Dockerfile, entrypoint, docker-compose.yml


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_exec_form(keyword):
    [arguments] = [arguments for name, arguments in dockerfile_instructions() if name == keyword]
    return json.loads(arguments)


def resolve_interpolation(value):
    """What docker compose makes of ${NAME:-default} and ${NAME:?error} when NAME is unset."""
    value = re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{(\w+)(?::?\?[^}]*)?\}", r"<\1>", value)


def environment_of(service):
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: resolve_interpolation(str(value)) for name, value in environment.items()}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_gunicorn_serves_the_wsgi_application_on_port_8000():
    command = dockerfile_exec_form("CMD")
    assert command[:2] == ["gunicorn", "config.wsgi:application"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:8000"
    assert ("EXPOSE", "8000") in dockerfile_instructions()


def test_the_image_migrates_and_loads_the_knowledge_base_before_serving():
    [entrypoint] = dockerfile_exec_form("ENTRYPOINT")
    script = (ROOT / entrypoint).read_text(encoding="utf-8")
    steps = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    commands = [step for step in steps if "manage.py" in step or step.startswith("exec")]
    assert commands == ["python manage.py migrate --noinput", "python manage.py load_kb", 'exec "$@"']
    assert os.access(ROOT / entrypoint, os.X_OK)


def test_the_image_collects_static_files_with_a_build_only_secret_key():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim AS app")
    assert instructions[-1] == ("FROM", "app")  # the default target is the app
    [collect] = [arguments for name, arguments in instructions if name == "RUN" and "collectstatic" in arguments]
    assert "DJANGO_SECRET_KEY=" in collect
    # An ENV or ARG key would be baked into the image and used in production.
    assert not any(name in {"ENV", "ARG"} and "DJANGO_SECRET_KEY" in arguments for name, arguments in instructions)
    assert any(name == "RUN" and "-r requirements.txt" in arguments for name, arguments in instructions)


def gunicorn_port():
    command = dockerfile_exec_form("CMD")
    return command[command.index("--bind") + 1].rsplit(":", 1)[1]


def test_gunicorn_publishes_no_port_and_only_the_proxy_is_reachable(compose):
    web, proxy = compose["services"]["web"], compose["services"]["proxy"]
    assert web["build"] in (".", {"context": "."})
    assert "ports" not in web
    assert [str(port) for port in web["expose"]] == [gunicorn_port()]
    published = [str(mapping) for service in compose["services"].values() for mapping in service.get("ports", [])]
    assert published == [f"8000:{environment_of(proxy)['NGINX_LISTEN']}"]


def test_gunicorn_reads_the_trusted_proxies_as_the_app_does():
    command = dockerfile_exec_form("CMD")
    assert command[command.index("--config") + 1] == "config/gunicorn.py"
    env = {"DJANGO_TRUSTED_PROXIES": "172.28.0.10, 10.0.0.0/8"}
    code = "import runpy; print(runpy.run_path('config/gunicorn.py')['forwarded_allow_ips'])"
    completed = run_django("-c", code, environment=env)
    assert completed.stdout.split() == ["172.28.0.10,10.0.0.0/8"]


def test_every_variable_given_to_the_web_service_is_read_by_the_settings(compose):
    given = set(environment_of(compose["services"]["web"]))
    assert given - variables_read_by_settings() == set()
    assert {"DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= given
    assert "DJANGO_DEBUG" not in given  # production runs with debug off


def test_database_url_points_at_the_db_service_with_its_credentials(compose):
    database_url = urlsplit(environment_of(compose["services"]["web"])["DATABASE_URL"])
    db = environment_of(compose["services"]["db"])
    assert database_url.scheme in {"postgres", "postgresql"}
    assert database_url.hostname in compose["services"]
    assert database_url.hostname == "db"
    assert database_url.port in (None, 5432)
    assert (database_url.username, database_url.password) == (db["POSTGRES_USER"], db["POSTGRES_PASSWORD"])
    assert database_url.path == f"/{db['POSTGRES_DB']}"


def test_the_web_service_waits_for_a_healthy_database(compose):
    assert compose["services"]["web"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        # Not healthy: the app skips a replica that is not ready, and reads from db meanwhile.
        "db-replica": {"condition": "service_started"},
    }
    healthcheck = compose["services"]["db"]["healthcheck"]
    assert "pg_isready" in " ".join(healthcheck["test"])


def test_the_database_keeps_its_data_in_a_named_volume(compose):
    db = compose["services"]["db"]
    assert db["image"].split(":")[0] == "postgres"
    mounts = [str(volume).split(":") for volume in db["volumes"]]
    assert [target for source, target, *_ in mounts if source in (compose.get("volumes") or {})] == [
        "/var/lib/postgresql/data"
    ]


def test_the_web_healthcheck_probes_healthz(compose):
    probe = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    [path] = re.findall(r"http://127\.0\.0\.1:8000(/[^'\"\s]*)", probe)
    assert resolve(path).url_name == "healthz"


# README


def readme():
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_the_two_commands_and_links_the_configuration():
    text = readme()
    assert "make run" in text and "make test" in text
    assert "docker compose up" in text
    assert "docs/configuration.md" in text and "docs/deployment.md" in text


def test_the_configuration_page_names_every_variable_the_settings_read():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = {name for name in variables_read_by_settings() if f"`{name}`" not in text}
    assert missing == set()


def test_every_docs_page_the_readme_links_exists():
    for link in re.findall(r"\]\((docs/[^)#]+)", readme()):
        assert (ROOT / link).exists(), link


def readme_paths():
    """Paths in the URL table of docs/api.md: rows like | Swagger UI | http://127.0.0.1:8000/api/docs/ |."""
    table = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"^\|[^|]*\|\s*`?http://127\.0\.0\.1:8000(/[^`|\s]*)`?\s*\|", table, flags=re.MULTILINE)


def test_every_url_the_readme_lists_is_routed():
    from config.urls import urlpatterns

    paths = readme_paths()
    assert "/healthz" in paths and "/admin/" in paths
    api_routed = any(str(pattern.pattern).startswith("api") for pattern in urlpatterns)
    for path in paths:
        if path.startswith("/api") and not api_routed:
            continue  # the API's routes arrive with the API; from then on they are checked too
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"README lists {path}, which no route serves")


# docker-compose.yml against the topology the tests run (deploy/topology.py)


def test_compose_runs_the_services_the_tests_run(compose):
    from deploy.topology import SERVICES

    assert set(compose["services"]) == set(SERVICES)


def test_compose_s_databases_have_the_shared_buffers_the_tests_and_the_benchmark_ran(compose):
    from deploy.topology import SHARED_BUFFERS

    for service in ("db", "db-replica"):
        command = compose["services"][service]["command"]
        assert command[command.index("-c") + 1] == f"shared_buffers={SHARED_BUFFERS}"
    assert f"\nshared_buffers={SHARED_BUFFERS}\n" in (ROOT / "scripts" / "with-postgres.sh").read_text()


def test_compose_mounts_the_nginx_file_the_tests_run(compose):
    from deploy.topology import TEMPLATE

    proxy = compose["services"]["proxy"]
    assert proxy["build"] == {"context": ".", "target": "proxy"}
    [mount] = proxy["volumes"]
    source, target, *_ = mount.split(":")
    assert (ROOT / source).resolve() == TEMPLATE
    # The nginx image renders /etc/nginx/templates/*.template into conf.d/, included in its http block.
    assert target.startswith("/etc/nginx/templates/") and target.endswith(".conf.template")


def test_the_proxy_is_given_exactly_the_variables_of_the_nginx_file(compose):
    from deploy.topology import TEMPLATE, TEMPLATE_VARIABLES

    used = set(re.findall(r"\$\{(\w+)\}", TEMPLATE.read_text(encoding="utf-8")))
    given = environment_of(compose["services"]["proxy"])
    assert used == set(TEMPLATE_VARIABLES) == set(given)
    assert given["NGINX_UPSTREAM"] == f"web:{gunicorn_port()}"


def test_the_proxy_image_holds_the_static_files_where_the_nginx_file_serves_them(compose):
    given = environment_of(compose["services"]["proxy"])
    stages = {}
    stage = None
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            stage = arguments.split(" AS ")[-1] if " AS " in arguments else arguments
        stages.setdefault(stage, []).append((keyword, arguments))
    [copy] = [arguments for keyword, arguments in stages["proxy"] if keyword == "COPY"]
    assert copy == f"--from=app /app/staticfiles {given['NGINX_STATIC_ROOT']}"
    assert stages["proxy"][0][1].startswith("nginx:")


def test_the_web_service_is_wired_as_the_tests_wire_the_app(compose):
    from deploy.topology import APP_WIRING

    web = environment_of(compose["services"]["web"])
    assert set(APP_WIRING) <= set(web)
    assert urlsplit(web["DATABASE_REPLICA_URLS"]).hostname == "db-replica"
    assert urlsplit(web["DATABASE_REPLICA_URLS"]).path == urlsplit(web["DATABASE_URL"]).path
    assert urlsplit(web["REDIS_URL"]).hostname == "redis"
    # The proxy's fixed address is the one the app trusts, on the network's subnet.
    proxy_address = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    assert web["DJANGO_TRUSTED_PROXIES"] == proxy_address
    [subnet] = [entry["subnet"] for entry in compose["networks"]["default"]["ipam"]["config"]]
    import ipaddress

    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)


def test_the_replica_is_a_streaming_copy_of_the_primary(compose):
    replica, db = compose["services"]["db-replica"], compose["services"]["db"]
    assert replica["image"] == db["image"]
    assert replica["depends_on"] == {"db": {"condition": "service_healthy"}}
    script_mount = [volume for volume in replica["volumes"] if volume.startswith("./")][0]
    script = (ROOT / script_mount.split(":")[0]).read_text(encoding="utf-8")
    assert "pg_basebackup" in script and " -R " in script
    assert environment_of(replica)["PRIMARY_HOST"] == "db"
    init_mount = [volume for volume in db["volumes"] if volume.startswith("./")][0]
    assert init_mount.split(":")[1].startswith("/docker-entrypoint-initdb.d/")
    assert "host replication" in (ROOT / init_mount.split(":")[0]).read_text(encoding="utf-8")
    for mount in (script_mount, init_mount):
        assert os.access(ROOT / mount.split(":")[0], os.X_OK)


def test_the_rendered_nginx_file_is_valid_for_nginx(tmp_path):
    from deploy.topology import render_template

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (scripts/system-deps.sh nginx); the topology tests run it")
    static = tmp_path / "static"
    static.mkdir()
    variables = {
        "NGINX_LISTEN": "127.0.0.1:1",
        "NGINX_UPSTREAM": "127.0.0.1:2",
        "NGINX_STATIC_ROOT": str(static),
        "NGINX_PROXY_BIND": "off",  # compose's value
    }
    (tmp_path / "kb.conf").write_text(render_template(variables), encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}} "
        f"http {{ include /etc/nginx/mime.types; access_log off; include {tmp_path}/kb.conf; }}",
        encoding="utf-8",
    )
    completed = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_two_writes_at_once_to_the_sqlite_file_are_one_200_and_one_412(tmp_path):
    """`make run`'s database: a second writer waits for the first and is then checked (a stale
    If-Match: 412), rather than failing at once with "database is locked" (a 503)."""
    import threading
    import time
    import urllib.error
    import urllib.request

    environment = {"DJANGO_DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}"}
    for command in (("migrate", "--noinput"), ("load_kb",)):
        assert run_django("manage.py", *command, environment=environment).returncode == 0
    made = run_django(
        "manage.py",
        "shell",
        "-c",
        "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token; "
        "print(Token.objects.create(user=User.objects.create_superuser('writer', password=None)).key)",
        environment=environment,
    )
    token = made.stdout.split()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        name: value for name, value in os.environ.items() if not name.startswith("DJANGO_") and name != "DATABASE_URL"
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v1/officials/pat-quinn/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        for round_ in range(3):
            etag = urllib.request.urlopen(url, timeout=5).headers["ETag"]
            statuses = []

            def write(name, etag=etag, statuses=statuses):
                request = urllib.request.Request(
                    url,
                    data=json.dumps({"name": name}).encode(),
                    method="PATCH",
                    headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "If-Match": etag},
                )
                try:
                    statuses.append(urllib.request.urlopen(request, timeout=30).status)
                except urllib.error.HTTPError as error:
                    statuses.append(error.code)

            writers = [threading.Thread(target=write, args=(f"Pat Quinn {round_}-{n}",)) for n in range(2)]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join()
            assert sorted(statuses) == [200, 412], (round_, statuses)
    finally:
        server.terminate()
        server.wait(timeout=10)
