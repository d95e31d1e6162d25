"""Government programs and the cited facts about them."""

from django.db import models
from django.db.models import Q

from kb.models.actors import Jurisdiction, Organization
from kb.models.base import KnowledgeBaseHistory, Record, Searchable, SlugManager, SlugNaturalKey, slugged_constraints
from kb.models.dates import DatePrecision, check_interval, edtf, interval_constraint


class Program(SlugNaturalKey, Searchable):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="programs")
    description = models.TextField()
    started_earliest = models.DateField(null=True, blank=True, help_text="Earliest day the program can have started.")
    started_latest = models.DateField(null=True, blank=True, help_text="Latest day the program can have started.")
    started_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    started_text = models.CharField(max_length=200, blank=True, help_text="The start as the sources word it.")

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("program"),
            interval_constraint("program", "started"),
        ]

    def __str__(self):
        return self.name

    @property
    def started_edtf(self):
        return edtf(self.started_earliest, self.started_latest, self.started_precision)

    def clean(self):
        check_interval(self, "started")


class ProgramFactKind(models.TextChoices):
    STARTED = "started", "Started"
    EXPANDED = "expanded", "Expanded"
    COVERAGE = "coverage", "Coverage (how many jurisdictions take part)"
    DEPORTATIONS = "deportations", "Deportations (a count)"
    DEPORTATION_SHARE = "deportation_share", "Deportations (a share)"
    MANDATORY_BY = "mandatory_by", "Mandatory by: when participation becomes mandatory"
    PARTICIPATION_MANDATORY = "participation_mandatory", "Participation mandatory: a claim that taking part is required"
    PUBLIC_MEETINGS = "public_meetings", "Public meetings held about the program"


class ValueQualifier(models.TextChoices):
    EXACTLY = "exactly", "Exactly"
    ABOUT = "about", "About"
    MORE_THAN = "more_than", "More than"
    LESS_THAN = "less_than", "Less than"


class ProgramFact(SlugNaturalKey, Record):
    """A dated or counted fact about a program: a figure, its start, when it becomes mandatory."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="facts")
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=30, choices=ProgramFactKind.choices)
    statement = models.CharField(max_length=300)
    value = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True, help_text="A share is a fraction: one in four is 0.25."
    )
    value_qualifier = models.CharField(max_length=10, choices=ValueQualifier.choices, blank=True)
    unit = models.CharField(max_length=100, blank=True)
    date_earliest = models.DateField(
        null=True, blank=True, help_text="Earliest day of the date the fact holds as of, or of the event."
    )
    date_latest = models.DateField(null=True, blank=True, help_text="Latest day of that date.")
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, blank=True)
    date_text = models.CharField(max_length=200, blank=True, help_text="The date as the source words it.")
    note = models.TextField(blank=True, help_text="How the date was resolved; what a figure counts.")
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
        ordering = ["program", models.F("date_earliest").asc(nulls_last=True), "slug"]
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
            interval_constraint("programfact", "date"),
        ]

    def __str__(self):
        return self.statement

    @property
    def date_edtf(self):
        return edtf(self.date_earliest, self.date_latest, self.date_precision)

    def clean(self):
        check_interval(self, "date")
