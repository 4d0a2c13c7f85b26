from django.contrib import admin
from django.urls import include, path

from coproduce.api.api import api

urlpatterns = [
    path("search", include("coproduce.search.urls")),
    path("", include("coproduce.core.urls")),
    path("accounts/", include("coproduce.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("coproduce.communities.urls")),
    path("governance/", include("coproduce.governance.urls")),
    path("", include("coproduce.discussions.urls")),
    path("", include("coproduce.notifications.urls")),
    path("", include("coproduce.wiki.urls")),
    path("", include("coproduce.reports.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler400 = "coproduce.core.views.bad_request"
handler403 = "coproduce.core.views.permission_denied"
handler404 = "coproduce.core.views.page_not_found"
handler500 = "coproduce.core.views.server_error"
