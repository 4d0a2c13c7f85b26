"""The e-mail-domain allow-list: admins keep it; people at those domains become members at once."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.test import Client

from conftest import client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities import services
from coproduce.communities.models import AllowedDomain
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_domain_which_is_stored_in_lowercase_and_audited(admin: User) -> None:
    response = client_for(admin).post("/allowed-domains/", {"domain": " NHS.net "})
    assert response.status_code == 302
    assert list(AllowedDomain.objects.values_list("domain", flat=True)) == ["nhs.net"]
    entry = AuditEntry.objects.get(action="allowed_domain.add")
    assert (entry.actor, entry.after) == (admin, {"domain": "nhs.net"})
    assert b"nhs.net" in client_for(admin).get("/allowed-domains/").content


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("", "Enter a domain, like nhs.net."),
        ("someone@nhs.net", "Enter only the part after the @"),
        ("nhs", "Enter a domain in the correct format"),
        ("nhs..net", "Enter a domain in the correct format"),
        ("-bad.example.org", "Enter a domain in the correct format"),
        ("exa mple.org", "Enter a domain in the correct format"),
    ],
)
def test_a_bad_domain_is_refused_and_kept_in_the_form(admin: User, domain: str, message: str) -> None:
    response = client_for(admin).post("/allowed-domains/", {"domain": domain})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert f'value="{domain}"'.encode() in response.content or not domain
    assert not AllowedDomain.objects.exists()


def test_a_domain_already_on_the_list_is_refused(admin: User) -> None:
    services.allowed_domain_add(domain="nhs.net", actor=admin)
    response = client_for(admin).post("/allowed-domains/", {"domain": "nhs.net"})
    assert b"nhs.net is already on the list." in response.content
    assert AllowedDomain.objects.count() == 1


def test_an_admin_removes_a_domain(admin: User) -> None:
    allowed = services.allowed_domain_add(domain="nhs.net", actor=admin)
    response = client_for(admin).post(f"/allowed-domains/{allowed.pk}/remove/")
    assert response.status_code == 302
    assert not AllowedDomain.objects.exists()
    entry = AuditEntry.objects.get(action="allowed_domain.remove")
    assert entry.changes == {"domain": ("nhs.net", None)}


@pytest.mark.parametrize("persona", ["member", "facilitator", "moderator", "outsider"])
def test_people_who_are_not_admins_cannot_change_the_list(
    persona: str, request: pytest.FixtureRequest, admin: User
) -> None:
    user: User = request.getfixturevalue(persona)
    allowed = services.allowed_domain_add(domain="nhs.net", actor=admin)
    client = client_for(user)
    assert client.get("/allowed-domains/").status_code == 403
    assert client.post("/allowed-domains/", {"domain": "example.org"}).status_code == 403
    assert client.post(f"/allowed-domains/{allowed.pk}/remove/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.allowed_domain_add(domain="example.org", actor=user)
    assert list(AllowedDomain.objects.values_list("domain", flat=True)) == ["nhs.net"]


def test_anonymous_visitors_are_sent_to_log_in_from_the_list(anonymous: Client) -> None:
    response = anonymous.get("/allowed-domains/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_confirming_an_address_at_an_allowed_domain_grants_membership(admin: User) -> None:
    services.allowed_domain_add(domain="nhs.net", actor=admin)
    person = make_person("jo", Role.NONE)
    EmailAddress.objects.create(user=person, email="jo@leeds.nhs.net", verified=True)
    assert services.membership_grant_for_allowed_domain(user=person) is True
    person.refresh_from_db()
    assert person.role == Role.MEMBER
    entry = AuditEntry.objects.get(action="membership.grant")
    assert entry.actor is None
    assert entry.changes["role"] == ("", "member")


def test_an_unverified_or_unlisted_address_grants_nothing(admin: User, outsider: User) -> None:
    services.allowed_domain_add(domain="nhs.net", actor=admin)
    EmailAddress.objects.create(user=outsider, email="otto@nhs.net", verified=False)
    assert services.membership_grant_for_allowed_domain(user=outsider) is False
    outsider.refresh_from_db()
    assert outsider.role == Role.NONE
    assert not AuditEntry.objects.filter(action="membership.grant").exists()


def test_someone_who_already_has_a_role_keeps_it(admin: User, facilitator: User) -> None:
    services.allowed_domain_add(domain="example.nhs.uk", actor=admin)
    assert services.membership_grant_for_allowed_domain(user=facilitator) is False
    facilitator.refresh_from_db()
    assert facilitator.role == Role.FACILITATOR
