"""A database refusal in a person's words: which field, what is wrong, what to do.

Validation names the field before the database is asked, but two writes at once can both pass
it (three POSTs of one new slug), and some rules only the database knows (PostgreSQL's
citation triggers). Then the database refuses with an IntegrityError in its own words, which
name tables, columns and values: they belong in the log. This module finds the model, fields and
rule the error is about, from the error's diagnostics (PostgreSQL) or message (SQLite) and the
models' metadata, and says it as the API's errors say things.
"""

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

NON_FIELD = "non_field_errors"
# Rules kept by triggers (kb/migrations/0014_citation_trigger.py): the field and what to do.
TRIGGER_RULES = {
    "kb_citation_quote_at_offsets": (
        "quote",
        "The quote is not at its offsets in its source's text (the text may have changed meanwhile). "
        "Cite it again from the source as it is now.",
    ),
    "kb_citation_outside_parts": (
        "quote",
        "The quote lies in a part of the source that is not the publisher's (a reposter's header, reader "
        "comments), which is never evidence. Quote the publisher's own text.",
    ),
    "kb_sourcepart_covers_no_citation": (
        "start",
        "The part would cover a citation's quote. Move or remove that citation first.",
    ),
    "kb_source_text_keeps_citations": (
        "text",
        "The new text would no longer quote some of this source's citations at their offsets. "
        "Change or remove those citations first.",
    ),
}


@dataclass
class Refusal:
    detail: str
    errors: dict = field(default_factory=dict)


# Two transactions that each waited for the other (PostgreSQL broke the tie by failing one), or
# one that could not be serialised: neither is the database being down, and retrying succeeds.
RACE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def lost_a_race(error):
    """Whether a database error means this write met another at the same moment."""
    diagnostics = getattr(error.__cause__, "diag", None)
    return getattr(diagnostics, "sqlstate", None) in RACE_SQLSTATES


def explain(error):
    """A Refusal for an IntegrityError (or None when it names nothing this module knows)."""
    cause = error.__cause__
    diagnostics = getattr(cause, "diag", None)
    if diagnostics is not None:
        return _explain_postgresql(diagnostics)
    return _explain_sqlite(str(error))


def _models_by_table():
    return {model._meta.db_table: model for model in apps.get_models()}


def _explain_postgresql(diagnostics):
    name = diagnostics.constraint_name or ""
    if name in TRIGGER_RULES:
        return _trigger(name)
    model = _models_by_table().get(diagnostics.table_name or "")
    if model is None:
        return None
    sqlstate = getattr(diagnostics, "sqlstate", "") or ""
    if sqlstate == "23505":  # unique_violation
        fields = _unique_fields(model, name) or _fields_of_columns(model, _detail_columns(diagnostics))
        return _unique(model, fields)
    if sqlstate == "23514":  # check_violation
        return _check(model, name)
    if sqlstate == "23502":  # not_null_violation
        return _required(model, _fields_of_columns(model, [diagnostics.column_name or ""]))
    if sqlstate == "23503":  # foreign_key_violation
        return Refusal(
            "A record this change refers to no longer exists (it was deleted meanwhile). Reload and try again."
        )
    return None


def _explain_sqlite(message):
    unique = re.match(r"UNIQUE constraint failed: (.+)", message)
    if unique:
        return _columns_refusal(unique.group(1), _unique)
    not_null = re.match(r"NOT NULL constraint failed: (.+)", message)
    if not_null:
        return _columns_refusal(not_null.group(1), _required)
    check = re.match(r"CHECK constraint failed: (\w+)", message)
    if check:
        for model in apps.get_models():
            if any(constraint.name == check.group(1) for constraint in model._meta.constraints):
                return _check(model, check.group(1))
    if message.startswith("FOREIGN KEY constraint failed"):
        return Refusal(
            "A record this change refers to no longer exists (it was deleted meanwhile). Reload and try again."
        )
    return None


def _columns_refusal(columns_text, refusal):
    tables = _models_by_table()
    pairs = [column.strip().split(".", 1) for column in columns_text.split(",")]
    model = tables.get(pairs[0][0]) if pairs and len(pairs[0]) == 2 else None
    if model is None:
        return None
    return refusal(model, _fields_of_columns(model, [column for _, column in pairs]))


def _detail_columns(diagnostics):
    found = re.match(r"Key \(([^)]*)\)=", diagnostics.message_detail or "")
    return [column.strip().strip('"') for column in found.group(1).split(",")] if found else []


def _fields_of_columns(model, columns):
    by_column = {model_field.column: model_field.name for model_field in model._meta.concrete_fields}
    return [by_column[column] for column in columns if column in by_column]


def _unique_fields(model, constraint_name):
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.name == constraint_name:
            return list(constraint.fields)
    for model_field in model._meta.concrete_fields:
        # PostgreSQL's name for a column's own UNIQUE, and Django's for one added later.
        if model_field.unique and constraint_name.startswith(f"{model._meta.db_table}_{model_field.column}_"):
            return [model_field.name]
    return []


def _unique(model, fields):
    name = model._meta.verbose_name
    if not fields:
        return Refusal(f"Another {name} was saved with the same values meanwhile: change them and try again.")
    names = " and ".join(fields)
    message = (
        f"Another {name} already has this {names} (it may have been saved while yours was being written): "
        f"choose another {names}, or change that {name} instead."
    )
    return Refusal(message, {field_name: [message] for field_name in fields})


def _required(model, fields):
    message = "This field is required."
    return Refusal(
        f"Invalid input: {', '.join(fields) or 'a required field'}.",
        {name: [message] for name in fields or [NON_FIELD]},
    )


def _check(model, constraint_name):
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint) and constraint.name == constraint_name:
            message = str(constraint.get_violation_error_message())
            fields = _condition_fields(model, constraint.condition)
            return Refusal(message, {name: [message] for name in fields or [NON_FIELD]})
    return None


def _condition_fields(model, condition):
    """The model's fields a check constraint's condition reads, in the model's order."""
    referenced = condition.referenced_base_fields if isinstance(condition, models.Q) else set()
    return [model_field.name for model_field in model._meta.concrete_fields if model_field.name in referenced]


def _trigger(name):
    field_name, message = TRIGGER_RULES[name]
    return Refusal(message, {field_name: [message]})
