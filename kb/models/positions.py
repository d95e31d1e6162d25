"""Who stood where on a program, and when."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from kb.models.actors import Jurisdiction, Official, Organization
from kb.models.base import KnowledgeBaseHistory, Searchable, SlugNaturalKey, SlugQuerySet, slugged_constraints
from kb.models.dates import PRECISION_MESSAGE, DatePrecision, check_date_precision, date_matches_precision
from kb.models.programs import Program


class Stance(models.TextChoices):
    """The fixed vocabulary of stances the API exposes."""

    SUPPORTS = "supports", "Supports: favours the program or urges others to join or keep it"
    OPPOSES = (
        "opposes",
        "Opposes: argues against the program or urges others not to join, without deciding participation itself",
    )
    PARTICIPATES = "participates", "Participates: takes part in the program"
    WILL_JOIN = "will_join", "Will join: says it will sign on to the program"
    REFUSES = "refuses", "Refuses: declines to sign on to the program it was not part of"
    WITHDRAWS = "withdraws", "Withdraws: leaves or suspends its existing participation"
    CONSIDERING_WITHDRAWAL = (
        "considering_withdrawal",
        "Considering withdrawal: weighing leaving, or legislation that would let it or its parts opt out",
    )


class DateBasis(models.TextChoices):
    STATED = "stated", "Stated: the source dates the stance (relative dates resolved against the source's date)"
    REPORTED = (
        "reported",
        "Reported: the source reports the stance undated; the date is when it was reported, so the stance was held by then",
    )


class PositionQuerySet(SlugQuerySet):
    def held_by_jurisdiction(self, jurisdiction, include_sub_jurisdictions=False):
        """Positions of a jurisdiction or of its officials; with sub-jurisdictions, of those too."""
        ids = jurisdiction.descendant_ids() if include_sub_jurisdictions else [jurisdiction.pk]
        # The officials as a subquery, not a join: each side of the OR is then an index lookup.
        officials = Official.objects.filter(jurisdiction_id__in=ids).values("pk")
        return self.filter(Q(jurisdiction_id__in=ids) | Q(official_id__in=officials))

    def as_of(self, day):
        """For each holder and program, the latest position dated on or before `day`.

        The holder is the jurisdiction and/or organization that takes the stance, or the official
        alone when neither is named: Massachusetts' stance is the state's, whoever voices it.
        Positions of one holder on the same latest date (disagreeing versions) are all kept.
        """
        superseded = Position.objects.filter(
            _same_holder_as_outer(),
            program_id=models.OuterRef("program_id"),
            date__gt=models.OuterRef("date"),
            date__lte=day,
        )
        return self.filter(date__lte=day).exclude(models.Exists(superseded))


class NoId(models.Expression):
    """0, the id no row has, written into the SQL itself: SQLite uses an index on an expression
    only when the query spells it the same, and a bound parameter never does."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection):
        return "0", []


def _same_as_outer(field):
    """NULL-safe equality of `field` with the outer query's (ids are positive, so 0 stands for NULL)."""
    return Exact(Coalesce(field, NoId()), Coalesce(models.OuterRef(field), NoId()))


def _same_holder_as_outer():
    return (
        Q(_same_as_outer("jurisdiction_id"))
        & Q(_same_as_outer("organization_id"))
        & (Q(_same_as_outer("official_id")) | Q(jurisdiction_id__isnull=False) | Q(organization_id__isnull=False))
    )


class Position(SlugNaturalKey, Searchable):
    """A stance taken on a program by an official, a jurisdiction or an organization, at a date."""

    slug = models.SlugField(max_length=160, unique=True)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="positions")
    official = models.ForeignKey(Official, on_delete=models.PROTECT, null=True, blank=True, related_name="positions")
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="positions"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="positions"
    )
    stance = models.CharField(max_length=30, choices=Stance.choices)
    date = models.DateField(help_text="First day of the period the precision names.")
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices)
    date_basis = models.CharField(max_length=10, choices=DateBasis.choices, default=DateBasis.STATED)
    date_text = models.CharField(max_length=200, help_text='The date as the source words it, e.g. "last December".')
    summary = models.CharField(max_length=300, help_text="One line: who, what, when.")
    note = models.TextField(blank=True, help_text="How the date was resolved, or which version of a disputed account.")

    objects = PositionQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["date", "slug"]
        # Each list and timeline reads a page in (date, slug) order, filtered by one of these;
        # the index hands the rows over in order, so a page costs the same at any table size.
        indexes = [
            models.Index(fields=["program", "date"], name="kb_position_program_date"),
            models.Index(fields=["date", "slug"], name="kb_position_date_slug"),
            models.Index(fields=["jurisdiction", "date", "slug"], name="kb_position_jurisdiction_date"),
            models.Index(fields=["official", "date", "slug"], name="kb_position_official_date"),
            models.Index(fields=["organization", "date", "slug"], name="kb_position_organization_date"),
            # as_of(): is there a later position of the same holder on the same program? The
            # expressions are those of _same_holder_as_outer(), so one index probe answers.
            models.Index(
                "program",
                Coalesce("jurisdiction", NoId()),
                Coalesce("organization", NoId()),
                "date",
                name="kb_position_holder_date",
            ),
        ]
        constraints = [
            *slugged_constraints("position"),
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="kb_position_stance_valid"),
            models.CheckConstraint(condition=Q(date_basis__in=DateBasis.values), name="kb_position_date_basis_valid"),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values), name="kb_position_date_precision_valid"
            ),
            models.CheckConstraint(
                condition=date_matches_precision("date", "date_precision"),
                name="kb_position_date_matches_precision",
                violation_error_message=PRECISION_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(official__isnull=False) | Q(jurisdiction__isnull=False) | Q(organization__isnull=False),
                name="kb_position_has_holder",
                violation_error_message="A position is held by an official, a jurisdiction or an organization: name one.",
            ),
            models.CheckConstraint(condition=~Q(summary=""), name="kb_position_summary_not_empty"),
        ]

    def __str__(self):
        return self.summary

    def clean(self):
        check_date_precision(self, "date", "date_precision")

    @property
    def holder_name(self):
        return " / ".join(str(part) for part in (self.official, self.organization, self.jurisdiction) if part)
