import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from kb.models import Citation, Jurisdiction, Official, Organization, OtherName, Position, Program, ProgramFact, Source

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
    """The real knowledge base (reloaded if a transactional test flushed the database)."""
    if not Position.objects.exists():
        call_command("load_kb", verbosity=0)


@pytest.fixture
def empty_database(db):
    """No knowledge-base rows, for tests that build their own (undone after the test)."""
    # Raw deletes, leaves first: no signals (history, search text) and no collector, so this is quick.
    Organization.objects.update(parent=None)
    Jurisdiction.objects.update(parent=None)
    for model in KB_MODELS_LEAVES_FIRST:
        model.objects.all()._raw_delete(model.objects.db)


@pytest.fixture
def api():
    return APIClient()
