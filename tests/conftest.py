import os
import shutil
from unittest import mock

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from kb import registry, synthetic
from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE
from kb.models import LoadedRecord, Position
from tests.synthetic_kb import ACTIVE_SIZES, refuse_transactional, synthetic_kb_fixture


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
    # Raw deletes, children before the records they refer to (the registry's load order,
    # reversed): no signals (history, search text) and no collector, so this is quick. A
    # reference within one table (a parent, a source's origin) is checked at commit, by then empty.
    for model in reversed(registry.record_models()):
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


@pytest.fixture
def facts(tmp_path):
    """A copy of the curated facts (in memory) and documents (in `tmp_path`), to break on purpose."""
    shutil.copytree(DOCUMENTS_DIR, tmp_path / "documents")
    return yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def throttle_rates():
    """Set the rates for one test: `throttle_rates(anon="2/min", user=None)`. DRF copies them into
    SimpleRateThrottle when it is imported, so that copy is what a test changes; the counters live
    in the cache, emptied before and after."""
    patchers = []

    def set_rates(anon=None, user=None):
        patcher = mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", {"anon": anon, "user": user})
        patcher.start()
        patchers.append(patcher)

    cache.clear()
    yield set_rates
    for patcher in patchers:
        patcher.stop()
    cache.clear()
