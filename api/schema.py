"""OpenAPI additions drf-spectacular cannot see by itself: errors, reference fields, real examples,
the query convention (api.params), CSV answers (api.csv), and reads open to anyone."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.settings import api_settings

from api import csv
from api.examples import examples_for  # noqa: F401  (the views take examples from here)
from api.exceptions import ERROR_CODE_CHOICES
from api.params import MULTIPLE_HELP

FORMAT_HELP = {
    "json": "JSON (the default)",
    "csv": "CSV: on a list, every matching record (not a page), streamed; on a record, one row",
}


class ErrorSerializer(serializers.Serializer):
    """Every error the API returns has this shape."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.ChoiceField(
        choices=ERROR_CODE_CHOICES,
        help_text="A stable machine-readable code.",
    )
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For invalid input: each offending field or query parameter, with what is wrong and what is accepted.",
    )


class PreconditionFailedSerializer(ErrorSerializer):
    """412: the record changed since the version sent in If-Match; nothing was written."""

    version = serializers.IntegerField(help_text="The record's version now.")
    etag = serializers.CharField(help_text="The record's ETag now: send it in If-Match once the change is reapplied.")


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'The record\'s ETag from its GET (e.g. `"kb0-v3"`): the write is refused with 412, and nothing is written, '
        "if the record changed since. Without it the write is made whatever the record's version (as before "
        "this header existed); `*` accepts any version."
    ),
)

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: a query parameter or field is malformed or unknown. `errors` names each one.",
    "401": "Not authenticated: writing needs a token (`Authorization: Token <key>`) or a session; a wrong token is refused even for reading.",
    "403": "Authenticated, but without the model permission this change needs (or a missing CSRF token).",
    "404": "No record has this slug.",
    "409": "Refused by the knowledge base's rules: e.g. deleting a source that is still cited.",
    "412": "The record changed since the version sent in If-Match: nothing was written. The body gives the current `version` and `etag`.",
    "413": "The request body is larger than the server accepts (2.5 MB).",
    "415": "Unsupported content type: send application/json.",
    "429": "Too many requests from this client: wait the seconds `Retry-After` says. The IETF `RateLimit-*` "
    "fields say the rate that ran out.",
    "503": "The database (or the shared cache) is not answering, e.g. restarting: retry after the seconds `Retry-After` says.",
}

# Any operation may be throttled (when rates are set) or meet a database outage.
ANY_OPERATION_ERRORS = ["429", "503"]


def _error_codes(method, is_detail):
    if method in ("GET", "HEAD"):
        # 401: reading needs no credentials, but wrong ones (an unknown token) are refused.
        codes = ["400", "401", "404"] if is_detail else ["400", "401"]
    elif method == "POST":
        codes = ["400", "401", "403", "409", "413", "415"]
    elif method in ("PUT", "PATCH"):
        codes = ["400", "401", "403", "404", "409", "412", "413", "415"]
    elif method == "DELETE":
        codes = ["400", "401", "403", "404", "409", "412"]
    else:
        codes = []
    return codes + ANY_OPERATION_ERRORS


def _header(description, schema_type=OpenApiTypes.INT):
    return {"schema": build_basic_type(schema_type), "description": description}


ERROR_HEADERS = {
    "429": {
        "Retry-After": _header("Seconds to wait before the next request."),
        "RateLimit-Limit": _header("The requests the rate allows per window."),
        "RateLimit-Remaining": _header("What remains of it: 0."),
        "RateLimit-Reset": _header("Seconds until a request is allowed again."),
        "RateLimit-Policy": _header("The rate: `<limit>;w=<window seconds>`.", OpenApiTypes.STR),
    },
    "503": {"Retry-After": _header("Seconds to wait before retrying.")},
}


class KnowledgeBaseAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        is_detail = "{" in self.path
        for code in _error_codes(self.method, is_detail):
            if code not in responses:
                serializer = PreconditionFailedSerializer if code == "412" else ErrorSerializer
                response = self._get_response_for_code(serializer, code, media_types=["application/json"])
                response["description"] = ERROR_DESCRIPTIONS[code]
                if code in ERROR_HEADERS:
                    response["headers"] = ERROR_HEADERS[code]
                responses[code] = response
        return responses

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method in ("PUT", "PATCH", "DELETE") and "{slug}" in self.path:
            parameters = [*parameters, IF_MATCH]
        return parameters

    def _is_list_view(self, serializer=None):
        # Errors are single objects even on list operations; examples are recorded whole (api.examples).
        if isinstance(serializer, ErrorSerializer) or getattr(self, "_examples_are_whole", False):
            return False
        return super()._is_list_view(serializer)

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        # A list's example is a whole recorded page (count, next, previous, results): not wrapped again.
        self._examples_are_whole = True
        try:
            return super()._get_examples(serializer, direction, media_type, status_code, extras)
        finally:
            self._examples_are_whole = False

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content", {})
        if csv.MEDIA_TYPE in content:
            if "200" <= str(status_code) < "300":
                content[csv.MEDIA_TYPE] = {"schema": self._csv_schema()}
            else:
                del content[csv.MEDIA_TYPE]
        return response

    def _csv_schema(self):
        view_serializer = self._get_serializer()
        header = ", ".join(csv.Layout(view_serializer).header) if view_serializer is not None else ""
        if self._is_list_view():
            what = "Every matching record, one row each (not a page), streamed"
        else:
            what = "The record as one row"
        return {"type": "string", "description": f"{what}. Columns: {header}."}

    def get_auth(self):
        # Reading is open to anyone: GETs carry no security requirement (no lock in Swagger UI).
        # A wrong token is still refused (401), which the responses document.
        if self.method in ("GET", "HEAD"):
            super().get_auth()  # registers the schemes all the same
            return []
        return super().get_auth()

    def get_description(self):
        # Descriptions are given with extend_schema; a class's or method's docstring is for the code.
        return ""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # A component is described by its own class's docstring only: an inherited one (a base's,
        # a mixin's) says how the code works, not what the record is.
        own = serializer.__class__.__dict__.get("__doc__")
        if own:
            schema["description"] = " ".join(own.split())
        else:
            schema.pop("description", None)
        return schema

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        # The router's basename: a timeline's slug is its jurisdiction's, not a position's.
        noun = (getattr(self.view, "basename", None) or "record").replace("_", " ")
        for parameter in parameters:
            if not parameter.get("description"):
                if parameter["name"] == "slug":
                    parameter["description"] = f"The {noun}'s slug, as in its `slug` field and its URL."
                else:
                    parameter["description"] = f"The {noun}'s {parameter['name']}, as in its URL."
        return parameters

    def _get_format_parameters(self):
        formats = self.map_renderers("format")
        if len(formats) < 2:
            return []
        parameters = [
            build_parameter_type(
                name=api_settings.URL_FORMAT_OVERRIDE,
                schema=build_basic_type(OpenApiTypes.STR),
                location=OpenApiParameter.QUERY,
                enum=formats,
                description="The answer's format, whatever `Accept` says: "
                + "; ".join(f"`{name}` {FORMAT_HELP.get(name, name)}" for name in formats)
                + ". `Accept: text/csv` asks for CSV too (and `format=api`, in a browser, for the browsable page).",
            )
        ]
        if csv.MEDIA_TYPE in self.map_renderers("media_type") and getattr(self.view, "action", None) in (
            "list",
            "timeline",
        ):
            serializer = self._get_serializer()
            lists = list(csv.row_lists_of(serializer)) if serializer is not None else []
            if lists:
                parameters.append(
                    build_parameter_type(
                        name=csv.ROWS_PARAMETER,
                        schema=build_basic_type(OpenApiTypes.STR),
                        location=OpenApiParameter.QUERY,
                        enum=[csv.RECORDS, *lists],
                        description=(
                            "CSV only: one row per record (`records`, the default), or one row per item of one of "
                            f"its lists ({', '.join(f'`{name}`' for name in lists)}), the record's columns "
                            "followed by the item's."
                        ),
                    )
                )
        return parameters

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # Every multi-valued parameter takes both forms (api.params); documented as repeated.
            if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") == "array":
                parameter.pop("style", None)
                parameter["explode"] = True
                description = parameter.get("description", "")
                if MULTIPLE_HELP not in description:
                    parameter["description"] = f"{description} {MULTIPLE_HELP}".strip()
        return parameters


class RefSchemaFieldExtension(OpenApiSerializerFieldExtension):
    """A related record: {slug, name, url}, or the whole record when `?expand=` names it."""

    target_class = "api.writers.RefSchemaField"

    def map_serializer_field(self, auto_schema, direction):
        from api.writers import WRITERS

        ref = self.target.ref
        reference = auto_schema.resolve_serializer(ReferenceSerializer, direction).ref
        help_text = self.target.help_text or ""
        if not ref.expandable:
            return {**reference, "description": help_text} if help_text else reference
        expanded = auto_schema.resolve_serializer(WRITERS[ref.kind].schema(), direction).ref
        return {
            # anyOf, not oneOf: an expanded record has the fields of a reference too, so it matches both.
            "anyOf": [reference, expanded],
            "nullable": True,
            "description": f"{help_text} A reference {{slug, name, url}}; the whole record with `?expand={ref.name}`.".strip(),
        }


class ReferenceSerializer(serializers.Serializer):
    """A related record, by slug, with its name and API URL."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField()
