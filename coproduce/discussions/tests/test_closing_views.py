"""The discussion in the browser: closing dates, closed banners and too many comments."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions import services
from coproduce.discussions.models import Comment, Thread
from coproduce.lib import ratelimit
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return wiki.page_create(space=members_space, actor=facilitator, title="Emerging issues", body="Text\n")


def url(page: Page, view: str = "") -> str:
    return f"/spaces/{page.space.slug}/wiki/{page.slug}/{view}"


def discussion_of(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    content = response.content.decode()
    start = content.index('id="discussion"')
    return content[start : content.index("</section>", start)]


def test_posting_too_fast_in_the_browser_says_so_and_keeps_the_text(page: Page, member: User) -> None:
    client = client_for(member)
    with mock.patch.object(ratelimit, "time") as clock:
        clock.time.return_value = 1_780_000_000.0
        for n in range(services.COMMENTS_PER_MINUTE):
            assert client.post(url(page, "comments/"), {"body": f"Point {n}"}).status_code == 302
        response = client.post(url(page, "comments/"), {"body": "My careful last point"})
    assert response.status_code == 429
    content = response.content.decode()
    assert "You have posted a lot of comments in a short time." in content
    match = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', content, re.DOTALL)
    assert match, "the form is shown again"
    assert html.unescape(match[1]).strip() == "My careful last point"
    assert Comment.objects.count() == services.COMMENTS_PER_MINUTE


def test_a_due_discussion_shows_when_it_closed_and_the_day_it_names(page: Page, member: User) -> None:
    thread = services.thread_for_page(page)
    due = timezone.now() - timedelta(minutes=5)
    Thread.objects.filter(pk=thread.pk).update(close_at=due)
    section = discussion_of(client_for(member).get(url(page)))
    local = timezone.localtime(due)
    assert f'Closed automatically on <time datetime="{local.isoformat()}"' in section
    assert "This discussion closed on" in section


def test_the_schedule_notice_names_the_chosen_day(page: Page, moderator: User) -> None:
    client = client_for(moderator)
    day = timezone.localdate() + timedelta(days=7)
    client.post(url(page, "discussion/close/"), {"outcome": "", "close_on": day.isoformat()})
    section = discussion_of(client.get(url(page)))
    assert f"{day.day} {day:%B %Y}</time>, at the end of the day." in section


def test_a_reply_stored_before_its_parent_still_shows_instead_of_failing(
    page: Page, facilitator: User, member: User
) -> None:
    first = services.comment_create(page=page, actor=facilitator, body="The question.")
    reply = services.comment_create(page=page, actor=member, body="An imported answer.", parent=first)
    Comment.objects.filter(pk=reply.pk).update(created_at=first.created_at - timedelta(days=1))

    response = client_for(member).get(f"/spaces/{page.space.slug}/wiki/{page.slug}/")

    assert response.status_code == 200
    assert "An imported answer." in response.content.decode()
