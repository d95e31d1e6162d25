"""Cached pages: an anonymous read of the API answered from the cache while the knowledge base
has not changed since the page was computed.

Every write advances the knowledge base's version K (kb.version), and the page is kept under a
key that holds K (the one config.http_cache read for this request, from the database this
request reads): after a write no stored page is ever found again, so a cached page is never
stale and nothing has to be deleted. The cache is the project's (`REDIS_URL`: shared by every
worker and machine; otherwise each process's own memory).

A hit costs the version's read (which config.http_cache makes anyway) and one cache get. What is
kept: anonymous GET answers of 200 under /api/v1/ (JSON, the browsable API's HTML, a record's
CSV) that set no cookie and stream nothing (a list's CSV streams), whole and uncompressed (the
compression middleware further out compresses a hit as it would the view's answer), keyed by the
path with its query and the `Accept` header. Signed-in requests and writes never touch it. A hit
counts against the throttles like any request. `DJANGO_RESPONSE_CACHE_SECONDS` (default 300; 0
turns it off) bounds how long an unread page is kept.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse

from config.http_cache import API_PREFIX, _throttles_allow, is_anonymous
from config.middleware import CACHE_ERRORS

logger = logging.getLogger(__name__)

# The largest body kept (a page of 100 positions with everything expanded is well under it).
MAX_BODY_BYTES = 2 * 1024 * 1024
# Headers that belong to each answer, not to the page: the middlewares further out set them again.
PER_ANSWER = {"set-cookie", "cache-control", "last-modified", "vary", "content-length", "date"}


def page_key(request, number):
    # No Accept header asks for anything, as */* does, and is answered the same (wrk sends none,
    # curl */*): one page, not two computed apart.
    accept = request.META.get("HTTP_ACCEPT") or "*/*"
    digest = hashlib.sha256(f"{request.get_full_path()}\n{accept}".encode()).hexdigest()
    return f"page:{number}:{digest}"


class ResponseCacheMiddleware:
    """After config.http_cache.KnowledgeBaseCacheMiddleware, which reads K (and answers 304s)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.RESPONSE_CACHE_SECONDS
        number = getattr(request, "kb_version", None)
        if (
            not seconds
            or number is None
            or request.method not in ("GET", "HEAD")
            or not request.path.startswith(API_PREFIX)
            or not is_anonymous(request)
        ):
            return self.get_response(request)
        cache = caches["default"]
        key = page_key(request, number)
        try:
            stored = cache.get(key)
        except CACHE_ERRORS as error:
            logger.warning("Response cache unavailable on %s %s: %s", request.method, request.path, error)
            return self.get_response(request)
        if stored is not None and _throttles_allow(request):
            return _answer(stored)
        response = self.get_response(request)
        if request.method == "GET" and _keepable(response):
            headers = {name: value for name, value in response.items() if name.lower() not in PER_ANSWER}
            try:
                cache.set(key, (response.content, headers), seconds)
            except CACHE_ERRORS as error:
                logger.warning("Response cache unavailable on %s %s: %s", request.method, request.path, error)
        return response


def _keepable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and len(response.content) <= MAX_BODY_BYTES
    )


def _answer(stored):
    content, headers = stored
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    return response
