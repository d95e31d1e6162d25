"""The floor views' URLs, mirroring the API's: /bench/floor/api/v1/positions/ answers as /api/v1/positions/."""

from django.urls import path

from bench import floor_views

urlpatterns = [
    path("api/v1/positions/", floor_views.positions),
    path("api/v1/jurisdictions/<slug:slug>/timeline/", floor_views.jurisdiction_timeline),
    path("api/v1/officials/<slug:slug>/timeline/", floor_views.official_timeline),
    path("api/v1/organizations/<slug:slug>/timeline/", floor_views.organization_timeline),
    path("api/v1/<slug:resource>/<slug:slug>/", floor_views.detail),
]
