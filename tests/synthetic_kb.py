"""A synthetic knowledge base for tests at scale, generated once per module that asks for it.

tests/conftest.py's `scaled_kb` (500 positions) is the one most tests want; a module that needs
another size makes its own with `synthetic_kb_fixture` (see tests/test_synthetic.py).
"""

import io

import pytest
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, transaction

from kb.models import Position

# The number of positions of the synthetic knowledge base that a module-scoped fixture keeps in
# its open transaction, while that module runs (empty otherwise).
ACTIVE_SIZES = []


def synthetic_kb_fixture(positions, analyzed=()):
    """A module-scoped fixture: the real knowledge base with a synthetic one of `positions` beside it.

    On PostgreSQL, the `analyzed` tables are compacted first (VACUUM FULL), so the generated rows
    are written in order at the table's end, and analyzed once generated: the planner's statistics
    and a table's size in pg_class are then those of the generated rows (ANALYZE counts the rows of
    the transaction it runs in).

    It is generated once for the module, inside a transaction rolled back after the module's last
    test, as Django's setUpTestData does: each test runs in a savepoint of it, so what a test
    writes (generating again or removing included) is undone before the next, and no other module
    ever sees a synthetic row. Tests ask for it through a function-scoped fixture that also asks
    for `db`, such as `scaled_kb`; not from transactional tests (live_server, transactional_db),
    whose commits and flushes would cut through the transaction.
    """

    @pytest.fixture(scope="module")
    def synthetic_kb(django_db_setup, django_db_blocker):
        with django_db_blocker.unblock():
            if connection.vendor == "postgresql" and analyzed:
                # Rows an earlier module rolled back or deleted, until autovacuum frees them, lie
                # between the real knowledge base and the generated rows. A count's share of the
                # blocks from its first match on (kb.search.page_plan) then spans them: CI once
                # measured 6,291 matches for 1,338.
                with connection.cursor() as cursor:
                    for table in sorted(analyzed):
                        cursor.execute(f"VACUUM FULL {table}")
            outer = transaction.atomic(using=DEFAULT_DB_ALIAS)
            outer.__enter__()
            try:
                if not Position.objects.exists():  # flushed by a transactional test
                    call_command("load_kb", verbosity=0)
                call_command(
                    "generate_synthetic_kb",
                    positions=positions,
                    stdout=io.StringIO(),
                    stderr=io.StringIO(),
                    verbosity=0,
                )
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        for table in sorted(analyzed):
                            cursor.execute(f"ANALYZE {table}")
            except BaseException:
                transaction.set_rollback(True, using=DEFAULT_DB_ALIAS)
                outer.__exit__(None, None, None)
                raise
        ACTIVE_SIZES.append(positions)
        yield positions
        ACTIVE_SIZES.pop()
        with django_db_blocker.unblock():
            transaction.set_rollback(True, using=DEFAULT_DB_ALIAS)
            outer.__exit__(None, None, None)

    return synthetic_kb


def refuse_transactional(request, fixture):
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        pytest.fail(f"{fixture} lives in a transaction that a transactional test would commit through.")
