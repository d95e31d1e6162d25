"""Pages are cached whole, keyed by the knowledge base's version: any write makes a new key.

`knowledge_base_version()` is the one place the version is read. Until `kb.version.current()`
(issue 17) lands, it is computed from the tables themselves, in one statement of index probes:
for every kind of record, the highest primary key of its table and of its history table. Every
save and delete through the ORM adds a history row (simple_history), and a bulk insert or a raw
delete of the newest rows moves the highest key, so each write the project makes changes it.
When `kb.version` lands, its body becomes `return str(kb.version.current()[0])`.
"""

import functools
import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse

from kb.registry import record_models

logger = logging.getLogger(__name__)

# The policy every page is served under: everything from this site, nothing inline.
CONTENT_SECURITY_POLICY = "default-src 'self'"
CACHE_SECONDS = 24 * 60 * 60  # a new version is a new key; this only bounds what stale keys cost


@functools.cache
def _version_statement():
    quote = connection.ops.quote_name
    probes = []
    for model in record_models():
        for table_model, key in ((model, model._meta.pk), (model.history.model, model.history.model._meta.pk)):
            probes.append(f"(SELECT MAX({quote(key.column)}) FROM {quote(table_model._meta.db_table)})")
    return "SELECT " + ", ".join(probes)


def knowledge_base_version():
    """A string that changes whenever the knowledge base does (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_version_statement())
        return "-".join("" if value is None else str(value) for value in cursor.fetchone())


def page_cache_key(request, version):
    # The host is part of the key: pages carry absolute API URLs built from it.
    return f"pages:{version}:{request.scheme}://{request.get_host()}{request.get_full_path()}"


def with_policy(response):
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def cached_page(view):
    """Serve the page from the cache when the knowledge base has not changed since it was made.

    A page is the same for every visitor (no session, no form), so the whole answer is kept. A
    cache that fails is logged and the page is made afresh: it never costs the visitor the page.
    """

    @functools.wraps(view)
    def serve(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return with_policy(HttpResponse(status=405, headers={"Allow": "GET, HEAD"}))
        key = page_cache_key(request, knowledge_base_version())
        try:
            kept = cache.get(key)
        except Exception:  # noqa: BLE001 - any cache backend's failure
            logger.warning("The page cache did not answer; making %s afresh", request.path, exc_info=True)
            kept = None
        if kept is not None:
            status, content = kept
            return with_policy(HttpResponse(content, status=status, content_type="text/html; charset=utf-8"))
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 404):
            try:
                cache.set(key, (response.status_code, response.content), CACHE_SECONDS)
            except Exception:  # noqa: BLE001
                logger.warning("The page cache refused %s", request.path, exc_info=True)
        return with_policy(response)

    return serve
