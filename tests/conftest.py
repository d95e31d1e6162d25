import pytest
from django.core.management import call_command


@pytest.fixture
def knowledge_base(db):
    """The real knowledge base, loaded from the committed fixture."""
    call_command("load_kb", verbosity=0)
