"""The inbox and notification settings through the API (/api/v1/me/...)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json
from coproduce.communities.models import Space, SpaceMembership
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import DEFAULT_FREQUENCY, Kind, Notification, Preference
from coproduce.notifications.tests.helpers import make_page
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


def notify(user: User, text: str, *, space: Space | None = None, page: Page | None = None) -> Notification:
    entry = AuditEntry.objects.create(action="page.save", target_type="wiki.page", target_id=text)
    return Notification.objects.create(
        recipient=user,
        kind=Kind.REPLY,
        entry=entry,
        text=text,
        url="/spaces/x/wiki/y/#comment-1",
        space=space,
        page=page,
        frequency="off",
    )


def put_json(client: Client, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.put(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_the_inbox_lists_my_notifications_newest_first_paginated(
    member: User, facilitator: User, anonymous: Client
) -> None:
    for n in range(3):
        notify(member, f"News {n}")
    notify(facilitator, "Theirs")
    body = anonymous.get("/api/v1/me/notifications?page_size=2", headers=bearer(member)).json()
    assert body["count"] == 3
    assert [item["text"] for item in body["items"]] == ["News 2", "News 1"]
    assert "page=2" in body["next"]
    first = body["items"][0]
    assert set(first) == {"id", "kind", "text", "url", "created_at", "read"}
    assert first["url"] == "http://testserver/spaces/x/wiki/y/#comment-1"
    assert first["kind"] == "reply"
    assert first["read"] is False


def test_the_unread_filter_and_marking_read(member: User, anonymous: Client) -> None:
    one, two = notify(member, "One"), notify(member, "Two")
    headers = bearer(member)
    read = anonymous.post(f"/api/v1/me/notifications/{one.pk}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read"] is True
    unread = anonymous.get("/api/v1/me/notifications?unread=true", headers=headers).json()
    assert [item["id"] for item in unread["items"]] == [two.pk]
    assert anonymous.post("/api/v1/me/notifications/read-all", headers=headers).json() == {"unread": 0}
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_someone_elses_notification_is_not_found(member: User, facilitator: User, anonymous: Client) -> None:
    theirs = notify(facilitator, "Theirs")
    response = anonymous.post(f"/api/v1/me/notifications/{theirs.pk}/read", headers=bearer(member))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_leaves_out_what_i_can_no_longer_read(
    member: User, facilitator: User, private_space: Space, members_space: Space, anonymous: Client
) -> None:
    membership = SpaceMembership.objects.create(space=private_space, user=member)
    secret = notify(member, "Rowan replied on “Budget cuts”", space=private_space)
    page = make_page(members_space, facilitator, title="Rude page")
    rude = notify(member, "Rowan replied on “Rude page”", space=members_space, page=page)
    notify(member, "Fine")
    headers = bearer(member)
    assert anonymous.get("/api/v1/me/notifications", headers=headers).json()["count"] == 3

    membership.delete()
    Page.objects.filter(pk=page.pk).update(hidden_at=timezone.now())
    body = anonymous.get("/api/v1/me/notifications", headers=headers).json()
    assert [item["text"] for item in body["items"]] == ["Fine"]
    assert body["count"] == 1
    for hidden in (secret, rude):
        response = anonymous.post(f"/api/v1/me/notifications/{hidden.pk}/read", headers=headers)
        assert response.status_code == 404
        assert "Budget" not in response.content.decode()


def test_the_inbox_needs_a_caller(anonymous: Client) -> None:
    assert anonymous.get("/api/v1/me/notifications").status_code == 401
    assert anonymous.get("/api/v1/me/notification-settings").status_code == 401


def test_settings_read_and_change_with_an_audit_entry(member: User, anonymous: Client) -> None:
    headers = bearer(member)
    assert anonymous.get("/api/v1/me/notification-settings", headers=headers).json() == DEFAULT_FREQUENCY
    response = put_json(anonymous, "/api/v1/me/notification-settings", {"watched": "weekly"}, headers)
    assert response.status_code == 200
    assert response.json() == DEFAULT_FREQUENCY | {"watched": "weekly"}
    assert Preference.objects.get(user=member).frequency == "weekly"
    assert AuditEntry.objects.get(action="notifications.preferences").after == {"watched": "weekly"}


@pytest.mark.parametrize("body", [{"birthdays": "daily"}, {"reply": "hourly"}, {"reply": 3}, ["reply"]])
def test_unknown_kinds_or_frequencies_are_refused(member: User, anonymous: Client, body: Any) -> None:
    response = put_json(anonymous, "/api/v1/me/notification-settings", body, bearer(member))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert not Preference.objects.exists()


def test_a_browser_session_needs_the_csrf_header_to_change_settings(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = post_json(client, "/api/v1/me/notifications/read-all", {})
    assert response.status_code == 403
