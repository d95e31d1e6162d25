"""HTTP caching of the API from the knowledge base's version (kb.version), which every write advances.

Every GET under /api/v1/ carries `ETag: "kb<K>"` (K the version) unless the view set its own (a
single record's may be `"kb<K>-v<V>"`, V the record's own version), and `Last-Modified` (when K
last advanced). A request whose If-None-Match holds any tag with the current K as its kb part
(strong or weak: `W/"kb12"` is what gzip makes of `"kb12"`) is answered 304 here, before any
view: reading the version row is the only query. So is an If-Modified-Since (without
If-None-Match) no older than the last write. Such a 304 is counted by the throttles as any request.

Cache-Control (docs/caching.md):
- anonymous reads (200, 304, 404): `public, max-age=CACHE_MAX_AGE_SECONDS,
  stale-while-revalidate=CACHE_STALE_SECONDS, stale-if-error=CACHE_STALE_SECONDS`, varying on
  Accept, Accept-Encoding, Authorization and Cookie, so a signed-in client never gets them;
- an anonymous answer that sets or reads a cookie (the browsable API's CSRF cookie): private, revalidated;
- signed-in answers (a token or a session), errors and writes: `no-store`, never kept anywhere.

Outside the API (the schema, the docs pages) the ETag is still the body's (Django's
ConditionalGetMiddleware); the admin's pages are never cached (Django's never_cache).
"""

import logging
import re

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponseNotModified
from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from rest_framework.settings import api_settings

from config.middleware import CACHE_ERRORS, cache_unavailable_response, database_unavailable_response
from config.replicas import PRIMARY, current_read_alias, retry_on_primary
from kb import version

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')
KB_PART = re.compile(r"kb([0-9]+)(?:-|$)")
PUBLIC_STATUSES = frozenset({200, 304, 404})
VARY = ("Accept", "Accept-Encoding", "Authorization", "Cookie")


def kb_parts(if_none_match):
    """The K of every tag in an If-None-Match header whose opaque part starts kb<K>."""
    parts = set()
    for opaque in ENTITY_TAG.findall(if_none_match or ""):
        match = KB_PART.match(opaque)
        if match:
            parts.add(int(match.group(1)))
    return parts


def is_anonymous(request):
    """No credentials at all: neither a token nor a session cookie. Decided without a query."""
    return "HTTP_AUTHORIZATION" not in request.META and settings.SESSION_COOKIE_NAME not in request.COOKIES


def public_cache_control():
    stale = settings.CACHE_STALE_SECONDS
    return f"public, max-age={settings.CACHE_MAX_AGE_SECONDS}, stale-while-revalidate={stale}, stale-if-error={stale}"


class KnowledgeBaseCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = self.get_response(request)
            response["Cache-Control"] = "no-store"
            return response
        try:
            number, changed_at = self._version(request)
        except (OperationalError, InterfaceError) as error:
            logger.error("Database unavailable on %s %s: %s", request.method, request.path, error)
            return database_unavailable_response()
        request.kb_version = number  # for views that write their own ETag ("kb<K>-v<V>")
        anonymous = is_anonymous(request)
        try:
            not_modified = anonymous and self._unchanged(request, number, changed_at) and _throttles_allow(request)
        except CACHE_ERRORS as error:
            logger.error("Cache unavailable on %s %s: %s", request.method, request.path, error)
            return cache_unavailable_response()
        if not_modified:
            response = HttpResponseNotModified()
            self._describe(response, number, changed_at, anonymous, personal=False)
            return response
        response = self.get_response(request)
        if response.status_code == 200 and self._unchanged(request, number, changed_at):
            # A signed-in client's revalidation: the work is done, the transfer is saved.
            modified = response
            response = HttpResponseNotModified()
            for header in ("ETag", "Vary", "Content-Location"):
                if header in modified:
                    response[header] = modified[header]
            response.cookies = modified.cookies
        # A CSRF cookie (the browsable API's pages) is set on the way out, by an outer middleware.
        personal = bool(response.cookies) or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
        self._describe(response, number, changed_at, anonymous, personal)
        return response

    @staticmethod
    def _version(request):
        try:
            return version.current(using=current_read_alias())
        except (OperationalError, InterfaceError):
            if not retry_on_primary(request):
                raise
            return version.current(using=PRIMARY)

    @staticmethod
    def _unchanged(request, number, changed_at):
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            return number in kb_parts(if_none_match)
        since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
        return since is not None and changed_at is not None and int(changed_at.timestamp()) <= since

    @staticmethod
    def _describe(response, number, changed_at, anonymous, personal):
        if response.status_code in PUBLIC_STATUSES:
            if not response.has_header("ETag"):
                response["ETag"] = f'"kb{number}"'
            if changed_at is not None and not response.has_header("Last-Modified"):
                response["Last-Modified"] = http_date(changed_at.timestamp())
        patch_vary_headers(response, VARY)
        if not anonymous or response.status_code not in PUBLIC_STATUSES:
            response["Cache-Control"] = "no-store"
        elif personal:
            response["Cache-Control"] = "private, no-cache"
        else:
            response["Cache-Control"] = public_cache_control()


def _throttles_allow(request):
    """The view's throttles, asked before answering 304 without the view: a revalidation counts too."""
    for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES:
        if not throttle_class().allow_request(request, None):
            return False
    return True


class BodyETagOutsideTheAPIMiddleware(ConditionalGetMiddleware):
    """Django's ETag from the body, for pages outside the API (whose ETags are the version's)."""

    def process_response(self, request, response):
        if request.path.startswith(API_PREFIX):
            return response
        return super().process_response(request, response)
