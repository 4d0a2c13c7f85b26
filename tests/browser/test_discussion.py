"""A facilitator replies to a member's comment, the member hears about it, and the discussion closes."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions import services as discussions
from coproduce.discussions.models import Comment
from coproduce.wiki import services as wiki
from tests.browser.conftest import AxeCheck, LogIn

pytestmark = pytest.mark.browser

OUTCOME = "Agree a short acceptable-use note for staff; it goes into the briefing paper."


def test_a_reply_notifies_the_member_and_a_closed_discussion_shows_its_outcome(
    page: Page,
    site: str,
    log_in: LogIn,
    axe_check: AxeCheck,
    member: User,
    facilitator: User,
    members_space: Space,
) -> None:
    wiki_page = wiki.page_create(
        space=members_space, actor=facilitator, title="Perils", body="What worried people on the day."
    )
    question = discussions.comment_create(
        page=wiki_page, actor=member, body="Should we say something about **staff posting** at night?"
    )
    address = f"/spaces/{members_space.slug}/wiki/{wiki_page.slug}/"

    # 1. The facilitator reads the discussion and replies to the member's comment.
    log_in(page, facilitator)
    page.goto(address)
    expect(page.get_by_role("heading", name=re.compile("^Discussion"))).to_be_visible()
    expect(page.locator(f"#comment-{question.pk}")).to_contain_text("staff posting")
    axe_check(page)
    page.locator(f"#comment-{question.pk}").get_by_role("link", name="Reply to this comment").click()
    reply_box = page.locator(f"#reply-{question.pk}").get_by_role("textbox")
    expect(reply_box).to_be_visible()
    axe_check(page)
    reply_box.fill("Yes, @meera: a line on boundaries out of hours. Could you draft it?")
    page.get_by_role("button", name="Post your reply").click()

    reply = Comment.objects.get(parent=question)
    expect(page).to_have_url(re.compile(rf"#comment-{reply.pk}$"))
    expect(page.locator(f"#comment-{question.pk} #comment-{reply.pk}")).to_contain_text("boundaries")

    # 2. Then closes the discussion with what the group concluded.
    page.get_by_text("Close this discussion").click()
    page.get_by_label("What the discussion concluded").fill(OUTCOME)
    axe_check(page)
    page.get_by_role("button", name="Close the discussion").click()
    closed = page.locator(".discussion-closed")
    expect(closed).to_contain_text("Comments are closed")
    expect(closed).to_contain_text(OUTCOME)
    axe_check(page)

    # 3. The member sees two unread notifications, opens the reply from the inbox and lands on it.
    page.context.clear_cookies()
    log_in(page, member)
    page.goto("/")
    expect(page.get_by_role("link", name=re.compile(r"Inbox \(2"))).to_be_visible()
    page.get_by_role("link", name=re.compile("^Inbox")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(page.locator("main")).to_contain_text("Rowan Facilitator mentioned you")
    expect(page.locator("main")).to_contain_text("closed")
    axe_check(page)
    page.get_by_role("button", name=re.compile("^Open.*Rowan Facilitator mentioned you")).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(address)}#comment-{reply.pk}$"))
    expect(page.locator(".discussion-closed")).to_contain_text(OUTCOME)
    expect(page.get_by_role("button", name="Post your comment")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"Inbox \(1"))).to_be_visible()
    axe_check(page)

    # The mention went out by e-mail straight away, with a deep link and a way to unsubscribe.
    sent = [message for message in mail.outbox if member.email in message.to]
    assert any(f"#comment-{reply.pk}" in message.body for message in sent)
    assert all(message.extra_headers.get("List-Unsubscribe") for message in sent)
