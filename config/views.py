"""Project-level views that belong to no app: the health probe."""

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers a query, 503 otherwise: what a load balancer or compose asks.

    The reason stays generic (the error may name hosts or users); the detail goes to the log.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("Health check failed: the database did not answer: %s", error)
        return JsonResponse({"status": "unavailable", "reason": "The database did not answer."}, status=503)
    return JsonResponse({"status": "ok"})
