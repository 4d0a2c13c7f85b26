"""Comments and discussions through the API: list, post, reply, edit, delete, close, reopen."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json
from coproduce.communities.models import Space
from coproduce.discussions import services
from coproduce.discussions.models import Comment
from coproduce.governance.models import AuditEntry
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

TEST_NHS_NUMBER = "999 000 0018"
BASE = "/api/v1/spaces/masterclass/pages/emerging-issues"


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return wiki.page_create(space=members_space, actor=facilitator, title="Emerging issues", body="Text")


def put_json(client: Client, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.put(path, data=json.dumps(body), content_type="application/json", headers=headers)


def test_a_member_posts_a_comment_and_a_reply(
    page: Page, member: User, facilitator: User, anonymous: Client
) -> None:
    created = post_json(anonymous, f"{BASE}/comments", {"body": "Hello **all**"}, headers=bearer(member))
    assert created.status_code == 201, created.content
    first = created.json()
    assert first["body"] == "Hello **all**"
    assert first["html"] == "<p>Hello <strong>all</strong></p>\n"
    assert first["author"] == "meera"
    assert first["parent"] is None
    reply = post_json(
        anonymous, f"{BASE}/comments", {"body": "Hi", "parent": first["id"]}, headers=bearer(facilitator)
    )
    assert reply.status_code == 201
    assert reply.json()["parent"] == first["id"]
    listed = anonymous.get(f"{BASE}/comments", headers=bearer(member)).json()
    assert listed["count"] == 2
    assert [item["id"] for item in listed["items"]] == [first["id"], reply.json()["id"]]
    assert set(listed["items"][0]) == {
        "id",
        "body",
        "html",
        "author",
        "parent",
        "created_at",
        "edited",
        "state",
    }


def test_bad_input_gets_400(page: Page, member: User, anonymous: Client) -> None:
    headers = bearer(member)
    assert post_json(anonymous, f"{BASE}/comments", {"body": "  "}, headers=headers).status_code == 400
    assert post_json(anonymous, f"{BASE}/comments", {"text": "x"}, headers=headers).status_code == 400
    unknown_parent = post_json(anonymous, f"{BASE}/comments", {"body": "x", "parent": 999}, headers=headers)
    assert unknown_parent.status_code == 400
    assert unknown_parent.json()["error"]["code"] == "invalid_input"
    assert post_json(anonymous, f"{BASE}/discussion/close", {}, headers=bearer(member)).status_code == 400
    assert not Comment.objects.exists()


def test_patient_data_gets_422(page: Page, member: User, anonymous: Client) -> None:
    response = post_json(
        anonymous, f"{BASE}/comments", {"body": f"NHS {TEST_NHS_NUMBER}"}, headers=bearer(member)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unsafe_content"


def test_a_space_the_caller_cannot_read_is_not_found(
    private_space: Space, facilitator: User, member: User, outsider: User, anonymous: Client
) -> None:
    wiki.page_create(space=private_space, actor=facilitator, title="Secret", body="x")
    path = "/api/v1/spaces/steering/pages/secret"
    assert anonymous.get(f"{path}/comments", headers=bearer(member)).status_code == 404
    assert anonymous.get(f"{path}/discussion").status_code == 404
    assert post_json(anonymous, f"{path}/comments", {"body": "x"}, headers=bearer(member)).status_code == 404
    assert (
        post_json(
            anonymous, f"{path}/discussion/close", {"outcome": "x"}, headers=bearer(outsider)
        ).status_code
        == 404
    )


def test_anonymous_callers_cannot_post_and_outsiders_are_forbidden_in_public_spaces(
    public_space: Space, facilitator: User, outsider: User, anonymous: Client
) -> None:
    wiki.page_create(space=public_space, actor=facilitator, title="Open", body="x")
    path = "/api/v1/spaces/open-notes/pages/open/comments"
    assert anonymous.get(path).status_code == 200
    assert post_json(anonymous, path, {"body": "x"}).status_code == 401
    assert post_json(anonymous, path, {"body": "x"}, headers=bearer(outsider)).status_code == 403


def test_a_closed_discussion_answers_409_discussion_closed(
    page: Page, member: User, facilitator: User, anonymous: Client
) -> None:
    assert (
        post_json(
            anonymous, f"{BASE}/discussion/close", {"outcome": "Pilot it"}, headers=bearer(member)
        ).status_code
        == 403
    )
    closed = post_json(
        anonymous, f"{BASE}/discussion/close", {"outcome": "Pilot it"}, headers=bearer(facilitator)
    )
    assert closed.json() == {"closed": True, "outcome": "Pilot it"}
    refused = post_json(anonymous, f"{BASE}/comments", {"body": "More"}, headers=bearer(member))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "discussion_closed"
    assert refused.json()["error"]["message"] == "Comments are closed: Pilot it"
    again = post_json(anonymous, f"{BASE}/discussion/close", {"outcome": "x"}, headers=bearer(facilitator))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    state = anonymous.get(f"{BASE}/discussion", headers=bearer(member)).json()
    assert state["closed"] is True
    assert state["outcome"] == "Pilot it"
    assert state["closed_by"] == "rowan"
    reopened = post_json(anonymous, f"{BASE}/discussion/reopen", {}, headers=bearer(facilitator))
    assert reopened.json() == {"closed": False}
    assert (
        post_json(anonymous, f"{BASE}/comments", {"body": "More"}, headers=bearer(member)).status_code == 201
    )
    assert AuditEntry.objects.filter(action__in=["discussion.close", "discussion.reopen"]).count() == 2


def test_the_author_edits_within_the_window_and_deletes(
    page: Page, member: User, facilitator: User, anonymous: Client
) -> None:
    comment = services.comment_create(page=page, actor=member, body="Frist")
    path = f"{BASE}/comments/{comment.pk}"
    assert put_json(anonymous, path, {"body": "Theirs"}, headers=bearer(facilitator)).status_code == 403
    edited = put_json(anonymous, path, {"body": "First"}, headers=bearer(member))
    assert edited.status_code == 200
    assert edited.json()["edited"] is True
    assert edited.json()["html"] == "<p>First</p>\n"
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(hours=2))
    late = put_json(anonymous, path, {"body": "Later"}, headers=bearer(member))
    assert late.status_code == 409
    assert anonymous.delete(path, headers=bearer(facilitator)).status_code == 403
    assert anonymous.delete(path, headers=bearer(member)).status_code == 204
    item = anonymous.get(f"{BASE}/comments", headers=bearer(facilitator)).json()["items"][0]
    assert item["state"] == "deleted"
    assert item["body"] == ""
    assert item["html"] == ""


def test_held_comments_are_listed_only_for_their_author_and_moderators(
    page: Page, member: User, facilitator: User, moderator: User, anonymous: Client
) -> None:
    comment = services.comment_create(page=page, actor=member, body="Waiting")
    Comment.objects.filter(pk=comment.pk).update(state=Comment.State.HELD)
    assert anonymous.get(f"{BASE}/comments", headers=bearer(facilitator)).json()["count"] == 0
    assert anonymous.get(f"{BASE}/comments", headers=bearer(member)).json()["count"] == 1
    assert anonymous.get(f"{BASE}/comments", headers=bearer(moderator)).json()["count"] == 1
    assert anonymous.get(f"{BASE}/discussion", headers=bearer(facilitator)).json()["comments"] == 0
    reply = post_json(
        anonymous, f"{BASE}/comments", {"body": "x", "parent": comment.pk}, headers=bearer(facilitator)
    )
    assert reply.status_code == 400
