"""The profile page: people edit their own profile fields, never their role, through one audited service."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import client_for
from coproduce.accounts.models import Role, Sector, User
from coproduce.accounts.services import profile_update
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db

# In the range reserved for testing; valid under modulus 11 (weights 10..2 give 245, 11 - 245 % 11 = 8).
TEST_NHS_NUMBER = "999 000 0018"


def profile_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Meera Patel",
        "organisation": "Northshire Council",
        "sector": Sector.SOCIAL_CARE,
        "job_role": "Social worker",
        "professional_registration": "SWE 12345",
    }
    return {**data, **overrides}


def test_the_profile_page_needs_a_log_in(anonymous: Client) -> None:
    response = anonymous.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_profile_page_shows_the_role_and_links_to_security_settings(member: User) -> None:
    response = client_for(member).get(reverse("accounts:profile"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Member" in body
    for name in ("account_change_password", "account_email", "mfa_index", "usersessions_list"):
        assert f'href="{reverse(name)}"' in body
    assert 'name="role"' not in body


def test_a_member_can_update_their_profile_and_the_change_is_audited(member: User) -> None:
    response = client_for(member).post(reverse("accounts:profile"), profile_data())

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.organisation, member.sector) == (
        "Meera Patel",
        "Northshire Council",
        Sector.SOCIAL_CARE,
    )
    assert (member.job_role, member.professional_registration) == ("Social worker", "SWE 12345")
    entry = AuditEntry.objects.get(action="account.profile_update")
    assert entry.actor == member
    assert entry.before["name"] == "Meera Member"
    assert entry.after["name"] == "Meera Patel"
    assert entry.after["organisation"] == "Northshire Council"
    assert "sector" not in entry.before  # the sector did not change, so it is not listed


def test_saving_an_unchanged_profile_writes_no_audit_entry(member: User) -> None:
    unchanged = profile_data(
        name=member.name,
        organisation=member.organisation,
        sector=member.sector,
        job_role=member.job_role,
        professional_registration=member.professional_registration,
    )

    client_for(member).post(reverse("accounts:profile"), unchanged)

    assert not AuditEntry.objects.filter(action="account.profile_update").exists()


def test_an_nhs_number_in_the_organisation_is_refused_and_the_typed_text_is_kept(member: User) -> None:
    typed = f"Ward 7, patient {TEST_NHS_NUMBER}"

    response = client_for(member).post(reverse("accounts:profile"), profile_data(organisation=typed))

    body = response.content.decode()
    assert response.status_code == 200
    assert "NHS number" in body
    assert "nhsuk-error-summary" in body
    assert typed in body
    assert "Meera Patel" in body  # the other fields are kept too
    member.refresh_from_db()
    assert member.organisation == "Example NHS Trust"
    assert not AuditEntry.objects.filter(action="account.profile_update").exists()


def test_a_missing_name_is_refused_with_a_message(member: User) -> None:
    response = client_for(member).post(reverse("accounts:profile"), profile_data(name=""))

    assert response.status_code == 200
    assert "nhsuk-error-message" in response.content.decode()
    member.refresh_from_db()
    assert member.name == "Meera Member"


def test_the_profile_form_cannot_change_role_staff_status_or_username(member: User) -> None:
    client_for(member).post(
        reverse("accounts:profile"),
        profile_data(role=Role.ADMIN, is_staff="on", is_superuser="on", username="someone-else"),
    )

    member.refresh_from_db()
    assert member.role == Role.MEMBER
    assert not member.is_staff
    assert not member.is_superuser
    assert member.username == "meera"
    assert member.name == "Meera Patel"  # the allowed fields were still saved


def test_the_profile_service_refuses_fields_outside_the_profile(member: User) -> None:
    with pytest.raises(ValidationError):
        profile_update(user=member, actor=member, role=Role.ADMIN)

    member.refresh_from_db()
    assert member.role == Role.MEMBER
