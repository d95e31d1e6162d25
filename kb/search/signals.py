"""Keeping each record's `search_text` current, from the declarations of kb.search.kinds.

A save of a searchable record refreshes its own search text; a save or delete of a record it
gathers from (a citation, an other name, a holder) refreshes the records that gather it. The
refresh is an UPDATE in the same transaction as the write, and the full-text indexes follow it
there (kb.search.index: triggers on SQLite, index maintenance on PostgreSQL).
"""

import threading
from contextlib import contextmanager
from functools import reduce
from operator import or_

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from kb.search.kinds import KINDS
from kb.search.text import words_of

_state = threading.local()


def search_text_of(record):
    """The words `search_text` stores for a record: its kind's gathered parts, as plain words."""
    from kb.search.kinds import kind_of

    kind = kind_of(type(record))
    if kind.gather is None:
        raise TypeError(f"{type(record).__name__} has no search text")
    return words_of(*kind.gather(record))


@contextmanager
def deferred_refresh():
    """Within the block, saves leave search_text alone: the caller refreshes it once at the end."""
    _state.deferred = True
    try:
        yield
    finally:
        _state.deferred = False


def _refresh_now():
    return not getattr(_state, "deferred", False)


def refresh_search_text(records):
    for record in records:
        text = search_text_of(record)
        if text != record.search_text:
            type(record)._default_manager.using(record._state.db).filter(pk=record.pk).update(search_text=text)
            record.search_text = text


def _affected(kind, instance, fields):
    """Records of `kind` that gather from `instance`, by the ids it still holds (also after a delete)."""
    conditions = [
        Q(**{kind_field: getattr(instance, attribute)})
        for kind_field, attribute in fields.items()
        if getattr(instance, attribute) is not None
    ]
    if not conditions:
        return kind.model._default_manager.none()
    # distinct(): a lookup across a relation (a position's voices) may find a record more than once.
    return kind.model._default_manager.using(instance._state.db).filter(reduce(or_, conditions)).distinct()


def _own_receiver(sender, instance, raw=False, **kwargs):
    if _refresh_now():
        refresh_search_text([instance])


def _gathered_receiver(kind, fields):
    def refresh(sender, instance, **kwargs):
        if _refresh_now():
            refresh_search_text(_affected(kind, instance, fields))

    return refresh


_receivers = []  # strong references: signals keep weak ones


def connect():
    for kind in KINDS.values():
        if kind.gather is None:
            continue
        post_save.connect(_own_receiver, sender=kind.model, dispatch_uid=f"kb.search.{kind.name}")
        for model, fields in kind.gathered_from.items():
            receiver = _gathered_receiver(kind, fields)
            _receivers.append(receiver)
            uid = f"kb.search.{kind.name}.from.{model._meta.model_name}"
            post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete")
