"""Load the built fixture into the database without losing anyone's work: atomic, loud about bad
records, and three-way (kb.provenance).

- A record new in the fixture is added.
- A field the fixture changed since the last load is updated, unless a person changed it too:
  then the person's value stays and the conflict is reported (`prefer_fixture` takes the
  fixture's).
- A record, citation or other name a person added is never touched; one a person deleted is not
  brought back (`prefer_fixture` brings it back).
- A record an earlier load added and the fixture no longer has is removed, if no person changed
  it or added parts to it since; otherwise it stays, and is the person's from then on.

Every save and delete goes through the models' own paths (validation, history with change reason
"load_kb" and no user, search text, versions), in one transaction: on any error nothing changes.
It works from the fixture's model labels, natural keys and fields and the models' metadata.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import CheckConstraint, ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.utils.text import Truncator

from kb.fixture_build import FIXTURE_FILE
from kb.models import Citation, LoadedRecord
from kb.provenance import (
    LOAD_REASON,
    Baseline,
    as_tuple,
    changed_by_a_person_since_loaded,
    fixture_terms,
)

# A foreign key to a record that is not in the database: a person deleted it since the last load.
NO_ROW = 0


class LoadError(Exception):
    """The fixture cannot be loaded; the database was left as it was."""


@dataclass
class Conflict:
    """A field both the fixture and a person changed since the last load."""

    record: str
    field: str
    current: str
    fixture: str
    took_fixture: bool

    def __str__(self):
        if self.took_fixture:
            return f"{self.record} {self.field}: took the fixture's {self.fixture} over {self.current}"
        return f"{self.record} {self.field}: kept {self.current}; the fixture has {self.fixture}"


@dataclass
class LoadReport:
    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    conflicts: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # records kept as a person left them, and why

    @property
    def loaded(self):
        return sum(sum(counter[kind] for kind in OUTCOMES) for counter in self.counts.values())


OUTCOMES = ("created", "restored", "updated", "unchanged", "kept")


def load_knowledge_base(fixture_file=FIXTURE_FILE, using="default", prefer_fixture=False):
    """Load the fixture three-way (see the module's docstring); return a LoadReport."""
    fixture_file = Path(fixture_file)
    try:
        stream = fixture_file.read_text(encoding="utf-8")
    except OSError as error:
        raise LoadError(f"Cannot read fixture '{fixture_file}': {error}") from None
    try:
        records = json.loads(stream)
        if not isinstance(records, list) or not all(isinstance(r, dict) and "model" in r for r in records):
            raise ValueError("a fixture is a JSON list of {model, fields} objects")
    except ValueError as error:
        raise LoadError(f"Problem installing fixture '{fixture_file}': {error}") from None

    loader = _Loader(fixture_file, using, prefer_fixture)
    with transaction.atomic(using=using):
        for record in records:
            loader.load(record)
        loader.remove_dropped()
        loader.baseline.save()
    return loader.report


class _Loader:
    def __init__(self, fixture_file, using, prefer_fixture):
        self.fixture_file = fixture_file
        self.using = using
        self.prefer_fixture = prefer_fixture
        self.report = LoadReport()
        self.baseline = Baseline(using)
        self.instances = {}  # (label, natural key) -> the record as the fixture has it
        self.rows = {}  # model -> {pk: row}, read once per model

    # ------------------------------------------------------------ one record of the fixture

    def load(self, record):
        model = self._model(record)
        label = model._meta.label_lower
        fields = record.get("fields", {})
        try:
            instance, deleted_targets = self._build(model, fields)
            key = self._natural_key(instance, record)
            self.instances[(label, key)] = instance
            outcome = self._place(model, label, key, instance, fields, deleted_targets)
        except (ValidationError, DatabaseError, ObjectDoesNotExist, LoadError) as error:
            raise LoadError(
                f"Problem installing fixture '{self.fixture_file}': could not load "
                f"{self._describe_raw(model, fields)}: {_detail(error)}"
            ) from None
        self.report.counts[model._meta.label][outcome] += 1

    def _place(self, model, label, key, instance, fields, deleted_targets):
        entry = self.baseline.get(label, key)
        row = self._row(model, entry.object_id) if entry else None
        if row is None:
            # Not loaded before, or its row is gone but a person made it again (a PUT of a
            # position makes its citations anew): the row with its natural key is the record.
            row = self._row_by_key(model, key)
        if row is None and (deleted_targets or (entry is not None and not self.prefer_fixture)):
            # A person deleted it, or what it belongs to, since the last load: it stays deleted.
            instance.pk = entry.object_id if entry else NO_ROW
            instance._kb_deleted = True
            if entry is not None:
                self.baseline.record(label, key, entry.object_id, entry.fields)
            reason = (
                f"the {', '.join(sorted(deleted_targets))} it names was deleted or not added"
                if deleted_targets
                else "it was deleted"
            )
            self.report.kept.append(f"{_describe(model, key)}: not loaded, {reason} since the last load.")
            return "kept"
        if row is None:
            self._check_fixture_record(instance)
            if not self._create(model, key, instance):
                return "kept"
            self.baseline.record(label, key, instance.pk, fields)
            return "restored" if entry is not None else "created"
        outcome = self._merge(model, key, row, instance, fields, entry, deleted_targets)
        instance.pk = row.pk
        self.baseline.record(label, key, row.pk, fields)
        return outcome

    def _check_fixture_record(self, instance):
        """The fixture's record must be valid on its own, whatever the database holds: if not, the
        fixture is wrong, and the load stops (LoadError, nothing changed)."""
        model = type(instance)
        if isinstance(instance, Citation):
            self._check_quote_at_offsets(instance)
        instance.full_clean(
            exclude=[f.name for f in model._meta.concrete_fields if f.is_relation],
            validate_unique=False,
            validate_constraints=False,
        )
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint):
                constraint.validate(model, instance, using=self.using)

    def _create(self, model, key, instance):
        """Add the fixture's record; False when what people did meanwhile leaves no room for it
        (a slug a person's record took, a source text a person changed): reported, not loaded."""
        instance._change_reason = LOAD_REASON
        try:
            with transaction.atomic(using=self.using):
                instance.validate_unique()
                instance.save(using=self.using)
        except (ValidationError, DatabaseError) as error:
            instance.pk, instance._kb_deleted = NO_ROW, True
            self.report.kept.append(
                f"{_describe(model, key)}: not added, as it does not fit the changes made since the last load: "
                f"{_detail(error)}"
            )
            return False
        return True

    def _merge(self, model, key, row, instance, fields, entry, deleted_targets):
        """Take what the fixture changed since the last load, and only that, into `row`."""
        take, conflicts = [], []
        person_touched = None
        for name, raw in fields.items():
            model_field = model._meta.get_field(name)
            if not model_field.editable or model_field.primary_key:
                continue  # derived or kept by the database itself (search text, version)
            if name in deleted_targets:
                if getattr(row, model_field.attname) != getattr(instance, model_field.attname):
                    self.report.kept.append(
                        f"{_describe(model, key)} {name}: not changed to a record deleted since the last load."
                    )
                continue
            fixture_now = getattr(instance, model_field.attname)
            current = getattr(row, model_field.attname)
            if current == fixture_now:
                continue
            if entry is not None and name in entry.fields:
                loaded = entry.fields[name]
                if fixture_terms(model_field, raw) == fixture_terms(model_field, loaded):
                    continue  # the fixture did not change it: what the database holds stays
                person_changed = current != self._resolve(model_field, loaded)
            else:
                if person_touched is None:
                    person_touched = changed_by_a_person_since_loaded(row)
                person_changed = person_touched
            if person_changed:
                conflicts.append(
                    Conflict(
                        _describe(model, key),
                        name,
                        self._show(model_field, current),
                        self._show(model_field, fixture_now),
                        self.prefer_fixture,
                    )
                )
                if not self.prefer_fixture:
                    continue
            take.append(model_field)
        self.report.conflicts.extend(conflicts)
        if not take:
            return "kept" if conflicts else "unchanged"
        self._check_fixture_record(instance)
        for model_field in take:
            setattr(row, model_field.attname, getattr(instance, model_field.attname))
        try:
            with transaction.atomic(using=self.using):
                row.full_clean(validate_constraints=False)
                row._change_reason = LOAD_REASON
                row.save(using=self.using, update_fields=[model_field.name for model_field in take])
        except (ValidationError, DatabaseError) as error:
            # The fixture's change does not fit what people did meanwhile (a text their citations
            # quote, a slug a person's record took): the record stays as they left it.
            row.refresh_from_db(fields=[model_field.attname for model_field in take])
            names = ", ".join(model_field.name for model_field in take)
            self.report.kept.append(
                f"{_describe(model, key)}: the fixture's change to {names} was not applied, as it does not fit "
                f"the changes made since the last load: {_detail(error)}"
            )
            return "kept"
        return "updated"

    # ------------------------------------------------------------ records the fixture no longer has

    def remove_dropped(self):
        """Remove what an earlier load added and the fixture no longer has, parts before owners,
        unless a person changed it or added to it since."""
        dropped = defaultdict(list)
        for entry in self.baseline.dropped():
            try:
                dropped[apps.get_model(entry.model)].append(entry)
            except LookupError:
                self.baseline.forget(entry)  # a model that no longer exists took its rows with it
        order = serializers.sort_dependencies([(None, list(dropped))], allow_cycles=True)
        for model in reversed(order):
            for entry in sorted(dropped[model], key=lambda entry: entry.natural_key):
                self._remove(model, entry)

    def _remove(self, model, entry):
        self.baseline.forget(entry)
        row = self._row(model, entry.object_id)
        if row is None:
            return
        key = as_tuple(json.loads(entry.natural_key))
        changed = []
        for name, raw in entry.fields.items():
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if model_field.editable and getattr(row, model_field.attname) != self._resolve(model_field, raw):
                changed.append(name)
        label = model._meta.label
        if changed:
            self._keep_dropped(label, key, f"a person changed {', '.join(changed)} since the last load")
            return
        collector = Collector(using=self.using)
        try:
            collector.collect([row])
        except (ProtectedError, RestrictedError) as error:
            blocking = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
            self._keep_dropped(label, key, f"{len(blocking)} record(s) not in the fixture refer to it")
            return
        parts = [obj for objs in collector.data.values() for obj in objs if obj is not row]
        if parts or collector.field_updates or any(rows.exists() for rows in collector.fast_deletes):
            self._keep_dropped(label, key, f"a person added {len(parts) or 'some'} part(s) to it since the last load")
            return
        row._change_reason = LOAD_REASON
        collector.delete()
        self.report.counts[label]["removed"] += 1

    def _keep_dropped(self, label, key, why):
        self.report.counts[label]["kept (no longer in the fixture)"] += 1
        self.report.kept.append(f"{label}{key!r}: no longer in the fixture, but kept: {why}.")

    # ------------------------------------------------------------ reading the fixture's records

    def _model(self, record):
        try:
            return apps.get_model(record["model"])
        except (LookupError, ValueError) as error:
            raise LoadError(f"Problem installing fixture '{self.fixture_file}': {error}") from None

    def _build(self, model, fields):
        """The record as the fixture has it, unsaved. Each foreign key points at the fixture's own
        record (so natural keys are the fixture's) carrying the id of the row it went into."""
        instance = model()
        deleted_targets = set()
        for name, raw in fields.items():
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                raise LoadError(f"{model._meta.label} has no field {name!r}") from None
            if model_field.many_to_many or not model_field.concrete:
                raise LoadError(f"{model._meta.label}.{name}: load_kb loads concrete fields and foreign keys only")
            if model_field.is_relation:
                target = None if raw is None else self._target(model_field.related_model, raw)
                setattr(instance, model_field.attname, None if target is None else target.pk)
                if target is not None:
                    model_field.set_cached_value(instance, target)
                    if getattr(target, "_kb_deleted", False):
                        deleted_targets.add(name)
            else:
                setattr(instance, model_field.attname, model_field.to_python(raw))
        return instance, deleted_targets

    def _target(self, model, raw):
        if not isinstance(raw, list):
            return model._base_manager.using(self.using).get(pk=raw)
        found = self.instances.get((model._meta.label_lower, as_tuple(raw)))
        if found is not None:
            return found
        return model._default_manager.db_manager(self.using).get_by_natural_key(*raw)

    def _natural_key(self, instance, record):
        if hasattr(instance, "natural_key"):
            return as_tuple(instance.natural_key())
        if "pk" in record:
            return (record["pk"],)
        raise LoadError(f"{instance._meta.label} has no natural key and the record no pk")

    def _resolve(self, model_field, raw):
        """A value of the baseline as the database stores it: a natural key becomes the id of the
        row it names now (None if none does)."""
        if not model_field.is_relation:
            return model_field.to_python(raw)
        if raw is None or not isinstance(raw, list):
            return raw
        related = model_field.related_model
        key = as_tuple(raw)
        found = self.instances.get((related._meta.label_lower, key))
        if found is not None:
            return found.pk
        entry = self.baseline.get(related._meta.label_lower, key)
        if entry is not None:
            return entry.object_id
        try:
            return related._default_manager.db_manager(self.using).get_by_natural_key(*raw).pk
        except ObjectDoesNotExist:
            return None

    # ------------------------------------------------------------ the database's rows

    def _row(self, model, pk):
        if model not in self.rows:
            ids = [
                entry.object_id
                for (label, _), entry in self.baseline.entries.items()
                if label == model._meta.label_lower
            ]
            self.rows[model] = model._base_manager.using(self.using).in_bulk(ids) if ids else {}
        row = self.rows[model].get(pk)
        if row is None:
            row = model._base_manager.using(self.using).filter(pk=pk).first()
        return row

    def _row_by_key(self, model, key):
        manager = model._default_manager.db_manager(self.using)
        try:
            if hasattr(manager, "get_by_natural_key") and hasattr(model, "natural_key"):
                return manager.get_by_natural_key(*key)
            return manager.get(pk=key[0])
        except ObjectDoesNotExist:
            return None

    def _check_quote_at_offsets(self, citation):
        source = citation.source
        text = source.text
        found = text[citation.start : citation.end]
        if found != citation.quote:
            raise LoadError(
                f"source {source.slug!r} has {found!r} at [{citation.start}:{citation.end}], "
                f"not the quote {citation.quote!r}"
            )
        if source.find_evidence(citation.quote, citation.start) != citation.start:
            raise LoadError(
                f"the quote {citation.quote!r} lies in a part of {source.slug!r} that is not the publisher's"
            )

    # ------------------------------------------------------------ words

    def _show(self, model_field, value):
        if model_field.is_relation and value is not None:
            related = model_field.related_model._base_manager.using(self.using).filter(pk=value).first()
            if related is not None and hasattr(related, "natural_key"):
                value = related.natural_key()
                value = value[0] if len(value) == 1 else list(value)
        return repr(Truncator(str(value) if not isinstance(value, str) else value).chars(80))

    def _describe_raw(self, model, fields):
        key = fields.get("slug") or fields.get("name")
        if key is not None:
            return f"{model._meta.label}({key!r},)"
        return f"{model._meta.label}({Truncator(json.dumps(fields, ensure_ascii=False)).chars(200)})"


def _describe(model, key):
    return f"{model._meta.label}{tuple(key)!r}"


def _detail(error):
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in error.message_dict.items())
        return " ".join(error.messages)
    return str(error)


__all__ = ["LoadError", "LoadReport", "LoadedRecord", "load_knowledge_base"]
