from django.urls import URLPattern, URLResolver, path

from coproduce.governance import views

app_name = "governance"

_PAGE = "spaces/<slug:space_slug>/wiki/<str:page_slug>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("audit/", views.audit_log, name="audit"),
    path("moderation/", views.queue, name="moderation"),
    path("flags/<int:pk>/dismiss/", views.flag_dismiss, name="flag_dismiss"),
    path("comments/<int:pk>/flag/", views.flag_comment, name="flag_comment"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="comment_hide"),
    path("comments/<int:pk>/restore/", views.comment_restore, name="comment_restore"),
    path("comments/<int:pk>/publish/", views.comment_publish, name="comment_publish"),
    path(_PAGE + "flag/", views.flag_page, name="flag_page"),
    path(_PAGE + "hide/", views.page_hide, name="page_hide"),
    path(_PAGE + "restore/", views.page_restore, name="page_restore"),
    path("watched-words/", views.watched_words, name="watched_words"),
    path("watched-words/<int:pk>/remove/", views.watched_word_remove, name="watched_word_remove"),
    path("members/<str:username>/", views.member_sanction, name="member_sanction"),
]
