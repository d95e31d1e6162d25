"""The curators' admin: every record searchable by its names and quotes, every fact with its citations.

Changelists cost a fixed number of queries whatever the page size: each admin joins the
relations its columns print (`list_select_related`) and computes the counts it shows in the
same query. Rows are loaded without their bulky columns, a source's document and a record's
search text, which no list prints.
"""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from config.counting import BoundedCountPaginator
from kb.forms import CitationForm
from kb.models import (
    CITED_FIELDS,
    NAMED_FIELDS,
    Citation,
    Jurisdiction,
    Official,
    Organization,
    OtherName,
    Position,
    Program,
    ProgramFact,
    Source,
)
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
    """Each record's History page lists every change: when, by whom (none for load_kb) and each
    field's old and new value."""

    # Changelists stay fast at hundreds of thousands of rows: the paginator reads at most 1,001
    # rows to count (then PostgreSQL's estimate), and the whole table is never counted for "N total".
    paginator = BoundedCountPaginator
    show_full_result_count = False

    def get_queryset(self, request):
        relations = self.list_select_related if isinstance(self.list_select_related, (list, tuple)) else ()
        return without_bulky_fields(super().get_queryset(request), relations)


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


class OtherNameInline(admin.TabularInline):
    """Other names and spellings; their citations are edited on the other name's own page."""

    model = OtherName
    fields = ("name",)
    extra = 1
    show_change_link = True


class PositionInline(admin.TabularInline):
    """The positions held, for reading; a position is edited with its citations on its own page."""

    model = Position
    fields = ("summary", "program", "stance", "date", "date_precision")
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return without_bulky_fields(super().get_queryset(request), ["program"])

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


@admin.register(Source)
class SourceAdmin(SearchTextAdmin):
    list_display = ("__str__", "publisher", "kind", "published_on", "citation_count")
    list_filter = ("kind", "published_precision", "publisher")
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ("title",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=count_citations("source"))

    def get_fields(self, request, obj=None):
        fields = [
            "slug",
            "title",
            "publisher",
            "authors",
            "kind",
            "published_on",
            "published_precision",
            "published_quote",
            "file_name",
        ]
        # A saved source's text is its document, which citations point into by offset, and
        # where its comments start decides which of them are evidence: both are shown, never
        # edited here, or citations would silently point at other words or at comments.
        return fields + (["comments_start", "citation_count", "document"] if obj else ["text", "comments_start"])

    def get_readonly_fields(self, request, obj=None):
        return ("file_name", "comments_start", "citation_count", "document") if obj else ()

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    @admin.display(description="Citations", ordering="citation_count")
    def citation_count(self, source):
        return source.citation_count

    @admin.display(description="Text (reader comments greyed: never evidence)")
    def document(self, source):
        evidence_end = source.evidence_end
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}'
            '<span style="color: #888">{}</span></pre>',
            source.text[:evidence_end],
            source.text[evidence_end:],
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
    list_display = ("name", "agency", "started_on")
    list_filter = (("agency", UsedRelatedNameListFilter),)
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OtherNameInline, CitationInline)


@admin.register(ProgramFact)
class ProgramFactAdmin(KnowledgeBaseAdmin):
    list_display = ("statement", "program", "kind", "value", "value_qualifier", "unit", "date", "jurisdiction")
    list_filter = (
        "kind",
        ("program", RelatedNameListFilter),
        "date_precision",
        ("jurisdiction", UsedRelatedNameListFilter),
    )
    list_select_related = ("program", "jurisdiction")
    date_hierarchy = "date"
    search_fields = ("statement", "slug", "date_text", "program__name", "jurisdiction__name", "citations__quote")
    autocomplete_fields = ("program", "jurisdiction")
    inlines = (CitationInline,)


@admin.register(Position)
class PositionAdmin(SearchTextAdmin):
    list_display = ("summary", "holder", "program", "stance", "date", "date_precision", "citation_count")
    list_filter = (
        "stance",
        ("program", RelatedNameListFilter),
        ("jurisdiction", UsedRelatedNameListFilter),
        "date_precision",
        "date_basis",
    )
    list_select_related = ("program", "official", "jurisdiction", "organization")
    date_hierarchy = "date"
    autocomplete_fields = ("program", "official", "jurisdiction", "organization")
    prepopulated_fields = {"slug": ("summary",)}
    fieldsets = (
        (None, {"fields": ("slug", "summary", "program", "stance")}),
        ("Held by (at least one)", {"fields": ("official", "jurisdiction", "organization")}),
        ("When", {"fields": ("date", "date_precision", "date_basis", "date_text", "note")}),
    )
    inlines = (CitationInline,)
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
