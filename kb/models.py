"""The knowledge base: who stood where on a government program, and when, each fact cited.

Every fact (a position, a program fact, an other name, an official's or organization's
identity) is backed by one or more `Citation`s: a verbatim quote at known offsets in a
`Source`'s text. The database refuses rows that break the rules below from any path.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import Exact
from django.utils.text import Truncator
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


class Searchable(models.Model):
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


class DatePrecision(models.TextChoices):
    """How much of a date the sources vouch for; `date` is the first day of that period."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


PRECISION_MESSAGE = (
    "A date of month precision must be the 1st of its month, and one of year precision the 1st of January; "
    "an empty date has no precision."
)


def check_date_precision(instance, field, precision_field):
    """The precision rule as a form error on the date field (the constraint alone names no field)."""
    day, precision = getattr(instance, field), getattr(instance, precision_field)
    if day is None:
        if precision:
            raise ValidationError({precision_field: "An empty date has no precision."})
        return
    if (precision == DatePrecision.MONTH and day.day != 1) or (
        precision == DatePrecision.YEAR and (day.month, day.day) != (1, 1)
    ):
        raise ValidationError({field: f"{day} does not fit {precision} precision: {PRECISION_MESSAGE}"})


def date_matches_precision(field, precision_field):
    """A month-precise date is the 1st of its month, a year-precise one the 1st of January."""
    return (
        Q(**{f"{field}__isnull": True}, **{f"{precision_field}": ""})
        | Q(**{f"{field}__isnull": False, precision_field: DatePrecision.DAY})
        | Q(**{f"{field}__isnull": False, f"{field}__day": 1, precision_field: DatePrecision.MONTH})
        | Q(
            **{f"{field}__isnull": False, f"{field}__day": 1, f"{field}__month": 1, precision_field: DatePrecision.YEAR}
        )
    )


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


class JurisdictionKind(models.TextChoices):
    COUNTRY = "country", "Country"
    STATE = "state", "State"
    CITY = "city", "City"


class Jurisdiction(SlugNaturalKey, Searchable):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=JurisdictionKind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    ocd_id = models.CharField(
        "Open Civic Data division id", max_length=200, unique=True, help_text="e.g. ocd-division/country:us/state:ma"
    )

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("jurisdiction"),
            models.CheckConstraint(condition=Q(kind__in=JurisdictionKind.values), name="kb_jurisdiction_kind_valid"),
            models.CheckConstraint(condition=Q(ocd_id__startswith="ocd-division/"), name="kb_jurisdiction_ocd_id_form"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="kb_jurisdiction_not_own_parent"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": "A jurisdiction cannot be inside itself."})
            ancestor = ancestor.parent

    def descendant_ids(self):
        """This jurisdiction's id and those of every jurisdiction inside it, one query per level."""
        ids, level = [self.pk], [self.pk]
        while level:
            level = list(Jurisdiction.objects.filter(parent_id__in=level).values_list("pk", flat=True))
            ids.extend(level)
        return ids


class OrganizationKind(models.TextChoices):
    GOVERNMENT_AGENCY = "government_agency", "Government agency"
    POLICE_DEPARTMENT = "police_department", "Police department"
    ADVOCACY_GROUP = "advocacy_group", "Advocacy group"
    POLITICAL_GROUP = "political_group", "Political group"
    INFORMAL_GROUP = "informal_group", "Informal group (unnamed in the sources)"


class Organization(SlugNaturalKey, Searchable):
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=OrganizationKind.choices)
    description = models.CharField(max_length=500, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="organizations"
    )
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("organization"),
            models.CheckConstraint(condition=Q(kind__in=OrganizationKind.values), name="kb_organization_kind_valid"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="kb_organization_not_own_parent"),
        ]

    def __str__(self):
        return self.name


class Official(SlugNaturalKey, Searchable):
    """A person who acts for a jurisdiction or an organization (an advocate counts)."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200, help_text="Role or title, as of the sources.")
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="officials"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="officials"
    )

    objects = SlugManager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["slug"]
        constraints = [
            *slugged_constraints("official"),
            models.CheckConstraint(
                condition=Q(jurisdiction__isnull=False) | Q(organization__isnull=False),
                name="kb_official_acts_for_someone",
                violation_error_message="An official acts for a jurisdiction, an organization, or both: name one.",
            ),
        ]

    def __str__(self):
        return self.name


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


class ProgramFact(SlugNaturalKey, models.Model):
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
    def with_related(self):
        return self.select_related("program", "official", "jurisdiction", "organization")

    def with_citations(self):
        return self.prefetch_related(
            models.Prefetch(
                "citations", queryset=Citation.objects.select_related("source").order_by("source__slug", "start")
            )
        )

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


NAMED_FIELDS = ("official", "organization", "program")


class OtherNameQuerySet(models.QuerySet):
    def get_by_natural_key(self, owner_field, owner_slug, name):
        if owner_field not in NAMED_FIELDS:
            raise self.model.DoesNotExist(f"No such owner field: {owner_field}")
        return self.get(**{f"{owner_field}__slug": owner_slug}, name=name)


class OtherName(models.Model):
    """Another name or spelling the sources use for an official, an organization or a program."""

    name = models.CharField(max_length=200)
    official = models.ForeignKey(Official, on_delete=models.CASCADE, null=True, blank=True, related_name="other_names")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="other_names"
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, null=True, blank=True, related_name="other_names")

    objects = OtherNameQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_of(NAMED_FIELDS),
                name="kb_othername_names_exactly_one",
                violation_error_message="An other name belongs to exactly one official, organization or program.",
            ),
            models.UniqueConstraint(fields=["official", "name"], name="kb_othername_unique_per_official"),
            models.UniqueConstraint(fields=["organization", "name"], name="kb_othername_unique_per_organization"),
            models.UniqueConstraint(fields=["program", "name"], name="kb_othername_unique_per_program"),
            models.CheckConstraint(condition=~Q(name=""), name="kb_othername_not_empty"),
        ]

    def __str__(self):
        return f"{self.name} ({self.owner})"

    @property
    def owner_field(self):
        return next((field for field in NAMED_FIELDS if getattr(self, f"{field}_id") is not None), None)

    @property
    def owner(self):
        return getattr(self, self.owner_field) if self.owner_field else None

    def natural_key(self):
        return (self.owner_field, self.owner.slug, self.name)

    natural_key.dependencies = ["kb.official", "kb.organization", "kb.program"]


CITED_FIELDS = ("position", "program_fact", "other_name", "official", "organization", "program")


class CitationQuerySet(models.QuerySet):
    def get_by_natural_key(self, source_slug, start, end, cited_field, *cited_key):
        if cited_field not in CITED_FIELDS:
            raise self.model.DoesNotExist(f"No such cited field: {cited_field}")
        cited_model = self.model._meta.get_field(cited_field).related_model
        cited = cited_model._default_manager.get_by_natural_key(*cited_key)
        return self.get(source__slug=source_slug, start=start, end=end, **{cited_field: cited})


class Citation(models.Model):
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

    objects = CitationQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["source", "start", "pk"]
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
                    "organization or program."
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

    natural_key.dependencies = ["kb.source", "kb.position", "kb.programfact", "kb.othername"]

    def locate_quote(self):
        """Fill start/end from the quote's first occurrence in the evidence part of the source.

        Raises ValidationError naming the problem when the quote is not verbatim there.
        """
        text = self.source.text
        evidence_end = self.source.evidence_end
        if self.start is not None and self.end is not None and text[self.start : self.end] == self.quote:
            if self.end <= evidence_end:
                return
        position = text.find(self.quote, 0, evidence_end) if self.quote else -1
        if position < 0:
            in_comments = self.quote and text.find(self.quote, evidence_end) >= 0
            reason = (
                "is only in the reader comments, which are never evidence"
                if in_comments
                else "is not verbatim in the source's text"
            )
            raise ValidationError({"quote": f"The quote {self.quote!r} {reason} ({self.source.slug})."})
        self.start, self.end = position, position + len(self.quote)

    def full_clean(self, *args, **kwargs):
        # The offsets follow from the quote, so they are found before the fields are checked.
        if self.source_id is not None and self.quote:
            self.locate_quote()
        super().full_clean(*args, **kwargs)
