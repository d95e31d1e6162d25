"""The documents every fact is cited to."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from kb.models.base import KnowledgeBaseHistory, Searchable, SlugManager, SlugNaturalKey, slugged_constraints
from kb.models.dates import PRECISION_MESSAGE, DatePrecision, check_date_precision, date_matches_precision


class SourceKind(models.TextChoices):
    NEWS_ARTICLE = "news_article", "News article"
    RADIO_STORY = "radio_story", "Radio story"
    BLOG_POST = "blog_post", "Blog post"


class Source(SlugNaturalKey, Searchable):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300, blank=True, help_text="Empty when the document carries no headline.")
    publisher = models.CharField(max_length=200, blank=True, help_text="Empty when the document does not name one.")
    authors = models.JSONField(default=list, blank=True, help_text="Names of the authors, as the source gives them.")
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    published_on = models.DateField(null=True, blank=True)
    published_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    published_quote = models.CharField(
        max_length=200, blank=True, help_text="The words of the text that date it; empty when it carries no date."
    )
    file_name = models.CharField(
        max_length=200, unique=True, help_text="The document's file under fixtures/documents/."
    )
    text = models.TextField(help_text="The document's full text, exactly as in its file.")
    comments_start = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Offset where reader comments begin. They stay in the text but are never evidence.",
    )

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("source"),
            models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="kb_source_kind_valid"),
            models.CheckConstraint(
                condition=Q(published_precision="") | Q(published_precision__in=DatePrecision.values),
                name="kb_source_published_precision_valid",
            ),
            models.CheckConstraint(
                condition=date_matches_precision("published_on", "published_precision"),
                name="kb_source_published_matches_precision",
                violation_error_message=PRECISION_MESSAGE,
            ),
            models.CheckConstraint(condition=~Q(text=""), name="kb_source_text_not_empty"),
        ]

    def __str__(self):
        return self.title or f"[untitled] {self.publisher or self.slug}"

    @property
    def evidence_end(self):
        """Offset past which the text may not be quoted as evidence."""
        return self.comments_start if self.comments_start is not None else len(self.text)

    def clean(self):
        check_date_precision(self, "published_on", "published_precision")
        if self.published_quote and self.published_quote not in self.text:
            raise ValidationError({"published_quote": "This quote is not verbatim in the source's text."})
        if self.comments_start is not None and self.comments_start > len(self.text):
            raise ValidationError({"comments_start": f"Past the end of the text ({len(self.text)} characters)."})
        if self.pk is not None:
            self._check_citations_still_match()

    def _check_citations_still_match(self):
        """An edit of the text or of where comments start must keep every citation verbatim and evidence."""
        evidence_end = self.evidence_end
        stranded = [
            citation
            for citation in self.citations.only("quote", "start", "end")
            if self.text[citation.start : citation.end] != citation.quote or citation.end > evidence_end
        ]
        if stranded:
            examples = "; ".join(f"{c.quote[:60]!r} at [{c.start}:{c.end}]" for c in stranded[:3])
            raise ValidationError(
                {
                    "text": f"{len(stranded)} citation(s) would no longer quote this text verbatim, before the "
                    f"reader comments: {examples}. Change or remove those citations first."
                }
            )
