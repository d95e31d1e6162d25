"""The app with nothing cached: what bench/run.py measures as a cold read.

The project's settings, with every cache a DummyCache (nothing is stored, every read misses)
and without Django's whole-response cache middleware: whatever the app caches, here it
computes. HTTP caching is the client's part: a cold request sends no If-None-Match. The
benchmark's floor is mounted, as with KB_BENCH_FLOOR. Never in production.
"""

import os

os.environ.setdefault("KB_BENCH_FLOOR", "true")

from config.settings import *  # noqa: E402, F403

DUMMY_CACHE = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
CACHES = {alias: dict(DUMMY_CACHE) for alias in {"default", *globals().get("CACHES", {})}}
RESPONSE_CACHE_MIDDLEWARE = {
    "django.middleware.cache.CacheMiddleware",
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
    "config.response_cache.ResponseCacheMiddleware",
}
MIDDLEWARE = [name for name in MIDDLEWARE if name not in RESPONSE_CACHE_MIDDLEWARE]  # noqa: F405
# The floor and the query count, whatever imported the project's settings first.
KB_BENCH_FLOOR = True
if "bench.middleware.QueryCountMiddleware" not in MIDDLEWARE:
    MIDDLEWARE.insert(0, "bench.middleware.QueryCountMiddleware")
