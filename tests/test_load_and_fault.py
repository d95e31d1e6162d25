"""The load-and-fault script, briefly: clients through nginx -> gunicorn -> PostgreSQL primary and
replica, and Redis, while the replica and then the primary restart. The replica's restart must cost
no error; while the primary is down, reads are answered (by the replica) and writes get a quick
503; never another 5xx, never a hang, and both recover by themselves.

Run in the PostgreSQL leg of `make test` (skipped, with that reason, in its SQLite leg). The full
run, with its figures, is in docs/reliability.md.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.topology
def test_a_replica_restart_costs_nothing_and_a_primary_restart_only_writes_for_a_while(topology_binaries, tmp_path):
    figures_file = tmp_path / "figures.json"
    command = [sys.executable, "scripts/loadtest.py", "--clients", "4", "--seconds", "18", "--outage", "2"]

    completed = subprocess.run(
        [*command, "--json", str(figures_file)], cwd=ROOT, capture_output=True, text=True, timeout=240
    )

    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    figures = json.loads(figures_file.read_text())
    replica, primary = figures["faults"]["replica"], figures["faults"]["primary"]
    assert figures["server_errors_other_than_503"] == 0
    assert figures["failed_without_answer"] == 0
    assert replica["errors"] == 0 and replica["reads_answered_while_down"] > 0
    assert replica["seconds_to_recover"] < 10
    assert primary["reads_failed_while_down"] == 0 and primary["reads_answered_while_down"] > 0
    assert primary["writes_failed_while_down"] + primary["answers_503"] > 0
    assert primary["latency_worst_ms"] < 3000  # within the connect timeout: no hanging
    assert primary["seconds_to_recover"] < 5
    assert figures["errors_after_recovery"] == 0
