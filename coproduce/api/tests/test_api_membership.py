"""Applications, spaces and members through the API, each permission rule from both sides."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from conftest import Committed
from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json, valid_test_nhs_number
from coproduce.communities.models import Application, Space, SpaceMembership
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db

APPLICATION = {
    "name": "Chris Taylor",
    "email": "chris@example.gov.uk",
    "organisation": "Eastgate County Council",
    "sector": "social_care",
    "reason": "I support care homes adopting online tools.",
}


def test_anyone_can_apply_and_gets_201_with_the_status(anonymous: Client) -> None:
    response = post_json(anonymous, "/api/v1/applications", APPLICATION)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    application = Application.objects.get(pk=body["id"])
    assert application.email == "chris@example.gov.uk"
    assert AuditEntry.objects.filter(action="application.submit", target_id=str(application.pk)).exists()


def test_an_application_with_a_bad_sector_or_email_gets_400_naming_the_field(anonymous: Client) -> None:
    response = post_json(anonymous, "/api/v1/applications", {**APPLICATION, "sector": "pharma", "email": "x"})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["error"]["details"]["errors"]}
    assert {"sector", "email"} <= fields
    assert not Application.objects.exists()


def test_an_application_with_an_nhs_number_gets_422_with_findings(anonymous: Client) -> None:
    reason = f"My patient {valid_test_nhs_number()} needs this."
    response = post_json(anonymous, "/api/v1/applications", {**APPLICATION, "reason": reason})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unsafe_content"
    assert error["details"]["findings"][0]["kind"] == "nhs_number"
    assert error["details"]["findings"][0]["start"] == len("My patient ")
    assert not Application.objects.exists()


def test_applications_are_rate_limited_per_address(anonymous: Client) -> None:
    statuses = [
        post_json(
            anonymous, "/api/v1/applications", {**APPLICATION, "email": f"p{i}@example.org"}
        ).status_code
        for i in range(12)
    ]
    assert statuses[0] == 201
    assert statuses[-1] == 429
    limited = post_json(anonymous, "/api/v1/applications", {**APPLICATION, "email": "late@example.org"})
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0


def test_only_admins_list_applications(admin: User, member: User, anonymous: Client) -> None:
    post_json(anonymous, "/api/v1/applications", APPLICATION)
    listed = anonymous.get("/api/v1/applications", headers=bearer(admin))
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["items"][0]["email"] == "chris@example.gov.uk"
    assert anonymous.get("/api/v1/applications", headers=bearer(member)).status_code == 403
    assert anonymous.get("/api/v1/applications").status_code == 403


def test_an_admin_approves_an_application_and_the_applicant_is_told(
    admin: User, anonymous: Client, committed: Committed
) -> None:
    created = post_json(anonymous, "/api/v1/applications", APPLICATION).json()
    mail.outbox.clear()
    with committed():
        response = post_json(
            anonymous, f"/api/v1/applications/{created['id']}/approve", {}, headers=bearer(admin)
        )
    assert response.status_code == 200
    assert response.json() == {"id": created["id"], "status": "approved"}
    assert User.objects.get(email="chris@example.gov.uk").role == "member"
    assert [m.to for m in mail.outbox] == [["chris@example.gov.uk"]]


def test_a_member_cannot_approve_an_application(member: User, anonymous: Client) -> None:
    created = post_json(anonymous, "/api/v1/applications", APPLICATION).json()
    response = post_json(
        anonymous, f"/api/v1/applications/{created['id']}/approve", {}, headers=bearer(member)
    )
    assert response.status_code == 403
    assert Application.objects.get().status == "pending"


def test_rejecting_needs_a_reason_and_tells_the_applicant(
    admin: User, anonymous: Client, committed: Committed
) -> None:
    created = post_json(anonymous, "/api/v1/applications", APPLICATION).json()
    path = f"/api/v1/applications/{created['id']}/reject"
    assert post_json(anonymous, path, {}, headers=bearer(admin)).status_code == 400
    mail.outbox.clear()
    with committed():
        response = post_json(
            anonymous, path, {"reason": "Please apply through your trust."}, headers=bearer(admin)
        )
    assert response.json()["status"] == "rejected"
    assert "Please apply through your trust." in mail.outbox[0].body


def test_deciding_twice_is_refused(admin: User, anonymous: Client) -> None:
    created = post_json(anonymous, "/api/v1/applications", APPLICATION).json()
    path = f"/api/v1/applications/{created['id']}/approve"
    post_json(anonymous, path, {}, headers=bearer(admin))
    again = post_json(anonymous, path, {}, headers=bearer(admin))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_approving_an_unknown_application_gets_404(admin: User, anonymous: Client) -> None:
    response = post_json(anonymous, "/api/v1/applications/999999/approve", {}, headers=bearer(admin))
    assert response.status_code == 404


def spaces_seen(client: Client, headers: dict[str, str] | None = None) -> set[str]:
    return {s["slug"] for s in client.get("/api/v1/spaces", headers=headers).json()["items"]}


def test_space_visibility_through_the_api(
    public_space: Space,
    members_space: Space,
    private_space: Space,
    member: User,
    outsider: User,
    admin: User,
    facilitator: User,
    anonymous: Client,
) -> None:
    assert spaces_seen(anonymous) == {"open-notes"}
    assert spaces_seen(anonymous, headers=bearer(outsider)) == {"open-notes"}
    assert spaces_seen(anonymous, headers=bearer(member)) == {"open-notes", "masterclass"}
    assert spaces_seen(anonymous, headers=bearer(facilitator)) == {"open-notes", "masterclass", "steering"}
    assert spaces_seen(anonymous, headers=bearer(admin)) == {"open-notes", "masterclass", "steering"}


def test_a_space_the_caller_cannot_see_is_404_not_403(
    private_space: Space, members_space: Space, member: User, anonymous: Client
) -> None:
    assert anonymous.get("/api/v1/spaces/steering", headers=bearer(member)).status_code == 404
    assert anonymous.get("/api/v1/spaces/masterclass").status_code == 404
    body = anonymous.get("/api/v1/spaces/masterclass", headers=bearer(member)).json()
    assert body["visibility"] == "members"
    assert body["url"].endswith("/spaces/masterclass/")


def test_a_facilitator_creates_a_space_and_becomes_its_facilitator(
    facilitator: User, anonymous: Client
) -> None:
    body: dict[str, Any] = {"slug": "winter-pressures", "name": "Winter pressures", "visibility": "private"}
    response = post_json(anonymous, "/api/v1/spaces", body, headers=bearer(facilitator))
    assert response.status_code == 201
    assert response.json()["slug"] == "winter-pressures"
    membership = SpaceMembership.objects.get(space__slug="winter-pressures")
    assert (membership.user, membership.role) == (facilitator, "facilitator")
    assert AuditEntry.objects.filter(action="space.create").exists()


def test_a_member_cannot_create_a_space(member: User, anonymous: Client) -> None:
    body = {"slug": "mine", "name": "Mine", "visibility": "public"}
    assert post_json(anonymous, "/api/v1/spaces", body, headers=bearer(member)).status_code == 403
    assert not Space.objects.filter(slug="mine").exists()


def test_a_bad_or_taken_slug_gets_400(facilitator: User, public_space: Space, anonymous: Client) -> None:
    for slug in ("Not A Slug!", "open-notes"):
        body = {"slug": slug, "name": "X", "visibility": "public"}
        response = post_json(anonymous, "/api/v1/spaces", body, headers=bearer(facilitator))
        assert response.status_code == 400, slug
        assert response.json()["error"]["code"] == "invalid_input"


def test_the_space_facilitator_adds_a_member(
    members_space: Space, facilitator: User, member: User, anonymous: Client
) -> None:
    body = {"username": member.username, "role": "moderator"}
    response = post_json(anonymous, "/api/v1/spaces/masterclass/members", body, headers=bearer(facilitator))
    assert response.status_code == 201
    assert response.json() == {"username": "meera", "role": "moderator"}
    assert AuditEntry.objects.filter(
        action="space.member_add", space=members_space, actor=facilitator
    ).exists()


def test_a_plain_member_cannot_add_members(members_space: Space, member: User, anonymous: Client) -> None:
    body = {"username": member.username, "role": "facilitator"}
    response = post_json(anonymous, "/api/v1/spaces/masterclass/members", body, headers=bearer(member))
    assert response.status_code == 403
    assert not SpaceMembership.objects.filter(user=member).exists()


def test_adding_an_unknown_user_gets_404(members_space: Space, facilitator: User, anonymous: Client) -> None:
    body = {"username": "nobody", "role": "member"}
    response = post_json(anonymous, "/api/v1/spaces/masterclass/members", body, headers=bearer(facilitator))
    assert response.status_code == 404
