"""URLs for the search tests: the search page and API mounted as the lead mounts them.

Test-local, so these tests do not depend on the rest of the site's URLs (being built alongside):
"/search" serves the search page, "/api/v1/search" a test API holding only the search router.
"""

from django.urls import include, path
from ninja import NinjaAPI

from coproduce.api import search as search_api
from coproduce.api.auth import Caller
from coproduce.api.errors import install_error_handlers

api = NinjaAPI(title="search tests", urls_namespace="search_tests_api", auth=Caller(), docs_url=None)
install_error_handlers(api)
api.add_router("/search", search_api.router)

urlpatterns = [
    path("search", include("coproduce.search.urls")),
    path("", include("coproduce.core.urls")),
    path("", include("coproduce.communities.urls")),
    path("", include("coproduce.notifications.urls")),  # the header links to the inbox
    path("governance/", include("coproduce.governance.urls")),  # and, for moderators, the queue
    path("api/v1/", api.urls),
]
