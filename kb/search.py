"""Word-prefix search over each record's `search_text`, the same on PostgreSQL and elsewhere.

A query is split into words; a record matches when every word starts a word of its search
text (case-insensitive). PostgreSQL answers with full-text search (`simple` configuration,
prefix queries) over a GIN index; other databases with an equivalent regular expression.
"""

import re
import threading
from contextlib import contextmanager

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from kb.models import (
    Citation,
    Jurisdiction,
    Official,
    Organization,
    OtherName,
    Position,
    Program,
    ProgramFact,
    Reason,
    Source,
    Voice,
)

MAX_SEARCH_WORDS = 10
SEARCH_CONFIG = "simple"
# Letters and digits; punctuation and underscores separate words, as PostgreSQL's parser does
# once the text is stored as plain words (so "state:ma" and "S-Comm" split the same everywhere).
WORD = re.compile(r"[^\W_]+")


def search_words(query):
    return [word.lower() for word in WORD.findall(query or "")]


def search(queryset, query):
    words = search_words(query)[:MAX_SEARCH_WORDS]
    if not words:
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        # Same expression as the GIN index the kb migrations create, so the index answers it.
        prefix_query = " & ".join(f"{word}:*" for word in words)
        return queryset.annotate(search_vector=SearchVector("search_text", config=SEARCH_CONFIG)).filter(
            search_vector=SearchQuery(prefix_query, search_type="raw", config=SEARCH_CONFIG)
        )
    condition = Q()
    for word in words:
        condition &= Q(search_text__iregex=rf"(^|\s){re.escape(word)}")
    return queryset.filter(condition)


def _names(named):
    if named is None:
        return []
    return [named.name, *named.other_names.values_list("name", flat=True)]


def search_text_of(record):
    if isinstance(record, Source):
        parts = [record.title, record.publisher, *record.authors, record.text]
    elif isinstance(record, Jurisdiction):
        parts = [record.name, record.ocd_id]
    elif isinstance(record, (Organization, Official)):
        parts = [*_names(record), getattr(record, "role", ""), getattr(record, "description", "")]
    elif isinstance(record, Program):
        parts = [*_names(record), record.description, *record.facts.values_list("statement", flat=True)]
    elif isinstance(record, Position):
        parts = [
            record.summary,
            record.date_text,
            record.note,
            *_names(record.official),
            *_names(record.organization),
            record.jurisdiction.name if record.jurisdiction else "",
            *record.citations.values_list("quote", flat=True),
            *record.reasons.values_list("summary", flat=True),
            *(
                name
                for voice in record.voices.select_related("official", "organization")
                for name in _names(voice.speaker)
            ),
        ]
    else:
        raise TypeError(f"{type(record).__name__} is not searchable")
    return " ".join(WORD.findall(" ".join(part for part in parts if part)))


_state = threading.local()


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


SEARCHABLE_MODELS = (Source, Jurisdiction, Organization, Official, Program, Position)


def refresh_search_text(records):
    for record in records:
        text = search_text_of(record)
        if text != record.search_text:
            type(record).objects.filter(pk=record.pk).update(search_text=text)
            record.search_text = text


@receiver(post_save, sender=Source)
@receiver(post_save, sender=Jurisdiction)
@receiver(post_save, sender=Organization)
@receiver(post_save, sender=Official)
@receiver(post_save, sender=Program)
@receiver(post_save, sender=Position)
def _refresh_record(sender, instance, **kwargs):
    if not _refresh_now():
        return
    refresh_search_text([instance])
    if sender in (Jurisdiction, Organization, Official):
        refresh_search_text(instance.positions.all())


@receiver(post_save, sender=OtherName)
@receiver(post_delete, sender=OtherName)
def _refresh_named(sender, instance, **kwargs):
    if not _refresh_now():
        return
    owner = _existing(instance, ("official", "organization", "program"))
    if owner is not None:
        refresh_search_text([owner])
        if not isinstance(owner, Program):
            refresh_search_text(owner.positions.all())


@receiver(post_save, sender=Citation)
@receiver(post_delete, sender=Citation)
@receiver(post_save, sender=Reason)
@receiver(post_delete, sender=Reason)
@receiver(post_save, sender=Voice)
@receiver(post_delete, sender=Voice)
def _refresh_cited_position(sender, instance, **kwargs):
    if not _refresh_now():
        return
    position = _existing(instance, ("position",))
    if position is not None:
        refresh_search_text([position])


@receiver(post_save, sender=ProgramFact)
@receiver(post_delete, sender=ProgramFact)
def _refresh_program(sender, instance, **kwargs):
    if not _refresh_now():
        return
    program = _existing(instance, ("program",))
    if program is not None:
        refresh_search_text([program])


def _existing(instance, fields):
    """The first of `fields` that points to a record still in the database (cascades delete owners first)."""
    for field in fields:
        related_id = getattr(instance, f"{field}_id")
        if related_id is not None:
            model = type(instance)._meta.get_field(field).related_model
            return model.objects.filter(pk=related_id).first()
    return None
