"""Pages are cached whole, keyed by the knowledge base's version (kb.version, which every write
advances): any write makes a new key.
"""

import functools
import logging

from django.core.cache import cache
from django.http import HttpResponse

from kb import version

logger = logging.getLogger(__name__)

# The policy every page is served under: everything from this site, nothing inline.
CONTENT_SECURITY_POLICY = "default-src 'self'"
CACHE_SECONDS = 24 * 60 * 60  # a new version is a new key; this only bounds what stale keys cost


def knowledge_base_version():
    """A string that changes whenever the knowledge base does (one query)."""
    return str(version.current()[0])


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
