"""Comments and discussions through the API: list, post, reply, edit, delete, close, reopen."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.api.tests.test_api_basics import bearer, post_json
from coproduce.communities.models import Space
from coproduce.discussions import access, selectors, services
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import moderation
from coproduce.governance.models import AuditEntry, WatchedWord
from coproduce.lib import ratelimit
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
    assert again.json()["error"]["code"] == "discussion_already_closed"
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


# --- review fixes: stable codes, rate limit, lists paginated in the database -----------------------


def make_comments(page: Page, author: User, count: int, **fields: Any) -> list[Comment]:
    """Comments saved directly (no rate limit, no audit): for lists and query counts."""
    thread = services.thread_for_page(page)
    start = timezone.now() - timedelta(hours=1)
    return Comment.objects.bulk_create(
        Comment(
            thread=thread,
            author=author,
            body=f"Point {n}",
            html=f"<p>Point {n}</p>\n",
            created_at=start + timedelta(seconds=n),
            **fields,
        )
        for n in range(count)
    )


def test_refusals_other_than_a_closed_discussion_have_their_own_codes(
    page: Page, member: User, facilitator: User, anonymous: Client
) -> None:
    reopened = post_json(anonymous, f"{BASE}/discussion/reopen", {}, headers=bearer(facilitator))
    assert reopened.status_code == 409
    assert reopened.json()["error"]["code"] == "discussion_already_open"
    comment = services.comment_create(page=page, actor=member, body="Frist")
    path = f"{BASE}/comments/{comment.pk}"
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(hours=2))
    late = put_json(anonymous, path, {"body": "First"}, headers=bearer(member))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "edit_window_passed")
    assert anonymous.delete(path, headers=bearer(member)).status_code == 204
    again = anonymous.delete(path, headers=bearer(member))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "comment_deleted")
    assert again.json()["error"]["message"] == "This comment has already been deleted."


def test_posting_too_fast_answers_429(page: Page, member: User, anonymous: Client) -> None:
    headers = bearer(member)
    with mock.patch.object(ratelimit, "time") as clock:
        clock.time.return_value = 1_780_000_000.0
        for n in range(services.COMMENTS_PER_MINUTE):
            assert (
                post_json(anonymous, f"{BASE}/comments", {"body": f"{n}"}, headers=headers).status_code == 201
            )
        refused = post_json(anonymous, f"{BASE}/comments", {"body": "more"}, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused["Retry-After"] == refused.json()["error"]["details"]["retry_after"].__str__()
    assert Comment.objects.count() == services.COMMENTS_PER_MINUTE


def test_the_list_takes_the_same_number_of_queries_however_many_comments_there_are(
    page: Page, member: User, facilitator: User, anonymous: Client
) -> None:
    held = make_comments(page, facilitator, 1, state=Comment.State.HELD)[0]
    Comment.objects.create(
        thread=held.thread, parent=held, author=facilitator, body="Under held", html="<p>Under held</p>"
    )
    headers = bearer(member)
    path = f"{BASE}/comments?page_size=100"
    anonymous.get(path, headers=headers)  # warm up: the token's last use, the session
    make_comments(page, member, 3)
    with CaptureQueriesContext(connection) as few:
        small = anonymous.get(path, headers=headers).json()
    make_comments(page, member, 60)
    with CaptureQueriesContext(connection) as many:
        large = anonymous.get(path, headers=headers).json()
    assert (small["count"], large["count"]) == (3, 63)
    assert len(large["items"]) == 63
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    comment_queries = [q["sql"] for q in many.captured_queries if 'FROM "discussions_comment"' in q["sql"]]
    assert any(" LIMIT " in sql for sql in comment_queries), comment_queries  # paginated by the database
    assert not any("Under held" in item["body"] for item in large["items"])


def test_pages_of_the_list_leave_out_what_the_caller_may_not_see(
    page: Page, member: User, facilitator: User, moderator: User, anonymous: Client
) -> None:
    shown = make_comments(page, member, 5)
    held = Comment.objects.create(
        thread=shown[0].thread, author=facilitator, body="Held", html="<p>Held</p>", state=Comment.State.HELD
    )
    Comment.objects.create(thread=held.thread, parent=held, author=facilitator, body="R", html="<p>R</p>")
    first = anonymous.get(f"{BASE}/comments?page_size=2", headers=bearer(member)).json()
    assert first["count"] == 5
    assert [item["id"] for item in first["items"]] == [shown[0].pk, shown[1].pk]
    assert first["next"] is not None
    third = anonymous.get(f"{BASE}/comments?page_size=2&page=3", headers=bearer(member)).json()
    assert [item["id"] for item in third["items"]] == [shown[4].pk]
    assert third["next"] is None
    assert anonymous.get(f"{BASE}/comments?page_size=2", headers=bearer(moderator)).json()["count"] == 7


def test_the_list_shows_each_caller_what_the_page_shows_them(
    page: Page, member: User, facilitator: User, moderator: User, anonymous: Client
) -> None:
    """The same comments, text and placeholders as the discussion on the page (selectors)."""
    visible = services.comment_create(page=page, actor=member, body="Visible @rowan")
    mine_held = services.comment_create(page=page, actor=member, body="Mine, held")
    their_held = services.comment_create(page=page, actor=facilitator, body="Theirs, held")
    Comment.objects.filter(pk__in=[mine_held.pk, their_held.pk]).update(state=Comment.State.HELD)
    services.comment_create(page=page, actor=facilitator, body="Below theirs", parent=their_held)
    services.comment_create(page=page, actor=member, body="Below mine", parent=mine_held)
    gone = services.comment_create(page=page, actor=member, body="Gone", parent=visible)
    services.comment_delete(comment=gone, actor=member)
    hidden = services.comment_create(page=page, actor=facilitator, body="Rude")
    moderation.comment_hide(comment=hidden, actor=moderator, reason="Rude")
    edited = services.comment_create(page=page, actor=facilitator, body="Frist")
    services.comment_edit(comment=edited, actor=facilitator, body="First")
    for viewer in (member, facilitator, moderator):
        expected = [
            {
                "id": view.pk,
                "body": view.body,
                "html": view.html,
                "edited": view.edited,
                "state": view.comment.state,
            }
            for view in selectors.comments_for(viewer, page)
        ]
        listed = anonymous.get(f"{BASE}/comments?page_size=100", headers=bearer(viewer)).json()
        got = [
            {key: item[key] for key in ("id", "body", "html", "edited", "state")} for item in listed["items"]
        ]
        assert got == expected, viewer.username
        assert listed["count"] == len(expected)
        state = anonymous.get(f"{BASE}/discussion", headers=bearer(viewer)).json()
        assert state["comments"] == sum(1 for view in selectors.comments_for(viewer, page) if view.html)


def test_a_reply_can_only_answer_a_comment_the_caller_can_see(
    page: Page, member: User, facilitator: User, moderator: User, anonymous: Client
) -> None:
    held = services.comment_create(page=page, actor=facilitator, body="Held")
    Comment.objects.filter(pk=held.pk).update(state=Comment.State.HELD)
    below = services.comment_create(page=page, actor=facilitator, body="Below held", parent=held)
    for parent in (held, below):
        refused = post_json(
            anonymous, f"{BASE}/comments", {"body": "Reply", "parent": parent.pk}, headers=bearer(member)
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["details"]["fields"] == {
            "parent": ["There is no such comment in this discussion."]
        }
    answered = post_json(
        anonymous, f"{BASE}/comments", {"body": "Reply", "parent": below.pk}, headers=bearer(moderator)
    )
    assert answered.status_code == 201
    other = wiki.page_create(space=page.space, actor=facilitator, title="Other", body="x")
    elsewhere = services.comment_create(page=other, actor=facilitator, body="Elsewhere")
    wrong_page = post_json(
        anonymous, f"{BASE}/comments", {"body": "Reply", "parent": elsewhere.pk}, headers=bearer(member)
    )
    assert wrong_page.status_code == 400


def test_the_parent_is_checked_with_one_query(page: Page, member: User, facilitator: User) -> None:
    top = services.comment_create(page=page, actor=facilitator, body="Top")
    parent = top
    for n in range(6):
        parent = services.comment_create(page=page, actor=facilitator, body=f"Level {n}", parent=parent)
    with CaptureQueriesContext(connection) as queries:
        found = access.get_parent_for_reply(member, page, parent.pk)
    assert found.pk == parent.pk
    assert len(queries) == 1


def test_a_discussion_past_its_close_time_is_closed_in_the_api_before_the_worker_runs(
    page: Page, member: User, facilitator: User, anonymous: Client
) -> None:
    services.discussion_schedule_close(
        page=page, actor=facilitator, close_at=timezone.now() + timedelta(days=1), outcome="Pilot it"
    )
    due = timezone.now() - timedelta(minutes=5)
    Thread.objects.filter(page=page).update(close_at=due)
    state = anonymous.get(f"{BASE}/discussion", headers=bearer(member)).json()
    assert state["closed"] is True
    assert state["outcome"] == "Pilot it"
    assert state["closed_at"] == due.isoformat()
    refused = post_json(anonymous, f"{BASE}/comments", {"body": "Late"}, headers=bearer(member))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "discussion_closed"
    assert refused.json()["error"]["details"] == {"outcome": "Pilot it"}


def test_a_blocked_word_in_an_outcome_answers_400(page: Page, facilitator: User, anonymous: Client) -> None:
    WatchedWord.objects.create(phrase="idiot", action=WatchedWord.Action.BLOCK)
    response = post_json(
        anonymous, f"{BASE}/discussion/close", {"outcome": "Idiot proof"}, headers=bearer(facilitator)
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert not Thread.objects.filter(closed_at__isnull=False).exists()
