"""The API and the space's guard policy: 422 `confirmation_required`, then `confirm: true`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment
from coproduce.governance.models import AuditEntry
from coproduce.governance.policy import space_guard_policy_set
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

PAGES = "/api/v1/spaces/masterclass/pages"
POSTCODE = "LS1 4AP"
POSTCODE_BODY = f"The workshop is at the library, {POSTCODE}, on Tuesday."


def put_json(client: Client, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.put(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_creating_a_page_with_a_postcode_answers_confirmation_required(
    members_space: Space, member: User, anonymous: Client
) -> None:
    response = post_json(anonymous, PAGES, {"title": "Venue", "body": POSTCODE_BODY}, headers=bearer(member))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "confirmation_required"
    assert '"confirm": true' in error["message"]
    assert error["details"]["kinds"] == ["postcode"]
    assert error["details"]["findings"] == [{"field": "body", "kind": "postcode", "start": 32, "end": 39}]
    assert not Page.objects.exists()


def test_creating_a_page_with_confirm_saves_it_and_records_the_kinds(
    members_space: Space, member: User, anonymous: Client
) -> None:
    payload = {"title": "Venue", "body": POSTCODE_BODY, "confirm": True}
    response = post_json(anonymous, PAGES, payload, headers=bearer(member))
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get(action="guard.confirmed")
    assert entry.after["kinds"] == ["postcode"]
    assert POSTCODE not in repr(entry.after)


def test_a_blocked_kind_stays_unsafe_content_even_with_confirm(
    members_space: Space, member: User, facilitator: User, anonymous: Client
) -> None:
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    payload = {"title": "Venue", "body": POSTCODE_BODY, "confirm": True}
    response = post_json(anonymous, PAGES, payload, headers=bearer(member))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsafe_content"
    nhs = post_json(
        anonymous,
        PAGES,
        {"title": "Case", "body": "Patient 999 000 0018", "confirm": True},
        headers=bearer(member),
    )
    assert nhs.json()["error"]["code"] == "unsafe_content"
    assert not Page.objects.exists()


def test_saving_a_page_with_a_postcode_needs_confirm(
    members_space: Space, member: User, anonymous: Client
) -> None:
    wiki.page_create(space=members_space, actor=member, title="Venue", body="To be decided.")
    payload: dict[str, Any] = {"body": POSTCODE_BODY, "base_revision": 1}
    refused = put_json(anonymous, f"{PAGES}/venue", payload, headers=bearer(member))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "confirmation_required"
    saved = put_json(anonymous, f"{PAGES}/venue", {**payload, "confirm": True}, headers=bearer(member))
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 2


def test_posting_and_editing_a_comment_with_an_e_mail_address_needs_confirm(
    members_space: Space, member: User, facilitator: User, anonymous: Client
) -> None:
    wiki.page_create(space=members_space, actor=facilitator, title="Venue", body="Text")
    comments = f"{PAGES}/venue/comments"
    body = "Write to sam.carer@example.org for the minutes."
    refused = post_json(anonymous, comments, {"body": body}, headers=bearer(member))
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["findings"][0]["kind"] == "email"
    assert not Comment.objects.exists()
    created = post_json(anonymous, comments, {"body": body, "confirm": True}, headers=bearer(member))
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    edited = put_json(anonymous, f"{comments}/{pk}", {"body": POSTCODE_BODY}, headers=bearer(member))
    assert edited.json()["error"]["code"] == "confirmation_required"
    edited = put_json(
        anonymous, f"{comments}/{pk}", {"body": POSTCODE_BODY, "confirm": True}, headers=bearer(member)
    )
    assert edited.status_code == 200, edited.content
    assert [
        e.after["during"] for e in AuditEntry.objects.filter(action="guard.confirmed").order_by("pk")
    ] == [
        "comment.create",
        "comment.edit",
    ]
