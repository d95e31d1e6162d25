"""The one shape of every error the site answers: {"status", "code", "detail", "errors"}.

The API's exception handler (api.exceptions), Django's error views and the middleware that meets a
database outage all write it here, so a client reads one shape whatever failed and wherever.
"""

from django.http import JsonResponse


def error_body(status, code, detail, errors=None, **extra):
    """`errors` maps each offending field or query parameter to its messages; `extra` adds keys
    some errors carry (a 412's current version)."""
    return {"status": status, "code": code, "detail": detail, "errors": errors or {}, **extra}


def json_error(status, code, detail, headers=None):
    """An error answered outside DRF (Django's error views, middleware), as JSON."""
    response = JsonResponse(error_body(status, code, detail), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


RETRY_AFTER_SECONDS = 5


def database_unavailable_response():
    """503 when the database does not answer (restarting, out of reach): the client retries."""
    return json_error(
        503,
        "database_unavailable",
        f"The database is not answering. Try again in {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def cache_unavailable_response():
    """503 when the shared cache (Redis, which the throttles count in) does not answer."""
    return json_error(
        503,
        "cache_unavailable",
        f"A service the API relies on is not answering. Try again in {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
