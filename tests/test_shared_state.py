"""Shared state: with REDIS_URL, every process counts one rate and shares one cache (Django's
Redis backend against a real redis-server, Debian's package); without it, each process keeps its own.

Run in the PostgreSQL leg of `make test` (skipped, with that reason, in its SQLite leg); without
redis-server and no way to install it, skipped saying so.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from deploy.topology import Redis

ROOT = Path(__file__).resolve().parent.parent

# One app process: its test client sends `count` anonymous requests to the API root (no database
# needed) and prints the statuses; it also writes and reads a cache entry.
APP_PROCESS = """
import json, sys, django
django.setup()
from django.core.cache import cache, caches
from django.test import Client
count, put, get = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if put:
    cache.set("shared-note", put, 60)
client = Client()
statuses = [client.get("/api/v1/", HTTP_HOST="localhost").status_code for _ in range(count)]
print(json.dumps({"statuses": statuses, "note": cache.get("shared-note") if get else None,
                  "backend": type(caches["default"]).__name__}))
"""


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """An SQLite file with the schema (the API reads the knowledge base's version on every answer)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shared-state') / 'db.sqlite3'}"
    env = {**base_environment(), "DATABASE_URL": url}
    completed = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return url


def base_environment():
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="shared-state-test-key-" + "x" * 40,
        DJANGO_THROTTLE_ANON="10/min",
        DJANGO_LOG_LEVEL="ERROR",
    )
    return env


@pytest.fixture
def redis_server(topology_binaries, tmp_path):
    tmp_path.chmod(0o755)
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


def app_process(database_url, redis_url, count, put="", get=""):
    env = {**base_environment(), "DATABASE_URL": database_url}
    if redis_url:
        env["REDIS_URL"] = redis_url
    completed = subprocess.run(
        [sys.executable, "-c", APP_PROCESS, str(count), put, get],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.splitlines()[-1])


@pytest.mark.topology
def test_two_app_processes_share_one_rate_and_one_cache_through_redis(database_url, redis_server):
    first = app_process(database_url, redis_server.url, 6, put="written by the first process")
    second = app_process(database_url, redis_server.url, 6, get="yes")

    assert first["backend"] == second["backend"] == "RedisCache"
    assert first["statuses"] == [200] * 6
    assert second["statuses"] == [200] * 4 + [429] * 2  # ten a minute between them, not each
    assert second["note"] == "written by the first process"


@pytest.mark.topology
def test_without_redis_each_process_counts_alone(database_url):
    first = app_process(database_url, "", 6)
    second = app_process(database_url, "", 6)

    assert first["backend"] == "LocMemCache"
    assert first["statuses"] == second["statuses"] == [200] * 6


def test_make_run_and_the_tests_keep_the_in_process_cache():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_a_redis_url_that_is_not_one_stops_start_up():
    from tests.test_permissions import settings_under

    completed = settings_under({"REDIS_URL": "localhost:6379"}, "settings.DEBUG")

    assert completed.returncode != 0
    assert "REDIS_URL must be a redis://" in completed.stderr
