"""Government programs and the cited facts about them."""

from django.db import models
from django.db.models import Q

from kb.models.actors import Jurisdiction, Organization
from kb.models.base import KnowledgeBaseHistory, Record, Searchable, SlugManager, SlugNaturalKey, slugged_constraints
from kb.models.dates import PRECISION_MESSAGE, DatePrecision, check_date_precision, date_matches_precision


class Program(SlugNaturalKey, Searchable):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="programs")
    description = models.TextField()
    started_on = models.DateField(null=True, blank=True)
    started_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("program"),
            models.CheckConstraint(
                condition=Q(started_precision="") | Q(started_precision__in=DatePrecision.values),
                name="kb_program_started_precision_valid",
            ),
            models.CheckConstraint(
                condition=date_matches_precision("started_on", "started_precision"),
                name="kb_program_started_matches_precision",
                violation_error_message=PRECISION_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        check_date_precision(self, "started_on", "started_precision")


class ProgramFactKind(models.TextChoices):
    STARTED = "started", "Started"
    EXPANDED = "expanded", "Expanded"
    COVERAGE = "coverage", "Coverage (how many jurisdictions take part)"
    DEPORTATIONS = "deportations", "Deportations (a count)"
    DEPORTATION_SHARE = "deportation_share", "Deportations (a share)"
    MANDATORY_BY = "mandatory_by", "Mandatory by"


class ValueQualifier(models.TextChoices):
    EXACTLY = "exactly", "Exactly"
    ABOUT = "about", "About"
    MORE_THAN = "more_than", "More than"
    LESS_THAN = "less_than", "Less than"


class ProgramFact(SlugNaturalKey, Record):
    """A dated or counted fact about a program: a figure, its start, when it becomes mandatory."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="facts")
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=ProgramFactKind.choices)
    statement = models.CharField(max_length=300)
    value = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True, help_text="A share is a fraction: one in four is 0.25."
    )
    value_qualifier = models.CharField(max_length=10, choices=ValueQualifier.choices, blank=True)
    unit = models.CharField(max_length=100, blank=True)
    date = models.DateField(null=True, blank=True, help_text="The date the fact holds as of, or the event's date.")
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    date_text = models.CharField(max_length=200, blank=True, help_text="The date as the source words it.")
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="program_facts",
        help_text="Set when the fact is about one jurisdiction's part in the program.",
    )

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        # Undated facts last on every database (SQLite and PostgreSQL place NULLs differently).
        ordering = ["program", models.F("date").asc(nulls_last=True), "slug"]
        constraints = [
            *slugged_constraints("programfact"),
            models.CheckConstraint(condition=Q(kind__in=ProgramFactKind.values), name="kb_programfact_kind_valid"),
            models.CheckConstraint(
                condition=Q(value_qualifier="") | Q(value_qualifier__in=ValueQualifier.values),
                name="kb_programfact_qualifier_valid",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=False) | (Q(value_qualifier="") & Q(unit="")),
                name="kb_programfact_qualifier_needs_value",
            ),
            models.CheckConstraint(
                condition=Q(date_precision="") | Q(date_precision__in=DatePrecision.values),
                name="kb_programfact_date_precision_valid",
            ),
            models.CheckConstraint(
                condition=date_matches_precision("date", "date_precision"),
                name="kb_programfact_date_matches_precision",
                violation_error_message=PRECISION_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.statement

    def clean(self):
        check_date_precision(self, "date", "date_precision")
