"""Sign up, e-mail verification, log in and out, with allauth behind the NHS.UK pages."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from coproduce.accounts.models import Role, User
from coproduce.accounts.tests.html import page_problems
from coproduce.communities.models import AllowedDomain
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db

WRONG_CREDENTIALS = "The username and/or password you specified are not correct."


def sign_up(client: Client, *, username: str = "newcomer", email: str = "newcomer@example.org") -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": email, "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("account_email_verification_sent")


def confirmation_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def test_signing_up_sends_a_verification_email_whose_link_lets_the_person_log_in(anonymous: Client) -> None:
    sign_up(anonymous)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newcomer@example.org"]
    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL
    assert str(mail.outbox[0].body).startswith(f"Hello from {settings.SITE_NAME}.")
    link = confirmation_link(mail.outbox[0])
    confirm_page = anonymous.get(link)
    assert confirm_page.status_code == 200
    assert page_problems(confirm_page) == []
    anonymous.post(link)
    assert EmailAddress.objects.get(email="newcomer@example.org").verified

    client = Client()
    response = client.post(reverse("account_login"), {"login": "newcomer", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_an_unverified_account_cannot_log_in_until_the_address_is_confirmed(anonymous: Client) -> None:
    sign_up(anonymous)
    client = Client()

    response = client.post(reverse("account_login"), {"login": "newcomer", "password": PASSWORD})

    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_signing_up_is_recorded_in_the_audit_log_without_making_anyone_a_member(anonymous: Client) -> None:
    sign_up(anonymous)

    user = User.objects.get(username="newcomer")
    entry = AuditEntry.objects.get(action="account.signup")
    assert entry.actor == user
    assert entry.target_id == str(user.pk)
    assert user.role == Role.NONE


def test_confirming_an_address_at_an_allowed_domain_makes_the_person_a_member(anonymous: Client) -> None:
    AllowedDomain.objects.create(domain="nhs.example")
    sign_up(anonymous, username="nurse", email="nurse@nhs.example")

    anonymous.post(confirmation_link(mail.outbox[0]))

    assert User.objects.get(username="nurse").role == Role.MEMBER


def test_confirming_an_address_elsewhere_leaves_the_person_waiting_for_approval(anonymous: Client) -> None:
    AllowedDomain.objects.create(domain="nhs.example")
    sign_up(anonymous)

    anonymous.post(confirmation_link(mail.outbox[0]))

    assert User.objects.get(username="newcomer").role == Role.NONE


def test_a_new_password_is_stored_with_argon2(anonymous: Client) -> None:
    sign_up(anonymous)

    assert User.objects.get(username="newcomer").password.startswith("argon2")


def test_logging_in_by_email_address_works(member: User) -> None:
    response = Client().post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(member: User) -> None:
    login = reverse("account_login")
    wrong_password = Client().post(login, {"login": member.username, "password": "nope-nope"})
    no_such_account = Client().post(login, {"login": "nobody-here", "password": "nope-nope"})

    for response in (wrong_password, no_such_account):
        assert response.status_code == 200
        assert WRONG_CREDENTIALS in response.content.decode()
        assert "nhsuk-error-summary" in response.content.decode()
        assert "_auth_user_id" not in response.wsgi_request.session
    assert "nobody-here" in no_such_account.content.decode()  # what was typed stays in the form


def test_many_log_in_attempts_from_one_address_are_refused_with_429(anonymous: Client) -> None:
    statuses = [
        anonymous.post(reverse("account_login"), {"login": f"guess{n}", "password": "x"}).status_code
        for n in range(31)
    ]

    assert statuses[0] == 200
    assert statuses[-1] == 429


def test_logging_out_asks_first_and_then_ends_the_session(member: User) -> None:
    client = Client()
    client.post(reverse("account_login"), {"login": member.username, "password": PASSWORD})

    assert client.get(reverse("account_logout")).status_code == 200
    client.post(reverse("account_logout"))

    assert client.get(reverse("accounts:profile")).status_code == 302


def test_a_username_holding_an_nhs_number_is_refused_and_the_rest_is_kept(anonymous: Client) -> None:
    response = anonymous.post(
        reverse("account_signup"),
        {"email": "kept@example.org", "username": "9990000018", "password1": PASSWORD, "password2": PASSWORD},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "patient-identifiable data" in body
    assert "kept@example.org" in body
    assert not User.objects.filter(username="9990000018").exists()
