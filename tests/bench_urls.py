"""The site's URLs with the benchmark's floor mounted (as KB_BENCH_FLOOR mounts it), for tests."""

from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site

urlpatterns = [path("bench/floor/", include("bench.floor_urls")), *site]
