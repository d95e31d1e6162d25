"""The pages' URLs: mounted at the site's root (config/urls.py), beside /api/ and /admin/."""

from django.urls import path

from pages import views

app_name = "pages"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("programs/<slug:slug>/", views.program, name="program"),
    path("positions/<slug:slug>/", views.position, name="position"),
    path("sources/", views.sources, name="sources"),
    path("sources/<slug:slug>/", views.source, name="source"),
    path("jurisdictions/<slug:slug>/", views.jurisdiction, name="jurisdiction"),
    path("organizations/<slug:slug>/", views.organization, name="organization"),
    path("officials/<slug:slug>/", views.official, name="official"),
]
