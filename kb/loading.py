"""Load the built fixture into the database: idempotent, atomic, and loud about bad records."""

from collections import Counter, defaultdict
from pathlib import Path

from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction
from django.forms.models import model_to_dict

from kb import derived, registry
from kb.fixture_build import FIXTURE_FILE
from kb.models import Citation


class LoadError(Exception):
    """The fixture cannot be loaded; the database was left as it was."""


def load_knowledge_base(fixture_file=FIXTURE_FILE, using="default"):
    """Create or update every record of the fixture; return {model label: Counter(created/updated/unchanged)}.

    Citations and other names of the records the fixture defines are replaced by the fixture's:
    the fixture is the authority for them. Records the fixture does not mention are left alone.
    """
    fixture_file = Path(fixture_file)
    try:
        stream = fixture_file.read_text(encoding="utf-8")
    except OSError as error:
        raise LoadError(f"Cannot read fixture '{fixture_file}': {error}") from None

    counts = defaultdict(Counter)
    kept = defaultdict(set)  # model -> pks the fixture defines
    with transaction.atomic(using=using), derived.deferred():
        try:
            for record in serializers.deserialize("json", stream, using=using):
                instance = record.object
                counts[instance._meta.label][_save(record, fixture_file, using)] += 1
                kept[type(instance)].add(instance.pk)
        except DeserializationError as error:
            raise LoadError(f"Problem installing fixture '{fixture_file}': {error}") from None
        _prune_children(kept, counts, using)
        derived.refresh_all(search_records=kept)
    return counts


def _describe(instance):
    try:
        key = instance.natural_key()
    except Exception:  # a half-built record may not know its key; its fields still tell
        key = model_to_dict(instance)
    return f"{instance._meta.label}{tuple(key)!r}"


def _save(record, fixture_file, using):
    instance = record.object
    model = type(instance)
    try:
        if isinstance(instance, Citation):
            _check_quote_at_offsets(instance)
        existing = model._default_manager.using(using).filter(pk=instance.pk).first() if instance.pk else None
        if existing is not None and _same_fields(existing, instance):
            return "unchanged"
        if existing is not None:
            # The fixture carries editable fields only; the rest (version, derived columns) stays the database's.
            for field in model._meta.concrete_fields:
                if not field.editable and not field.primary_key:
                    setattr(instance, field.attname, getattr(existing, field.attname))
        instance._state.adding = existing is None
        # The database enforces the check constraints on save (and a violation names this record);
        # querying each one beforehand would only make loading slow.
        instance.full_clean(validate_constraints=False)
        record.save(using=using)
        return "updated" if existing is not None else "created"
    except (ValidationError, DatabaseError, LoadError) as error:
        detail = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in getattr(error, "message_dict", {}).items()
        ) or str(error)
        raise LoadError(
            f"Problem installing fixture '{fixture_file}': could not load {_describe(instance)}: {detail}"
        ) from None


def _check_quote_at_offsets(citation):
    source = citation.source
    found = source.text[citation.start : citation.end]
    if found != citation.quote:
        raise LoadError(
            f"source {source.slug!r} has {found!r} at [{citation.start}:{citation.end}], not the quote {citation.quote!r}"
        )
    if source.find_evidence(citation.quote, citation.start) != citation.start:
        raise LoadError(f"the quote {citation.quote!r} lies in a part of {source.slug!r} that is not the publisher's")


def _same_fields(existing, incoming):
    return all(
        getattr(existing, field.attname) == getattr(incoming, field.attname)
        for field in type(incoming)._meta.concrete_fields
        if field.editable and not field.primary_key
    )


def _prune_children(kept, counts, using):
    """Remove the children (citations, other names, voices, reasons, parts) that belong to fixture
    records but are no longer in the fixture."""
    for child_model, owner_fields in registry.owned_children():
        for owner_field in owner_fields:
            owner_model = child_model._meta.get_field(owner_field).related_model
            owner_pks = kept.get(owner_model)
            if not owner_pks:
                continue
            stale = (
                child_model._default_manager.using(using)
                .filter(**{f"{owner_field}__in": owner_pks})
                .exclude(pk__in=kept.get(child_model, ()))
            )
            _, removed = stale.delete()  # per model: a removed voice or reason takes its citations along
            for label, number in removed.items():
                if number:
                    counts[label]["removed"] += number
