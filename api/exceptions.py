"""One error body for every failure: {"status", "code", "detail", "errors"}.

`errors` maps each offending field or query parameter to its messages, so a client can tell
exactly what to fix. Database refusals (a constraint, a protected delete) are client errors.
"""

import logging
import math
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.versioning import PreconditionFailed
from config.errors import cache_unavailable_response, database_unavailable_response, error_body, json_error
from kb import conflicts

NON_FIELD = "non_field_errors"
logger = logging.getLogger(__name__)

# Every `code` an error body can carry, with what it means: the schema's ErrorCode enum.
ERROR_CODES = {
    "invalid": "A query parameter or field is malformed or unknown; `errors` names each one.",
    "parse_error": "The request body is not valid JSON.",
    "bad_request": "The request could not be understood (e.g. a malformed header).",
    "authentication_failed": "The credentials sent are wrong (an unknown or malformed token).",
    "not_authenticated": "Writing needs a token or a session.",
    "permission_denied": "Authenticated, but without the permission this needs (or a missing CSRF token).",
    "not_found": "No record has this slug, or nothing is at this path.",
    "method_not_allowed": "The resource does not take this method.",
    "not_acceptable": "None of the formats in `Accept` is offered (JSON, CSV on lists and records).",
    "unsupported_media_type": (
        "The request body's content type is not application/json (nor multipart/form-data, which only "
        "POST /sources/ takes, to upload a document)."
    ),
    "too_large": "The request body is larger than the server accepts.",
    "protected": "Refused while other records refer to this one.",
    "conflict": "The change breaks a rule of the knowledge base.",
    "precondition_failed": "The record changed since the version sent in If-Match; nothing was written.",
    "throttled": "Too many requests: wait the seconds `Retry-After` says.",
    "busy": "The change feed is waiting for writes in progress to finish: retry after `Retry-After` seconds.",
    "database_unavailable": "The database is not answering: retry after `Retry-After` seconds.",
    "server_error": "Something went wrong on our side; it has been logged.",
    "error": "Any other failure.",
}
ERROR_CODE_CHOICES = list(ERROR_CODES.items())


def _flatten(detail):
    """DRF error details as {field: [message, ...]}; nested fields are joined with dots."""
    if isinstance(detail, dict):
        errors = {}
        for field, value in detail.items():
            for subfield, messages in _flatten(value).items():
                errors[f"{field}.{subfield}" if subfield != NON_FIELD else str(field)] = messages
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {NON_FIELD: [str(item) for item in detail]}
        errors = {}
        for index, item in enumerate(detail):
            for subfield, messages in _flatten(item).items():
                key = str(index) if subfield == NON_FIELD else f"{index}.{subfield}"
                errors.setdefault(key, []).extend(messages)
        return errors
    return {NON_FIELD: [str(detail)]}


def error_response(status_code, code, detail, errors=None, headers=None, **extra):
    return Response(error_body(status_code, code, detail, errors, **extra), status=status_code, headers=headers)


def _protected_detail(error):
    blocking = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    labels = sorted({str(obj._meta.verbose_name_plural) for obj in blocking})  # lazy strings: join needs str
    return f"It cannot be deleted while {len(blocking)} record(s) refer to it ({', '.join(labels)}). Remove or re-point those first."


def _protected_errors(error, deleted):
    """The deleted record's fields that still hold records (its citations, its positions), by name."""
    if deleted is None:
        return {}
    blocking = error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    referring = {}
    for record in blocking:
        for field in record._meta.concrete_fields:
            if (
                field.many_to_one
                and isinstance(deleted, field.related_model)
                and getattr(record, field.attname) == deleted.pk
            ):
                referring.setdefault(field.remote_field.get_accessor_name(), set()).add(record.pk)
    return {
        name: [f"{len(pks)} record(s) here still refer to it: remove or re-point them first."]
        for name, pks in sorted(referring.items())
    }


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, PreconditionFailed):
        return error_response(
            exc.status_code,
            exc.default_code,
            str(exc.detail),
            {"If-Match": [f"Stale: the current version is {exc.version}, its ETag {exc.etag}."]},
            headers={"ETag": exc.etag},
            version=exc.version,
            etag=exc.etag,
        )
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return error_response(
            status.HTTP_409_CONFLICT,
            "protected",
            _protected_detail(exc),
            _protected_errors(exc, getattr(context.get("view"), "versioned_record", None)),
        )
    if isinstance(exc, IntegrityError):
        # The database's own words name tables, columns and values: the log has them, the client
        # gets the field and what to do.
        request = context["request"]
        logger.warning("Database refused a write on %s %s: %s", request.method, request.path, exc)
        refusal = conflicts.explain(exc)
        if refusal is None:
            return error_response(
                status.HTTP_409_CONFLICT,
                "conflict",
                "The change breaks a rule of the knowledge base, or conflicts with a change saved meanwhile. "
                "Reload the record and try again.",
            )
        return error_response(status.HTTP_409_CONFLICT, "conflict", refusal.detail, refusal.errors)
    if isinstance(exc, OperationalError) and conflicts.lost_a_race(exc):
        request = context["request"]
        logger.warning("A write met another at the same moment on %s %s: %s", request.method, request.path, exc)
        return error_response(
            status.HTTP_409_CONFLICT,
            "conflict",
            "Another change to the same records was being saved at the same moment; nothing of yours was "
            "written. Try again.",
        )
    if isinstance(exc, DataError):
        # A value the database cannot store or compare (out of range, a NUL byte): the input's fault.
        # Validation should have named the field first; the warning says where it did not.
        logger.warning("Database refused a value on %s %s: %s", context["request"].method, context["request"].path, exc)
        return error_response(
            status.HTTP_400_BAD_REQUEST,
            "invalid",
            "A value is outside what the knowledge base can store or search for.",
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler500 answers, in JSON
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        names = ", ".join(sorted(errors))
        return error_response(
            response.status_code, "invalid", f"Invalid input: {names}.", errors, headers=_headers(response)
        )
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
    code = code if code in ERROR_CODES else "error"
    headers = _headers(response)
    if isinstance(exc, exceptions.Throttled):
        headers.update(rate_limit_headers(context["request"], exc))
    if getattr(exc, "retry_after", None):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(response.status_code, code, detail, headers=headers)


def _headers(response):
    return {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Retry-After", "Allow")}


def rate_limit_headers(request, throttled):
    """The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers) of the rate that ran out:
    its limit, what remains of it (0) and the seconds until a request is allowed again."""
    exceeded = getattr(request, "exceeded_rates", None)  # api.throttling notes them
    if not exceeded:
        return {}
    limit, window = min(exceeded, key=lambda rate: rate[0])
    reset = max(1, math.ceil(throttled.wait or 0))
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": f"{limit};w={window}",
    }


def _plain_error(status_code, code, detail):
    return json_error(status_code, code, detail)


# Exempt from CSRF: it changes nothing, and a write to an unknown path with a session cookie
# deserves the JSON 404, not Django's HTML CSRF page.
@csrf_exempt
def page_not_found(request, exception=None):
    return _plain_error(404, "not_found", f"Nothing here: {request.path}. The API starts at /api/v1/.")


def server_error(request):
    # Django calls this while handling the exception, which a middleware may have raised outside
    # any view (a session saved on the way out): a database outage is still a 503 there.
    from config.middleware import CACHE_ERRORS

    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return database_unavailable_response()
    if isinstance(sys.exc_info()[1], CACHE_ERRORS):
        return cache_unavailable_response()
    return _plain_error(500, "server_error", "Something went wrong on our side; it has been logged.")


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _plain_error(413, "too_large", f"The request body is larger than the {limit} bytes accepted.")
    return _plain_error(400, "bad_request", "The request could not be understood.")


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON under /api/, Django's own page elsewhere (the admin's forms)."""
    if not request.path.startswith("/api/"):
        return django_csrf_failure(request, reason)
    return _plain_error(
        403,
        "permission_denied",
        f"CSRF check failed: {reason} With a session, send the csrftoken cookie's value in the X-CSRFToken "
        "header; API clients can use a token (Authorization: Token <key>) instead.",
    )


def permission_denied(request, exception=None):
    return _plain_error(403, "permission_denied", "You do not have permission to do this.")
