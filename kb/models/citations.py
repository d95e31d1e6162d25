"""Verbatim quotes, at their offsets in a source, that back the facts."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.text import Truncator

from kb.models.actors import Official, Organization, OtherName
from kb.models.base import KnowledgeBaseHistory, Record, exactly_one_of, present_key_indexes
from kb.models.positions import Position, Reason, Voice
from kb.models.programs import Program, ProgramFact
from kb.models.sources import Source

# The kinds of fact a citation can back: one nullable foreign key each, exactly one set. kb.registry
# reads this tuple; a new kind of cited fact is a field here, this tuple, and a migration.
CITED_FIELDS = ("position", "program_fact", "other_name", "official", "organization", "program", "voice", "reason")


class CitationQuerySet(models.QuerySet):
    def get_by_natural_key(self, source_slug, start, end, cited_field, *cited_key):
        if cited_field not in CITED_FIELDS:
            raise self.model.DoesNotExist(f"No such cited field: {cited_field}")
        cited_model = self.model._meta.get_field(cited_field).related_model
        cited = cited_model._default_manager.get_by_natural_key(*cited_key)
        return self.get(source__slug=source_slug, start=start, end=end, **{cited_field: cited})


class Citation(Record):
    """A verbatim quote, at its offsets in a source, that backs exactly one fact."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    quote = models.TextField()
    start = models.PositiveIntegerField(help_text="Offset of the quote's first character in the source's text.")
    end = models.PositiveIntegerField(help_text="Offset just past the quote: source.text[start:end] == quote.")
    position = models.ForeignKey(Position, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    program_fact = models.ForeignKey(
        ProgramFact, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    other_name = models.ForeignKey(OtherName, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    official = models.ForeignKey(Official, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    voice = models.ForeignKey(Voice, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")
    reason = models.ForeignKey(Reason, on_delete=models.CASCADE, null=True, blank=True, related_name="citations")

    objects = CitationQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["source", "start", "pk"]
        # ?source=: the positions a source's citations back, from the index alone.
        indexes = [
            models.Index(fields=["source", "position"], name="kb_citation_source_position"),
            *present_key_indexes("citation", CITED_FIELDS),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quote=""), name="kb_citation_quote_not_empty"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="kb_citation_offsets_ordered"),
            models.CheckConstraint(
                condition=Q(end=models.F("start") + Length("quote")),
                name="kb_citation_offsets_span_quote",
                violation_error_message="The offsets must span the quote exactly: end = start + length of the quote.",
            ),
            models.CheckConstraint(
                condition=exactly_one_of(CITED_FIELDS),
                name="kb_citation_cites_exactly_one_fact",
                violation_error_message=(
                    "A citation backs exactly one fact: a position, program fact, other name, official, "
                    "organization, program, voice or reason."
                ),
            ),
        ]

    def __str__(self):
        return f"“{Truncator(self.quote).chars(60)}” [{self.start}:{self.end}]"

    @property
    def cited_field(self):
        return next((field for field in CITED_FIELDS if getattr(self, f"{field}_id") is not None), None)

    @property
    def cited(self):
        return getattr(self, self.cited_field) if self.cited_field else None

    def natural_key(self):
        return (self.source.slug, self.start, self.end, self.cited_field, *self.cited.natural_key())

    natural_key.dependencies = ["kb.source", "kb.position", "kb.programfact", "kb.othername", "kb.voice", "kb.reason"]

    def locate_quote(self):
        """Fill start/end from the quote's first occurrence outside the parts of the source that are
        not the publisher's (a reposter's header, reader comments), keeping offsets that already fit.

        Raises ValidationError naming the problem when the quote is not verbatim there.
        """
        source = self.source
        if self.start is not None and self.end is not None and source.text[self.start : self.end] == self.quote:
            if source.find_evidence(self.quote, self.start) == self.start:
                return
        position = source.find_evidence(self.quote)
        if position < 0:
            elsewhere = bool(self.quote) and self.quote in source.text
            reason = (
                "is only in parts that are not the publisher's (a reposter's header, reader comments), which are never evidence"
                if elsewhere
                else "is not verbatim in the source's text"
            )
            raise ValidationError({"quote": f"The quote {self.quote!r} {reason} ({source.slug})."})
        self.start, self.end = position, position + len(self.quote)

    def full_clean(self, *args, **kwargs):
        # The offsets follow from the quote, so they are found before the fields are checked.
        if self.source_id is not None and self.quote:
            self.locate_quote()
        super().full_clean(*args, **kwargs)
