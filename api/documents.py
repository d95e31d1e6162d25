"""Adding a document through the API: a source's text (JSON) or its uploaded file (multipart), its
metadata and its parts that are not the publisher's, each located by its text.

`POST /api/v1/sources/` takes the source's fields, `text`, and `parts`: each part is given by its
exact text (`quote`, with `occurrence` for a later one), by a marker it runs from to the end of
the document (`from`: reader comments), or by `start` and `end` as a GET answers them. The
offsets are found here, so the source can be cited at once (`POST /api/v1/positions/`), with
offsets found from each quote, outside the parts. As multipart/form-data, the document comes as
the file `file` (UTF-8 text; its name is the `file_name` when none is given) and `parts` as a JSON
list in one form field. PUT takes `parts` too (the whole list; what was there goes).
"""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions, parsers, serializers

from api.serializers import RejectsUnknownFields, SourceSerializer, read_back_fields
from kb import documents
from kb.models import SourcePart, SourcePartKind

LOCATORS = ("quote", "from", "start")
LOCATOR_HELP = (
    "Give exactly one of: `quote` (the part's exact text; `occurrence` picks a later occurrence), `from` (where it "
    "starts: the part runs to the end of the document, e.g. reader comments under a heading), or `start` and `end`."
)


class DocumentUploadParser(parsers.MultiPartParser):
    """multipart/form-data, for a document uploaded as a file (POST only)."""


def _verbatim(help_text):
    # Never trimmed: a part is located by exactly these characters.
    return serializers.CharField(required=False, trim_whitespace=False, allow_blank=False, help_text=help_text)


class PartSerializer(RejectsUnknownFields, serializers.Serializer):
    """A span of the document that is not the publisher's, located by its text: never evidence."""

    readable_extras = read_back_fields("part")
    kind = serializers.ChoiceField(choices=SourcePartKind.choices)
    quote = _verbatim("The part's exact text.")
    occurrence = serializers.IntegerField(
        required=False, min_value=1, help_text="Which occurrence of `quote` or `from` is meant (default 1)."
    )
    start = serializers.IntegerField(required=False, min_value=0, help_text="Offset of its first character.")
    end = serializers.IntegerField(required=False, min_value=1, help_text="Offset just past its last character.")
    author = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword: the field is added here rather than in the class body.
        fields["from"] = _verbatim("Where the part starts; it runs from there to the end of the document.")
        return {
            name: fields[name] for name in ("kind", "quote", "from", "occurrence", "start", "end", "author", "note")
        }

    def validate(self, attrs):
        given = [name for name in LOCATORS if name in attrs] + (
            ["end"] if "end" in attrs and "start" not in attrs else []
        )
        if len(given) != 1:
            field = given[1] if len(given) > 1 else "quote"
            raise serializers.ValidationError({field: [LOCATOR_HELP]})
        if "start" in attrs and "end" not in attrs:
            raise serializers.ValidationError({"end": ["Give `end` with `start`."]})
        if "occurrence" in attrs and "start" in attrs:
            raise serializers.ValidationError({"occurrence": ["`occurrence` goes with `quote` or `from`."]})
        return attrs


@extend_schema_serializer(component_name="Source")
class SourceWriteSerializer(SourceSerializer):
    """A source with its text and its parts. `file_name` defaults to `<slug>.txt`."""

    nested = {"parts": (SourcePart, "source")}

    text = serializers.CharField(
        trim_whitespace=False,
        help_text="The document's full text, stored exactly (line ends as \\n); citations point into it by offset.",
    )
    file_name = serializers.CharField(
        required=False,
        max_length=200,
        help_text="The document's file in the knowledge base's documents folder (export_kb writes it there); "
        "a plain name such as 005_herald-follow-up.txt. Default: <slug>.txt.",
    )
    parts = PartSerializer(
        many=True,
        required=False,
        help_text="The spans that are not the publisher's (a reposter's header, a call to action, reader comments), "
        "each located by its text: citations never quote them. On PUT, the whole list.",
    )

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "parts"]

    def validate_text(self, text):
        text = documents.normalize_text(text)
        try:
            documents.check_text(text)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        if not text.strip():
            raise serializers.ValidationError("A document has text: this one is only white space.")
        return text

    def validate_file_name(self, name):
        try:
            documents.check_file_name(name)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return name

    def validate(self, attrs):
        if self.instance is None and not attrs.get("file_name") and attrs.get("slug"):
            attrs["file_name"] = documents.default_file_name(attrs["slug"])
        attrs = super().validate(attrs)
        text = attrs.get("text", self.instance.text if self.instance is not None else "")
        spans = None
        if "parts" in attrs:
            attrs["parts"] = self._located(attrs["parts"], text)
            spans = [(part["start"], part["end"]) for part in attrs["parts"]]
        elif self.instance is not None:
            spans = self.instance.non_evidence_spans()
        self._check_publication_words(attrs, text, spans or [])
        return attrs

    def _located(self, parts, text):
        """Each part's offsets in `text`; 400 naming the part and field that does not fit."""
        located, errors = [], []
        citations = list(self.instance.citations.only("quote", "start", "end")) if self.instance is not None else []
        for part in parts:
            error = {}
            try:
                if "start" in part:
                    start, end = part["start"], part["end"]
                    if end > len(text) or end <= start:
                        error = {"end": [f"Give 0 <= start < end <= {len(text)} (the text's length)."]}
                else:
                    start, end = documents.locate_part(
                        text, part.get("quote"), part.get("from"), part.get("occurrence")
                    )
            except DjangoValidationError as refusal:
                error = {name: messages for name, messages in refusal.message_dict.items()}
            if not error:
                cited = [c for c in citations if c.start < end and start < c.end]
                if cited:
                    field = next(name for name in LOCATORS if name in part)
                    error = {
                        field: [
                            f"{len(cited)} citation(s) quote this span, e.g. {cited[0].quote[:60]!r}: a part that is "
                            "not the publisher's is never evidence. Remove those citations first."
                        ]
                    }
            errors.append(error)
            if not error:
                located.append(
                    {"kind": part["kind"], "start": start, "end": end, "author": part["author"], "note": part["note"]}
                )
        starts = [part["start"] for part in located]
        if any(errors):
            raise serializers.ValidationError({"parts": errors})
        if len(set(starts)) != len(starts):
            raise serializers.ValidationError({"parts": ["Two parts start at the same place: give each span once."]})
        return located

    def _check_publication_words(self, attrs, text, spans):
        """The words that date a source are the publisher's, and a dated source gives them (as the
        curated file's build requires)."""
        current = self.instance
        words = attrs.get("published_text", current.published_text if current is not None else "")
        dated = attrs.get("published_earliest", current.published_earliest if current is not None else None)
        if dated is not None and not words:
            raise serializers.ValidationError(
                {"published_text": ["A dated source gives the words of its text that date it."]}
            )
        if not words:
            return
        position = text.find(words)
        while position >= 0 and any(start < position + len(words) and position < end for start, end in spans):
            position = text.find(words, position + 1)
        if position < 0:
            raise serializers.ValidationError(
                {"published_text": ["These words are not in the text outside its parts that are not the publisher's."]}
            )


@extend_schema_serializer(component_name="SourceUpload")
class SourceUploadSerializer(serializers.Serializer):
    """A new source as multipart/form-data: its document uploaded as `file`, its parts as a JSON list."""

    # Documents the upload only: upload_as_json() reads the request into SourceWriteSerializer's form.

    file = serializers.FileField(
        help_text="The document: a UTF-8 text file (.txt). Its name is the file_name when none is given."
    )
    parts = serializers.CharField(
        required=False,
        help_text='The parts as a JSON list, e.g. [{"kind": "reader_comments", "from": "Comments"}]. ' + LOCATOR_HELP,
    )

    def get_fields(self):
        fields = {}
        for name, model_field in SourceWriteSerializer().get_fields().items():
            if name not in ("text", "parts"):
                fields[name] = model_field
        return {**fields, **super().get_fields()}


def upload_as_json(request):
    """A multipart request's fields as SourceWriteSerializer reads JSON; 400 naming `file` or `parts`."""
    if not (request.content_type or "").startswith("multipart/form-data"):
        return request.data
    form, files = request.data, request.FILES
    data = {}
    for name in form:
        if name in files:
            continue  # DRF's request.data holds the files too
        values = form.getlist(name)
        if name == "authors":
            data[name] = [value for value in values if value]
        elif values[-1] != "" or name == "text":
            data[name] = values[-1]
    unknown_files = sorted(set(files) - {"file"})
    if unknown_files:
        raise exceptions.ValidationError(
            {name: ["Unknown file. Upload the document as `file`."] for name in unknown_files}
        )
    upload = files.get("file")
    if upload is not None:
        if "text" in data:
            raise exceptions.ValidationError({"file": ["Give the document's text or its file, not both."]})
        name = documents.file_name_of_upload(upload.name)
        if not name.lower().endswith(documents.DOCUMENT_SUFFIX):
            raise exceptions.ValidationError({"file": [f"Upload a .txt file (UTF-8 text), not {name[:80]!r}."]})
        if upload.size > documents.MAX_DOCUMENT_BYTES:
            raise exceptions.ValidationError(
                {
                    "file": [
                        f"The file is {upload.size:,} bytes; a document may have at most {documents.MAX_DOCUMENT_BYTES:,}."
                    ]
                }
            )
        try:
            data["text"] = documents.decode_document(upload.read())
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"file": error.messages}) from None
        data.setdefault("file_name", name)
    if "parts" in data:
        try:
            data["parts"] = json.loads(data["parts"])
        except ValueError:
            raise exceptions.ValidationError({"parts": ["Give the parts as a JSON list of objects."]}) from None
        if not isinstance(data["parts"], list):
            raise exceptions.ValidationError({"parts": ["Give the parts as a JSON list of objects."]})
    return data
