"""The documents every fact is cited to, what in them is not the publisher's, and which carry another's text."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from kb.models.base import (
    KnowledgeBaseHistory,
    Record,
    Searchable,
    SlugManager,
    SlugNaturalKey,
    constraint_message,
    slugged_constraints,
)
from kb.models.dates import DatePrecision, check_interval, edtf, interval_constraint


class SourceKind(models.TextChoices):
    NEWS_ARTICLE = "news_article", "News article"
    RADIO_STORY = "radio_story", "Radio story"
    BLOG_POST = "blog_post", "Blog post"


class Derivation(models.TextChoices):
    CARRIES_TEXT = "carries_text", "Carries the other source's text word for word"
    QUOTES = "quotes", "Quotes the other source"


class Source(SlugNaturalKey, Searchable):
    """A document, its full text exactly as in its file, and where its text comes from."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300, blank=True, help_text="Empty when the document carries no headline.")
    publisher = models.CharField(max_length=200, blank=True, help_text="Empty when the document does not name one.")
    authors = models.JSONField(default=list, blank=True, help_text="Names of the authors, as the source gives them.")
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    url = models.URLField(
        max_length=500, blank=True, help_text="The original address, where the document names one; empty otherwise."
    )
    published_earliest = models.DateField(null=True, blank=True, help_text="Earliest day it can have been published.")
    published_latest = models.DateField(null=True, blank=True, help_text="Latest day it can have been published.")
    published_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    published_text = models.CharField(
        max_length=200, blank=True, help_text="The words of the text that date it; empty when it carries no date."
    )
    note = models.TextField(blank=True, help_text="How the date was resolved; what the file is (a repost, ...).")
    derived_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derivatives",
        help_text="The source whose text this one carries or quotes: the two are not independent.",
    )
    derivation = models.CharField(max_length=20, choices=Derivation.choices, blank=True)
    lineage_root = models.ForeignKey(
        "self",
        # Derived, so never a reason to keep a source: PROTECT here made every source undeletable
        # (each is its own root). derived_from is what protects a source others carry or quote.
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        help_text="The first source of its lineage (itself when derived from none); kept current on save.",
    )
    file_name = models.CharField(
        max_length=200, unique=True, help_text="The document's file under fixtures/documents/."
    )
    text = models.TextField(help_text="The document's full text, exactly as in its file.")

    objects = SlugManager()
    history = KnowledgeBaseHistory(excluded_fields=["search_text", "lineage_root"])

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("source"),
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="kb_source_kind_valid"),
            interval_constraint("source", "published"),
            models.CheckConstraint(condition=~Q(text=""), name="kb_source_text_not_empty"),
            models.CheckConstraint(
                condition=Q(derived_from__isnull=True, derivation="")
                | Q(derived_from__isnull=False, derivation__in=Derivation.values),
                name="kb_source_derivation_with_origin",
                violation_error_message="A source derived from another says how (carries its text, or quotes it).",
            ),
            models.CheckConstraint(condition=~Q(derived_from=F("pk")), name="kb_source_not_derived_from_itself"),
        ]

    def __str__(self):
        return self.title or f"[untitled] {self.publisher or self.slug}"

    @property
    def published_edtf(self):
        return edtf(self.published_earliest, self.published_latest, self.published_precision)

    def clean(self):
        if bool(self.derived_from_id) != bool(self.derivation):
            # kb_source_derivation_with_origin, on the field that is missing.
            missing = "derivation" if self.derived_from_id else "derived_from"
            raise ValidationError({missing: constraint_message(Source, "kb_source_derivation_with_origin")})
        check_interval(self, "published")
        if self.published_text and self.published_text not in self.text:
            raise ValidationError({"published_text": "These words are not verbatim in the source's text."})
        ancestor = self.derived_from
        while ancestor is not None:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"derived_from": "A source cannot be derived from itself, even through others."})
            ancestor = ancestor.derived_from
        if not self._state.adding:
            self._check_citations_still_match()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_lineage(self)

    def non_evidence_spans(self):
        """(start, end) of every part that is not the publisher's, in order (of a source not yet
        saved, the parts given it as `pending_parts`)."""
        parts = getattr(self, "pending_parts", ()) if self._state.adding else self.parts.all()
        return sorted((part.start, part.end) for part in parts)

    def find_evidence(self, quote, start=0):
        """Offset of the first occurrence of `quote` from `start` that overlaps no part, or -1."""
        spans = self.non_evidence_spans()
        position = self.text.find(quote, start) if quote else -1
        while position >= 0:
            end = position + len(quote)
            if not any(part_start < end and position < part_end for part_start, part_end in spans):
                return position
            position = self.text.find(quote, position + 1)
        return -1

    def _check_citations_still_match(self):
        """An edit of the text must keep every citation verbatim and outside the non-publisher parts."""
        spans = self.non_evidence_spans()
        stranded = [
            citation
            for citation in self.citations.only("quote", "start", "end")
            if self.text[citation.start : citation.end] != citation.quote
            or any(start < citation.end and citation.start < end for start, end in spans)
        ]
        if stranded:
            examples = "; ".join(f"{c.quote[:60]!r} at [{c.start}:{c.end}]" for c in stranded[:3])
            raise ValidationError(
                {
                    "text": f"{len(stranded)} citation(s) would no longer quote this text verbatim, outside the "
                    f"parts that are not the publisher's: {examples}. Change or remove those citations first."
                }
            )


def refresh_lineage(source):
    """Store the lineage root of `source` and of every source derived from it, through any number of steps."""
    root_id, seen = source.pk, {source.pk}
    parent_id = source.derived_from_id
    while parent_id is not None and parent_id not in seen:
        root_id = parent_id
        seen.add(parent_id)
        parent_id = Source.objects.filter(pk=parent_id).values_list("derived_from_id", flat=True).first()
    level, visited = [source.pk], set()
    while level:
        Source.objects.filter(pk__in=level).exclude(lineage_root_id=root_id).update(lineage_root_id=root_id)
        visited.update(level)
        level = list(
            Source.objects.filter(derived_from_id__in=level).exclude(pk__in=visited).values_list("pk", flat=True)
        )
    source.lineage_root_id = root_id


class SourcePartKind(models.TextChoices):
    REPOSTER_HEADER = "reposter_header", "Reposter's header: a line the reposter added above the publisher's text"
    CALL_TO_ACTION = "call_to_action", "Call to action: the reposter's appeal to readers"
    READER_COMMENTS = "reader_comments", "Reader comments"


class SourcePartQuerySet(models.QuerySet):
    def get_by_natural_key(self, source_slug, start):
        return self.get(source__slug=source_slug, start=start)


class SourcePart(Record):
    """A span of a document that is not the publisher's: never evidence for what the publisher reported."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="parts")
    kind = models.CharField(max_length=20, choices=SourcePartKind.choices)
    start = models.PositiveIntegerField(help_text="Offset of the part's first character in the source's text.")
    end = models.PositiveIntegerField(help_text="Offset just past the part's last character.")
    author = models.CharField(max_length=200, blank=True, help_text="Who wrote it, where known.")
    note = models.CharField(max_length=500, blank=True)

    objects = SourcePartQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["source", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SourcePartKind.values), name="kb_sourcepart_kind_valid"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="kb_sourcepart_offsets_ordered"),
            models.UniqueConstraint(fields=["source", "start"], name="kb_sourcepart_unique_start"),
        ]

    def __str__(self):
        return f"{self.get_kind_display().split(':')[0]} [{self.start}:{self.end}]"

    def natural_key(self):
        return (*self.source.natural_key(), self.start)

    natural_key.dependencies = ["kb.source"]

    def clean(self):
        if self.source_id is not None and self.end is not None and self.end > len(self.source.text):
            raise ValidationError({"end": f"Past the end of the text ({len(self.source.text)} characters)."})
        if self.source_id is not None and not self.source._state.adding and None not in (self.start, self.end):
            cited = self.source.citations.filter(start__lt=self.end, end__gt=self.start)
            if cited.exists():
                raise ValidationError(
                    {
                        "start": f"{cited.count()} citation(s) quote this span: a part that is not the publisher's is never evidence."
                    }
                )
