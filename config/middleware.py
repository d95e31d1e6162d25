"""Project-wide middleware: a database that does not answer is a quick 503 in JSON.

When PostgreSQL restarts or is out of reach, a request fails to connect (within the connect
timeout of the settings) or loses its connection mid-query. Either is the database's outage, not
a bug of ours: the client gets 503 with `Retry-After`, and the next request connects anew
(Django drops a broken connection at the end of the request, and checks a kept one before use).
"""

import logging

from django.db import InterfaceError, OperationalError

from config.errors import database_unavailable_response

logger = logging.getLogger(__name__)


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
        if isinstance(exception, (OperationalError, InterfaceError)):
            # The detail may name hosts or users: it goes to the log only.
            logger.error("Database unavailable on %s %s: %s", request.method, request.path, exception)
            return database_unavailable_response()
        return None
