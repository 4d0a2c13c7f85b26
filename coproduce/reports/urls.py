from django.urls import URLPattern, URLResolver, path

from coproduce.reports import views

app_name = "reports"

_SPACE = "spaces/<slug:space_slug>/papers/"
_PAPER = _SPACE + "<int:pk>/"
_EDITION = _PAPER + "editions/<int:number>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_SPACE, views.paper_list, name="list"),
    path(_SPACE + "new/", views.create, name="create"),
    path(_PAPER, views.paper, name="paper"),
    path(_PAPER + "edit/", views.edit, name="edit"),
    path(_PAPER + "board/", views.board, name="board"),
    path(_PAPER + "preview/", views.preview, name="preview"),
    path(_PAPER + "publish/", views.publish, name="publish"),
    path(_PAPER + "credit/", views.credit, name="credit"),
    path(_EDITION, views.edition, name="edition"),
    path(_EDITION + "status/", views.edition_status, name="edition_status"),
    path(_EDITION + "retry/", views.edition_retry, name="edition_retry"),
    path(_EDITION + "<str:fmt>/", views.edition_file, name="edition_file"),
]
