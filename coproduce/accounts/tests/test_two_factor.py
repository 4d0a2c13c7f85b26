"""TOTP second factor: activate it with a code from the secret, then log-in asks for a code."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from coproduce.accounts.models import User
from coproduce.accounts.tests.html import page_problems

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


def logged_in(user: User) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def confirm_password(client: Client) -> None:
    """allauth asks for the password again before security settings change."""
    page = client.get(reverse("mfa_activate_totp"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert "nhsuk-input" in page.content.decode()
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def activate_totp(client: Client) -> str:
    confirm_password(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = str(client.session[SECRET_SESSION_KEY])
    assert secret in page.content.decode()  # shown so that it can be typed into an app
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret


def test_a_member_can_activate_an_authenticator_app_with_a_code_from_the_secret(member: User) -> None:
    activate_totp(logged_in(member))

    assert Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()


def test_a_wrong_code_does_not_activate_the_authenticator(member: User) -> None:
    client = logged_in(member)
    confirm_password(client)
    client.get(reverse("mfa_activate_totp"))

    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})

    assert response.status_code == 200
    assert "nhsuk-error-message" in response.content.decode()
    assert not Authenticator.objects.filter(user=member).exists()


def test_after_activation_logging_in_asks_for_a_code_and_accepts_a_valid_one(member: User) -> None:
    secret = activate_totp(logged_in(member))
    cache.clear()  # a code may be used only once; the next step uses the same time window
    client = Client()

    response = client.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("accounts:profile")).status_code == 302  # not logged in yet
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert "nhsuk-input" in page.content.decode()

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_after_activation_a_wrong_code_does_not_log_in(member: User) -> None:
    activate_totp(logged_in(member))
    client = Client()
    client.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})

    response = client.post(reverse("mfa_authenticate"), {"code": "123456"})

    assert response.status_code == 200
    assert "nhsuk-error-summary" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_the_two_factor_pages_render_cleanly_once_an_authenticator_is_active(member: User) -> None:
    client = logged_in(member)
    activate_totp(client)

    for name in ("mfa_index", "mfa_view_recovery_codes", "mfa_deactivate_totp"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert page_problems(response) == [], name
    stage = Client()
    stage.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})
    response = stage.get(reverse("mfa_authenticate"))
    assert response.status_code == 200
    assert page_problems(response) == []
