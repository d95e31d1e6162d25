"""Translate knowledge-base records to JSON and back. Serializers never query: views prefetch."""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from kb.models import (
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


class RefSerializer(serializers.Serializer):
    """A related record, by slug, with its name and API URL. `?expand=` inlines the whole record."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField()


class SlugReferenceField(serializers.SlugRelatedField):
    """A related record by slug. A value no slug can be (one with a NUL byte, which PostgreSQL
    refuses in a query) is an unknown slug, answered before any query, not a database error."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)


class RefField(SlugReferenceField):
    """Written as the related record's slug; read as a RefSerializer object, or expanded in full."""

    def __init__(self, view_name, expanded_serializer, **kwargs):
        self.view_name = view_name
        self.expanded_serializer = expanded_serializer  # a callable, so serializers can refer to each other
        super().__init__(slug_field="slug", **kwargs)

    def to_representation(self, value):
        if self.field_name in self.context.get("expand", ()):
            nested_context = {**self.context, "expand": ()}
            return self.expanded_serializer()(value, context=nested_context).data
        return _reference(self.view_name, value, self.context)


def reference_to(kind, help_text, required=False):
    """A RefField to a jurisdiction, organization, official or program; optional unless `required`."""
    model, serializer_name = REFERENCE_KINDS[kind]
    optional = {} if required else {"required": False, "allow_null": True}
    return RefField(
        f"{kind}-detail",
        lambda: globals()[serializer_name],
        queryset=model.objects.all(),
        help_text=help_text,
        **optional,
    )


REFERENCE_KINDS = {
    "jurisdiction": (Jurisdiction, "JurisdictionSerializer"),
    "organization": (Organization, "OrganizationSerializer"),
    "official": (Official, "OfficialSerializer"),
    "program": (Program, "ProgramSerializer"),
}

_SLUG_PLACEHOLDER = "zzslugplaceholderzz"


def _url(view_name, slug, context):
    """The record's API URL. reverse() once per view and request, then string concatenation:
    reversing for each row of a page costs more than the rest of its serialization."""
    prefixes = context.setdefault("url_prefixes", {}) if isinstance(context, dict) else {}
    parts = prefixes.get(view_name)
    if parts is None:
        url = reverse(view_name, kwargs={"slug": _SLUG_PLACEHOLDER}, request=context.get("request"))
        parts = prefixes[view_name] = url.split(_SLUG_PLACEHOLDER, 1)
    return f"{parts[0]}{slug}{parts[1]}"


record_url = _url


@extend_schema_field(OpenApiTypes.URI)
class SlugURLField(serializers.Field):
    """The record's own API URL (read-only), built as `_url` builds it."""

    def __init__(self, view_name, **kwargs):
        self.view_name = view_name
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, record):
        return _url(self.view_name, record.slug, self.context)


def _reference(view_name, record, context):
    if record is None:
        return None
    return {"slug": record.slug, "name": str(record), "url": _url(view_name, record.slug, context)}


class RejectsUnknownFields:
    """A field the resource does not have is a 400 naming it, never silently dropped: a typo
    ("stanse") would otherwise pass for a successful write. Read-only fields that a client sends
    back from a GET (url, start, end) are accepted and ignored."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                accepted = ", ".join(name for name, field in self.fields.items() if not field.read_only)
                raise serializers.ValidationError(
                    {name: [f"Unknown field. Accepted here: {accepted}."] for name in unknown}
                )
        return super().to_internal_value(data)


class CitationSerializer(RejectsUnknownFields, serializers.ModelSerializer):
    """A verbatim quote from a source; `source.text[start:end] == quote`. Offsets are computed from the quote."""

    source = SlugReferenceField(slug_field="slug", queryset=Source.objects.all(), help_text="Source slug.")
    source_url = serializers.SerializerMethodField()

    class Meta:
        model = Citation
        fields = ["source", "source_url", "quote", "start", "end"]
        read_only_fields = ["start", "end"]

    def get_source_url(self, citation) -> str:
        return _url("source-detail", citation.source.slug, self.context)

    def to_representation(self, citation):
        # The read path of every page: the declared fields, without a field object per value.
        source = citation.source.slug
        return {
            "source": source,
            "source_url": _url("source-detail", source, self.context),
            "quote": citation.quote,
            "start": citation.start,
            "end": citation.end,
        }

    def validate(self, attrs):
        citation = Citation(source=attrs["source"], quote=attrs["quote"])
        try:
            citation.locate_quote()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        attrs["start"], attrs["end"] = citation.start, citation.end
        return attrs


class OtherNameSerializer(serializers.ModelSerializer):
    citations = CitationSerializer(many=True, read_only=True)

    class Meta:
        model = OtherName
        fields = ["name", "citations"]


class ModelValidatingSerializer(RejectsUnknownFields, serializers.ModelSerializer):
    """Runs the model's own validation (clean() and constraints), so the API refuses what the admin refuses."""

    nested_fields = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            if name not in self.nested_fields:
                setattr(candidate, name, value)
        try:
            candidate.full_clean(exclude=["search_text"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs


class JurisdictionSerializer(ModelValidatingSerializer):
    url = SlugURLField("jurisdiction-detail")
    parent = reference_to("jurisdiction", "The jurisdiction this one is inside.")
    timeline_url = serializers.SerializerMethodField()

    class Meta:
        model = Jurisdiction
        fields = ["slug", "url", "name", "kind", "parent", "ocd_id", "timeline_url"]

    def get_timeline_url(self, jurisdiction) -> str:
        return _url("jurisdiction-timeline", jurisdiction.slug, self.context)


class OrganizationSerializer(ModelValidatingSerializer):
    url = SlugURLField("organization-detail")
    jurisdiction = reference_to("jurisdiction", "Where the organization is based.")
    parent = reference_to("organization", "The organization this one belongs to.")
    other_names = OtherNameSerializer(many=True, read_only=True)
    citations = CitationSerializer(many=True, read_only=True)
    timeline_url = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "slug",
            "url",
            "name",
            "other_names",
            "kind",
            "description",
            "jurisdiction",
            "parent",
            "citations",
            "timeline_url",
        ]

    def get_timeline_url(self, organization) -> str:
        return _url("organization-timeline", organization.slug, self.context)


class OfficialSerializer(ModelValidatingSerializer):
    url = SlugURLField("official-detail")
    jurisdiction = reference_to("jurisdiction", "The jurisdiction the official acts for.")
    organization = reference_to("organization", "The organization the official acts for.")
    other_names = OtherNameSerializer(many=True, read_only=True)
    citations = CitationSerializer(many=True, read_only=True)
    timeline_url = serializers.SerializerMethodField()

    class Meta:
        model = Official
        fields = [
            "slug",
            "url",
            "name",
            "other_names",
            "role",
            "jurisdiction",
            "organization",
            "citations",
            "timeline_url",
        ]

    def get_timeline_url(self, official) -> str:
        return _url("official-timeline", official.slug, self.context)


class ProgramFactSerializer(serializers.ModelSerializer):
    jurisdiction = reference_to("jurisdiction", "Set when the fact is about one jurisdiction's part in the program.")
    citations = CitationSerializer(many=True, read_only=True)

    class Meta:
        model = ProgramFact
        fields = [
            "slug",
            "kind",
            "statement",
            "value",
            "value_qualifier",
            "unit",
            "date",
            "date_precision",
            "date_text",
            "jurisdiction",
            "citations",
        ]


class ProgramSerializer(ModelValidatingSerializer):
    url = SlugURLField("program-detail")
    agency = reference_to("organization", "The administering agency.", required=True)
    other_names = OtherNameSerializer(many=True, read_only=True)
    citations = CitationSerializer(many=True, read_only=True)

    class Meta:
        model = Program
        fields = [
            "slug",
            "url",
            "name",
            "other_names",
            "agency",
            "description",
            "started_on",
            "started_precision",
            "citations",
        ]


class ProgramDetailSerializer(ProgramSerializer):
    facts = ProgramFactSerializer(many=True, read_only=True, help_text="The program's cited facts: figures and dates.")

    class Meta(ProgramSerializer.Meta):
        fields = [*ProgramSerializer.Meta.fields, "facts"]


class PositionSerializer(ModelValidatingSerializer):
    """A stance on a program, its date and precision, and the quotes that back it."""

    nested_fields = ("citations",)

    url = SlugURLField("position-detail")
    program = reference_to("program", "The program the stance is on.", required=True)
    official = reference_to("official", "The official who takes the stance, if any.")
    jurisdiction = reference_to("jurisdiction", "The jurisdiction whose stance it is, if any.")
    organization = reference_to("organization", "The organization whose stance it is, if any.")
    citations = CitationSerializer(
        many=True, allow_empty=False, help_text="At least one verbatim quote from a source backs every position."
    )

    def to_representation(self, position):
        """The declared fields, built directly: a page of 100 positions is the API's hottest path.
        With `?expand=`, the generic path (tests check that both agree)."""
        if self.context.get("expand"):
            return super().to_representation(position)
        context = self.context
        citation = self.fields["citations"].child
        return {
            "slug": position.slug,
            "url": _url("position-detail", position.slug, context),
            "program": _reference("program-detail", position.program, context),
            "official": _reference("official-detail", position.official, context),
            "jurisdiction": _reference("jurisdiction-detail", position.jurisdiction, context),
            "organization": _reference("organization-detail", position.organization, context),
            "stance": position.stance,
            "date": position.date.isoformat(),
            "date_precision": position.date_precision,
            "date_basis": position.date_basis,
            "date_text": position.date_text,
            "summary": position.summary,
            "note": position.note,
            "citations": [citation.to_representation(each) for each in position.citations.all()],
        }

    class Meta:
        model = Position
        fields = [
            "slug",
            "url",
            "program",
            "official",
            "jurisdiction",
            "organization",
            "stance",
            "date",
            "date_precision",
            "date_basis",
            "date_text",
            "summary",
            "note",
            "citations",
        ]

    @transaction.atomic
    def create(self, validated_data):
        citations = validated_data.pop("citations")
        position = super().create(validated_data)
        self._replace_citations(position, citations)
        return position

    @transaction.atomic
    def update(self, instance, validated_data):
        citations = validated_data.pop("citations", None)
        position = super().update(instance, validated_data)
        if citations is not None:
            self._replace_citations(position, citations)
        return position

    @staticmethod
    def _replace_citations(position, citations):
        position.citations.all().delete()
        for citation in citations:
            Citation.objects.create(position=position, **citation)
        # Drop the prefetched (now stale) citations so the response shows what was saved.
        getattr(position, "_prefetched_objects_cache", {}).pop("citations", None)


class SourceSerializer(ModelValidatingSerializer):
    url = SlugURLField("source-detail")
    authors = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=50)

    class Meta:
        model = Source
        fields = [
            "slug",
            "url",
            "title",
            "publisher",
            "authors",
            "kind",
            "published_on",
            "published_precision",
            "published_quote",
            "file_name",
            "comments_start",
        ]


class SourceDetailSerializer(SourceSerializer):
    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "text"]
