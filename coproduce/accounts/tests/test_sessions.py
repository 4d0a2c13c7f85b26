"""Sessions: a password change ends the other sessions; deactivated, deleted, erased and suspended
members are logged out at once (a suspended member may log in again to read)."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, client_for
from coproduce.accounts import services
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance.models import AuditEntry
from coproduce.governance.moderation import member_suspend

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-77"


def logged_in(user: User) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def is_logged_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(member: User) -> None:
    here, elsewhere = logged_in(member), logged_in(member)
    elsewhere_key = elsewhere.session.session_key
    assert is_logged_in(here)
    assert is_logged_in(elsewhere)

    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content.decode()
    assert is_logged_in(here)
    assert not Session.objects.filter(session_key=elsewhere_key).exists()  # ended, not merely stale
    assert not is_logged_in(elsewhere)
    assert UserSession.objects.filter(user=member).count() <= 1
    assert AuditEntry.objects.filter(action="account.password_change", target_id=str(member.pk)).exists()


def test_changing_the_password_leaves_other_peoples_sessions_alone(member: User, facilitator: User) -> None:
    mine, theirs = logged_in(member), logged_in(facilitator)

    mine.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert is_logged_in(theirs)


def test_ending_sessions_ends_every_session_of_the_member_but_the_one_kept(member: User) -> None:
    first, second, third = logged_in(member), logged_in(member), logged_in(member)

    ended = services.sessions_end(user=member, keep=first.session.session_key)

    assert ended == 2
    assert is_logged_in(first)
    assert not is_logged_in(second)
    assert not is_logged_in(third)


def test_a_deactivated_member_is_logged_out_at_once(member: User) -> None:
    client = client_for(member)
    assert is_logged_in(client)

    User.objects.filter(pk=member.pk).update(is_active=False)

    assert not is_logged_in(client)


def test_a_deleted_member_is_logged_out_at_once(member: User) -> None:
    client = client_for(member)
    assert is_logged_in(client)

    member.delete()

    assert not is_logged_in(client)


def test_an_erased_member_is_logged_out_at_once_even_if_still_marked_active(member: User) -> None:
    client = client_for(member)
    assert is_logged_in(client)

    User.objects.filter(pk=member.pk).update(erased_at=timezone.now())

    assert not is_logged_in(client)
    assert not is_logged_in(client)  # the session itself was ended, not just this request


def test_suspending_a_member_ends_their_sessions_and_they_log_in_again_to_read(
    member: User, moderator: User, members_space: Space
) -> None:
    client = logged_in(member)
    assert is_logged_in(client)

    member_suspend(member=member, actor=moderator, reason="Posted a patient's details.", days=7)

    assert not is_logged_in(client)
    again = logged_in(member)
    assert is_logged_in(again)
    assert again.get(reverse("communities:space", args=[members_space.slug])).status_code == 200
