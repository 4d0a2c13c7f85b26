"""The comment list the discussion tag builds in Python: escaping, the reply form, queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for, make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space
from coproduce.discussions import selectors, services
from coproduce.discussions.models import Comment
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return wiki.page_create(space=members_space, actor=facilitator, title="Escapes", body="Text.\n")


def url(page: Page) -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/"


def test_names_notices_and_whom_a_reply_answers_are_escaped(page: Page, moderator: User) -> None:
    sly = make_person("sly", Role.MEMBER, name='<b class="x">Sly</b> & co')
    parent = None
    for n in range(selectors.MAX_DEPTH + 1):  # the last reply lines up, saying whom it answers
        parent = services.comment_create(page=page, actor=sly, body=f"Reply {n}", parent=parent)
    assert parent is not None
    Comment.objects.filter(pk=parent.pk).update(state=Comment.State.HIDDEN, moderation_reason="<i>rude</i>")
    content = client_for(moderator).get(url(page)).content.decode()
    name = "&lt;b class=&quot;x&quot;&gt;Sly&lt;/b&gt; &amp; co"
    assert f'<span class="discussion-comment__author">{name}</span>' in content
    assert f"replying to {name}</span>" in content
    assert "Hidden by a moderator: &lt;i&gt;rude&lt;/i&gt;</strong>" in content
    assert '<b class="x">' not in content
    assert "<i>rude</i>" not in content


def test_the_reply_form_opens_inside_its_comment_with_a_csrf_token(page: Page, member: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Answer me")
    content = client_for(member).get(url(page) + f"?reply={comment.pk}").content.decode()
    item = rf'<li class="discussion-comment" id="comment-{comment.pk}">'
    form = re.search(rf'{item}(?:(?!id="comment-).)*</form>', content, re.DOTALL)
    assert form, "the reply form is inside the comment"
    assert 'name="csrfmiddlewaretoken"' in form[0]
    assert f'<input type="hidden" name="parent" value="{comment.pk}">' in form[0]
    assert f'href="?#comment-{comment.pk}">Cancel</a>' in form[0]


def test_the_discussion_reuses_the_wiki_views_permission_checks(
    page: Page, member: User, facilitator: User
) -> None:
    for n in range(5):
        services.comment_create(page=page, actor=facilitator if n % 2 else member, body=f"Comment {n}")
    client = client_for(member)
    client.get(url(page))  # the session and caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url(page)).status_code == 200
    role = '"communities_spacemembership"."role" FROM'
    asked = [query["sql"] for query in captured.captured_queries if role in query["sql"]]
    # can_moderate_space for the page, then can_close_discussion (managing, moderating) for the
    # discussion; can_moderate_space is not asked a second time for the discussion
    assert len(asked) <= 3
