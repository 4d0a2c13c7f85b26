"""Flags through the API, its rate limit, and the moderators' hide and restore calls."""

from __future__ import annotations

import pytest
from django.test import Client

from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment
from coproduce.governance.models import AuditEntry, Flag
from coproduce.governance.tests.test_moderation_services import make_comment, make_page
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return make_page(members_space, facilitator)


@pytest.fixture
def comment(page: Page, facilitator: User) -> Comment:
    return make_comment(page, facilitator)


def test_a_member_flags_a_comment(comment: Comment, member: User, anonymous: Client) -> None:
    response = post_json(
        anonymous, "/api/v1/flags", {"comment": comment.pk, "reason": "abuse", "note": "Rude"}, bearer(member)
    )
    assert response.status_code == 201, response.content
    flag = Flag.objects.get()
    assert response.json() == {"id": flag.pk, "status": "open"}
    assert (flag.reporter, flag.comment, flag.note) == (member, comment, "Rude")
    assert AuditEntry.objects.filter(action="flag.create", actor=member).count() == 1


def test_a_member_flags_a_page(page: Page, member: User, anonymous: Client) -> None:
    body = {"space": "masterclass", "page": page.slug, "reason": "misleading"}
    response = post_json(anonymous, "/api/v1/flags", body, bearer(member))
    assert response.status_code == 201
    assert Flag.objects.get().page == page


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "abuse"},
        {"comment": 1, "space": "masterclass", "page": "x", "reason": "abuse"},
        {"page": "x", "reason": "abuse"},
        {"comment": 1, "reason": "abuse", "colour": "red"},
    ],
)
def test_a_flag_names_exactly_one_thing(
    comment: Comment, member: User, anonymous: Client, body: dict[str, object]
) -> None:
    response = post_json(anonymous, "/api/v1/flags", body, bearer(member))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_an_unknown_reason_is_refused(comment: Comment, member: User, anonymous: Client) -> None:
    response = post_json(
        anonymous, "/api/v1/flags", {"comment": comment.pk, "reason": "watched_word"}, bearer(member)
    )
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["details"]["fields"]


def test_flagging_needs_a_signed_in_member_who_can_see_the_thing(
    private_space: Space, comment: Comment, facilitator: User, member: User, outsider: User, anonymous: Client
) -> None:
    assert post_json(anonymous, "/api/v1/flags", {"comment": comment.pk, "reason": "spam"}).status_code == 401
    secret = make_comment(make_page(private_space, facilitator), facilitator)
    denied = post_json(anonymous, "/api/v1/flags", {"comment": secret.pk, "reason": "spam"}, bearer(member))
    assert denied.status_code == 404
    outside = post_json(
        anonymous, "/api/v1/flags", {"comment": comment.pk, "reason": "spam"}, bearer(outsider)
    )
    assert outside.status_code == 404
    assert not Flag.objects.exists()


def test_flag_spam_is_rate_limited(
    settings: pytest.FixtureRequest, page: Page, facilitator: User, member: User, anonymous: Client
) -> None:
    settings.FLAGS_PER_HOUR = 2  # type: ignore[attr-defined]
    headers = bearer(member)
    statuses = [
        post_json(
            anonymous,
            "/api/v1/flags",
            {"comment": make_comment(page, facilitator).pk, "reason": "spam"},
            headers,
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert statuses[2].json()["error"]["code"] == "rate_limited"
    assert int(statuses[2]["Retry-After"]) > 0
    assert Flag.objects.count() == 2


def test_flagging_the_same_comment_twice_returns_the_same_flag(
    comment: Comment, member: User, anonymous: Client
) -> None:
    headers = bearer(member)
    first = post_json(anonymous, "/api/v1/flags", {"comment": comment.pk, "reason": "spam"}, headers).json()
    second = post_json(anonymous, "/api/v1/flags", {"comment": comment.pk, "reason": "abuse"}, headers).json()
    assert first == second
    assert Flag.objects.count() == 1


def test_moderators_hide_and_restore_through_the_api(
    page: Page, comment: Comment, member: User, moderator: User, anonymous: Client
) -> None:
    as_member, as_moderator = bearer(member), bearer(moderator)
    path = f"/api/v1/flags/comments/{comment.pk}/hide"
    assert post_json(anonymous, path, {"reason": "Rude"}, as_member).status_code == 403
    hidden = post_json(anonymous, path, {"reason": "Rude"}, as_moderator)
    assert hidden.json() == {"id": comment.pk, "state": "hidden"}
    restored = post_json(anonymous, f"/api/v1/flags/comments/{comment.pk}/restore", {}, as_moderator)
    assert restored.json() == {"id": comment.pk, "state": "visible"}
    page_path = f"/api/v1/flags/pages/masterclass/{page.slug}"
    assert post_json(anonymous, page_path + "/hide", {"reason": "Unsafe"}, as_member).status_code == 403
    assert (
        post_json(anonymous, page_path + "/hide", {"reason": "Unsafe"}, as_moderator).json()["hidden"] is True
    )
    assert (
        anonymous.get(f"/api/v1/spaces/masterclass/pages/{page.slug}", headers=as_member).status_code == 404
    )
    assert post_json(anonymous, page_path + "/restore", {}, as_moderator).json()["hidden"] is False
    assert (
        anonymous.get(f"/api/v1/spaces/masterclass/pages/{page.slug}", headers=as_member).status_code == 200
    )
