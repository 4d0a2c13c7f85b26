"""Every account page a person meets passes axe in a real browser, including error states and 2FA."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from coproduce.accounts.models import User
from coproduce.accounts.services import token_create
from tests.browser.conftest import AxeCheck

pytestmark = pytest.mark.browser


def log_in_with_the_form(page: Page, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or e-mail address").fill(user.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_pages_before_signing_in_are_accessible_also_with_errors(page: Page, axe_check: AxeCheck) -> None:
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    axe_check(page)
    page.goto("/accounts/signup/")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    axe_check(page)


def test_the_account_pages_of_a_member_are_accessible(page: Page, axe_check: AxeCheck, member: User) -> None:
    token_create(user=member, name="Laptop", actor=member)
    log_in_with_the_form(page, member)
    for path in [
        "/accounts/profile/",
        "/accounts/password/change/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/accounts/sessions/",
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        axe_check(page)


def test_a_refused_profile_keeps_what_was_typed_and_explains_why(
    page: Page, axe_check: AxeCheck, member: User
) -> None:
    log_in_with_the_form(page, member)
    page.goto("/accounts/profile/")
    page.get_by_label("Organisation (optional)").fill("Ward 999 000 0018")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("NHS number")
    expect(page.get_by_label("Organisation (optional)")).to_have_value("Ward 999 000 0018")
    axe_check(page)
    member.refresh_from_db()
    assert member.organisation == "Example NHS Trust"


def test_a_new_token_is_shown_once_on_an_accessible_page(
    page: Page, axe_check: AxeCheck, member: User
) -> None:
    log_in_with_the_form(page, member)
    page.goto("/accounts/profile/")
    page.get_by_label("Token name").fill("Script")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("cp_", exact=False).first).to_be_visible()
    axe_check(page)


def test_turning_on_two_factor_authentication_is_accessible(
    page: Page, axe_check: AxeCheck, member: User
) -> None:
    log_in_with_the_form(page, member)
    page.goto("/accounts/2fa/totp/activate/")
    if page.get_by_label("Password").count():  # allauth asks for the password again first
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    axe_check(page)
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(
        format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    )
    page.get_by_role("button", name="Activate").click()
    axe_check(page)
    assert member.authenticator_set.filter(type="totp").exists()  # type: ignore[attr-defined]
    for path in ["/accounts/2fa/", "/accounts/2fa/recovery-codes/", "/accounts/2fa/totp/deactivate/"]:
        page.goto(path)
        axe_check(page)
