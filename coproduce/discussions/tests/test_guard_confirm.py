"""Comments and the space's guard policy: warnings to confirm, blocks that stay blocks."""

from __future__ import annotations

import html
import re

import pytest

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions import services
from coproduce.discussions.models import Comment
from coproduce.governance.models import AuditEntry
from coproduce.governance.policy import NeedsConfirmation, space_guard_policy_set
from coproduce.governance.safety import UnsafeContent
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

EMAIL = "sam.carer@example.org"
BODY = f"You can reach the carers' group at {EMAIL} if that helps."
POSTCODE_BODY = "The workshop is at the library, LS1 4AP, on Tuesday."
COMMENTS = "/spaces/masterclass/wiki/emerging-issues/comments/"


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return wiki.page_create(space=members_space, actor=facilitator, title="Emerging issues", body="Text")


def _textarea(content: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', content, re.DOTALL)
    assert match, f"no textarea {name}"
    return html.unescape(match[1]).removeprefix("\n")


def test_an_e_mail_address_in_a_comment_needs_confirmation(page: Page, member: User) -> None:
    with pytest.raises(NeedsConfirmation) as raised:
        services.comment_create(page=page, actor=member, body=BODY)
    assert {f.kind for f in raised.value.findings["body"]} == {"email"}
    assert not Comment.objects.exists()


def test_a_confirmed_comment_is_posted_and_the_audit_has_the_kind_not_the_text(
    page: Page, member: User
) -> None:
    comment = services.comment_create(page=page, actor=member, body=BODY, confirmed=True)
    entry = AuditEntry.objects.get(action="guard.confirmed")
    assert entry.target_id == str(comment.pk)
    assert entry.after == {"kinds": ["email"], "fields": {"body": ["email"]}, "during": "comment.create"}
    assert EMAIL not in repr(entry.after)
    assert EMAIL not in entry.target_label


def test_changing_a_comment_to_add_a_postcode_needs_confirmation(page: Page, member: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Where do we meet?")
    with pytest.raises(NeedsConfirmation):
        services.comment_edit(comment=comment, actor=member, body=POSTCODE_BODY)
    comment.refresh_from_db()
    assert comment.body == "Where do we meet?"
    services.comment_edit(comment=comment, actor=member, body=POSTCODE_BODY, confirmed=True)
    comment.refresh_from_db()
    assert comment.body == POSTCODE_BODY
    assert AuditEntry.objects.get(action="guard.confirmed").after["during"] == "comment.edit"


def test_a_space_that_blocks_postcodes_refuses_a_confirmed_comment(
    page: Page, member: User, facilitator: User, members_space: Space
) -> None:
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    page.space.refresh_from_db()
    with pytest.raises(UnsafeContent) as raised:
        services.comment_create(page=page, actor=member, body=POSTCODE_BODY, confirmed=True)
    assert not isinstance(raised.value, NeedsConfirmation)
    assert not Comment.objects.exists()
    assert not AuditEntry.objects.filter(action="guard.confirmed").exists()


def test_a_space_that_blocks_postcodes_refuses_them_in_a_closing_outcome(
    page: Page, facilitator: User, members_space: Space
) -> None:
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    page.space.refresh_from_db()
    with pytest.raises(UnsafeContent):
        services.discussion_close(page=page, actor=facilitator, outcome=POSTCODE_BODY)


def test_the_comment_form_warns_keeps_the_text_and_posts_once_confirmed(page: Page, member: User) -> None:
    client = client_for(member)
    response = client.post(COMMENTS, {"body": BODY})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Check before saving: this may identify a person" in content
    assert "Your comment: an e-mail address at characters" in content
    assert "I have checked: this is not about an identifiable person" in content
    assert _textarea(content, "body") == BODY
    assert not Comment.objects.exists()
    assert client.post(COMMENTS, {"body": BODY, "confirm": "on"}).status_code == 302
    assert Comment.objects.get().body == BODY


def test_the_comment_edit_form_warns_then_saves_with_confirmation(page: Page, member: User) -> None:
    comment = services.comment_create(page=page, actor=member, body="Where do we meet?")
    client = client_for(member)
    edit_url = f"{COMMENTS}{comment.pk}/edit/"
    content = client.post(edit_url, {"body": POSTCODE_BODY}).content.decode()
    assert "a postcode at characters" in content
    assert _textarea(content, "body") == POSTCODE_BODY
    assert client.post(edit_url, {"body": POSTCODE_BODY, "confirm": "on"}).status_code == 302
    comment.refresh_from_db()
    assert comment.body == POSTCODE_BODY


def test_changing_other_words_of_a_comment_with_a_confirmed_postcode_needs_no_new_confirmation(
    page: Page, member: User
) -> None:
    comment = services.comment_create(page=page, actor=member, body=POSTCODE_BODY, confirmed=True)
    services.comment_edit(comment=comment, actor=member, body=POSTCODE_BODY + " Bring lunch.")
    comment.refresh_from_db()
    assert comment.body.endswith("Bring lunch.")
    assert AuditEntry.objects.filter(action="guard.confirmed").count() == 1
