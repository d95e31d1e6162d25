"""The kinds of record the knowledge base holds, read from the models themselves.

Loading, pruning, search refresh, the admin, export, the synthetic generator and the tests ask
here instead of keeping their own lists, so a new kind of record or of cited fact is declared
once, on its model.
"""

import functools

from django.apps import apps

from kb.models import (
    CITED_FIELDS,
    NAMED_FIELDS,
    VOICED_FIELDS,
    Citation,
    OtherName,
    Reason,
    Record,
    Searchable,
    SourcePart,
    Voice,
)


@functools.cache
def record_models():
    """Every kind of knowledge-base record, each after the kinds it refers to (the order to load in)."""
    models = [
        model
        for model in apps.get_app_config("kb").get_models()
        if issubclass(model, Record) and not model.__name__.startswith("Historical")
    ]
    ordered, placed = [], set()

    def place(model, trail=()):
        if model in placed or model in trail:
            return
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target in models and target is not model and field.editable:
                place(target, (*trail, model))
        placed.add(model)
        ordered.append(model)

    for model in models:
        place(model)
    return tuple(ordered)


def searchable_models():
    return tuple(model for model in record_models() if issubclass(model, Searchable))


def cited_kinds():
    """(field name on Citation, model) for each kind of fact a citation can back."""
    return tuple((name, Citation._meta.get_field(name).related_model) for name in CITED_FIELDS)


def named_kinds():
    """(field name on OtherName, model) for each kind of record that has other names."""
    return tuple((name, OtherName._meta.get_field(name).related_model) for name in NAMED_FIELDS)


def owned_children():
    """(child model, owner field names): the records that belong to another and are loaded with it
    (a record's voices, reasons, parts, other names and citations are the fixture's, all of them)."""
    return (
        (Citation, CITED_FIELDS),
        (OtherName, NAMED_FIELDS),
        (Voice, VOICED_FIELDS),
        (Reason, ("position",)),
        (SourcePart, ("source",)),
    )
