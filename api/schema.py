"""OpenAPI additions drf-spectacular cannot see by itself: errors, reference fields, real examples."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from api.examples import examples_for  # noqa: F401  (the views take examples from here)


class ErrorSerializer(serializers.Serializer):
    """Every error the API returns has this shape."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="A stable machine-readable code: invalid, not_found, not_authenticated, permission_denied, "
        "method_not_allowed, protected, conflict, throttled, unsupported_media_type, parse_error, too_large, "
        "database_unavailable, cache_unavailable, server_error."
    )
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For invalid input: each offending field or query parameter, with what is wrong and what is accepted.",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: a query parameter or field is malformed or unknown. `errors` names each one.",
    "401": "Not authenticated: writing needs a token (`Authorization: Token <key>`) or a session; a wrong token is refused even for reading.",
    "403": "Authenticated, but without the model permission this change needs (or a missing CSRF token).",
    "404": "No record has this slug.",
    "409": "Refused by the knowledge base's rules: e.g. deleting a source that is still cited.",
    "413": "The request body is larger than the server accepts (2.5 MB).",
    "415": "Unsupported content type: send application/json.",
    "429": "Too many requests from this client: wait the seconds `Retry-After` says.",
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
        codes = ["400", "401", "403", "404", "409", "413", "415"]
    elif method == "DELETE":
        codes = ["401", "403", "404", "409"]
    else:
        codes = []
    return codes + ANY_OPERATION_ERRORS


class KnowledgeBaseAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        is_detail = "{slug}" in self.path
        for code in _error_codes(self.method, is_detail):
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def _is_list_view(self, serializer=None):
        # Errors are single objects even on list operations.
        if isinstance(serializer, ErrorSerializer):
            return False
        return super()._is_list_view(serializer)


class RefFieldExtension(OpenApiSerializerFieldExtension):
    """A related record: a slug when writing; {slug, name, url} or the expanded record when reading."""

    target_class = "api.serializers.RefField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "request":
            schema = build_basic_type(OpenApiTypes.STR)
            schema["description"] = f"{field.help_text or ''} Written as the record's slug.".strip()
            return schema
        from api.serializers import RefSerializer

        reference = auto_schema.resolve_serializer(RefSerializer, direction).ref
        expanded = auto_schema.resolve_serializer(field.expanded_serializer(), direction).ref
        return {
            # anyOf, not oneOf: an expanded record has the fields of a reference too, so it matches both.
            "anyOf": [reference, expanded],
            "description": (
                f"{field.help_text or ''} A reference {{slug, name, url}}; the whole record with `?expand={field.field_name}`."
            ).strip(),
        }
