"""A citation always quotes its source at its offsets, however writes interleave.

Checking a citation against its source and changing that source's text are serialised by a lock
on the source's row, held until the write commits:

- whoever cites a source (the API's and the admin's citation forms, and every save of a
  citation) reads the source's text under a shared lock (`FOR SHARE` on PostgreSQL), so its
  check is made against the text that will still be there at commit; citing writers do not
  wait for one another;
- whoever changes a source's text locks its row for update (`select_for_update`) and checks
  every citation of it under that lock, so no citation can be added against the old text
  meanwhile.

Whichever comes second waits for the first to commit, then sees what it wrote and is refused if
it no longer fits. SQLite has no row locks: it lets one writer at a time write, and refuses the
other ("database is locked") rather than interleave them. On PostgreSQL, triggers
(migration 0103) refuse the same from any path, raw SQL included.
"""

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models.signals import pre_save

from kb.models import Citation, Source


def source_for_citing(source_id, using="default"):
    """The source's row as it is now, locked against text changes until the transaction ends.

    Outside a transaction there is nothing to hold a lock for: the row is read as it is.
    """
    connection = connections[using]
    if connection.in_atomic_block and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Source._meta.db_table)
            column = connection.ops.quote_name(Source._meta.pk.column)
            cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = %s FOR SHARE", [source_id])
    return Source._base_manager.using(using).filter(pk=source_id).defer("search_text").first()


def source_for_changing(source_id, using="default"):
    """The source's row as it is now, locked for update until the transaction ends."""
    rows = Source._base_manager.using(using).filter(pk=source_id)
    if connections[using].in_atomic_block:
        rows = rows.select_for_update()
    return rows.defer("search_text").first()


def stranded_citations(source, text):
    """The citations of `source` that `text` would no longer quote at their offsets."""
    return [
        citation
        for citation in Citation._base_manager.using(source._state.db).filter(source_id=source.pk).order_by("start")
        if text[citation.start : citation.end] != citation.quote
    ]


def _check_citation(sender, instance, raw=False, using=None, **kwargs):
    if instance.source_id is None or instance.start is None or instance.end is None:
        return
    if instance.end - instance.start != len(instance.quote or ""):
        return  # offsets that do not span the quote: the database's own constraint refuses them
    source = source_for_citing(instance.source_id, using)
    if source is None:
        return  # the foreign key refuses it
    found = source.text[instance.start : instance.end]
    if found != instance.quote:
        raise ValidationError(
            {
                "quote": f"The quote {instance.quote!r} is no longer at [{instance.start}:{instance.end}] of "
                f"{source.slug!r} (its text changed meanwhile); it reads {found!r} there. Cite it again."
            }
        )


def _check_source_text(sender, instance, raw=False, using=None, update_fields=None, **kwargs):
    if instance.pk is None or "text" in instance.get_deferred_fields():
        return
    if update_fields is not None and "text" not in update_fields:
        return
    current = source_for_changing(instance.pk, using)
    if current is None or current.text == instance.text:
        return
    stranded = stranded_citations(current, instance.text)
    if stranded:
        examples = "; ".join(f"{c.quote[:60]!r} at [{c.start}:{c.end}]" for c in stranded[:3])
        raise ValidationError(
            {
                "text": f"{len(stranded)} citation(s) would no longer quote this text verbatim: {examples}. "
                "Change or remove those citations first."
            }
        )


def connect():
    pre_save.connect(_check_citation, sender=Citation, dispatch_uid="kb-citation-matches-source")
    pre_save.connect(_check_source_text, sender=Source, dispatch_uid="kb-source-keeps-citations")
