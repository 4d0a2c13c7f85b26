"""The audit-log browser and the read-only audit log in Django's admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.governance import audit
from coproduce.governance.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(admin: User, facilitator: User, members_space: Space, public_space: Space) -> list[AuditEntry]:
    made = [
        audit.record(
            actor=facilitator,
            action="space.update",
            target=members_space,
            space=members_space,
            before={"name": "Masterclass"},
            after={"name": "The masterclass"},
        ),
        audit.record(
            actor=admin,
            action="member.set_role",
            target=facilitator,
            before={"role": "member"},
            after={"role": "facilitator"},
        ),
        audit.record(
            actor=None,
            action="space.create",
            target=public_space,
            space=public_space,
            after={"slug": "open-notes"},
        ),
    ]
    AuditEntry.objects.filter(pk=made[0].pk).update(created_at=timezone.now() - timedelta(days=10))
    return made


def shown(client: Client, query: str = "") -> list[str]:
    response = client.get(f"/governance/audit/{query}")
    assert response.status_code == 200
    page = response.content.decode()
    actions = ("space.update", "member.set_role", "space.create")
    return sorted(
        (a for a in actions if f"<code>{a}</code>" in page), key=lambda a: page.index(f"<code>{a}</code>")
    )


def test_admins_see_every_entry_newest_first(admin: User, entries: list[AuditEntry]) -> None:
    assert shown(client_for(admin)) == ["space.create", "member.set_role", "space.update"]


def test_each_entry_shows_who_and_its_changes(admin: User, entries: list[AuditEntry]) -> None:
    page = client_for(admin).get("/governance/audit/").content.decode()
    assert "<del>Masterclass</del> → <ins>The masterclass</ins>" in page
    assert "<del>member</del> → <ins>facilitator</ins>" in page
    assert "rowan" in page
    assert "system" in page


# Moderators too: the log spans private spaces and applicants' addresses, which they may not read.
@pytest.mark.parametrize("persona", ["moderator", "member", "facilitator", "outsider"])
def test_other_people_cannot_read_the_audit_log(
    persona: str, request: pytest.FixtureRequest, entries: list[AuditEntry]
) -> None:
    response = client_for(request.getfixturevalue(persona)).get("/governance/audit/")
    assert response.status_code == 403
    assert b"space.update" not in response.content


def test_anonymous_visitors_are_sent_to_log_in(anonymous: Client) -> None:
    response = anonymous.get("/governance/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_log_filters_by_action_actor_type_and_space(admin: User, entries: list[AuditEntry]) -> None:
    client = client_for(admin)
    assert shown(client, "?action=member.set_role") == ["member.set_role"]
    assert shown(client, "?actor=ROWAN") == ["space.update"]
    assert shown(client, "?target_type=communities.space") == ["space.create", "space.update"]
    assert shown(client, "?space=masterclass") == ["space.update"]
    assert shown(client, "?target_type=communities.space&space=open-notes") == ["space.create"]


def test_the_log_filters_by_date(admin: User, entries: list[AuditEntry]) -> None:
    client = client_for(admin)
    today = timezone.localdate()
    old = today - timedelta(days=10)
    assert shown(client, f"?date_from={today.isoformat()}") == ["space.create", "member.set_role"]
    assert shown(client, f"?date_to={old.isoformat()}") == ["space.update"]
    assert shown(client, f"?date_from={old.isoformat()}&date_to={old.isoformat()}") == ["space.update"]


def test_bad_filters_are_explained_and_ignored(admin: User, entries: list[AuditEntry]) -> None:
    client = client_for(admin)
    today = timezone.localdate()
    response = client.get(f"/governance/audit/?date_from={today.isoformat()}&date_to=2001-01-01")
    assert b"The end date must be the same as or after the start date." in response.content
    response = client.get("/governance/audit/?date_from=yesterday&action=nonsense")
    assert response.status_code == 200
    assert b"Enter the start date as a real date" in response.content
    assert b"Select a valid choice." in response.content
    assert b'value="yesterday"' in response.content


def test_the_log_is_paginated_fifty_to_a_page(admin: User, member: User) -> None:
    for n in range(55):
        audit.record(actor=admin, action="member.set_role", target=member, after={"n": n})
    client = client_for(admin)
    first = client.get("/governance/audit/").content.decode()
    assert first.count("<code>member.set_role</code>") == 50
    assert "Page 2 of 2" in first
    second = client.get("/governance/audit/?action=member.set_role&page=2").content.decode()
    assert second.count("<code>member.set_role</code>") == 5
    assert "action=member.set_role" in second


def test_the_django_admin_shows_the_audit_log_read_only(entries: list[AuditEntry]) -> None:
    superuser = User.objects.create_superuser("root", "root@example.org", "a-long-root-passphrase-1")
    client = client_for(superuser)
    listing = client.get("/django-admin/governance/auditentry/")
    assert listing.status_code == 200
    assert b"space.update" in listing.content
    assert b"Add audit entry" not in listing.content
    assert client.get("/django-admin/governance/auditentry/add/").status_code == 403
    detail = client.get(f"/django-admin/governance/auditentry/{entries[0].pk}/change/")
    assert detail.status_code == 200
    assert b'name="action"' not in detail.content
    deleted = client.post(f"/django-admin/governance/auditentry/{entries[0].pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert AuditEntry.objects.count() == 3


def test_a_page_of_the_log_takes_the_same_few_queries_however_many_entries_it_shows(
    admin: User, members_space: Space, django_assert_max_num_queries: Any
) -> None:
    for n in range(60):
        audit.record(
            actor=admin, action="space.update", target=members_space, space=members_space, after={"n": n}
        )
    client = client_for(admin)
    with django_assert_max_num_queries(10):
        response = client.get("/governance/audit/?target_type=communities.space")
    assert response.content.decode().count("<code>space.update</code>") == 50
