"""Inviting people by e-mail, and accepting an invitation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from conftest import Committed, client_for
from coproduce.accounts.models import User, hash_token
from coproduce.communities import services
from coproduce.communities.models import Invitation
from coproduce.communities.tests.helpers import TEST_NHS_NUMBER
from coproduce.governance.models import AuditEntry
from coproduce.lib.errors import Conflict

pytestmark = pytest.mark.django_db

NEWCOMER = {"name": "Sam Newcomer", "username": "sam", "password1": "a-long-new-passphrase-93"}
NEWCOMER["password2"] = NEWCOMER["password1"]


def invite(admin: User, email: str = "sam@example.org", role: str = "facilitator") -> str:
    """Invite, then send the e-mail as the task would; the link's token."""
    invitation = services.invitation_create(email=email, role=role, actor=admin)
    token = services.invitation_send(invitation_id=invitation.pk)
    assert token is not None
    return token


def test_an_admin_invites_someone_who_is_e_mailed_a_link(admin: User, committed: Committed) -> None:
    with committed():
        response = client_for(admin).post(
            "/invitations/", {"email": "sam@example.org", "role": "facilitator"}
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "sam@example.org",
        "facilitator",
        admin,
    )
    assert timedelta(days=27, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=28)
    [message] = mail.outbox
    assert message.to == ["sam@example.org"]
    assert "facilitator" in message.body
    token = re.search(r"/join/([\w-]+)/", str(message.body))
    assert token is not None
    assert invitation.digest == hash_token(token.group(1))
    assert token.group(1) not in invitation.digest
    entry = AuditEntry.objects.get(action="invitation.create")
    assert entry.actor == admin
    assert entry.after["role"] == "facilitator"
    listing = client_for(admin).get("/invitations/")
    assert b"sam@example.org" in listing.content


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "outsider"])
def test_people_who_are_not_admins_cannot_invite(persona: str, request: pytest.FixtureRequest) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/invitations/").status_code == 403
    assert client.post("/invitations/", {"email": "sam@example.org", "role": "member"}).status_code == 403
    assert not Invitation.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in_from_invitations(anonymous: Client) -> None:
    response = anonymous.get("/invitations/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "role": "member"}, "Enter the e-mail address to invite."),
        ({"email": "nope", "role": "member"}, "Enter an e-mail address in the correct format"),
        ({"email": "sam@example.org", "role": "admin"}, "Select a valid choice."),
        ({"email": "meera@example.nhs.uk", "role": "member"}, "already has an account"),
    ],
)
def test_a_bad_invitation_is_refused_with_the_e_mail_kept(
    admin: User, member: User, data: dict[str, str], message: str
) -> None:
    response = client_for(admin).post("/invitations/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    if data["email"]:
        assert data["email"] in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_second_open_invitation_for_the_same_address_is_refused(admin: User) -> None:
    invite(admin)
    with pytest.raises(ValidationError) as caught:
        invite(admin, email="SAM@example.org")
    assert "open invitation" in caught.value.message_dict["email"][0]


def test_the_invited_person_creates_their_account_and_is_logged_in(admin: User, anonymous: Client) -> None:
    token = invite(admin)
    form = anonymous.get(f"/join/{token}/")
    assert form.status_code == 200
    assert b"sam@example.org" in form.content
    response = anonymous.post(f"/join/{token}/", NEWCOMER)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="sam")
    assert (user.name, user.email, user.role, user.is_staff) == (
        "Sam Newcomer",
        "sam@example.org",
        "facilitator",
        False,
    )
    assert user.check_password(NEWCOMER["password1"])
    assert EmailAddress.objects.filter(user=user, email="sam@example.org", verified=True).exists()
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    entry = AuditEntry.objects.get(action="invitation.accept")
    assert entry.actor == user
    assert entry.changes["accepted"] == (False, True)
    assert anonymous.get("/").wsgi_request.user == user


def test_an_invitation_works_only_once(admin: User, anonymous: Client) -> None:
    token = invite(admin)
    anonymous.post(f"/join/{token}/", NEWCOMER)
    again = Client().post(f"/join/{token}/", {**NEWCOMER, "username": "sam2"})
    assert again.status_code == 410
    assert b"already been used" in again.content
    assert Client().get(f"/join/{token}/").status_code == 410
    assert User.objects.filter(email="sam@example.org").count() == 1


def test_an_expired_invitation_shows_a_clear_page(admin: User, anonymous: Client) -> None:
    token = invite(admin)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = anonymous.get(f"/join/{token}/")
    assert response.status_code == 410
    assert b"This invitation has expired." in response.content
    assert anonymous.post(f"/join/{token}/", NEWCOMER).status_code == 410
    assert not User.objects.filter(username="sam").exists()


def test_an_unknown_invitation_link_is_404_with_a_message(anonymous: Client) -> None:
    response = anonymous.get("/join/not-a-real-token/")
    assert response.status_code == 404
    assert b"This invitation link is not valid." in response.content


def test_a_withdrawn_invitation_cannot_be_used(admin: User, anonymous: Client) -> None:
    token = invite(admin)
    invitation = Invitation.objects.get()
    response = client_for(admin).post(f"/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEntry.objects.filter(action="invitation.revoke", actor=admin).exists()
    assert anonymous.get(f"/join/{token}/").status_code == 410
    with pytest.raises(Conflict):
        services.invitation_revoke(invitation=invitation, actor=admin)


def test_only_admins_withdraw_invitations(admin: User, member: User) -> None:
    invite(admin)
    invitation = Invitation.objects.get()
    assert client_for(member).post(f"/invitations/{invitation.pk}/revoke/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.invitation_revoke(invitation=invitation, actor=member)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter your full name."),
        ({"username": "has spaces"}, "Enter a valid username."),
        ({"username": "meera"}, "That username is taken."),
        ({"password2": "something-else-entirely"}, "The two passwords are different."),
        ({"password1": "short", "password2": "short"}, "This password is too short."),
        ({"name": f"Sam {TEST_NHS_NUMBER}"}, "NHS number"),
    ],
)
def test_accepting_with_bad_details_keeps_the_invitation_and_what_was_typed(
    admin: User, member: User, anonymous: Client, changes: dict[str, str], message: str
) -> None:
    token = invite(admin)
    data = {**NEWCOMER, **changes}
    response = anonymous.post(f"/join/{token}/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert data["username"] in page
    assert not User.objects.filter(email="sam@example.org").exists()
    assert Invitation.objects.get().accepted_at is None


def test_no_usable_invitation_token_is_stored_anywhere(
    admin: User, committed: Committed, settings: pytest.FixtureRequest
) -> None:
    from django_tasks_db.models import DBTaskResult

    from coproduce.communities.tasks import send_invitation

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # type: ignore[attr-defined]
    with committed():
        client_for(admin).post("/invitations/", {"email": "sam@example.org", "role": "member"})
    [queued] = DBTaskResult.objects.all()
    assert mail.outbox == []
    assert queued.args_kwargs == {"args": [Invitation.objects.get().pk], "kwargs": {}}
    send_invitation.call(*queued.args_kwargs["args"])  # what the worker does with the queued row
    [message] = mail.outbox
    token = re.search(r"/join/([\w-]+)/", str(message.body))
    assert token is not None
    assert Invitation.objects.get().digest == hash_token(token.group(1))
    stored = " ".join(str(row.args_kwargs) for row in DBTaskResult.objects.all())
    assert token.group(1) not in stored


def test_sending_again_replaces_the_earlier_link(admin: User) -> None:
    first = invite(admin)
    second = services.invitation_send(invitation_id=Invitation.objects.get().pk)
    assert second is not None
    assert second != first
    assert Client().get(f"/join/{first}/").status_code == 404
    assert Client().get(f"/join/{second}/").status_code == 200
