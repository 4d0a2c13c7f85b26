"""Admins change people's community roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from conftest import client_for
from coproduce.accounts.models import Role, User
from coproduce.communities import services
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_admin_sees_everyone_with_their_role(admin: User, member: User, outsider: User) -> None:
    response = client_for(admin).get("/members/")
    assert response.status_code == 200
    for name in (b"Meera Member", b"Otto Outsider", b"Ada Admin"):
        assert name in response.content
    found = client_for(admin).get("/members/?q=meer")
    assert b"Meera Member" in found.content
    assert b"Otto Outsider" not in found.content


def test_an_admin_makes_a_member_a_facilitator_and_it_is_audited(admin: User, member: User) -> None:
    response = client_for(admin).post(f"/members/{member.pk}/role/", {"role": "facilitator"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == Role.FACILITATOR
    entry = AuditEntry.objects.get(action="member.set_role")
    assert entry.actor == admin
    assert entry.target_id == str(member.pk)
    assert entry.changes == {"role": ("member", "facilitator")}


def test_making_someone_an_admin_gives_them_the_staff_flag_and_taking_it_away_removes_it(
    admin: User, member: User
) -> None:
    services.member_set_role(user=member, role=Role.ADMIN, actor=admin)
    member.refresh_from_db()
    assert (member.role, member.is_staff) == ("admin", True)
    services.member_set_role(user=member, role=Role.MEMBER, actor=admin)
    member.refresh_from_db()
    assert (member.role, member.is_staff) == ("member", False)
    first, second = AuditEntry.objects.filter(action="member.set_role").order_by("id")
    assert first.changes == {"role": ("member", "admin"), "is_staff": (False, True)}
    assert second.changes == {"role": ("admin", "member"), "is_staff": (True, False)}


def test_the_last_admin_cannot_stop_being_an_admin(admin: User) -> None:
    response = client_for(admin).post(f"/members/{admin.pk}/role/", {"role": "member"})
    assert response.status_code == 200
    assert b"This is the last community admin." in response.content
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN
    assert not AuditEntry.objects.exists()


def test_an_admin_can_step_down_when_there_is_another_admin(admin: User, member: User) -> None:
    services.member_set_role(user=member, role=Role.ADMIN, actor=admin)
    services.member_set_role(user=admin, role=Role.MEMBER, actor=admin)
    admin.refresh_from_db()
    assert admin.role == Role.MEMBER
    with pytest.raises(ValidationError):
        services.member_set_role(user=member, role=Role.MEMBER, actor=member)


def test_an_unknown_role_is_refused(admin: User, member: User) -> None:
    response = client_for(admin).post(f"/members/{member.pk}/role/", {"role": "overlord"})
    assert response.status_code == 200
    assert b"Choose a role from the list." in response.content
    with pytest.raises(ValidationError):
        services.member_set_role(user=member, role="overlord", actor=admin)
    member.refresh_from_db()
    assert member.role == Role.MEMBER


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "outsider"])
def test_people_who_are_not_admins_cannot_change_roles(
    persona: str, request: pytest.FixtureRequest, member: User
) -> None:
    user: User = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get("/members/").status_code == 403
    assert client.post(f"/members/{user.pk}/role/", {"role": "admin"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.member_set_role(user=user, role=Role.ADMIN, actor=user)
    user.refresh_from_db()
    assert user.role != Role.ADMIN


def test_anonymous_visitors_are_sent_to_log_in_from_members(anonymous: Client, member: User) -> None:
    response = anonymous.get("/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert anonymous.post(f"/members/{member.pk}/role/", {"role": "admin"}).status_code == 302
    member.refresh_from_db()
    assert member.role == Role.MEMBER
