import shutil

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from kb import registry
from kb.fixture_build import DOCUMENTS_DIR, FACTS_FILE
from kb.models import Position


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts with the real knowledge base, loaded once per session."""
    with django_db_blocker.unblock():
        call_command("load_kb", verbosity=0)


@pytest.fixture
def knowledge_base(db):
    """The real knowledge base (reloaded if a transactional test flushed the database)."""
    if not Position.objects.exists():
        call_command("load_kb", verbosity=0)


@pytest.fixture
def empty_database(db):
    """No knowledge-base rows, for tests that build their own (undone after the test)."""
    # Raw deletes, children before the records they refer to (the registry's load order,
    # reversed): no signals (history, search text) and no collector, so this is quick. A
    # reference within one table (a parent, a source's origin) is checked at commit, by then empty.
    for model in reversed(registry.record_models()):
        model.objects.all()._raw_delete(model.objects.db)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def fast_password_hashing(settings):
    """Tests that create users hash a password each time; the production hasher takes a second."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def facts(tmp_path):
    """A copy of the curated facts (in memory) and documents (in `tmp_path`), to break on purpose."""
    shutil.copytree(DOCUMENTS_DIR, tmp_path / "documents")
    return yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))
