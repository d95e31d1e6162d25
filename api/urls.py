from rest_framework.routers import DefaultRouter

from api import search, views


class KnowledgeBaseRouter(DefaultRouter):
    """DRF's browsable API root, listing every resource."""

    include_format_suffixes = False


router = KnowledgeBaseRouter()
router.register("programs", views.ProgramViewSet, basename="program")
router.register("jurisdictions", views.JurisdictionViewSet, basename="jurisdiction")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("officials", views.OfficialViewSet, basename="official")
router.register("positions", views.PositionViewSet, basename="position")
router.register("sources", views.SourceViewSet, basename="source")
router.register("search", search.SearchViewSet, basename="search")

urlpatterns = router.urls
