from django.urls import path

from coproduce.accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("second-factor/", views.second_factor_required, name="second_factor_required"),
    # Before allauth's own (coproduce/urls.py includes these first): the same pages, answering
    # too many attempts with 429 and the form as typed. reverse("account_login") still names them.
    path("login/", views.login, name="login"),
    path("signup/", views.signup, name="signup"),
    path("password/reset/", views.password_reset, name="password_reset"),
]
