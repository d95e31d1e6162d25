"""What every knowledge-base record shares: a public slug, its history, and its search text."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
slug_is_well_formed = Q(slug__regex=SLUG_PATTERN)


class KnowledgeBaseHistory(HistoricalRecords):
    """Every change to a record, kept with who, when and what: the admin's and the API's with
    their user, load_kb's with none (its raw saves, which simple_history would skip, count too).

    `search_text` is derived from the rest and left out.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("excluded_fields", ["search_text"])
        super().__init__(**kwargs)

    def post_save(self, instance, created, using=None, **kwargs):
        super().post_save(instance, created, using=using, **{**kwargs, "raw": False})


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


SlugManager = models.Manager.from_queryset(SlugQuerySet)


class Record(models.Model):
    """A knowledge-base record: `version` counts its changes, so a client can say which it edits."""

    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Advanced by every change to the record; its API answer's ETag."
    )

    class Meta:
        abstract = True


class Searchable(Record):
    """A record found by `?search=`: `search_text` gathers its names, other names, quotes and text.

    kb.search keeps it current when the record or anything it gathers changes.
    """

    search_text = models.TextField(blank=True, editable=False, default="")

    class Meta:
        abstract = True


class SlugNaturalKey:
    """Records are known by their public slug, in fixtures and URLs alike."""

    def natural_key(self):
        return (self.slug,)


def has_field(model, name):
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def present_key_indexes(prefix, fields):
    """An index of each nullable key in `fields` over the rows that have one.

    SQLite's ANALYZE counts a key's NULLs as one value shared by most rows, judges the key's full
    index unselective, and reads a parent's few children some other way: a program's detail read
    every citation, through its source, at 200,000 positions (docs/performance.md). These have the
    statistics of the rows a parent's children are read from. PostgreSQL's are small: few rows
    have each key."""
    return [
        models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=f"kb_{prefix}_{field}_set")
        for field in fields
    ]


def exactly_one_of(fields):
    condition = Q()
    for field in fields:
        condition |= Q(
            **{f"{field}__isnull": False}, **{f"{other}__isnull": True for other in fields if other != field}
        )
    return condition


def slugged_constraints(model_name):
    return [
        models.CheckConstraint(condition=slug_is_well_formed, name=f"kb_{model_name}_slug_well_formed"),
    ]


def constraint_message(model, name):
    """The violation message of one of the model's named constraints, for clean() to put on the
    field at fault (a check constraint's own error names no field)."""
    return next(constraint for constraint in model._meta.constraints if constraint.name == name).violation_error_message
