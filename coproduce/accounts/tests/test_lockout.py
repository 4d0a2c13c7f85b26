"""Lockout: repeated failed log-ins lock the account for a while and tell its owner, without ever
telling anyone else whether the account exists or whether a password was right."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, Committed
from coproduce.accounts.adapter import TOO_MANY_LOGIN_ATTEMPTS
from coproduce.accounts.models import User
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db

WRONG_CREDENTIALS = "The username and/or password you specified are not correct."
NEW_PASSWORD = "another-long-passphrase-77"


@pytest.fixture(autouse=True)
def _three_attempts(settings: Any) -> None:
    """Three attempts instead of ten keep the tests quick; allauth's own limit per name is off."""
    settings.LOCKOUT_ATTEMPTS = 3
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": None}


def log_in(login: str, password: str) -> Any:
    return Client().post(reverse("account_login"), {"login": login, "password": password})


def fail(login: str, times: int) -> None:
    for _ in range(times):
        response = log_in(login, "not-the-password")
        assert WRONG_CREDENTIALS in response.content.decode()


def refused_as_too_many(response: Any) -> bool:
    body = response.content.decode()
    return (
        response.status_code == 429
        and TOO_MANY_LOGIN_ATTEMPTS in body
        and WRONG_CREDENTIALS not in body
        and "_auth_user_id" not in response.wsgi_request.session
    )


def test_the_defaults_are_ten_attempts_and_fifteen_minutes() -> None:
    from coproduce import settings as defaults  # the module as read, before this file's fixture

    assert defaults.LOCKOUT_ATTEMPTS == 10
    assert defaults.LOCKOUT_MINUTES == 15


def test_repeated_failed_log_ins_lock_the_account_and_tell_its_owner_once(
    member: User, committed: Committed
) -> None:
    with committed():
        fail(member.username, 3)
    with committed():
        fail_again = log_in(member.username, "still-not-it")

    member.refresh_from_db()
    assert member.is_locked
    assert timedelta(minutes=14) < member.locked_until - timezone.now() <= timedelta(minutes=15)  # type: ignore[operator]
    assert refused_as_too_many(fail_again)
    assert 14 * 60 <= int(fail_again["Retry-After"]) <= 15 * 60
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [member.email]
    assert "locked" in str(notice.subject)
    body = str(notice.body)
    assert "3 times in a row" in body
    assert "reset your password now, which also unlocks your account" in body
    assert reverse("account_reset_password") in body
    entry = AuditEntry.objects.get(action="account.lock")
    assert entry.target_id == str(member.pk)
    assert entry.after["failed_logins"] == 3
    assert "password" not in str(entry.after)


def test_a_locked_account_refuses_the_right_password_with_the_same_answer_as_a_wrong_one(
    member: User,
) -> None:
    fail(member.username, 3)

    right = log_in(member.username, PASSWORD)
    wrong = log_in(member.username, "not-the-password")
    by_email = log_in(member.email, PASSWORD)

    assert refused_as_too_many(right)
    assert refused_as_too_many(wrong)
    assert refused_as_too_many(by_email)
    assert right.content.decode().count(TOO_MANY_LOGIN_ATTEMPTS) == wrong.content.decode().count(
        TOO_MANY_LOGIN_ATTEMPTS
    )
    assert f'value="{member.username}"' in right.content.decode()  # the name typed is kept


def test_a_name_with_no_account_is_refused_the_same_way_after_as_many_attempts(
    member: User, committed: Committed
) -> None:
    with committed():
        fail("nobody-by-this-name", 3)
        unknown = log_in("nobody-by-this-name", "anything")
    assert mail.outbox == []  # nobody to tell
    assert not AuditEntry.objects.filter(action="account.lock").exists()
    fail(member.username, 3)
    known = log_in(member.username, "anything")

    assert refused_as_too_many(unknown)
    assert refused_as_too_many(known)
    assert unknown.content.decode().count(TOO_MANY_LOGIN_ATTEMPTS) == known.content.decode().count(
        TOO_MANY_LOGIN_ATTEMPTS
    )


def test_fewer_failures_than_the_limit_leave_the_account_open(member: User) -> None:
    fail(member.username, 2)

    assert log_in(member.username, PASSWORD).status_code == 302
    member.refresh_from_db()
    assert member.failed_logins == 0
    assert not member.is_locked


def test_a_successful_log_in_starts_the_count_again(member: User) -> None:
    fail(member.username, 2)
    assert log_in(member.username, PASSWORD).status_code == 302

    fail(member.username, 2)

    member.refresh_from_db()
    assert member.failed_logins == 2
    assert not member.is_locked
    assert log_in(member.username, PASSWORD).status_code == 302


def test_the_lock_ends_by_itself_after_the_set_time(member: User) -> None:
    fail(member.username, 3)
    User.objects.filter(pk=member.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert log_in(member.username, PASSWORD).status_code == 302


def test_failed_log_ins_of_one_account_do_not_lock_another(member: User, facilitator: User) -> None:
    fail(member.username, 3)

    assert log_in(facilitator.username, PASSWORD).status_code == 302


def test_resetting_the_password_by_email_unlocks_the_account(member: User, committed: Committed) -> None:
    fail(member.username, 3)
    client = Client()
    with committed():
        client.post(reverse("account_reset_password"), {"email": member.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    form_page = client.get(link.group(1), follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    with committed():
        done = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302, done.content.decode()

    member.refresh_from_db()
    assert not member.is_locked
    assert member.failed_logins == 0
    assert AuditEntry.objects.filter(action="account.unlock", target_id=str(member.pk)).exists()
    assert log_in(member.username, NEW_PASSWORD).status_code == 302
