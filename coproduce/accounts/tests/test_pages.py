"""Every account page renders in the NHS.UK look and passes the checks axe would make on its markup."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from coproduce.accounts.models import User
from coproduce.accounts.services import token_create
from coproduce.accounts.tests.html import page_problems

pytestmark = pytest.mark.django_db

FORM_CLASSES = ("nhsuk-form-group", "nhsuk-label", "nhsuk-input", "nhsuk-button")


def signed_in(user: User, *, confirm_password: bool = False) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    if confirm_password:
        assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_the_entrance_pages_render_with_nhs_form_markup(anonymous: Client, name: str) -> None:
    response = anonymous.get(reverse(name))

    body = response.content.decode()
    assert response.status_code == 200
    for css_class in FORM_CLASSES:
        assert css_class in body, css_class
    assert page_problems(response) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("account_login", {"login": "", "password": ""}),
        ("account_signup", {"email": "not-an-address", "username": "", "password1": "a", "password2": "b"}),
        ("account_reset_password", {"email": "nope"}),
    ],
)
def test_invalid_entries_show_an_error_summary_and_messages_by_the_fields(
    anonymous: Client, name: str, data: dict[str, str]
) -> None:
    response = anonymous.post(reverse(name), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in body
    assert "nhsuk-error-message" in body
    assert page_problems(response) == []


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("account_email_verification_sent", {}),
        ("account_reset_password_done", {}),
        ("account_reset_password_from_key", {"uidb36": "zz", "key": "bad-key"}),
        ("account_confirm_email", {"key": "not-a-real-key"}),
    ],
)
def test_the_other_entrance_pages_render_cleanly(
    anonymous: Client, name: str, kwargs: dict[str, str]
) -> None:
    response = anonymous.get(reverse(name, kwargs=kwargs), follow=True)

    assert response.status_code == 200
    assert page_problems(response) == []


@pytest.mark.parametrize(
    "name",
    [
        "accounts:profile",
        "account_change_password",
        "account_email",
        "account_logout",
        "account_reauthenticate",
        "mfa_index",
        "usersessions_list",
    ],
)
def test_the_account_management_pages_render_cleanly(member: User, name: str) -> None:
    response = signed_in(member).get(reverse(name))

    assert response.status_code == 200
    assert page_problems(response) == []


@pytest.mark.parametrize("name", ["mfa_activate_totp", "mfa_generate_recovery_codes"])
def test_the_two_factor_set_up_pages_render_cleanly(member: User, name: str) -> None:
    response = signed_in(member, confirm_password=True).get(reverse(name))

    assert response.status_code == 200
    assert "nhsuk-button" in response.content.decode()
    assert page_problems(response) == []


def test_the_new_token_page_renders_cleanly(member: User) -> None:
    token_create(user=member, name="Existing", actor=member)

    response = signed_in(member).post(reverse("accounts:token_create"), {"token-name": "Another"})

    assert response.status_code == 200
    assert page_problems(response) == []


def test_the_profile_page_with_tokens_and_errors_renders_cleanly(member: User) -> None:
    token_create(user=member, name="Existing", actor=member)

    response = signed_in(member).post(reverse("accounts:profile"), {"name": ""})

    assert response.status_code == 200
    assert page_problems(response) == []


def test_the_log_in_and_sign_up_forms_have_plain_labels_and_no_placeholders(
    anonymous: Client, settings: pytest.FixtureRequest
) -> None:
    settings.ACCOUNT_FORMS = {  # type: ignore[attr-defined]
        "login": "coproduce.accounts.forms.LoginForm",
        "signup": "coproduce.accounts.forms.SignupForm",
    }

    login = anonymous.get(reverse("account_login")).content.decode()
    signup = anonymous.get(reverse("account_signup")).content.decode()

    assert ">Username or e-mail address<" in login
    assert ">E-mail address<" in signup
    assert ">Confirm your password<" in signup
    assert "placeholder=" not in login.split('id="maincontent"')[1]
    assert "placeholder=" not in signup.split('id="maincontent"')[1]
