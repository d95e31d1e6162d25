import os

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from kb import synthetic
from kb.models import (
    Citation,
    Jurisdiction,
    LoadedRecord,
    Official,
    Organization,
    OtherName,
    Position,
    Program,
    ProgramFact,
    Source,
)
from tests.synthetic_kb import ACTIVE_SIZES, refuse_transactional, synthetic_kb_fixture

# Children before parents, so PROTECT never stands in the way of emptying.
KB_MODELS_LEAVES_FIRST = [
    Citation,
    OtherName,
    Position,
    ProgramFact,
    Program,
    Official,
    Organization,
    Jurisdiction,
    Source,
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the real knowledge base, loaded once per session."""
    with django_db_blocker.unblock():
        call_command("load_kb", verbosity=0)


@pytest.fixture
def knowledge_base(db):
    """The real knowledge base, alone (reloaded if a transactional test flushed the database)."""
    if not Position.objects.exists():
        call_command("load_kb", verbosity=0)
    if ACTIVE_SIZES:
        # The module's synthetic knowledge base is in place for its other tests: take it out for
        # this one (the test's rollback puts it back).
        synthetic.remove()


SCALED_POSITIONS = 500
_scaled_kb = synthetic_kb_fixture(SCALED_POSITIONS)


@pytest.fixture
def scaled_kb(_scaled_kb, db, request):
    """The real knowledge base with a synthetic one of 500 positions beside it, generated once per
    module that asks for it (see synthetic_kb_fixture)."""
    refuse_transactional(request, "scaled_kb")
    return _scaled_kb


@pytest.fixture
def empty_database(db):
    """No knowledge-base rows, for tests that build their own (undone after the test)."""
    # Raw deletes, leaves first: no signals (history, search text) and no collector, so this is quick.
    Organization.objects.update(parent=None)
    Jurisdiction.objects.update(parent=None)
    for model in KB_MODELS_LEAVES_FIRST:
        model.objects.all()._raw_delete(model.objects.db)
    # And what load_kb remembers loading, or its next load would take every record for deleted.
    LoadedRecord.objects.all()._raw_delete(LoadedRecord.objects.db)


@pytest.fixture
def api():
    return APIClient()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Tests that start real servers skip, with the reason, where SKIP_TOPOLOGY_TESTS gives one
    (make test's SQLite leg: they run in its PostgreSQL leg), before any of their fixtures."""
    reason = os.environ.get("SKIP_TOPOLOGY_TESTS")
    if reason and item.get_closest_marker("topology"):
        pytest.skip(reason)


@pytest.fixture(scope="session")
def topology_binaries():
    """nginx, redis-server and PostgreSQL's binaries, installed when missing (scripts/system-deps.sh);
    the test skips, saying which, only where they cannot be had."""
    from deploy.topology import install_binaries

    missing = install_binaries()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: install with scripts/system-deps.sh {' '.join(missing)} (as root)")
