from django.urls import path

from coproduce.governance import views

app_name = "governance"
urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
]
