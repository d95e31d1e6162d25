"""What load_kb last loaded, and how it tells the fixture's changes from a person's, field by field.

Each field of a record the fixture defines has three values: what load_kb loaded last time (the
baseline, `LoadedRecord.fields`), what the fixture says now, and what the database holds now.

| fixture now vs baseline | database vs baseline | load_kb                                             |
| --- | --- | --- |
| same                    | any                  | leaves the field alone (a person's change stays)    |
| changed                 | same                 | takes the fixture's value                           |
| changed                 | changed              | a conflict: keeps the person's value and reports it |
|                         |                      | (`--prefer-fixture` takes the fixture's)            |

A field with no baseline (the table is new, or the field is) is the fixture's unless the
record's latest history row is a person's (a user, or a change reason other than load_kb's):
then a difference is a conflict too.

Everything here works from the models' metadata and the fixture's own fields, so it follows the
models and the fixture as they change.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from kb.models import LoadedRecord

LOAD_REASON = "load_kb"


def key_text(key):
    """A natural key as stored: compact JSON, so that equal keys are equal strings."""
    return json.dumps(list(key), ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def as_tuple(value):
    """A natural key from JSON (lists, nested) as the tuple natural_key() returns."""
    return tuple(as_tuple(item) for item in value) if isinstance(value, (list, tuple)) else value


def fixture_terms(field, raw):
    """A fixture value, comparable with another of the same field (dates, decimals, keys)."""
    if field.is_relation:
        return as_tuple(raw)
    return field.to_python(raw)


def is_a_load(historical_record):
    """Whether a history row was written by load_kb (no user; its reason, or none before it had one)."""
    return historical_record.history_user_id is None and historical_record.history_change_reason in (
        None,
        "",
        LOAD_REASON,
    )


def changed_by_a_person_since_loaded(row):
    """Whether the last change to `row` was a person's, by its history. A record without
    history cannot tell, and is taken to be a person's: its differences are reported, not lost."""
    history = getattr(row, "history", None)
    if history is None:
        return True
    latest = history.order_by("-history_date", "-history_id").first()
    return latest is not None and not is_a_load(latest)


class Baseline:
    """The LoadedRecord rows of one database, read once per load and written back in one go."""

    def __init__(self, using):
        self.using = using
        self.entries = {(entry.model, entry.natural_key): entry for entry in LoadedRecord.objects.using(using)}
        self.seen = set()
        self.forgotten = []
        self.pending = {}

    def get(self, label, key):
        return self.entries.get((label, key_text(key)))

    def record(self, label, key, object_id, fields):
        """This load loaded `fields` into row `object_id` (or kept a record a person deleted)."""
        slot = (label, key_text(key))
        self.seen.add(slot)
        entry = self.entries.get(slot)
        if entry is None or entry.object_id != object_id or entry.fields != fields:
            self.pending[slot] = (object_id, fields)

    def dropped(self):
        """What an earlier load loaded and this fixture no longer has."""
        return [entry for slot, entry in self.entries.items() if slot not in self.seen]

    def forget(self, entry):
        """The record is no longer the fixture's: it was removed, or it is a person's now."""
        self.forgotten.append(entry.pk)

    def save(self):
        now = timezone.now()
        with transaction.atomic(using=self.using):
            LoadedRecord.objects.using(self.using).filter(pk__in=self.forgotten).delete()
            new, changed = [], []
            for (label, key), (object_id, fields) in self.pending.items():
                entry = self.entries.get((label, key))
                if entry is None:
                    new.append(
                        LoadedRecord(model=label, natural_key=key, object_id=object_id, fields=fields, loaded_at=now)
                    )
                else:
                    entry.object_id, entry.fields, entry.loaded_at = object_id, fields, now
                    changed.append(entry)
            LoadedRecord.objects.using(self.using).bulk_create(new, batch_size=500)
            LoadedRecord.objects.using(self.using).bulk_update(
                changed, ["object_id", "fields", "loaded_at"], batch_size=500
            )
