from django.urls import URLPattern, URLResolver, path

from coproduce.governance import policy_views, redaction_views, rights_views, views

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
    path("spaces/<slug:space_slug>/guard/", policy_views.guard_policy, name="guard_policy"),
    # Data rights (export, erasure, retention)
    path("my-data/export/", rights_views.my_export, name="my_export"),
    path("members/<int:pk>/erase/", rights_views.member_erase, name="member_erase"),
    path("spaces/<slug:space_slug>/retention/", rights_views.space_retention, name="space_retention"),
    # Redaction of guard findings (moderators)
    path("redact/revisions/<int:pk>/", redaction_views.revision_redact, name="revision_redact"),
    path("redact/comments/<int:pk>/", redaction_views.comment_redact, name="comment_redact"),
]
