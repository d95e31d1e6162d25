"""Project-wide middleware: a database that does not answer is a quick 503 in JSON.

When PostgreSQL restarts or is out of reach, a request fails to connect (within the connect
timeout of the settings) or loses its connection mid-query. Either is the database's outage, not
a bug of ours: the client gets 503 with `Retry-After`, and the next request connects anew
(Django drops a broken connection at the end of the request, and checks a kept one before use).

A Redis (the shared cache, which the throttles count in) that does not answer is a 503 too, with
the code `cache_unavailable`: nothing is wrong with the request.

A read that failed on a read replica is not the primary's outage: the replica is marked down and
the view answers again from the primary (config.replicas), so a replica's outage costs no error.
"""

import logging

from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.errors import cache_unavailable_response, database_unavailable_response
from config.replicas import retry_on_primary

logger = logging.getLogger(__name__)

# The cache (REDIS_URL) not answering, within its socket timeouts (config.settings).
CACHE_ERRORS = (RedisConnectionError, RedisTimeoutError)


class DatabaseUnavailableMiddleware:
    """Answers 503 when a view fails because the database cannot be reached.

    OperationalError covers a refused or lost connection (psycopg and SQLite alike);
    InterfaceError a connection already closed under the request. Other database errors are bugs
    or bad data and stay 4xx/500 as elsewhere.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, CACHE_ERRORS):
            logger.error("Cache unavailable on %s %s: %s", request.method, request.path, exception)
            return cache_unavailable_response()
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        replica = getattr(request, "read_alias", "default")
        if retry_on_primary(request):
            logger.warning(
                "Read replica %s failed on %s %s; answered from the primary", replica, request.method, request.path
            )
            try:
                return answer_again(request)
            except (OperationalError, InterfaceError) as error:
                exception = error
        # The detail may name hosts or users: it goes to the log only.
        logger.error("Database unavailable on %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response()


def answer_again(request):
    """The request's view, run once more (a read: safe to repeat), its answer rendered."""
    match = request.resolver_match
    response = match.func(request, *match.args, **match.kwargs)
    if callable(getattr(response, "render", None)):
        response = response.render()
    return response
