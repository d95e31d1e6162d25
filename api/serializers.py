"""Validate writes. What a record looks like in an answer is api.writers' business; here the fields
a client may write are those the record's writer shows and the model lets people edit."""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers

from api.versioning import SavesOnlyNamedFields
from api.writers import WRITERS
from kb.integrity import source_for_citing
from kb.models import (
    Citation,
    Event,
    Jurisdiction,
    Official,
    Organization,
    Position,
    Program,
    Reason,
    Source,
    Voice,
)
from kb.models.positions import evidence_errors


class SlugReferenceField(serializers.SlugRelatedField):
    """A related record by slug. A value no slug can be (one with a NUL byte, which PostgreSQL
    refuses in a query) is an unknown slug, answered before any query, not a database error."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)


def reference_to(model, help_text, required=False):
    optional = {} if required else {"required": False, "allow_null": True}
    return SlugReferenceField(queryset=model.objects.all(), help_text=f"{help_text} Its slug.", **optional)


class RejectsUnknownFields:
    """A field the resource does not have is a 400 naming it, never silently dropped: a typo
    ("stanse") would otherwise pass for a successful write. Fields that a client sends back from
    a GET and cannot write (url, start, end, counts) are accepted and ignored."""

    readable_extras = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            readable = set(self.fields) | set(self.readable_extras)
            unknown = sorted(str(name) for name in data if name not in readable)
            if unknown:
                accepted = ", ".join(name for name, field in self.fields.items() if not field.read_only)
                raise serializers.ValidationError(
                    {name: [f"Unknown field. Accepted here: {accepted}."] for name in unknown}
                )
            data = {name: value for name, value in data.items() if name in self.fields}
        return super().to_internal_value(data)


def read_back_fields(kind):
    """The names a GET of this kind answers with: a client may send them back unchanged."""
    return tuple(WRITERS[kind].schema(detail=True)().fields)


class CitationSerializer(RejectsUnknownFields, serializers.ModelSerializer):
    """A verbatim quote from a source; its offsets are found from the quote, outside the parts of
    the source that are not the publisher's."""

    readable_extras = read_back_fields("citation")
    source = reference_to(Source, "The source quoted.", required=True)

    class Meta:
        model = Citation
        fields = ["source", "quote"]

    def validate(self, attrs):
        # The source as it is now, locked against a change of its text until this write commits.
        citation = Citation(source=source_for_citing(attrs["source"].pk) or attrs["source"], quote=attrs["quote"])
        try:
            citation.locate_quote()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        attrs["start"], attrs["end"] = citation.start, citation.end
        return attrs


class CitedSerializer(RejectsUnknownFields, serializers.ModelSerializer):
    """A child record written with its own citations (a voice, a reason)."""

    citations = CitationSerializer(many=True, allow_empty=False)


class VoiceSerializer(CitedSerializer):
    readable_extras = read_back_fields("voice")
    official = reference_to(Official, "The official who voiced it.")
    organization = reference_to(Organization, "The organization that voiced it.")

    class Meta:
        model = Voice
        fields = ["rank", "official", "organization", "citations"]

    def validate(self, attrs):
        if (attrs.get("official") is None) == (attrs.get("organization") is None):
            raise serializers.ValidationError({"official": ["Name exactly one of official and organization."]})
        return attrs


class ReasonSerializer(CitedSerializer):
    readable_extras = read_back_fields("reason")

    class Meta:
        model = Reason
        fields = ["topic", "summary", "citations"]


class ModelValidatingSerializer(SavesOnlyNamedFields, RejectsUnknownFields, serializers.ModelSerializer):
    """Writes the record's writable fields after the model's own validation (its fields, clean()
    and constraints), so the API refuses what the admin and the database refuse. A PATCH saves
    only the fields it names (api.versioning)."""

    nested = {}  # field name -> (child model, its foreign key to this record)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            if name not in self.nested:
                setattr(candidate, name, value)
        try:
            candidate.full_clean(exclude=["search_text"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        children = {name: validated_data.pop(name) for name in self.nested if name in validated_data}
        record = super().create(validated_data)
        self._replace_children(record, children)
        return record

    @transaction.atomic
    def update(self, instance, validated_data):
        children = {name: validated_data.pop(name) for name in self.nested if name in validated_data}
        record = super().update(instance, validated_data)
        self._replace_children(record, children)
        return record

    def _replace_children(self, record, children):
        """A nested list given is the whole list: what was there goes, what is given is made."""
        for name, items in children.items():
            model, fk = self.nested[name]
            getattr(record, name).all().delete()
            for item in items:
                citations = item.pop("citations", None)
                child = model.objects.create(**{fk: record}, **item)
                for citation in citations or ():
                    Citation.objects.create(**{model._meta.model_name: child}, **citation)


def writable(kind, *nested):
    return [*WRITERS[kind].writable_fields(), *nested]


class JurisdictionSerializer(ModelValidatingSerializer):
    readable_extras = read_back_fields("jurisdiction")
    parent = reference_to(Jurisdiction, "The jurisdiction this one is inside.")

    class Meta:
        model = Jurisdiction
        fields = writable("jurisdiction")


class OrganizationSerializer(ModelValidatingSerializer):
    readable_extras = read_back_fields("organization")
    jurisdiction = reference_to(Jurisdiction, "Where the organization is based.")
    parent = reference_to(Organization, "The organization this one belongs to.")

    class Meta:
        model = Organization
        fields = writable("organization")


class OfficialSerializer(ModelValidatingSerializer):
    readable_extras = read_back_fields("official")
    jurisdiction = reference_to(Jurisdiction, "The jurisdiction the official acts for.")
    organization = reference_to(Organization, "The organization the official acts for.")

    class Meta:
        model = Official
        fields = writable("official")


class ProgramSerializer(ModelValidatingSerializer):
    readable_extras = read_back_fields("program")
    agency = reference_to(Organization, "The administering agency.", required=True)

    class Meta:
        model = Program
        fields = writable("program")


class PositionSerializer(ModelValidatingSerializer):
    """A stance on a program: its holder, its date interval, who voiced it, why, and the quotes that back it."""

    readable_extras = read_back_fields("position")
    nested = {"citations": (Citation, "position"), "voices": (Voice, "position"), "reasons": (Reason, "position")}

    program = reference_to(Program, "The program the stance is on.", required=True)
    event = reference_to(
        Event, "The event it is one version of, when sources tell it differently: its versions share a holder."
    )
    official = reference_to(Official, "The official whose own stance it is (who voiced a stance goes in voices).")
    jurisdiction = reference_to(Jurisdiction, "The jurisdiction whose stance it is, if any.")
    organization = reference_to(Organization, "The organization whose stance it is, if any.")
    citations = CitationSerializer(
        many=True, allow_empty=False, help_text="At least one verbatim quote from a source backs every position."
    )
    voices = VoiceSerializer(many=True, required=False, help_text="Who voiced it, each with its quotes.")
    reasons = ReasonSerializer(
        many=True, required=False, help_text="The reasons the sources give, each with its quotes."
    )

    class Meta:
        model = Position
        # The event is written as its slug; it reads back as {slug, summary, note}.
        fields = [*writable("position", "citations", "voices", "reasons"), "event"]

    def validate(self, attrs):
        """The model's own rules, then what it cannot tell alone: the date read against the quotes
        (kb.models.positions.evidence_errors), the given ones or, when a change gives none, those it has."""
        attrs = super().validate(attrs)
        candidate = copy.copy(self.instance) if self.instance is not None else Position()
        for name, value in attrs.items():
            if name not in self.nested:
                setattr(candidate, name, value)
        if "citations" in attrs:
            cited = [(citation["quote"], citation["source"]) for citation in attrs["citations"]]
        else:
            cited = [(citation.quote, citation.source) for citation in self.instance.citations.select_related("source")]
        errors = evidence_errors(candidate, cited)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def validate_voices(self, voices):
        for rank_default, voice in enumerate(voices):
            voice.setdefault("rank", rank_default)
        return voices

    def validate_reasons(self, reasons):
        for rank, reason in enumerate(reasons):
            reason["rank"] = rank
        return reasons


class SourceSerializer(ModelValidatingSerializer):
    readable_extras = read_back_fields("source")
    authors = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=50)
    derived_from = reference_to(Source, "The source whose text this one carries or quotes.")
    original_url = serializers.URLField(source="url", required=False, allow_blank=True, max_length=500)

    class Meta:
        model = Source
        fields = [*writable("source"), "original_url", "text"]
