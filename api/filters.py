"""One FilterSet per resource. Every filter carries the help text the OpenAPI schema shows."""

import copy
import datetime

import django_filters as filters
from django import forms
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field

from kb import search as kb_search
from kb.intervals import may_fall_on_or_after
from kb.lookups import in_subquery
from kb.models import (
    DatePrecision,
    Jurisdiction,
    JurisdictionKind,
    Official,
    Organization,
    OrganizationKind,
    Position,
    Program,
    Reason,
    ReasonTopic,
    Source,
    SourceKind,
    Stance,
)
from kb.models.positions import as_of_leaves_range_out

SEARCH_HELP = (
    "Free-text search in the record's {fields}. "
    + kb_search.SYNTAX_HELP
    + " With `ordering=relevance`, the best matches first. When nothing matches, the answer's `suggestions` "
    "lists the closest names."
)
RELEVANCE = "relevance"


DATE_ERRORS = {"invalid": "Enter a real date written YYYY-MM-DD."}


def unknown_slug_errors(queryset):
    noun = queryset.model._meta.verbose_name
    return {"invalid_choice": f"No {noun} has the slug '%(value)s'."}


def choice_errors(choices):
    return {"invalid_choice": f"'%(value)s' is not accepted; choose from: {', '.join(choices.values)}."}


def slug_filter(queryset, help_text, **kwargs):
    return filters.ModelChoiceFilter(
        queryset=queryset,
        to_field_name="slug",
        help_text=help_text,
        error_messages=unknown_slug_errors(queryset),
        **kwargs,
    )


def choice_filter(choices, help_text, multiple=False):
    if multiple:
        # A choice of the record's own column joins nothing, so matches cannot repeat: without
        # django-filter's DISTINCT the database reads a page in its index's order and stops.
        return filters.MultipleChoiceFilter(
            choices=choices.choices, help_text=help_text, error_messages=choice_errors(choices), distinct=False
        )
    return filters.ChoiceFilter(choices=choices.choices, help_text=help_text, error_messages=choice_errors(choices))


def date_filter(help_text, **kwargs):
    # Only the documented form: "03/06/2011" must not be read as 6 March (or 3 June).
    return filters.DateFilter(help_text=help_text, error_messages=DATE_ERRORS, input_formats=["%Y-%m-%d"], **kwargs)


class TotalOrderingFilter(filters.OrderingFilter):
    """Client-chosen order, then the primary key, so pages never overlap or skip a record.

    `relevance` (with `search`) puts the best matches first, `-relevance` last; ties keep the
    list's default order."""

    def get_ordering_value(self, param):
        if param.lstrip("-") == RELEVANCE:
            return kb_search.RELEVANCE if param.startswith("-") else f"-{kb_search.RELEVANCE}"
        return super().get_ordering_value(param)

    def filter(self, queryset, value):
        queryset = super().filter(queryset, value)
        if not value:
            return queryset
        ties = queryset.model._meta.ordering if any(v.lstrip("-") == RELEVANCE for v in value) else []
        return queryset.order_by(*queryset.query.order_by, *ties, "pk")


def ordering_filter(fields, default_help):
    fields = (*fields, (RELEVANCE, RELEVANCE))
    return TotalOrderingFilter(
        fields=fields,
        help_text=(
            f"Sort by {', '.join(name for _, name in fields)}; prefix with '-' for descending order; "
            f"several fields separated by commas. `relevance` needs `search`: most relevant first "
            f"(`-relevance`: least). Default: {default_help}."
        ),
    )


def search_filter(fields):
    return filters.CharFilter(method="filter_search", max_length=500, help_text=SEARCH_HELP.format(fields=fields))


UPDATED_SINCE_HELP = (
    "Only records created or changed at or after this moment (ISO 8601, e.g. 2011-06-06T12:00:00Z; a date "
    "alone is midnight UTC), counting changes to what they contain (their citations, other names and facts). "
    "Deleted records are in /api/v1/changes/."
)


class MomentField(forms.Field):
    """A moment in ISO 8601: with a UTC offset or `Z`, or without (UTC); a date alone is its midnight."""

    default_error_messages = {
        "invalid": "Enter a moment written ISO 8601, e.g. 2011-06-06T12:00:00Z or 2011-06-06.",
    }

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment


class MomentFilter(filters.Filter):
    field_class = MomentField


class BaseFilterSet(filters.FilterSet):
    """What every list takes: `updated_since`, read from the history of changes (api.changes).

    Each request makes one FilterSet. django-filter deep-copies every filter for it (with their
    querysets) and builds a form class anew; here each filter is copied shallowly, its method bound
    to this FilterSet, and the form class is built once per FilterSet class: the same validation
    and filtering, for a fraction of the cost of a page (tests/test_api_filters.py)."""

    updated_since = MomentFilter(method="filter_updated_since", help_text=UPDATED_SINCE_HELP)

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            if getattr(base, "_method", None) is not None:
                filter_.method = base._method  # a FilterMethod of the copy, which calls this FilterSet
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def get_form_class(self):
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            # Built from the class's own filters, which hold nothing of a request.
            fields = {name: copy.deepcopy(filter_).field for name, filter_ in self.base_filters.items()}
            cls._form_class = type(f"{cls.__name__}Form", (self._meta.form,), fields)
        return cls._form_class

    @extend_schema_field({"type": "string", "format": "date-time", "description": UPDATED_SINCE_HELP})
    def filter_updated_since(self, queryset, name, moment):
        from api.changes import changed_since

        return changed_since(queryset, moment)


class SearchFilterSet(BaseFilterSet):
    """A list's FilterSet: `search` in the search syntax, `ordering=relevance` with it."""

    search_prepared = None  # the query as kb.search read it, for the answer's suggestions

    def is_valid(self):
        valid = super().is_valid()
        ordering = self.form.cleaned_data.get("ordering") if valid else None
        by_relevance = any(value.lstrip("-") == RELEVANCE for value in ordering or ())
        if by_relevance and not (self.form.cleaned_data.get("search") or "").strip():
            self.form.add_error("ordering", "`relevance` orders by how well records match `search`: give `search` too.")
            return False
        return valid

    def filter_search(self, queryset, name, value):
        self.search_prepared = kb_search.prepare(value, queryset)
        queryset = kb_search.search(queryset, value, self.search_prepared)
        ordering = self.form.cleaned_data.get("ordering") or ()
        if any(param.lstrip("-") == RELEVANCE for param in ordering):
            queryset = kb_search.with_relevance(queryset, self.search_prepared)
        return queryset


SOURCE_HELP = "Only positions with a citation from this source (slug)."
DISPUTED_HELP = "true: only positions whose event other sources tell differently; false: only the others."
SUB_JURISDICTIONS_HELP = (
    "true or false (default). With `jurisdiction`: also include positions of the jurisdictions inside it "
    "and of their officials."
)


class PositionFilterSet(SearchFilterSet):
    search = search_filter("summary, date wording, note, holder names and other names, and citation quotes")

    program = slug_filter(Program.objects.all(), "Only positions on this program (slug).")
    jurisdiction = slug_filter(
        Jurisdiction.objects.all(),
        method="filter_jurisdiction",
        help_text=(
            "Only positions held by this jurisdiction (slug) or by its officials. "
            "Add include_sub_jurisdictions=true to include those of jurisdictions inside it "
            "(e.g. Boston within Massachusetts)."
        ),
    )
    include_sub_jurisdictions = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="read_with_jurisdiction",
        help_text=SUB_JURISDICTIONS_HELP,
        error_messages={"invalid_choice": "'%(value)s' is not accepted; choose from: true, false."},
    )
    official = slug_filter(
        Official.objects.all(), "Only positions that are this official's own stance (slug); see also voiced_by."
    )
    organization = slug_filter(Organization.objects.all(), "Only positions held by this organization (slug).")
    voiced_by = slug_filter(
        Official.objects.all(),
        method="filter_voiced_by",
        help_text="Only positions this official voiced (slug), at any rank of the chain of attribution.",
    )
    voiced_by_organization = slug_filter(
        Organization.objects.all(),
        method="filter_voiced_by_organization",
        help_text="Only positions this organization voiced (slug), at any rank of the chain of attribution.",
    )
    disputed = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="filter_disputed",
        help_text=DISPUTED_HELP,
        error_messages={"invalid_choice": "'%(value)s' is not accepted; choose from: true, false."},
    )
    reason_topic = filters.MultipleChoiceFilter(
        choices=ReasonTopic.choices,
        method="filter_reason_topic",
        help_text="Only positions with a reason of one of these topics (e.g. racial_profiling).",
        error_messages=choice_errors(ReasonTopic),
    )
    stance = choice_filter(
        Stance,
        "Only these stances; repeat the parameter for several (stance=refuses&stance=withdraws).",
        multiple=True,
    )
    date_precision = choice_filter(DatePrecision, "Only dates of this precision.")
    date_after = date_filter(
        method="filter_date_after",
        help_text="Only positions whose date may fall on or after this day (latest day >= it; YYYY-MM-DD).",
    )
    date_before = date_filter(
        field_name="date_earliest",
        lookup_expr="lte",
        help_text="Only positions whose date may fall on or before this day (earliest day <= it; YYYY-MM-DD).",
    )
    source = slug_filter(
        Source.objects.all(),
        method="filter_source",
        help_text=SOURCE_HELP,
    )
    as_of = date_filter(
        method="filter_as_of",
        help_text=(
            "The stances in force on this day (YYYY-MM-DD): for each holder and program, every version of its latest "
            "event begun by then. An event may have begun on the earliest day of any of its versions, and had "
            "certainly happened by the earliest latest day; a version dated only by its report never supersedes "
            "another version of the same event. Each result's `in_force` says `certain` or `possible` (its event "
            'may not have happened yet, or a later one may have begun). New York\'s "last week" (2011-05-30 to '
            "2011-06-05) is possible on 2011-05-31 and certain on 2011-06-06. A holder is the jurisdiction and/or "
            "organization whose stance it is, or the official alone. Combine with `stance`: who had refused by 2011-06-06."
        ),
    )
    ordering = ordering_filter(
        (("date_earliest", "date_earliest"), ("slug", "slug"), ("stance", "stance"), ("program__slug", "program")),
        "date_earliest, slug",
    )

    class Meta:
        model = Position
        fields = []

    @extend_schema_field({"type": "boolean", "description": SUB_JURISDICTIONS_HELP})
    def read_with_jurisdiction(self, queryset, name, value):
        return queryset  # filter_jurisdiction reads it

    def filter_jurisdiction(self, queryset, name, jurisdiction):
        include_sub = bool(self.form.cleaned_data.get("include_sub_jurisdictions"))
        return queryset.held_by_jurisdiction(jurisdiction, include_sub_jurisdictions=include_sub)

    # The wire type, for the schema: the filter works on the source the slug names.
    @extend_schema_field({"type": "string", "description": SOURCE_HELP})
    def filter_source(self, queryset, name, source):
        return queryset.filter(pk__in=source.citations.filter(position__isnull=False).values("position_id"))

    def filter_date_after(self, queryset, name, day):
        return may_fall_on_or_after(queryset, "date", day)

    def filter_as_of(self, queryset, name, day):
        return queryset.as_of(day, by_range=not as_of_leaves_range_out(self.form.cleaned_data))

    @extend_schema_field({"type": "string", "description": "An official's slug."})
    def filter_voiced_by(self, queryset, name, official):
        return queryset.voiced_by(official=official)

    @extend_schema_field({"type": "string", "description": "An organization's slug."})
    def filter_voiced_by_organization(self, queryset, name, organization):
        return queryset.voiced_by(organization=organization)

    @extend_schema_field({"type": "boolean", "description": DISPUTED_HELP})
    def filter_disputed(self, queryset, name, disputed):
        return queryset.disputed(disputed)

    def filter_reason_topic(self, queryset, name, topics):
        return (
            queryset.filter(in_subquery("pk", Reason.objects.filter(topic__in=topics).values("position_id")))
            if topics
            else queryset
        )


class OfficialFilterSet(SearchFilterSet):
    search = search_filter("name, other names (a variant spelling finds the person) and role")

    jurisdiction = slug_filter(Jurisdiction.objects.all(), "Only officials acting for this jurisdiction (slug).")
    organization = slug_filter(Organization.objects.all(), "Only officials acting for this organization (slug).")
    role = filters.CharFilter(
        field_name="role", lookup_expr="icontains", help_text="Only officials whose role contains this text."
    )
    ordering = ordering_filter((("name", "name"), ("slug", "slug"), ("role", "role")), "slug")

    class Meta:
        model = Official
        fields = []


class OrganizationFilterSet(SearchFilterSet):
    search = search_filter("name, other names and description")

    kind = choice_filter(OrganizationKind, "Only organizations of this kind.")
    jurisdiction = slug_filter(Jurisdiction.objects.all(), "Only organizations based in this jurisdiction (slug).")
    ordering = ordering_filter((("name", "name"), ("slug", "slug"), ("kind", "kind")), "slug")

    class Meta:
        model = Organization
        fields = []


class JurisdictionFilterSet(SearchFilterSet):
    search = search_filter("name and Open Civic Data id")

    kind = choice_filter(JurisdictionKind, "Only jurisdictions of this kind.")
    parent = slug_filter(Jurisdiction.objects.all(), "Only jurisdictions directly inside this one (slug).")
    ordering = ordering_filter((("name", "name"), ("slug", "slug"), ("kind", "kind")), "slug")

    class Meta:
        model = Jurisdiction
        fields = []


class ProgramFilterSet(SearchFilterSet):
    search = search_filter("name, other names, description and fact statements")

    agency = slug_filter(Organization.objects.all(), "Only programs administered by this organization (slug).")
    ordering = ordering_filter((("name", "name"), ("slug", "slug"), ("started_earliest", "started_earliest")), "slug")

    class Meta:
        model = Program
        fields = []


class SourceFilterSet(SearchFilterSet):
    search = search_filter("title, publisher, authors and full text")

    publisher = filters.CharFilter(
        field_name="publisher",
        lookup_expr="iexact",
        help_text="Only sources from this publisher (exact name, any case).",
    )
    kind = choice_filter(SourceKind, "Only sources of this kind.")
    published_after = date_filter(
        field_name="published_latest",
        lookup_expr="gte",
        help_text="Only sources that may have been published on or after this day (latest day >= it; YYYY-MM-DD). "
        "Undated sources are left out.",
    )
    published_before = date_filter(
        field_name="published_earliest",
        lookup_expr="lte",
        help_text="Only sources that may have been published on or before this day (earliest day <= it; "
        "YYYY-MM-DD). Undated sources are left out.",
    )
    ordering = ordering_filter(
        (
            ("published_earliest", "published_earliest"),
            ("title", "title"),
            ("publisher", "publisher"),
            ("slug", "slug"),
        ),
        "slug",
    )

    class Meta:
        model = Source
        fields = []
