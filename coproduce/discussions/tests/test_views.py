"""The discussion on a wiki page in the browser: who sees and may do what, forms, closing, hiding."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from conftest import client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.discussions import services
from coproduce.discussions.models import Comment, Thread
from coproduce.governance.models import AuditEntry
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

TEST_NHS_NUMBER = "999 000 0018"


def make_page(space: Space, author: User, title: str = "Emerging issues") -> Page:
    return wiki.page_create(space=space, actor=author, title=title, body="Digital exclusion.\n")


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return make_page(members_space, facilitator)


def url(page: Page, view: str = "") -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/{view}"


def discussion_of(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    content = response.content.decode()
    start = content.index('id="discussion"')
    return content[start : content.index("</section>", start)]


def textarea(content: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', content, re.DOTALL)
    assert match, f"no textarea {name}"
    return html.unescape(match[1]).removeprefix("\n")


# --- reading -----------------------------------------------------------------------------------


def test_anyone_who_can_read_the_page_sees_its_discussion_and_only_members_get_the_form(
    public_space: Space, facilitator: User, member: User, outsider: User, anonymous: Client
) -> None:
    page = make_page(public_space, facilitator)
    services.comment_create(page=page, actor=member, body="Seen in *practice*")
    for client in (anonymous, client_for(outsider), client_for(member)):
        section = discussion_of(client.get(url(page)))
        assert "Meera Member" in section
        assert "<em>practice</em>" in section
    assert 'id="new-comment"' not in discussion_of(anonymous.get(url(page)))
    assert "Log in</a> to comment" in discussion_of(anonymous.get(url(page)))
    outsider_view = discussion_of(client_for(outsider).get(url(page)))
    assert 'id="new-comment"' not in outsider_view
    assert "Only community members" in outsider_view
    member_view = discussion_of(client_for(member).get(url(page)))
    assert 'id="new-comment"' in member_view
    assert "You can use Markdown; mention someone with @username" in member_view


def test_a_private_spaces_discussion_is_not_found_for_a_non_member(
    private_space: Space, facilitator: User, member: User
) -> None:
    page = make_page(private_space, facilitator)
    comment = services.comment_create(page=page, actor=facilitator, body="Inside only")
    client = client_for(member)
    assert client.get(url(page)).status_code == 404
    assert client.post(url(page, "comments/"), {"body": "Let me in"}).status_code == 404
    assert client.get(url(page, f"comments/{comment.pk}/edit/")).status_code == 404
    assert Comment.objects.count() == 1


def test_a_suspended_member_sees_why_they_cannot_post_and_a_post_is_refused(page: Page, member: User) -> None:
    member.suspended_until = timezone.now() + timedelta(days=2)
    member.save()
    client = client_for(member)
    section = discussion_of(client.get(url(page)))
    assert "You are suspended until" in section
    assert 'id="new-comment"' not in section
    response = client.post(url(page, "comments/"), {"body": "Still here"})
    assert response.status_code == 403
    assert "You are suspended until" in response.content.decode()
    assert not Comment.objects.exists()


# --- posting -----------------------------------------------------------------------------------


def test_a_member_posts_a_comment_and_a_reply_which_nest(page: Page, member: User, facilitator: User) -> None:
    response = client_for(member).post(url(page, "comments/"), {"body": "What about rural areas?"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(page) + f"#comment-{comment.pk}"
    client = client_for(facilitator)
    form_page = client.get(url(page) + f"?reply={comment.pk}").content.decode()
    assert f'id="reply-{comment.pk}"' in form_page
    assert "Your reply" in form_page
    client.post(url(page, "comments/"), {"body": "Good point.", "parent": str(comment.pk)})
    reply = Comment.objects.latest("pk")
    assert reply.parent == comment
    section = discussion_of(client.get(url(page)))
    nested = re.search(
        rf'id="comment-{comment.pk}".*?<ol class="discussion-comments discussion-comments--replies">\s*'
        rf'<li class="discussion-comment" id="comment-{reply.pk}"',
        section,
        re.DOTALL,
    )
    assert nested, "the reply is listed inside its parent"


def test_patient_data_is_refused_and_the_text_is_kept(page: Page, member: User) -> None:
    typed = f"Mrs Smith, NHS number {TEST_NHS_NUMBER}, said it helped.\n\nMy careful second paragraph."
    response = client_for(member).post(url(page, "comments/"), {"body": typed})
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "Remove an NHS number" in content
    assert textarea(content, "body") == typed
    assert not Comment.objects.exists()


def test_an_empty_comment_shows_an_error_summary(page: Page, member: User) -> None:
    content = client_for(member).post(url(page, "comments/"), {"body": ""}).content.decode()
    assert "There is a problem" in content
    assert "Enter your comment." in content


def test_a_reply_to_a_comment_that_does_not_exist_is_not_found(page: Page, member: User) -> None:
    response = client_for(member).post(url(page, "comments/"), {"body": "Hi", "parent": "999999"})
    assert response.status_code == 404
    assert not Comment.objects.exists()


# --- editing and deleting ----------------------------------------------------------------------


def test_the_author_edits_their_comment_and_it_shows_as_edited(page: Page, member: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Frist")
    client = client_for(member)
    assert "Change<span" in discussion_of(client.get(url(page)))
    form = client.get(url(page, f"comments/{comment.pk}/edit/")).content.decode()
    assert textarea(form, "body") == "Frist"
    response = client.post(url(page, f"comments/{comment.pk}/edit/"), {"body": "First"})
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    section = discussion_of(client.get(url(page)))
    assert "<p>First</p>" in section
    assert "(edited)" in section


def test_someone_else_cannot_edit_or_delete_a_comment(page: Page, member: User, facilitator: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Mine")
    client = client_for(facilitator)
    assert "Change<span" not in discussion_of(client.get(url(page)))
    assert client.post(url(page, f"comments/{comment.pk}/edit/"), {"body": "Theirs"}).status_code == 403
    assert client.post(url(page, f"comments/{comment.pk}/delete/")).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Mine"


def test_an_edit_after_the_window_keeps_the_text_and_says_why(page: Page, member: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Old")
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(hours=1))
    client = client_for(member)
    assert "Change<span" not in discussion_of(client.get(url(page)))
    content = client.post(url(page, f"comments/{comment.pk}/edit/"), {"body": "New words"}).content.decode()
    assert "in the 30 minutes after it was posted" in content
    assert textarea(content, "body") == "New words"


def test_deleting_shows_a_placeholder_and_keeps_the_replies(
    page: Page, member: User, facilitator: User
) -> None:
    comment = services.comment_create(page=page, actor=member, body="Regrettable remark")
    services.comment_create(page=page, actor=facilitator, body="A kind answer", parent=comment)
    client = client_for(member)
    assert "Delete your comment?" in client.get(url(page, f"comments/{comment.pk}/delete/")).content.decode()
    client.post(url(page, f"comments/{comment.pk}/delete/"))
    section = discussion_of(client.get(url(page)))
    assert "This comment was deleted." in section
    assert "Regrettable" not in section
    assert "A kind answer" in section
    assert AuditEntry.objects.filter(action="comment.delete").count() == 1


# --- closing -----------------------------------------------------------------------------------


def test_a_facilitator_closes_with_an_outcome_and_the_page_shows_it(
    page: Page, member: User, facilitator: User
) -> None:
    services.comment_create(page=page, actor=member, body="An idea")
    client = client_for(facilitator)
    assert "Close this discussion" in discussion_of(client.get(url(page)))
    response = client.post(url(page, "discussion/close/"), {"outcome": "We will pilot it.", "close_on": ""})
    assert response["Location"] == url(page) + "#discussion"
    section = discussion_of(client_for(member).get(url(page)))
    assert "Comments are closed" in section
    assert "We will pilot it." in section
    assert "Closed by Rowan Facilitator" in section
    assert 'id="new-comment"' not in section
    assert "Reply<span" not in section
    assert "An idea" in section  # still readable


def test_posting_to_a_closed_discussion_says_so_and_keeps_the_text(
    page: Page, member: User, facilitator: User
) -> None:
    services.discussion_close(page=page, actor=facilitator, outcome="Decided")
    content = client_for(member).post(url(page, "comments/"), {"body": "But wait"}).content.decode()
    assert "Comments are closed: Decided" in content
    assert textarea(content, "body") == "But wait"
    assert not Comment.objects.exists()


def test_a_member_cannot_close_or_reopen(page: Page, member: User, facilitator: User) -> None:
    client = client_for(member)
    assert "Close this discussion" not in discussion_of(client.get(url(page)))
    assert client.post(url(page, "discussion/close/"), {"outcome": "Mine now"}).status_code == 403
    services.discussion_close(page=page, actor=facilitator, outcome="Done")
    assert "Reopen the discussion" not in discussion_of(client.get(url(page)))
    assert client.post(url(page, "discussion/reopen/")).status_code == 403
    assert Thread.objects.get(page=page).is_closed


def test_closing_without_an_outcome_shows_an_error(page: Page, moderator: User) -> None:
    content = client_for(moderator).post(url(page, "discussion/close/"), {"outcome": ""}).content.decode()
    assert "There is a problem" in content
    assert "Write what the discussion concluded." in content
    assert not Thread.objects.filter(closed_at__isnull=False).exists()


def test_a_moderator_reopens_and_a_date_schedules_an_automatic_close(page: Page, moderator: User) -> None:
    client = client_for(moderator)
    day = timezone.localdate() + timedelta(days=7)
    client.post(url(page, "discussion/close/"), {"outcome": "", "close_on": day.isoformat()})
    thread = Thread.objects.get(page=page)
    assert not thread.is_closed
    assert thread.close_at is not None
    assert timezone.localtime(thread.close_at).date() == day + timedelta(days=1)
    assert "closes by itself on" in discussion_of(client.get(url(page)))
    client.post(url(page, "discussion/keep-open/"))
    assert Thread.objects.get(page=page).close_at is None
    services.discussion_close(page=page, actor=moderator, outcome="Done")
    assert "Reopen the discussion" in discussion_of(client.get(url(page)))
    client.post(url(page, "discussion/reopen/"))
    assert not Thread.objects.get(page=page).is_closed


# --- moderation in the discussion --------------------------------------------------------------


def test_hidden_and_held_comments_show_placeholders_or_nothing_to_others(
    page: Page, member: User, facilitator: User, moderator: User
) -> None:
    hidden = services.comment_create(page=page, actor=member, body="Rude words")
    held = services.comment_create(page=page, actor=member, body="Awaiting review")
    Comment.objects.filter(pk=hidden.pk).update(state=Comment.State.HIDDEN)
    Comment.objects.filter(pk=held.pk).update(state=Comment.State.HELD)
    other = discussion_of(client_for(facilitator).get(url(page)))
    assert "This comment was hidden by a moderator." in other
    assert "Rude words" not in other
    assert "Awaiting review" not in other
    assert f"comment-{held.pk}" not in other
    mine = discussion_of(client_for(member).get(url(page)))
    assert "Awaiting review" in mine
    assert "Held for review" in mine
    moderating = discussion_of(client_for(moderator).get(url(page)))
    assert "Rude words" in moderating
    assert "Hidden by a moderator" in moderating
    assert f"/governance/comments/{held.pk}/publish/" in moderating
    assert f"/governance/comments/{hidden.pk}/restore/" in moderating
    assert "/governance/comments/" not in mine.replace(f"/governance/comments/{hidden.pk}/flag/", "")


def test_a_hidden_page_is_a_placeholder_without_discussion_except_for_moderators(
    page: Page, member: User, moderator: User, anonymous: Client
) -> None:
    services.comment_create(page=page, actor=member, body="A comment")
    Page.objects.filter(pk=page.pk).update(hidden_at=timezone.now())
    content = client_for(member).get(url(page)).content.decode()
    assert "This page has been hidden by a moderator." in content
    assert "Digital exclusion" not in content
    assert 'id="discussion"' not in content
    moderating = client_for(moderator).get(url(page)).content.decode()
    assert "This page is hidden" in moderating
    assert "Digital exclusion" in moderating
    assert 'id="discussion"' in moderating


def test_members_get_report_links_and_moderators_hide_links(
    page: Page, member: User, moderator: User
) -> None:
    comment = services.comment_create(page=page, actor=moderator, body="From a moderator")
    member_page = client_for(member).get(url(page)).content.decode()
    assert f"/governance/comments/{comment.pk}/flag/" in member_page
    assert url(page, "flag/").replace("/spaces", "/governance/spaces") in member_page
    assert "/hide/" not in member_page
    moderator_page = client_for(moderator).get(url(page)).content.decode()
    assert f"/governance/comments/{comment.pk}/hide/" in moderator_page
    assert url(page, "hide/").replace("/spaces", "/governance/spaces") in moderator_page


# --- speed -------------------------------------------------------------------------------------


def add_comments(page: Page, people: list[User], count: int) -> None:
    """Comments and replies (some several levels deep), written straight to the database."""
    thread = services.thread_for_page(page)
    made: list[Comment] = []
    for n in range(count):
        parent = made[n // 3] if n % 3 and made else None
        comment = Comment.objects.create(
            thread=thread,
            parent=parent,
            author=people[n % len(people)],
            body=f"Comment {n}",
            html=f"<p>Comment {n}</p>",
            state=Comment.State.HIDDEN if n % 50 == 7 else Comment.State.VISIBLE,
        )
        made.append(comment)


def test_the_number_of_queries_does_not_grow_with_the_number_of_comments(
    members_space: Space,
    facilitator: User,
    member: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    people = [member, facilitator] + [make_person(f"person{n}", Role.MEMBER) for n in range(8)]
    small, large = (
        make_page(members_space, facilitator, "Small"),
        make_page(members_space, facilitator, "Large"),
    )
    add_comments(small, people, 10)
    add_comments(large, people, 500)
    client = client_for(member)
    client.get(url(small))  # warm up the session and caches
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(url(small)).status_code == 200
    with django_assert_num_queries(len(baseline.captured_queries)):
        response = client.get(url(large))
    assert response.status_code == 200
    assert response.content.decode().count('<li class="discussion-comment') == 500


def test_a_private_space_member_sees_the_discussion(private_space: Space, facilitator: User) -> None:
    insider = make_person("sasha", Role.MEMBER, name="Sasha Spacemember")
    SpaceMembership.objects.create(space=private_space, user=insider, role=SpaceRole.MEMBER)
    page = make_page(private_space, facilitator)
    client_for(insider).post(url(page, "comments/"), {"body": "Inside view"})
    assert "Inside view" in discussion_of(client_for(facilitator).get(url(page)))
