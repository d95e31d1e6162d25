"""The load-and-fault script, briefly: gunicorn under concurrent clients while PostgreSQL is
stopped and started again. The API must answer 503 quickly while the database is down, never
another 5xx, never hang, and serve again by itself once it is back.

Run on the PostgreSQL leg of `make test` only: the script makes its own throwaway cluster, whose
binaries that leg has made sure of. The full run, with its figures, is in the README.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="runs on the PostgreSQL leg, whose PostgreSQL binaries the script uses",
)


def test_the_api_answers_503_while_postgresql_is_down_and_recovers_by_itself(tmp_path):
    figures_file = tmp_path / "figures.json"
    command = [sys.executable, "scripts/loadtest.py", "--clients", "4", "--seconds", "15", "--outage", "3"]

    completed = subprocess.run(
        [*command, "--json", str(figures_file)], cwd=ROOT, capture_output=True, text=True, timeout=240
    )

    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    figures = json.loads(figures_file.read_text())
    assert figures["server_errors_other_than_503"] == 0
    assert figures["failed_without_answer"] == 0
    assert figures["answers_503"] > 0
    assert figures["latency_503_worst_ms"] < 3000  # within the connect timeout: no hanging
    assert figures["seconds_from_restart_to_first_200"] < 5
    assert figures["answers_503_after_recovery"] == 0
