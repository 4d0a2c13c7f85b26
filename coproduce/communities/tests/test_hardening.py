"""Rules found by review: unverified addresses, ended memberships, limits that lose nothing, races."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities import services
from coproduce.communities.models import AllowedDomain, Application, Space
from coproduce.communities.tests.helpers import APPLICATION, TEST_NHS_NUMBER
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_unverified_address_on_someone_elses_account_does_not_capture_an_approval(
    outsider: User, admin: User
) -> None:
    EmailAddress.objects.create(user=outsider, email="victim@nhs.net", verified=False, primary=False)
    AllowedDomain.objects.create(domain="nhs.net")
    application = services.application_submit(**{**APPLICATION, "email": "victim@nhs.net"}, ip="192.0.2.9")
    assert application.status == Application.Status.APPROVED
    outsider.refresh_from_db()
    assert outsider.role == Role.NONE
    assert application.user is not None
    assert application.user != outsider
    assert EmailAddress.objects.get(user=application.user).verified


def test_someone_whose_membership_ended_keeps_no_private_space(
    private_space: Space, admin: User, members_space: Space, public_space: Space
) -> None:
    person = make_person("pat", Role.MEMBER)
    services.space_member_add(space=private_space, user=person, role="member", actor=admin)
    assert client_for(person).get("/spaces/steering/").status_code == 200
    services.member_set_role(user=person, role=Role.NONE, actor=admin)
    person.refresh_from_db()
    client = client_for(person)
    assert client.get("/spaces/steering/").status_code == 404
    assert client.get("/spaces/masterclass/").status_code == 404
    assert client.get("/spaces/open-notes/").status_code == 200


def test_refused_applications_do_not_use_up_the_limit_and_the_429_keeps_what_was_typed(
    anonymous: Client,
) -> None:
    for i in range(5):
        refused = anonymous.post(
            "/apply/", {**APPLICATION, "email": f"p{i}@example.org", "reason": f"Patient {TEST_NHS_NUMBER}"}
        )
        assert refused.status_code == 200
    assert anonymous.post("/apply/", {**APPLICATION, "email": "ok@example.org"}).status_code == 302
    for i in range(4):
        anonymous.post("/apply/", {**APPLICATION, "email": f"q{i}@example.org"})
    limited = anonymous.post(
        "/apply/", {**APPLICATION, "email": "late@example.org", "reason": "Typed with care"}
    )
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    page = limited.content.decode()
    assert "Too many applications" in page
    assert "Typed with care" in page
    assert "late@example.org" in page


def test_a_space_slug_that_is_an_nhs_number_is_refused(facilitator: User) -> None:
    from coproduce.governance.safety import UnsafeContent

    with pytest.raises(UnsafeContent):
        services.space_create(
            slug=TEST_NHS_NUMBER.replace(" ", "-"), name="Numbers", visibility="members", actor=facilitator
        )
    assert not Space.objects.filter(name="Numbers").exists()


def test_a_duplicate_slug_lost_to_a_race_is_a_field_error_not_a_500(
    facilitator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.space_create(slug="race", name="First", visibility="members", actor=facilitator)
    # Simulate the other request winning between the check and the insert.
    monkeypatch.setattr(Space.objects, "filter", lambda **kwargs: Space.objects.none())
    with pytest.raises(ValidationError) as refused:
        services.space_create(slug="race", name="Second", visibility="members", actor=facilitator)
    assert "slug" in refused.value.message_dict


def test_the_member_search_ignores_control_characters(admin: User, member: User) -> None:
    response = client_for(admin).get("/members/", {"q": "mee\x00ra"})
    assert response.status_code == 200


def test_changing_the_second_factor_or_an_address_is_audited(member: User) -> None:
    from coproduce.accounts.services import account_record_security_change

    account_record_security_change(user=member, action="account.email_add", detail={"email": "x@example.org"})
    entry = AuditEntry.objects.get(action="account.email_add")
    assert entry.actor == member
    assert entry.after == {"email": "x@example.org"}
