"""Routes for page attachments; coproduce/wiki/urls.py appends them inside app_name "wiki"."""

from django.urls import URLPattern, path

from coproduce.wiki import attachment_views as views

_ATTACHMENTS = "spaces/<slug:space_slug>/wiki/<str:page_slug>/attachments/"

urlpatterns: list[URLPattern] = [
    path(_ATTACHMENTS, views.attachments, name="attachments"),
    path(_ATTACHMENTS + "<int:attachment_id>/remove/", views.remove, name="attachment_remove"),
    path(_ATTACHMENTS + "<int:attachment_id>/<str:name>", views.download, name="attachment"),
]
