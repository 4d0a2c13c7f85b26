"""Password reset and change: the same answer for unknown addresses, and an audit entry for each change."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, client_for
from coproduce.accounts.models import User
from coproduce.accounts.tests.html import page_problems
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-77"
RESET_LINK = re.compile(r"https?://testserver(/accounts/password/reset/key/[^\s]+/)")


def test_a_reset_request_for_a_known_address_sends_a_reset_link(anonymous: Client, member: User) -> None:
    response = anonymous.post(reverse("account_reset_password"), {"email": member.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert RESET_LINK.search(str(mail.outbox[0].body))


def test_a_reset_request_for_an_unknown_address_gets_the_same_answer_and_no_link(
    anonymous: Client, member: User
) -> None:
    known = Client().post(reverse("account_reset_password"), {"email": member.email})
    mail.outbox.clear()

    unknown = anonymous.post(reverse("account_reset_password"), {"email": "stranger@example.org"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert not any(RESET_LINK.search(str(message.body)) for message in mail.outbox)
    done = anonymous.get(unknown["Location"])
    assert done.status_code == 200
    assert "stranger@example.org" not in done.content.decode()


def test_following_the_reset_link_sets_a_new_password_and_is_audited(anonymous: Client, member: User) -> None:
    anonymous.post(reverse("account_reset_password"), {"email": member.email})
    match = RESET_LINK.search(str(mail.outbox[0].body))
    assert match

    form_page = anonymous.get(match.group(1), follow=True)
    assert form_page.status_code == 200
    assert page_problems(form_page) == []
    set_password_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else match.group(1)
    response = anonymous.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert page_problems(anonymous.get(response["Location"])) == []
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert member.password.startswith("argon2")
    assert AuditEntry.objects.filter(action="account.password_reset", target_id=str(member.pk)).exists()


def test_changing_a_password_is_audited_without_recording_the_password(member: User) -> None:
    client = client_for(member)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="account.password_change")
    assert (entry.actor, entry.target_id) == (member, str(member.pk))
    assert NEW_PASSWORD not in str(entry.before) + str(entry.after)


def test_a_wrong_current_password_is_refused_with_a_message_by_the_field(member: User) -> None:
    response = client_for(member).post(
        reverse("account_change_password"),
        {"oldpassword": "not-it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "nhsuk-error-summary" in body
    assert "nhsuk-error-message" in body
    assert not AuditEntry.objects.filter(action="account.password_change").exists()
