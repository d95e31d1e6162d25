"""OpenAPI additions drf-spectacular cannot see by itself: errors, reference fields, real examples."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from api.examples import examples_for  # noqa: F401  (the views take examples from here)


class ErrorSerializer(serializers.Serializer):
    """Every error the API returns has this shape."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="A stable machine-readable code: invalid, not_found, not_authenticated, permission_denied, "
        "method_not_allowed, protected, conflict, throttled, unsupported_media_type, parse_error, too_large, "
        "database_unavailable, server_error, precondition_failed."
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
    "429": "Too many requests from this client: wait the seconds `Retry-After` says.",
    "503": "The database is not answering (e.g. restarting): retry after the seconds `Retry-After` says.",
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


class KnowledgeBaseAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        is_detail = "{slug}" in self.path
        for code in _error_codes(self.method, is_detail):
            if code not in responses:
                serializer = PreconditionFailedSerializer if code == "412" else ErrorSerializer
                response = self._get_response_for_code(serializer, code, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method in ("PUT", "PATCH", "DELETE") and "{slug}" in self.path:
            parameters = [*parameters, IF_MATCH]
        return parameters

    def _is_list_view(self, serializer=None):
        # Errors are single objects even on list operations.
        if isinstance(serializer, ErrorSerializer):
            return False
        return super()._is_list_view(serializer)


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
