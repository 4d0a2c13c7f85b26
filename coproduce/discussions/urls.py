from django.urls import URLPattern, URLResolver, path

from coproduce.discussions import views

app_name = "discussions"

_PAGE = "spaces/<slug:space_slug>/wiki/<str:page_slug>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_PAGE + "comments/", views.create, name="create"),
    path(_PAGE + "comments/<int:pk>/edit/", views.edit, name="edit"),
    path(_PAGE + "comments/<int:pk>/delete/", views.delete, name="delete"),
    path(_PAGE + "discussion/close/", views.close, name="close"),
    path(_PAGE + "discussion/reopen/", views.reopen, name="reopen"),
    path(_PAGE + "discussion/keep-open/", views.cancel_close, name="cancel_close"),
]
