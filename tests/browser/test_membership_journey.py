"""An applicant applies, an admin approves, the applicant sets a password, logs in, reads the masterclass."""

from __future__ import annotations

import email
import email.message
import email.policy
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from coproduce.accounts.models import User
from coproduce.communities.models import Application, Space
from tests.browser.conftest import AxeCheck, LogIn

pytestmark = pytest.mark.browser

NEW_PASSWORD = "care-homes-online-2008"


def mailed_link(mail_dir: Path, recipient: str, pattern: str) -> str:
    """The first link like `pattern` in the plain-text parts of e-mails to `recipient` written to files."""
    separator = "-" * 79
    messages = [
        email.message_from_string(chunk.strip() + "\n", policy=email.policy.default)
        for path in sorted(mail_dir.glob("*.log"))
        for chunk in path.read_text().split(separator)
        if chunk.strip()
    ]
    sent_to = [m for m in messages if recipient in str(m["To"])]
    assert sent_to, f"no e-mail to {recipient} in {mail_dir}"
    bodies = []
    for message in sent_to:
        part = message.get_body(preferencelist=("plain",))
        assert isinstance(part, email.message.EmailMessage)
        bodies.append(part.get_content())
    links = re.findall(pattern, "\n".join(bodies))
    assert links, f"no link like {pattern} in the e-mails to {recipient}"
    return str(links[0])


def test_an_applicant_is_approved_logs_in_and_sees_the_members_space(
    page: Page,
    site: str,
    settings: Settings,
    tmp_path: Path,
    axe_check: AxeCheck,
    log_in: LogIn,
    admin: User,
    members_space: Space,
    private_space: Space,
) -> None:
    mail_dir = tmp_path / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(mail_dir)},
        }
    }
    settings.SITE_URL = site

    # 1. Apply, as an anonymous visitor, from the home page.
    page.goto("/")
    axe_check(page)
    page.get_by_role("button", name="Apply for membership").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Apply")
    axe_check(page)
    page.get_by_label("Full name").fill("Chris Taylor")
    page.get_by_label("E-mail address").fill("chris.taylor@example.gov.uk")
    page.get_by_label("Organisation").fill("Eastgate County Council")
    page.get_by_label("Social care").check()
    page.get_by_label("Job role").fill("Digital inclusion officer")
    page.get_by_label("Why would you like to join?").fill("I help care homes adopt online tools.")
    page.get_by_role("button", name=re.compile("Send|Apply|Submit", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("thank|received|sent", re.I))
    axe_check(page)
    application = Application.objects.get(email="chris.taylor@example.gov.uk")
    assert application.status == Application.Status.PENDING

    # 2. An admin approves it from the review queue.
    log_in(page, admin)
    page.goto("/applications/")
    axe_check(page)
    page.get_by_role("link", name="Chris Taylor").click()
    axe_check(page)
    page.get_by_role("button", name="Approve", exact=True).click()
    axe_check(page)
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    page.context.clear_cookies()

    # 3. The applicant follows the link in the approval e-mail and chooses a password.
    link = mailed_link(mail_dir, "chris.taylor@example.gov.uk", r"http://\S+/accounts/password/reset/key/\S+")
    page.goto(link)
    axe_check(page)
    page.get_by_label(re.compile(r"^New password$", re.I)).fill(NEW_PASSWORD)
    page.get_by_label(re.compile(r"^New password \(again\)$", re.I)).fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("password", re.I)).click()
    axe_check(page)

    # 4. The applicant logs in with the real form and sees the members' space, not the private one.
    page.goto("/accounts/login/")
    axe_check(page)
    username = User.objects.get(email="chris.taylor@example.gov.uk").username
    page.get_by_label(re.compile("Username or e-mail", re.I)).fill(username)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page.get_by_role("button", name=re.compile("Log out", re.I))).to_be_visible()
    page.goto("/")
    axe_check(page)
    expect(page.get_by_role("link", name="Masterclass")).to_be_visible()
    expect(page.get_by_role("link", name="Steering group")).to_have_count(0)
    page.get_by_role("link", name="Masterclass").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Masterclass")
    axe_check(page)
