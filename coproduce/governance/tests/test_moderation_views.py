"""Flagging and moderating in the browser: forms that keep what was typed, the queue, hidden pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import Committed, client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment
from coproduce.discussions.services import comment_delete
from coproduce.governance import moderation
from coproduce.governance.models import AuditEntry, Flag, Sanction, WatchedWord
from coproduce.governance.tests.test_moderation_services import make_comment, make_page, space_moderator
from coproduce.search.models import SearchDocument
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(members_space: Space, facilitator: User) -> Page:
    return make_page(members_space, facilitator)


@pytest.fixture
def comment(page: Page, facilitator: User) -> Comment:
    return make_comment(page, facilitator, body="Buy my course")


def html_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined,no-any-return]


# --- flagging ------------------------------------------------------------------------------


def test_a_member_flags_a_comment_and_goes_back_to_it(comment: Comment, member: User) -> None:
    client = client_for(member)
    form = client.get(f"/governance/comments/{comment.pk}/flag/")
    assert form.status_code == 200
    assert "Buy my course" in html_of(form)
    assert 'type="radio" name="reason"' in html_of(form)
    response = client.post(f"/governance/comments/{comment.pk}/flag/", {"reason": "spam", "note": "Advert"})
    assert response.status_code == 302
    assert response["Location"] == f"/spaces/masterclass/wiki/emerging-issues/#comment-{comment.pk}"
    flag = Flag.objects.get()
    assert (flag.reporter, flag.reason, flag.note) == (member, "spam", "Advert")


def test_the_flag_form_keeps_the_note_when_no_reason_was_chosen(comment: Comment, member: User) -> None:
    response = client_for(member).post(
        f"/governance/comments/{comment.pk}/flag/", {"note": "My careful note"}
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Choose why you are flagging this." in html
    assert "My careful note" in html
    assert not Flag.objects.exists()


def test_flagging_twice_says_so(page: Page, member: User) -> None:
    client = client_for(member)
    path = f"/governance/spaces/masterclass/wiki/{page.slug}/flag/"
    client.post(path, {"reason": "misleading"})
    response = client.post(path, {"reason": "misleading"}, follow=True)
    assert "You have already flagged this" in html_of(response)
    assert Flag.objects.count() == 1


def test_too_many_flags_get_a_clear_message_and_keep_the_input(
    settings: pytest.FixtureRequest, page: Page, facilitator: User, member: User
) -> None:
    settings.FLAGS_PER_HOUR = 1  # type: ignore[attr-defined]
    first, second = make_comment(page, facilitator, body="One"), make_comment(page, facilitator, body="Two")
    client = client_for(member)
    client.post(f"/governance/comments/{first.pk}/flag/", {"reason": "spam"})
    response = client.post(
        f"/governance/comments/{second.pk}/flag/", {"reason": "spam", "note": "Again spam"}
    )
    assert response.status_code == 429
    html = html_of(response)
    assert "You have flagged a lot of things recently" in html
    assert "Again spam" in html
    assert Flag.objects.count() == 1


def test_flag_forms_are_not_found_for_what_the_member_cannot_see(
    page: Page, facilitator: User, member: User, outsider: User, moderator: User
) -> None:
    hidden = make_comment(page, facilitator, state=Comment.State.HIDDEN)
    assert client_for(member).get(f"/governance/comments/{hidden.pk}/flag/").status_code == 404
    assert (
        client_for(outsider).get(f"/governance/spaces/masterclass/wiki/{page.slug}/flag/").status_code == 404
    )
    assert client_for(member).get("/governance/comments/999999/flag/").status_code == 404
    assert client_for(moderator).get(f"/governance/comments/{hidden.pk}/flag/").status_code == 200


def test_a_suspended_member_is_told_they_cannot_flag(comment: Comment, member: User, moderator: User) -> None:
    moderation.member_suspend(member=member, actor=moderator, reason="Spam", days=1)
    response = client_for(member).get(f"/governance/comments/{comment.pk}/flag/")
    assert response.status_code == 403
    assert "You are suspended until" in html_of(response)


def test_anonymous_people_are_sent_to_log_in(comment: Comment, anonymous: Client) -> None:
    response = anonymous.get(f"/governance/comments/{comment.pk}/flag/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- the queue -----------------------------------------------------------------------------


def test_the_queue_shows_flagged_content_with_reporters_reasons_and_held_comments(
    page: Page, comment: Comment, member: User, moderator: User
) -> None:
    moderation.flag_create(actor=member, comment=comment, reason="spam", note="An advert")
    moderation.flag_raise_automatic(page=page, phrases=["miracle"])
    held = make_comment(page, member, body="Held words here", state=Comment.State.HELD)
    response = client_for(moderator).get("/governance/moderation/")
    html = html_of(response)
    assert response.status_code == 200
    assert "Buy my course" in html
    assert "Meera Member" in html
    assert "It is spam or advertising" in html
    assert "An advert" in html
    assert "Watched words" in html
    assert "Emerging issues" in html
    assert "Held words here" in html
    assert f"/governance/comments/{held.pk}/publish/" in html
    assert f"/governance/comments/{comment.pk}/hide/?back=queue" in html


def test_members_and_facilitators_cannot_see_the_queue(member: User, facilitator: User) -> None:
    assert client_for(member).get("/governance/moderation/").status_code == 403
    assert client_for(facilitator).get("/governance/moderation/").status_code == 403


def test_a_space_moderator_sees_only_their_spaces_in_the_queue(
    members_space: Space, public_space: Space, facilitator: User, member: User
) -> None:
    sol = space_moderator(members_space)
    mine = make_comment(make_page(members_space, facilitator, title="Mine"), facilitator, body="Mine text")
    other = make_comment(make_page(public_space, facilitator, title="Other"), facilitator, body="Other text")
    for flagged in (mine, other):
        moderation.flag_create(actor=member, comment=flagged, reason="abuse")
    html = html_of(client_for(sol).get("/governance/moderation/"))
    assert "Mine text" in html
    assert "Other text" not in html


def test_a_moderator_dismisses_from_the_queue(comment: Comment, member: User, moderator: User) -> None:
    flag = moderation.flag_create(actor=member, comment=comment, reason="spam")
    assert client_for(member).post(f"/governance/flags/{flag.pk}/dismiss/").status_code == 403
    response = client_for(moderator).post(f"/governance/flags/{flag.pk}/dismiss/", follow=True)
    assert "Dismissed 1 flag." in html_of(response)
    assert Flag.objects.get().status == "dismissed"
    assert "Nothing is flagged." in html_of(response)


def test_the_queue_offers_no_hide_for_a_flagged_comment_its_author_deleted(
    comment: Comment, member: User, facilitator: User, moderator: User
) -> None:
    moderation.flag_create(actor=member, comment=comment, reason="spam")
    comment_delete(comment=comment, actor=facilitator)

    html = html_of(client_for(moderator).get("/governance/moderation/"))

    assert f"/governance/comments/{comment.pk}/hide/" not in html
    assert "Deleted by its author." in html


# --- hiding, restoring, publishing ---------------------------------------------------------


def test_a_moderator_hides_a_comment_with_a_reason_and_returns_to_it(
    comment: Comment, member: User, moderator: User
) -> None:
    client = client_for(moderator)
    path = f"/governance/comments/{comment.pk}/hide/"
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "Buy my course" in html_of(confirm)
    missing = client.post(path, {"reason": ""})
    assert missing.status_code == 400
    assert "Give a reason" in html_of(missing)
    response = client.post(path, {"reason": "Advertising"})
    assert response["Location"] == f"/spaces/masterclass/wiki/emerging-issues/#comment-{comment.pk}"
    comment.refresh_from_db()
    assert (comment.state, comment.moderation_reason) == ("hidden", "Advertising")
    restored = client.post(f"/governance/comments/{comment.pk}/restore/", {"back": "queue"})
    assert restored["Location"] == "/governance/moderation/"
    comment.refresh_from_db()
    assert comment.state == "visible"
    assert list(
        AuditEntry.objects.filter(target_type="discussions.comment").values_list("action", flat=True)
    ) == [
        "comment.restore",
        "comment.hide",
    ]


def test_members_get_403_for_moderation_actions_they_can_see_and_404_for_the_rest(
    private_space: Space, comment: Comment, facilitator: User, member: User
) -> None:
    client = client_for(member)
    for action in ("hide", "restore", "publish"):
        assert client.get(f"/governance/comments/{comment.pk}/{action}/").status_code == 403
        assert client.post(f"/governance/comments/{comment.pk}/{action}/", {"reason": "x"}).status_code == 403
    secret = make_comment(make_page(private_space, facilitator), facilitator)
    assert client.get(f"/governance/comments/{secret.pk}/hide/").status_code == 404
    comment.refresh_from_db()
    assert comment.state == "visible"


def test_publishing_a_held_comment_from_the_queue(page: Page, member: User, moderator: User) -> None:
    held = make_comment(page, member, body="Please review", state=Comment.State.HELD)
    response = client_for(moderator).post(
        f"/governance/comments/{held.pk}/publish/", {"back": "queue"}, follow=True
    )
    assert "The comment is published." in html_of(response)
    held.refresh_from_db()
    assert held.state == "visible"
    assert AuditEntry.objects.get(action="comment.publish").after["state"] == "visible"


def test_a_hidden_page_is_not_found_for_members_but_moderators_still_see_it(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    with committed():
        page = make_page(members_space, facilitator, title="Snake oil", body="Unsafe remedies")
    assert SearchDocument.objects.filter(object_id=page.pk).exists()
    client = client_for(moderator)
    with committed():
        response = client.post(
            f"/governance/spaces/masterclass/wiki/{page.slug}/hide/", {"reason": "Unsafe advice"}
        )
    assert response["Location"] == "/spaces/masterclass/wiki/snake-oil/"
    for path in ("history/", "revisions/1/", "edit/", "diff/?from=1&to=1"):
        assert client_for(member).get(f"/spaces/masterclass/wiki/snake-oil/{path}").status_code == 404
    assert client_for(member).get("/api/v1/spaces/masterclass/pages/snake-oil").status_code == 404
    assert client.get("/spaces/masterclass/wiki/snake-oil/history/").status_code == 200
    assert not SearchDocument.objects.filter(object_id=page.pk).exists()
    assert "Snake oil" not in html_of(client_for(member).get("/search", {"q": "remedies"}))
    with committed():
        client.post("/governance/spaces/masterclass/wiki/snake-oil/restore/")
    assert client_for(member).get("/spaces/masterclass/wiki/snake-oil/history/").status_code == 200
    assert SearchDocument.objects.filter(object_id=page.pk).exists()
    assert "Snake oil" in html_of(client_for(member).get("/search", {"q": "remedies"}))


def test_a_hidden_page_shows_a_placeholder_to_members(page: Page, member: User, moderator: User) -> None:
    moderation.page_hide(page=page, actor=moderator, reason="Unsafe advice")
    response = client_for(member).get(f"/spaces/masterclass/wiki/{page.slug}/")
    assert response.status_code == 200
    html = html_of(response)
    assert "Rapid sharing." not in html
    assert "hidden by a moderator" in html


def test_only_moderators_may_hide_pages(page: Page, member: User, facilitator: User) -> None:
    for person in (member, facilitator):
        assert (
            client_for(person).get(f"/governance/spaces/masterclass/wiki/{page.slug}/hide/").status_code
            == 403
        )
    page.refresh_from_db()
    assert page.hidden_at is None


# --- watched words and sanctions -----------------------------------------------------------


def test_a_moderator_adds_and_removes_watched_words(moderator: User, member: User) -> None:
    client = client_for(moderator)
    added = client.post("/governance/watched-words/", {"phrase": "Snake Oil", "action": "hold"}, follow=True)
    assert "“snake oil” is now watched." in html_of(added)
    duplicate = client.post("/governance/watched-words/", {"phrase": "SNAKE OIL", "action": "block"})
    assert duplicate.status_code == 400
    assert "already watched" in html_of(duplicate)
    assert 'value="SNAKE OIL"' in html_of(duplicate)
    word = WatchedWord.objects.get()
    assert client_for(member).post(f"/governance/watched-words/{word.pk}/remove/").status_code == 403
    assert client_for(member).get("/governance/watched-words/").status_code == 403
    client.post(f"/governance/watched-words/{word.pk}/remove/")
    assert not WatchedWord.objects.exists()


def test_a_blocked_word_keeps_what_the_member_typed_in_the_page_editor(
    members_space: Space, member: User, moderator: User
) -> None:
    moderation.watched_word_add(actor=moderator, phrase="scam", action="block")
    response = client_for(member).post(
        "/spaces/masterclass/wiki/new/", {"title": "Ideas", "body": "This is a S\u200bcam, honestly"}
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "is not allowed in this community" in html
    assert "honestly" in html
    assert not members_space.pages.exists()


def test_a_moderator_warns_and_suspends_a_member_from_their_page(member: User, moderator: User) -> None:
    client = client_for(moderator)
    path = f"/governance/members/{member.username}/"
    assert client.get(path).status_code == 200
    no_days = client.post(path, {"action": "suspend", "reason": "Spam"})
    assert no_days.status_code == 400
    assert "Enter how many days" in html_of(no_days)
    assert "Spam" in html_of(no_days)
    client.post(path, {"action": "warn", "reason": "Keep it civil"})
    response = client.post(path, {"action": "suspend", "reason": "Spam again", "days": "3"}, follow=True)
    html = html_of(response)
    assert "Meera Member is suspended." in html
    assert "Keep it civil" in html
    assert "Spam again" in html
    assert list(Sanction.objects.values_list("kind", flat=True)) == ["suspension", "warning"]
    member.refresh_from_db()
    assert member.is_suspended


def test_sanctions_are_for_community_moderators_and_never_of_admins_by_moderators(
    member: User, admin: User, moderator: User, facilitator: User
) -> None:
    assert client_for(facilitator).get(f"/governance/members/{member.username}/").status_code == 403
    response = client_for(moderator).post(
        f"/governance/members/{admin.username}/", {"action": "warn", "reason": "x"}
    )
    assert response.status_code == 400
    assert "Moderators cannot warn or suspend community admins." in html_of(response)
    assert not Sanction.objects.exists()
    assert client_for(moderator).get("/governance/members/nobody-here/").status_code == 404


def test_the_queue_takes_the_same_number_of_queries_however_much_is_flagged(
    page: Page, facilitator: User, member: User, moderator: User
) -> None:
    client = client_for(moderator)

    def flag_more(count: int) -> None:
        for n in range(count):
            flagged = make_comment(page, facilitator, body=f"Flagged {n}")
            moderation.flag_create(actor=moderator, comment=flagged, reason="spam")
            make_comment(page, member, body=f"Held {n}", state=Comment.State.HELD)
            hidden = make_comment(page, member, body=f"Hidden {n}")
            moderation.comment_hide(comment=hidden, actor=moderator, reason="Rude")

    flag_more(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/governance/moderation/").status_code == 200
    flag_more(8)
    with CaptureQueriesContext(connection) as many:
        html = html_of(client.get("/governance/moderation/"))
    assert html.count("<p>Flagged ") == 10
    assert len(many) == len(few)


def test_anonymous_people_cannot_see_the_queue(anonymous: Client) -> None:
    response = anonymous.get("/governance/moderation/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_every_confirmation_page_renders_for_a_moderator(
    page: Page, comment: Comment, moderator: User
) -> None:
    client = client_for(moderator)
    held = make_comment(page, moderator, state=Comment.State.HELD)
    assert "Publish the comment" in html_of(client.get(f"/governance/comments/{held.pk}/publish/"))
    assert "Restore the comment" in html_of(
        client.get(f"/governance/comments/{comment.pk}/restore/?back=queue")
    )
    assert "Hide the page" in html_of(client.get(f"/governance/spaces/masterclass/wiki/{page.slug}/hide/"))
    assert "Restore the page" in html_of(
        client.get(f"/governance/spaces/masterclass/wiki/{page.slug}/restore/")
    )
    assert "No words are watched yet." in html_of(client.get("/governance/watched-words/"))
