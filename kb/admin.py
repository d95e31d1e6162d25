"""The curators' admin: every record searchable by its names and quotes, every fact with its citations.

Changelists cost a fixed number of queries whatever the page size: each admin joins the
relations its columns print (`list_select_related`) and computes the counts it shows in the
same query. Rows are loaded without their bulky columns, a source's document and a record's
search text, which no list prints.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from config.counting import BoundedCountPaginator
from kb.forms import CitationForm, LocatedPartForm, LocatedPartFormSet, RefusesStaleSaves, SourceAddForm
from kb.models import (
    CITED_FIELDS,
    NAMED_FIELDS,
    Citation,
    Event,
    Jurisdiction,
    Official,
    Organization,
    OtherName,
    Position,
    Program,
    ProgramFact,
    Reason,
    Source,
    SourcePart,
    Voice,
)
from kb.models.positions import evidence_errors
from kb.search import search

admin.site.site_header = "Knowledge base"
admin.site.site_title = "Knowledge base admin"
admin.site.index_title = "Officials, programs, positions and their sources"

BULKY_FIELDS = {"text", "search_text"}
QUOTE_EXCERPT_LENGTH = 80
CONTEXT_CHARACTERS = 200


def without_bulky_fields(queryset, relations=()):
    """`queryset` joined to `relations`, leaving out their bulky columns and its own.

    A deferred column is read, one query, only where a page prints it (the source's text on
    its change form).
    """
    deferred = []
    for relation in ("", *relations):
        model = queryset.model
        for name in filter(None, relation.split("__")):
            model = model._meta.get_field(name).related_model
        prefix = f"{relation}__" if relation else ""
        deferred += [f"{prefix}{field.name}" for field in model._meta.concrete_fields if field.name in BULKY_FIELDS]
    if relations:  # select_related() without arguments would follow every foreign key
        queryset = queryset.select_related(*relations)
    return queryset.defer(*deferred)


def count_citations(cited_field):
    """The number of citations of each row, as a correlated subquery.

    Unlike Count("citations"), it adds no join and GROUP BY to the changelist's other queries
    (the paginator's count, the date hierarchy): Django leaves an unused subquery out of those.
    """
    counts = (
        Citation.objects.filter(**{cited_field: OuterRef("pk")})
        .order_by()
        .values(cited_field)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts), 0)


class WithoutBulkyChoices:
    """Foreign key inputs load the chosen record without its bulky columns.

    An autocomplete input loads its chosen record to print it: a source with its whole document.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.using(kwargs.get("using"))
            kwargs["queryset"] = without_bulky_fields(queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class KnowledgeBaseAdmin(WithoutBulkyChoices, SimpleHistoryAdmin):
    """Each record's History page lists every change: when, by whom (none for load_kb, whose
    reason says "load_kb") and each field's old and new value.

    A change form refuses to save over a change made since it was opened (kb.forms.RefusesStaleSaves;
    its hidden version field is printed by templates/admin/kb/change_form.html). Every save, the
    history's revert included, is one transaction with its history, search text and versions.
    """

    object_history_form_template = "admin/kb/object_history_form.html"

    # Changelists stay fast at hundreds of thousands of rows: the paginator reads at most 1,001
    # rows to count (then PostgreSQL's estimate), and the whole table is never counted for "N total".
    paginator = BoundedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        relations = self.list_select_related if isinstance(self.list_select_related, (list, tuple)) else ()
        return without_bulky_fields(super().get_queryset(request), relations)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return RefusesStaleSaves.for_form(super().get_form(request, obj, change=change, **kwargs))

    def _get_form_for_get_fields(self, request, obj):
        # The fields the page lays out: the hidden version is printed apart, by the template.
        return super().get_form(request, obj, fields=None)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Django's own change and delete views are atomic; simple_history's revert is not.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)


class SearchTextAdmin(KnowledgeBaseAdmin):
    """Records with a `search_text` are searched as the API searches them (kb.search, docs/search.md):
    stemmed words, "quoted phrases", -excluded words, OR, names in any spelling, misspelt names.
    The full-text indexes answer (FTS5 on SQLite, GIN on PostgreSQL), where a search across
    joined tables would scan them all.
    """

    search_fields = ("search_text",)  # shows the search box; get_search_results does the searching
    search_help_text = (
        'Every word must match (stemmed); "quoted words" match exactly; -word excludes; OR between '
        "alternatives; word* for a prefix. Other names and misspelt names are found too."
    )

    def get_search_results(self, request, queryset, search_term):
        return search(queryset, search_term), False


class RelatedNameListFilter(admin.RelatedFieldListFilter):
    """Filter by a related record, loading only what prints its name."""

    used_only = False

    def field_choices(self, field, request, model_admin):
        records = without_bulky_fields(field.related_model._default_manager.all())
        if self.used_only:
            records = records.filter(pk__in=model_admin.model._default_manager.values(field.name))
        return [(record.pk, str(record)) for record in records]


class UsedRelatedNameListFilter(RelatedNameListFilter):
    """Filter by a related record, offering only those some row points to."""

    used_only = True


class CitationInline(WithoutBulkyChoices, admin.TabularInline):
    """The quotes that back the fact on this page; offsets are found from each quote on save."""

    model = Citation
    form = CitationForm
    fields = ("source", "quote", "start", "end")
    readonly_fields = ("start", "end")
    autocomplete_fields = ("source",)
    extra = 1

    def get_queryset(self, request):
        # Each row's label is the citation's __str__, which prints its source's slug.
        return without_bulky_fields(super().get_queryset(request), ["source"])


class PositionCitationFormSet(BaseInlineFormSet):
    """A position's citations, read against its date as the build and the API read them
    (kb.models.positions.evidence_errors): its date words in one of its quotes, a reported date
    its report's. The formset's instance carries the position form's values."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        cited = [
            (form.cleaned_data["quote"], form.cleaned_data["source"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        errors = evidence_errors(self.instance, cited)
        if errors:
            raise ValidationError(list(errors.values()))


class PositionCitationInline(CitationInline):
    formset = PositionCitationFormSet


class OtherNameInline(admin.TabularInline):
    """Other names and spellings; their citations are edited on the other name's own page."""

    model = OtherName
    fields = ("name",)
    extra = 1
    show_change_link = True


class PositionInline(admin.TabularInline):
    """The positions held, for reading; a position is edited with its citations on its own page."""

    model = Position
    fields = ("summary", "program", "stance", "date_earliest", "date_latest", "date_precision")
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return without_bulky_fields(super().get_queryset(request), ["program"])

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VoiceInline(admin.TabularInline):
    """Who voiced it; each voice's citations are edited on the voice's own page."""

    model = Voice
    fields = ("rank", "official", "organization")
    autocomplete_fields = ("official", "organization")
    extra = 0
    show_change_link = True


class ReasonInline(admin.TabularInline):
    """The reasons the sources give; each reason's citations are edited on its own page."""

    model = Reason
    fields = ("rank", "topic", "summary")
    extra = 0
    show_change_link = True


class OwnerListFilter(admin.SimpleListFilter):
    """Filter by which kind of record a row belongs to: one of several nullable foreign keys."""

    def __init__(self, request, params, model, model_admin):
        self.owner_fields = {field: model._meta.get_field(field) for field in self.owner_field_names}
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(name, field.verbose_name.capitalize()) for name, field in self.owner_fields.items()]

    def queryset(self, request, queryset):
        if self.value() in self.owner_fields:
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


class CitedFactListFilter(OwnerListFilter):
    title = "cited fact"
    parameter_name = "cites"
    owner_field_names = CITED_FIELDS


class NamedRecordListFilter(OwnerListFilter):
    title = "names a"
    parameter_name = "names"
    owner_field_names = NAMED_FIELDS


class SourcePartInline(admin.TabularInline):
    """Spans that are not the publisher's (a reposter's header, reader comments): never evidence."""

    model = SourcePart
    fields = ("kind", "start", "end", "author", "note")
    extra = 0


class LocatedSourcePartInline(admin.TabularInline):
    """A new document's parts that are not the publisher's, each located by its text."""

    model = SourcePart
    form = LocatedPartForm
    formset = LocatedPartFormSet
    fields = ("kind", "located_by", "to_the_end", "occurrence", "author", "note")
    extra = 1
    verbose_name_plural = "Parts that are not the publisher's (never evidence), located by their text"


@admin.register(Source)
class SourceAdmin(SearchTextAdmin):
    list_display = ("__str__", "publisher", "kind", "published_earliest", "derived_from", "citation_count")
    list_filter = ("kind", "published_precision", "publisher")
    list_select_related = ("derived_from",)
    date_hierarchy = "published_earliest"
    autocomplete_fields = ("derived_from",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = (SourcePartInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=count_citations("source"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        # A new document is uploaded or pasted (kb.forms.SourceAddForm); a saved one's text is fixed.
        if obj is None:
            kwargs["form"] = SourceAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj):
        return (SourcePartInline,) if obj is not None else (LocatedSourcePartInline,)

    def get_fields(self, request, obj=None):
        fields = [
            "slug",
            "title",
            "publisher",
            "authors",
            "kind",
            "url",
            "published_earliest",
            "published_latest",
            "published_precision",
            "published_text",
            "derived_from",
            "derivation",
            "note",
            "file_name",
        ]
        # A saved source's text is its document, which citations point into by offset: it is
        # shown, never edited here, or citations would silently point at other words.
        return fields + (["citation_count", "document"] if obj else ["document_file", "text"])

    def get_readonly_fields(self, request, obj=None):
        return ("file_name", "citation_count", "document") if obj else ()

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    @admin.display(description="Citations", ordering="citation_count")
    def citation_count(self, source):
        return source.citation_count

    @admin.display(description="Text (parts that are not the publisher's greyed: never evidence)")
    def document(self, source):
        pieces, offset = [], 0
        for start, end in source.non_evidence_spans():
            pieces.append(format_html("{}", source.text[offset:start]))
            pieces.append(format_html('<span style="color: #888">{}</span>', source.text[start:end]))
            offset = max(offset, end)
        pieces.append(format_html("{}", source.text[offset:]))
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre>',
            mark_safe("".join(pieces)),  # each piece escaped by format_html above
        )


@admin.register(Jurisdiction)
class JurisdictionAdmin(SearchTextAdmin):
    list_display = ("name", "kind", "parent", "ocd_id")
    list_filter = ("kind",)
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (PositionInline,)


@admin.register(Organization)
class OrganizationAdmin(SearchTextAdmin):
    list_display = ("name", "kind", "jurisdiction", "parent")
    list_filter = ("kind", ("jurisdiction", UsedRelatedNameListFilter))
    list_select_related = ("jurisdiction", "parent")
    autocomplete_fields = ("jurisdiction", "parent")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OtherNameInline, CitationInline, PositionInline)


@admin.register(Official)
class OfficialAdmin(SearchTextAdmin):
    list_display = ("name", "role", "jurisdiction", "organization")
    list_filter = (("jurisdiction", UsedRelatedNameListFilter), ("organization", UsedRelatedNameListFilter))
    list_select_related = ("jurisdiction", "organization")
    autocomplete_fields = ("jurisdiction", "organization")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OtherNameInline, CitationInline, PositionInline)


@admin.register(Program)
class ProgramAdmin(SearchTextAdmin):
    list_display = ("name", "agency", "started_earliest")
    list_filter = (("agency", UsedRelatedNameListFilter),)
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OtherNameInline, CitationInline)


@admin.register(ProgramFact)
class ProgramFactAdmin(KnowledgeBaseAdmin):
    list_display = ("statement", "program", "kind", "value", "value_qualifier", "unit", "date_earliest", "jurisdiction")
    list_filter = (
        "kind",
        ("program", RelatedNameListFilter),
        "date_precision",
        ("jurisdiction", UsedRelatedNameListFilter),
    )
    list_select_related = ("program", "jurisdiction")
    date_hierarchy = "date_earliest"
    search_fields = ("statement", "slug", "date_text", "program__name", "jurisdiction__name", "citations__quote")
    autocomplete_fields = ("program", "jurisdiction")
    inlines = (VoiceInline, CitationInline)


@admin.register(Event)
class EventAdmin(KnowledgeBaseAdmin):
    """Versions of one happening that sources tell differently; each version is a position."""

    list_display = ("summary", "program", "version_count")
    list_select_related = ("program",)
    search_fields = ("summary", "slug", "note")
    autocomplete_fields = ("program",)
    prepopulated_fields = {"slug": ("summary",)}
    inlines = (PositionInline,)

    def get_queryset(self, request):
        counts = (
            Position.objects.filter(event=OuterRef("pk")).order_by().values("event").annotate(n=Count("pk")).values("n")
        )
        return super().get_queryset(request).annotate(version_count=Coalesce(Subquery(counts), 0))

    @admin.display(description="Versions", ordering="version_count")
    def version_count(self, event):
        return event.version_count


@admin.register(Position)
class PositionAdmin(SearchTextAdmin):
    list_display = (
        "summary",
        "holder",
        "program",
        "stance",
        "date_earliest",
        "date_precision",
        "event",
        "citation_count",
    )
    list_filter = (
        "stance",
        ("program", RelatedNameListFilter),
        ("jurisdiction", UsedRelatedNameListFilter),
        "date_precision",
        "date_basis",
    )
    list_select_related = ("program", "official", "jurisdiction", "organization", "event")
    date_hierarchy = "date_earliest"
    autocomplete_fields = ("program", "event", "official", "jurisdiction", "organization")
    prepopulated_fields = {"slug": ("summary",)}
    fieldsets = (
        (None, {"fields": ("slug", "summary", "program", "stance", "event")}),
        (
            "Whose stance (a jurisdiction and/or an organization; an official alone for a person's own stance)",
            {"fields": ("jurisdiction", "organization", "official")},
        ),
        (
            "When (an interval: earliest and latest day the sources allow)",
            {"fields": ("date_earliest", "date_latest", "date_precision", "date_basis", "date_text", "note")},
        ),
    )
    inlines = (VoiceInline, ReasonInline, PositionCitationInline)
    # Counting every match is a second full scan; the changelist shows "N results" without it.
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=count_citations("position"))

    @admin.display(description="Held by")
    def holder(self, position):
        return position.holder_name

    @admin.display(description="Citations", ordering="citation_count")
    def citation_count(self, position):
        return position.citation_count


@admin.register(Voice)
class VoiceAdmin(KnowledgeBaseAdmin):
    """Who voiced a position or a fact, each voice cited; rank 1 is whom a rank-0 voice relays."""

    list_display = ("__str__", "position", "program_fact", "rank")
    list_select_related = ("official", "organization", "position", "program_fact")
    search_fields = ("official__name", "organization__name", "position__summary", "program_fact__statement")
    autocomplete_fields = ("position", "program_fact", "official", "organization")
    inlines = (CitationInline,)


@admin.register(Reason)
class ReasonAdmin(KnowledgeBaseAdmin):
    """A reason the sources give for a position, with its own quotes."""

    list_display = ("summary", "topic", "position")
    list_filter = ("topic",)
    list_select_related = ("position",)
    search_fields = ("summary", "position__summary")
    autocomplete_fields = ("position",)
    inlines = (CitationInline,)


@admin.register(OtherName)
class OtherNameAdmin(KnowledgeBaseAdmin):
    list_display = ("name", "owner")
    list_filter = (NamedRecordListFilter,)
    list_select_related = NAMED_FIELDS
    search_fields = ("name", "official__name", "organization__name", "program__name")
    autocomplete_fields = NAMED_FIELDS
    inlines = (CitationInline,)

    @admin.display(description="Name of")
    def owner(self, other_name):
        return other_name.owner


@admin.register(Citation)
class CitationAdmin(KnowledgeBaseAdmin):
    form = CitationForm
    list_display = ("quote_excerpt", "source", "cited_fact", "start", "end")
    list_filter = (CitedFactListFilter, ("source", RelatedNameListFilter))
    list_select_related = (
        "source",
        *CITED_FIELDS,
        # An other name prints its owner's name.
        *(f"other_name__{field}" for field in NAMED_FIELDS),
    )
    search_fields = ("quote", "source__title", "source__slug")
    autocomplete_fields = ("source", *CITED_FIELDS)
    fieldsets = (
        (None, {"fields": ("source", "quote", "start", "end", "context")}),
        ("Backs exactly one fact", {"fields": CITED_FIELDS}),
    )
    readonly_fields = ("start", "end", "context")
    show_full_result_count = False

    @admin.display(description="Quote", ordering="quote")
    def quote_excerpt(self, citation):
        return Truncator(citation.quote).chars(QUOTE_EXCERPT_LENGTH)

    @admin.display(description="Backs")
    def cited_fact(self, citation):
        if citation.cited_field is None:
            return None
        label = Citation._meta.get_field(citation.cited_field).verbose_name.capitalize()
        return f"{label}: {citation.cited}"

    @admin.display(description="In context")
    def context(self, citation):
        if citation.start is None:
            return "Found in the source's text when saved."
        text = citation.source.text
        return format_html(
            '<span style="white-space: pre-wrap">…{}<mark>{}</mark>{}…</span>',
            text[max(citation.start - CONTEXT_CHARACTERS, 0) : citation.start],
            text[citation.start : citation.end],
            text[citation.end : citation.end + CONTEXT_CHARACTERS],
        )
