from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import docs
from api.exceptions import page_not_found
from config.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", docs.swagger_ui, name="swagger-ui"),
    path("api/redoc/", docs.redoc, name="redoc"),
    # Unknown API paths answer in JSON even with debug on, whose 404 page is HTML.
    re_path(r"^api/", page_not_found),
    # The pages people look at: the landing page, timelines, positions, the source reader.
    path("", include("pages.urls")),
]

if settings.KB_BENCH_FLOOR:
    urlpatterns.insert(0, path("bench/floor/", include("bench.floor_urls")))

handler400 = "api.exceptions.bad_request"
handler403 = "api.exceptions.permission_denied"
handler404 = "api.exceptions.page_not_found"
handler500 = "api.exceptions.server_error"
