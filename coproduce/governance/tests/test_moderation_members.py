"""Warnings, suspensions and watched words: community moderators and admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space
from coproduce.discussions import services as discussions
from coproduce.discussions.models import Comment
from coproduce.governance import moderation, moderation_selectors, words
from coproduce.governance.models import AuditEntry, Flag, Sanction, WatchedWord
from coproduce.governance.tests.test_moderation_services import make_page, space_moderator
from coproduce.wiki import services as wiki

pytestmark = pytest.mark.django_db


def travel_to(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """Freeze the clock at `when` for everything that asks django.utils.timezone.now()."""
    monkeypatch.setattr(timezone, "now", lambda: when)


# --- warnings and suspensions --------------------------------------------------------------


def test_a_moderator_warns_a_member(member: User, moderator: User) -> None:
    sanction = moderation.member_warn(member=member, actor=moderator, reason="Please keep it civil.")
    assert (sanction.kind, sanction.user, sanction.created_by, sanction.ends_at) == (
        "warning",
        member,
        moderator,
        None,
    )
    entry = AuditEntry.objects.get(action="member.warn")
    assert (entry.actor, entry.target_type, entry.target_id) == (moderator, "accounts.user", str(member.pk))
    assert entry.after == {"reason": "Please keep it civil."}
    member.refresh_from_db()
    assert not member.is_suspended


def test_a_moderator_suspends_a_member_for_some_days(member: User, moderator: User) -> None:
    before = timezone.now()
    sanction = moderation.member_suspend(member=member, actor=moderator, reason="Spam", days=7)
    member.refresh_from_db()
    assert member.is_suspended
    until = sanction.ends_at
    assert until is not None
    assert member.suspended_until == until
    assert timedelta(days=7) <= until - before < timedelta(days=7, minutes=1)
    entry = AuditEntry.objects.get(action="member.suspend")
    assert entry.after == {"reason": "Spam", "until": until.isoformat()}


@pytest.mark.parametrize("days", [0, 366, -1])
def test_a_suspension_lasts_from_1_to_365_days(member: User, moderator: User, days: int) -> None:
    with pytest.raises(ValidationError) as caught:
        moderation.member_suspend(member=member, actor=moderator, reason="Spam", days=days)
    assert "days" in caught.value.message_dict
    assert not Sanction.objects.exists()


def test_warning_and_suspending_need_a_reason(member: User, moderator: User) -> None:
    with pytest.raises(ValidationError):
        moderation.member_warn(member=member, actor=moderator, reason=" ")
    with pytest.raises(ValidationError):
        moderation.member_suspend(member=member, actor=moderator, reason="", days=1)


def test_members_facilitators_and_space_moderators_cannot_sanction(
    members_space: Space, member: User, facilitator: User
) -> None:
    other = make_person("nia", Role.MEMBER)
    for person in (member, facilitator, space_moderator(members_space)):
        with pytest.raises(PermissionDenied):
            moderation.member_warn(member=other, actor=person, reason="No")
        with pytest.raises(PermissionDenied):
            moderation.member_suspend(member=other, actor=person, reason="No", days=1)
    assert not Sanction.objects.exists()


def test_a_moderator_cannot_sanction_an_admin_or_themselves(admin: User, moderator: User) -> None:
    with pytest.raises(PermissionDenied, match="admins"):
        moderation.member_suspend(member=admin, actor=moderator, reason="No", days=1)
    with pytest.raises(PermissionDenied, match="yourself"):
        moderation.member_warn(member=moderator, actor=moderator, reason="No")
    # an admin can
    moderation.member_warn(member=moderator, actor=admin, reason="Be kinder to admins.")
    assert Sanction.objects.get().user == moderator


def test_a_suspended_member_cannot_edit_pages_and_is_told_until_when(
    members_space: Space, member: User, moderator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    travel_to(monkeypatch, now)
    page = make_page(members_space, member)
    moderation.member_suspend(member=member, actor=moderator, reason="Cooling off", days=3)
    with pytest.raises(PermissionDenied) as caught:
        wiki.page_save(page=page, actor=member, body="More", base_revision=1)
    # 5 March 09:30 UTC is 09:30 in London (GMT)
    assert str(caught.value) == "You are suspended until 5 March 2026 at 09:30 and cannot post."
    with pytest.raises(PermissionDenied, match="suspended"):
        wiki.page_create(space=members_space, actor=member, title="New", body="Text")


def test_a_suspended_member_cannot_comment(members_space: Space, member: User, moderator: User) -> None:
    page = make_page(members_space, moderator)
    moderation.member_suspend(member=member, actor=moderator, reason="Cooling off", days=1)
    with pytest.raises(PermissionDenied):
        discussions.comment_create(page=page, actor=member, body="Let me in")
    assert not Comment.objects.exists()


def test_a_suspension_ends_by_itself_when_its_time_is_up(
    members_space: Space, member: User, moderator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(members_space, member)
    moderation.member_suspend(member=member, actor=moderator, reason="Cooling off", days=2)
    member.refresh_from_db()
    travel_to(monkeypatch, timezone.now() + timedelta(days=2, minutes=1))
    assert not member.is_suspended
    assert wiki.page_save(page=page, actor=member, body="Back again", base_revision=1).revision.number == 2


def test_ending_a_suspension_early_lifts_it(member: User, moderator: User) -> None:
    with pytest.raises(ValidationError):
        moderation.member_unsuspend(member=member, actor=moderator)
    moderation.member_suspend(member=member, actor=moderator, reason="Spam", days=30)
    moderation.member_unsuspend(member=member, actor=moderator)
    member.refresh_from_db()
    assert member.suspended_until is None
    sanction = Sanction.objects.get()
    assert (sanction.lifted_by, sanction.lifted_at is not None) == (moderator, True)
    entry = AuditEntry.objects.get(action="member.unsuspend")
    assert (entry.actor, entry.target_id, entry.after) == (moderator, str(member.pk), {"until": None})


# --- watched words -------------------------------------------------------------------------


def test_a_moderator_adds_a_watched_word_in_its_normal_form(moderator: User) -> None:
    word = moderation.watched_word_add(actor=moderator, phrase="  Snake\u200b   OIL ", action="flag")
    assert (word.phrase, word.action, word.created_by) == ("snake oil", "flag", moderator)
    entry = AuditEntry.objects.get(action="watched_word.add")
    assert entry.after == {"phrase": "snake oil", "action": "flag"}
    with pytest.raises(ValidationError, match="already watched"):
        moderation.watched_word_add(actor=moderator, phrase="SNAKE OIL", action="block")


@pytest.mark.parametrize(
    ("phrase", "action", "field"),
    [
        ("", "block", "phrase"),
        ("\u200b ", "block", "phrase"),
        ("x" * 101, "block", "phrase"),
        ("ok", "shout", "action"),
    ],
)
def test_a_watched_word_must_be_1_to_100_characters_with_a_known_action(
    moderator: User, phrase: str, action: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        moderation.watched_word_add(actor=moderator, phrase=phrase, action=action)
    assert field in caught.value.message_dict


def test_only_community_moderators_and_admins_keep_the_watched_words(
    members_space: Space, member: User, admin: User
) -> None:
    for person in (member, space_moderator(members_space)):
        with pytest.raises(PermissionDenied):
            moderation.watched_word_add(actor=person, phrase="scam", action="block")
    word = moderation.watched_word_add(actor=admin, phrase="scam", action="block")
    with pytest.raises(PermissionDenied):
        moderation.watched_word_remove(actor=member, word=word)
    moderation.watched_word_remove(actor=admin, word=word)
    assert not WatchedWord.objects.exists()
    entry = AuditEntry.objects.get(action="watched_word.remove")
    assert entry.before == {"phrase": "scam", "action": "block"}


@pytest.mark.parametrize(
    "text", ["You IDIOT", "you id\u200biot!", "\uff29\uff44\uff49\uff4f\uff54.", "idiot"]
)
def test_a_blocked_word_matches_whatever_the_case_or_hidden_characters(moderator: User, text: str) -> None:
    moderation.watched_word_add(actor=moderator, phrase="idiot", action="block")
    with pytest.raises(ValidationError) as caught:
        words.screen({"body": text})
    assert "body" in caught.value.message_dict
    assert words.screen({"body": "idiotic ideas"}).action is None  # whole words only


def test_a_blocked_word_refuses_a_page(members_space: Space, member: User, moderator: User) -> None:
    moderation.watched_word_add(actor=moderator, phrase="scam", action="block")
    with pytest.raises(ValidationError) as caught:
        wiki.page_create(space=members_space, actor=member, title="A SCAM", body="Text")
    assert "title" in caught.value.message_dict
    assert not members_space.pages.exists()


@pytest.mark.parametrize("action", ["hold", "flag"])
def test_a_held_or_flagged_word_saves_the_page_and_flags_it(
    members_space: Space, member: User, moderator: User, action: str
) -> None:
    moderation.watched_word_add(actor=moderator, phrase="miracle cure", action=action)
    page = wiki.page_create(space=members_space, actor=member, title="Cures", body="A Miracle  cure!")
    flag = Flag.objects.get()
    assert (flag.page, flag.reporter, flag.reason, flag.note) == (
        page,
        None,
        "watched_word",
        "Watched words: miracle cure",
    )
    assert page.hidden_at is None
    wiki.page_save(page=page, actor=member, body="Still a miracle cure", base_revision=1)
    assert Flag.objects.count() == 2
    creations = AuditEntry.objects.filter(action="flag.create", actor__isnull=True)
    assert creations.count() == 2


def test_a_hold_word_holds_a_comment_for_review(members_space: Space, member: User, moderator: User) -> None:
    moderation.watched_word_add(actor=moderator, phrase="buy now", action="hold")
    page = make_page(members_space, moderator)
    comment = discussions.comment_create(page=page, actor=member, body="BUY now!")
    assert comment.state == "held"
    assert list(moderation_selectors.held_comments(moderator)) == [comment]


def test_a_flag_word_publishes_a_comment_and_flags_it(
    members_space: Space, member: User, moderator: User
) -> None:
    moderation.watched_word_add(actor=moderator, phrase="rubbish", action="flag")
    page = make_page(members_space, moderator)
    comment = discussions.comment_create(page=page, actor=member, body="This is rubbish.")
    assert comment.state == "visible"
    flag = Flag.objects.get()
    assert (flag.comment, flag.reporter, flag.reason) == (comment, None, "watched_word")
    items = moderation_selectors.open_flags(moderator)
    assert [(item.comment, item.reporters) for item in items] == [(comment, ["Watched words"])]
