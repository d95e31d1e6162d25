"""Columns derived from the rest, recomputed together after a bulk write (a load, the synthetic
generator): jurisdictions' paths, sources' lineage roots, positions' as_of days and every
record's search text. Ordinary saves keep each current as they go; `deferred()` turns that off
for the length of a bulk write, which then calls `refresh_all()` once."""

from contextlib import ExitStack, contextmanager

from kb import search
from kb.models import Jurisdiction, Source
from kb.models.actors import refresh_paths
from kb.models.positions import deferred_in_force, refresh_in_force
from kb.models.sources import refresh_lineage


@contextmanager
def deferred():
    with ExitStack() as stack:
        stack.enter_context(search.deferred_refresh())
        stack.enter_context(deferred_in_force())
        yield


def refresh_all(search_records=None):
    """Recompute every derived column; search text only of `search_records` ({model: pks}) when given."""
    for jurisdiction in Jurisdiction.objects.filter(parent__isnull=True):
        refresh_paths(jurisdiction, force=True)
    for source in Source.objects.filter(derived_from__isnull=True):
        refresh_lineage(source)
    refresh_in_force()
    for model in search.SEARCHABLE_MODELS:
        records = model._default_manager.all()
        if search_records is not None:
            records = records.filter(pk__in=search_records.get(model, ()))
        search.refresh_search_text(records)
