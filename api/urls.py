from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from api import changes, cited, export, search, views

# Endpoints that are not resources of records, listed at the API's root beside them.
ROOT_EXTRAS = {"changes": "changes", "export": "export-list"}


class KnowledgeBaseRouter(DefaultRouter):
    """DRF's browsable API root, listing every resource, the change feed and the downloads."""

    include_format_suffixes = False

    def get_api_root_view(self, api_urls=None):
        root = {prefix: self.routes[0].name.format(basename=basename) for prefix, _, basename in self.registry}
        return self.APIRootView.as_view(api_root_dict={**root, **ROOT_EXTRAS})


router = KnowledgeBaseRouter()
router.register("programs", views.ProgramViewSet, basename="program")
router.register("jurisdictions", views.JurisdictionViewSet, basename="jurisdiction")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("officials", views.OfficialViewSet, basename="official")
router.register("positions", views.PositionViewSet, basename="position")
router.register("sources", views.SourceViewSet, basename="source")
router.register("citations", cited.CitationViewSet, basename="citation")
router.register("facts", cited.FactViewSet, basename="fact")
router.register("search", search.SearchViewSet, basename="search")

urlpatterns = [
    path("changes/", changes.ChangesView.as_view(), name="changes"),
    path("export/", export.ExportView.as_view(), name="export-list"),
    re_path(
        r"^export/(?P<file_name>(?:datapackage\.zip|kb\.json))$",
        export.ExportDownloadView.as_view(),
        name="export-download",
    ),
    *router.urls,
]
