from django.urls import URLPattern, URLResolver, path

from coproduce.notifications import views
from coproduce.notifications.feeds import PageChanges, SpaceChanges

app_name = "notifications"

urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/<int:pk>/read/", views.read, name="read"),
    path("notifications/read-all/", views.read_all, name="read_all"),
    path("notifications/settings/", views.preferences, name="settings"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("spaces/<slug:space_slug>/feed/", SpaceChanges(), name="space_feed"),
    path("spaces/<slug:space_slug>/wiki/<str:page_slug>/feed/", PageChanges(), name="page_feed"),
]
