"""Strong sign-in for strong roles: moderators and admins must set up an authenticator app
(COPRODUCE_REQUIRE_MFA_FOR_STAFF, on by default; the test settings switch it off for other tests)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from conftest import client_for
from coproduce.accounts import services
from coproduce.accounts.models import User
from coproduce.accounts.tests.test_two_factor import activate_totp, logged_in

pytestmark = pytest.mark.django_db

SET_UP = reverse("accounts:second_factor_required")


@pytest.fixture(autouse=True)
def _required(settings: Any) -> None:
    settings.REQUIRE_MFA_FOR_STAFF = True


def with_authenticator(user: User) -> User:
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.mark.parametrize("persona", ["moderator", "admin"])
def test_a_moderator_or_admin_without_a_second_factor_is_sent_to_set_one_up(
    persona: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(persona))

    for path in (reverse("core:home"), reverse("accounts:profile"), reverse("governance:moderation")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SET_UP
    page = client.get(SET_UP)
    body = page.content.decode()
    assert page.status_code == 200
    assert "must use a second factor" in body
    assert reverse("mfa_activate_totp") in body


def test_the_set_up_pages_and_logging_out_stay_open_to_them(moderator: User) -> None:
    client = client_for(moderator)

    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("account_reauthenticate")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302  # logged out


def test_a_moderator_can_set_up_an_authenticator_app_and_then_use_the_site(moderator: User) -> None:
    client = logged_in(moderator)
    assert client.get(reverse("core:home"))["Location"] == SET_UP

    activate_totp(client)
    cache.clear()

    assert client.get(reverse("core:home")).status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_a_moderator_with_an_authenticator_is_not_stopped(moderator: User) -> None:
    client = client_for(with_authenticator(moderator))

    assert client.get(reverse("accounts:profile")).status_code == 200


def test_members_and_facilitators_are_not_asked_for_a_second_factor(member: User, facilitator: User) -> None:
    assert client_for(member).get(reverse("accounts:profile")).status_code == 200
    assert client_for(facilitator).get(reverse("accounts:profile")).status_code == 200


def test_with_the_rule_switched_off_staff_are_not_stopped(settings: Any, moderator: User) -> None:
    settings.REQUIRE_MFA_FOR_STAFF = False

    assert client_for(moderator).get(reverse("accounts:profile")).status_code == 200


def test_the_api_refuses_a_session_of_a_moderator_without_a_second_factor(moderator: User) -> None:
    response = client_for(moderator).get("/api/v1/me")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"


def test_the_api_refuses_a_token_of_a_moderator_without_a_second_factor(
    moderator: User, member: User
) -> None:
    _, staff_token = services.token_create(user=moderator, name="script", actor=moderator)
    _, member_token = services.token_create(user=member, name="script", actor=member)

    refused = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {staff_token}")
    allowed = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {member_token}")
    with_authenticator(moderator)
    later = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {staff_token}")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "second_factor_required"
    assert "second factor" in refused.json()["error"]["message"]
    assert allowed.status_code == 200
    assert later.status_code == 200
