from django.urls import path

from coproduce.communities import conduct_views, views

app_name = "communities"
urlpatterns = [
    path("conduct/", conduct_views.conduct_page, name="conduct"),
    path("conduct/publish/", conduct_views.conduct_publish, name="conduct_publish"),
    path("apply/", views.apply, name="apply"),
    path("apply/thanks/", views.apply_thanks, name="apply_thanks"),
    path("applications/", views.applications, name="applications"),
    path("applications/bulk/", views.applications_bulk, name="applications_bulk"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/approve/", views.application_decide, {"decision": "approve"}, name="approve"),
    path("applications/<int:pk>/reject/", views.application_decide, {"decision": "reject"}, name="reject"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("join/<str:token>/", views.join, name="join"),
    path("allowed-domains/", views.allowed_domains, name="allowed_domains"),
    path("allowed-domains/<int:pk>/remove/", views.allowed_domain_remove, name="allowed_domain_remove"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("spaces/", views.space_list, name="spaces"),
    path("spaces/new/", views.space_create, name="space_create"),
    path("spaces/<slug:slug>/", views.space_detail, name="space"),
    path("spaces/<slug:slug>/settings/", views.space_settings, name="space_settings"),
    path("spaces/<slug:slug>/members/", views.space_members, name="space_members"),
    path(
        "spaces/<slug:slug>/members/<int:user_id>/remove/",
        views.space_member_remove,
        name="space_member_remove",
    ),
]
