"""The knowledge base's version (kb.models.KnowledgeBaseVersion): every write advances it.

Receivers on every knowledge-base model (found through the app registry, so new models are
covered; simple_history's historical models and the version itself are not) advance it inside
the writer's transaction. Inside a transaction the row is taken at the first save or delete, before
the record's own row, so writers queue on the version in one order and cannot deadlock over it;
outside one (autocommit), after the write, so no reader sees the new number before the new row.

Writes that send no signals (QuerySet.update(), bulk_create(), raw SQL, COPY) must call
`advance()` themselves, inside their transaction: kb/synthetic.py's generator does.

The number never repeats, even for a database made anew: it is at least the time in
milliseconds, so an ETag a CDN kept from an earlier database cannot match a later one.
"""

import time

from django.apps import apps
from django.db import transaction
from django.db.models import F, PositiveBigIntegerField, Value
from django.db.models.functions import Greatest
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_delete, pre_save
from django.utils import timezone
from simple_history.models import HistoricalChanges

from kb.models import KnowledgeBaseVersion
from kb.prepared import NUMBER_STANDIN, Prepared


def _now_ms():
    return int(time.time() * 1000)


def advance(using="default"):
    """Advance the version, inside the caller's transaction on `using` (if any)."""
    now = timezone.now()
    versions = KnowledgeBaseVersion.objects.using(using)
    if not versions.filter(pk=1).update(
        number=Greatest(F("number") + 1, Value(_now_ms()), output_field=PositiveBigIntegerField()), changed_at=now
    ):
        # The row is gone (a flushed test database): it starts again, from the clock.
        versions.get_or_create(pk=1, defaults={"number": _now_ms(), "changed_at": now})


# Every API request reads it (its ETag, its 304): prepared once, so a read is the query alone.
_CURRENT = Prepared(
    lambda pk: KnowledgeBaseVersion.objects.filter(pk=pk).values("number", "changed_at")[:1],
    NUMBER_STANDIN,
)


def current(using=None):
    """(number, changed_at) of the version on `using`; (0, None) before the first write. Without
    `using`, read where the database router sends the request's reads (config.replicas): a GET
    answered by a replica while the primary is down reads the version there too."""
    rows = _CURRENT.rows(1, using=using)
    return (rows[0]["number"], rows[0]["changed_at"]) if rows else (0, None)


def tracked_models():
    """Every knowledge-base model whose writes change what the API answers."""
    return [
        model
        for model in apps.get_app_config("kb").get_models()
        if model is not KnowledgeBaseVersion and not issubclass(model, HistoricalChanges)
    ]


def _before_write(sender, using=None, **kwargs):
    if transaction.get_connection(using).in_atomic_block:
        advance(using)


def _after_write(sender, using=None, **kwargs):
    if not transaction.get_connection(using).in_atomic_block:
        advance(using)


def _relation_changed(sender, action, using=None, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        advance(using)


def _after_migrate(sender, using="default", **kwargs):
    # A deploy that migrates may change how records are written out: caches start afresh.
    advance(using)


def connect():
    for model in tracked_models():
        uid = f"kb.version.{model._meta.label}"
        pre_save.connect(_before_write, sender=model, dispatch_uid=f"{uid}.pre_save")
        pre_delete.connect(_before_write, sender=model, dispatch_uid=f"{uid}.pre_delete")
        post_save.connect(_after_write, sender=model, dispatch_uid=f"{uid}.post_save")
        post_delete.connect(_after_write, sender=model, dispatch_uid=f"{uid}.post_delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _relation_changed, sender=field.remote_field.through, dispatch_uid=f"{uid}.{field.name}"
            )
    post_migrate.connect(_after_migrate, sender=apps.get_app_config("kb"), dispatch_uid="kb.version.post_migrate")
