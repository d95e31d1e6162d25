"""Every write advances the record's `version`, in the transaction of the write.

A record's version is what a client names when it says which state it edits (the API's ETag and
If-Match, the admin's form): it must change whenever the record's JSON does. So:

- saving a record advances its own version (`F("version") + 1`, read back under the row lock
  that the UPDATE takes, so two writers never hand out the same number);
- saving or deleting a part of a record advances the owner's version too. A part is a record
  whose foreign key to its owner cascades (`on_delete=CASCADE`): a citation of a position, an
  other name of an official, a fact of a program, and the part's own parts in turn (a citation
  of an other name advances the other name and its official).

Written over the models' metadata, so a new kind of part needs no code here.
"""

from functools import cache

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from kb.models import Record


@cache
def owner_links(model):
    """The foreign keys through which `model` is a part of another record."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if field.many_to_one
        and field.remote_field.on_delete is models.CASCADE
        and issubclass(field.related_model, Record)
    )


def _owners(model, values):
    return {(link.related_model, values[link.attname]) for link in owner_links(model) if values[link.attname]}


def advance(model, pk, using, seen=None):
    """Advance the version of one record and of the records it is a part of."""
    seen = set() if seen is None else seen
    if (model, pk) in seen:
        return
    seen.add((model, pk))
    rows = model._base_manager.using(using).filter(pk=pk)
    if not rows.update(version=models.F("version") + 1):
        return  # already deleted (its owner's cascade)
    links = owner_links(model)
    if links:
        values = rows.values(*(link.attname for link in links)).first() or {}
        for owner, owner_pk in _owners(model, values) if values else ():
            advance(owner, owner_pk, using, seen)


def _advance_own_version(sender, instance, raw=False, using=None, update_fields=None, **kwargs):
    if not isinstance(instance, Record) or instance.pk is None:
        return
    rows = sender._base_manager.using(using).filter(pk=instance.pk)
    if not rows.update(version=models.F("version") + 1):
        return  # no such row yet: this save inserts it, at its default version
    links = owner_links(sender)
    current = rows.values("version", *(link.attname for link in links)).get()
    instance.version = current["version"]
    # The parts it belonged to before this save change too, when it moves to another owner.
    instance._kb_owners_before = _owners(sender, current)


def _advance_owners_on_save(sender, instance, using=None, **kwargs):
    if not isinstance(instance, Record):
        return
    links = owner_links(sender)
    if not links:
        return
    now = _owners(sender, {link.attname: getattr(instance, link.attname) for link in links})
    before = instance.__dict__.pop("_kb_owners_before", set())
    seen = set()
    for owner, owner_pk in sorted(now | before, key=lambda pair: (pair[0]._meta.label, pair[1])):
        advance(owner, owner_pk, using, seen)


def _advance_owners_on_delete(sender, instance, using=None, **kwargs):
    if not isinstance(instance, Record) or not owner_links(sender):
        return
    seen = set()
    values = {link.attname: getattr(instance, link.attname) for link in owner_links(sender)}
    for owner, owner_pk in _owners(sender, values):
        advance(owner, owner_pk, using, seen)


def connect():
    for model in apps.get_app_config("kb").get_models():
        if issubclass(model, Record):
            pre_save.connect(_advance_own_version, sender=model, dispatch_uid=f"kb-version-{model._meta.label}")
            post_save.connect(_advance_owners_on_save, sender=model, dispatch_uid=f"kb-owners-{model._meta.label}")
            post_delete.connect(
                _advance_owners_on_delete, sender=model, dispatch_uid=f"kb-owners-del-{model._meta.label}"
            )
