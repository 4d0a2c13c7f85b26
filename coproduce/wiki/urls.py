from django.urls import URLPattern, URLResolver, path

from coproduce.wiki import views

app_name = "wiki"

_SPACE = "spaces/<slug:space_slug>/wiki/"
_PAGE = _SPACE + "<str:page_slug>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_SPACE, views.index, name="index"),
    path(_SPACE + "new/", views.create, name="create"),
    path(_SPACE + "watch/", views.watch_space, name="watch_space"),
    path(_SPACE + "templates/", views.templates, name="templates"),
    path(_SPACE + "templates/<int:pk>/", views.template_edit, name="template_edit"),
    path(_SPACE + "templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path(_PAGE, views.page, name="page"),
    path(_PAGE + "edit/", views.edit, name="edit"),
    path(_PAGE + "history/", views.history, name="history"),
    path(_PAGE + "revisions/<int:number>/", views.revision, name="revision"),
    path(_PAGE + "revisions/<int:number>/revert/", views.revert, name="revert"),
    path(_PAGE + "diff/", views.diff_view, name="diff"),
    path(_PAGE + "links-here/", views.backlinks, name="backlinks"),
    path(_PAGE + "watch/", views.watch_page, name="watch_page"),
]

from coproduce.wiki import attachment_urls  # noqa: E402  (W4's routes, after the page routes)

urlpatterns += attachment_urls.urlpatterns
