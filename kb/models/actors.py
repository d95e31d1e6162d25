"""Who takes stances: jurisdictions, organizations and officials, and the other names the sources use."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from kb.models.base import (
    KnowledgeBaseHistory,
    Record,
    Searchable,
    SlugManager,
    SlugNaturalKey,
    exactly_one_of,
    present_key_indexes,
    slugged_constraints,
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
    # "Massachusetts and everything in it" is then one index range: path__startswith.
    path = models.CharField(
        max_length=500,
        editable=False,
        db_index=True,
        default="",
        help_text="Ids from the outermost jurisdiction to this one, as /1/3/: kept current on save.",
    )

    objects = SlugManager()
    history = KnowledgeBaseHistory(excluded_fields=["search_text", "path"])

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

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_paths(self)

    def within(self):
        """This jurisdiction and every one inside it, at any depth (one index range)."""
        return Jurisdiction.objects.filter(path__startswith=self.path)


def refresh_paths(jurisdiction, force=False):
    """Store the path of `jurisdiction` and of every jurisdiction inside it (all of them, level by
    level, when `force`: after a bulk write that set no paths)."""
    parent_path = "/"
    if jurisdiction.parent_id:
        parent_path = (
            Jurisdiction.objects.filter(pk=jurisdiction.parent_id).values_list("path", flat=True).first() or "/"
        )
    new_path = f"{parent_path}{jurisdiction.pk}/"
    stored = Jurisdiction.objects.filter(pk=jurisdiction.pk).values_list("path", flat=True).first()
    if stored == new_path and not force:
        return
    Jurisdiction.objects.filter(pk=jurisdiction.pk).update(path=new_path)
    jurisdiction.path = new_path
    level = {jurisdiction.pk: new_path}
    while level:
        children = list(Jurisdiction.objects.filter(parent_id__in=level).values_list("pk", "parent_id", "path"))
        following = {}
        for pk, parent_id, path in children:
            wanted = f"{level[parent_id]}{pk}/"
            if path != wanted:
                Jurisdiction.objects.filter(pk=pk).update(path=wanted)
            following[pk] = wanted
        level = following


class OrganizationKind(models.TextChoices):
    GOVERNMENT_AGENCY = "government_agency", "Government agency"
    EXECUTIVE_OFFICE = "executive_office", "Executive office: an executive's office or administration"
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
    note = models.TextField(blank=True, help_text="How the sources support the name and role.")

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


NAMED_FIELDS = ("official", "organization", "program")


class OtherNameQuerySet(models.QuerySet):
    def get_by_natural_key(self, owner_field, owner_slug, name):
        if owner_field not in NAMED_FIELDS:
            raise self.model.DoesNotExist(f"No such owner field: {owner_field}")
        return self.get(**{f"{owner_field}__slug": owner_slug}, name=name)


class OtherName(Record):
    """Another name or spelling the sources use for an official, an organization or a program."""

    name = models.CharField(max_length=200)
    official = models.ForeignKey(Official, on_delete=models.CASCADE, null=True, blank=True, related_name="other_names")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="other_names"
    )
    program = models.ForeignKey(
        "kb.Program", on_delete=models.CASCADE, null=True, blank=True, related_name="other_names"
    )

    objects = OtherNameQuerySet.as_manager()
    history = KnowledgeBaseHistory()

    class Meta:
        ordering = ["name"]
        indexes = present_key_indexes("othername", NAMED_FIELDS)
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
