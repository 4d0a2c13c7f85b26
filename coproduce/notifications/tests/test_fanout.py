"""From audit entries to notifications: who is told, who is not, and how they want to hear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Committed, make_person
from coproduce.accounts.models import Role, Sector, User
from coproduce.communities.access import can_read_space
from coproduce.communities.models import Application, Space, SpaceMembership
from coproduce.communities.services import application_approve, application_reject
from coproduce.governance import audit
from coproduce.notifications.fanout import fan_out, readers
from coproduce.notifications.models import Frequency, Kind, Notification, Preference
from coproduce.notifications.tests.helpers import make_comment, make_page, record_comment
from coproduce.wiki.models import Watch
from coproduce.wiki.services import page_revert, page_save

pytestmark = pytest.mark.django_db


def kinds_for(user: User) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# --- comments ------------------------------------------------------------------------------


def test_a_reply_notifies_the_parent_author_and_not_the_replier(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    first = make_comment(page, facilitator)
    reply = make_comment(page, member, parent=first)
    with committed():
        record_comment(reply)
    notification = Notification.objects.get()
    assert notification.recipient == facilitator
    assert notification.kind == Kind.REPLY
    assert notification.text == "Meera Member replied to your comment on “Workforce”"
    assert notification.url == f"/spaces/masterclass/wiki/workforce/#comment-{reply.pk}"
    assert notification.actor == member
    assert notification.space == members_space
    assert kinds_for(member) == []


def test_replying_to_your_own_comment_notifies_nobody(
    members_space: Space, member: User, committed: Committed
) -> None:
    page = make_page(members_space, member)
    first = make_comment(page, member)
    with committed():
        record_comment(make_comment(page, member, parent=first), mentions=[])
    assert not Notification.objects.exists()


def test_someone_mentioned_and_replied_to_gets_one_mention(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    first = make_comment(page, facilitator)
    with committed():
        record_comment(make_comment(page, member, parent=first), mentions=[facilitator, moderator])
    assert kinds_for(facilitator) == [Kind.MENTION]
    assert kinds_for(moderator) == [Kind.MENTION]
    assert Notification.objects.count() == 2
    assert Notification.objects.get(recipient=moderator).text.startswith("Meera Member mentioned you")


def test_people_who_cannot_read_a_private_space_are_not_told_of_a_mention(
    private_space: Space, facilitator: User, member: User, outsider: User, admin: User, committed: Committed
) -> None:
    insider = make_person("ines", Role.MEMBER, name="Ines Insider")
    SpaceMembership.objects.create(space=private_space, user=insider)
    page = make_page(private_space, facilitator, title="Confidential plans")
    comment = make_comment(page, facilitator)
    with committed():
        # A stale payload naming people who cannot read the space: fan-out checks again itself.
        record_comment(comment, mentions=[member, outsider, insider, admin])
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"ines", "ada"}
    assert not any("Confidential" in m.subject for m in mail.outbox if member.email in m.to)


def test_a_held_comment_notifies_nobody_until_a_moderator_publishes_it(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    first = make_comment(page, facilitator)
    held = make_comment(page, member, parent=first, state="held")
    with committed():
        record_comment(held)
    assert not Notification.objects.exists()
    held.state = "visible"
    held.save()
    with committed():
        record_comment(held, action="comment.publish", actor=moderator)
    assert kinds_for(facilitator) == [Kind.REPLY]
    assert Notification.objects.get().actor == member  # the author, not the moderator


def test_a_comment_hidden_before_the_fan_out_runs_notifies_nobody(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = make_page(members_space, facilitator)
    reply = make_comment(page, member, parent=make_comment(page, facilitator))
    entry = record_comment(reply)
    reply.state = "hidden"
    reply.save()
    assert fan_out(entry_id=entry.pk) == 0


def test_a_new_comment_through_the_discussions_service_notifies_the_person_replied_to(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    from coproduce.discussions.services import comment_create

    page = make_page(members_space, facilitator)
    with committed():
        first = comment_create(page=page, actor=facilitator, body="Where are the gaps?")
    with committed():
        comment_create(page=page, actor=member, body="Community nursing, @rowan.", parent=first)
    assert kinds_for(facilitator) == [Kind.MENTION]
    assert len([m for m in mail.outbox if facilitator.email in m.to]) == 1


def test_an_edit_that_adds_a_mention_tells_only_the_newly_mentioned(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    from coproduce.discussions.services import comment_create, comment_edit

    page = make_page(members_space, facilitator)
    with committed():
        comment = comment_create(page=page, actor=member, body="Ask @rowan about rotas.")
    with committed():
        comment_edit(comment=comment, actor=member, body="Ask @rowan and @mo about rotas.")

    assert kinds_for(facilitator) == [Kind.MENTION]  # once, for the first mention only
    assert kinds_for(moderator) == [Kind.MENTION]
    assert kinds_for(member) == []


# --- discussions, pages, applications, moderation ------------------------------------------


def test_closing_a_discussion_tells_everyone_who_wrote_in_it_but_the_closer(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    first = make_comment(page, member)
    make_comment(page, moderator, parent=first)
    make_comment(page, facilitator)
    make_comment(page, member)
    with committed():
        audit.record(
            actor=facilitator,
            action="discussion.close",
            target=first.thread,
            space=members_space,
            after={"outcome": "We agreed.", "page": page.pk, "automatic": False},
        )
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["meera", "mo"]
    notification = Notification.objects.get(recipient=member)
    assert notification.kind == Kind.DISCUSSION_CLOSED
    assert notification.text == "Rowan Facilitator closed the discussion on “Workforce”"
    assert notification.url.endswith("/workforce/#discussion")


def test_an_automatic_close_names_nobody(members_space: Space, facilitator: User, member: User) -> None:
    page = make_page(members_space, facilitator)
    comment = make_comment(page, member)
    entry = audit.record(
        actor=None,
        action="discussion.close",
        target=comment.thread,
        space=members_space,
        after={"outcome": "Closed.", "page": page.pk, "automatic": True},
    )
    fan_out(entry_id=entry.pk)
    assert Notification.objects.get().text == "The discussion on “Workforce” has closed"


def test_a_page_change_tells_watchers_of_the_page_or_its_space_once_each_but_not_the_editor(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    Watch.objects.create(user=member, page=page)
    Watch.objects.create(user=member, space=members_space)
    Watch.objects.create(user=moderator, space=members_space)
    Watch.objects.create(user=facilitator, page=page)
    with committed():
        page_save(page=page, actor=facilitator, body="New text.", base_revision=1)
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["meera", "mo"]
    notification = Notification.objects.get(recipient=member)
    assert notification.kind == Kind.WATCHED
    assert notification.frequency == Frequency.DAILY  # the default for watched changes
    assert notification.text == "Rowan Facilitator edited “Workforce” in Masterclass"
    assert notification.url == "/spaces/masterclass/wiki/workforce/diff/?from=1&to=2"
    with committed():
        page_revert(page=page, actor=member, revision=1)
    assert Notification.objects.get(recipient=facilitator).text.startswith("Meera Member reverted")


def test_watchers_who_cannot_read_a_private_space_hear_nothing(
    private_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    page = make_page(private_space, facilitator)
    Watch.objects.create(user=member, space=private_space)  # watched while a member of the space
    with committed():
        page_save(page=page, actor=facilitator, body="Secret.", base_revision=1)
    assert not Notification.objects.exists()


def test_changes_to_a_hidden_page_notify_nobody(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = make_page(members_space, facilitator)
    Watch.objects.create(user=member, page=page)
    entry = audit.record(
        actor=facilitator, action="page.save", target=page, space=members_space, after={"revision": 2}
    )
    page.hidden_at = timezone.now()
    page.save()
    assert fan_out(entry_id=entry.pk) == 0


def test_an_approved_applicant_finds_it_in_the_inbox_and_is_emailed_only_once(
    admin: User, committed: Committed
) -> None:
    application = Application.objects.create(
        name="Priya Patel",
        email="priya@example.nhs.uk",
        organisation="Example NHS Trust",
        sector=Sector.NHS,
        reason="To help.",
    )
    with committed():
        application_approve(application=application, actor=admin, reason="")
    notification = Notification.objects.get()
    assert notification.recipient.email == "priya@example.nhs.uk"
    assert notification.kind == Kind.APPLICATION
    assert notification.emailed_at is not None
    assert len(mail.outbox) == 1  # the decision e-mail from communities, not a second one
    assert "approved" in mail.outbox[0].subject


def test_a_turned_down_applicant_with_an_account_finds_it_in_the_inbox_and_is_emailed_only_once(
    admin: User, outsider: User, committed: Committed
) -> None:
    application = Application.objects.create(
        name="Otto Outsider",
        email=outsider.email,  # someone whose membership ended applies again
        organisation="Example Ltd",
        sector=Sector.PRIVATE_SECTOR,
        reason="To come back.",
    )
    with committed():
        application_reject(application=application, actor=admin, reason="We are full this year.")
    notification = Notification.objects.get()
    assert notification.recipient == outsider
    assert notification.kind == Kind.APPLICATION
    assert notification.text == "Your application to join was not approved: We are full this year."
    assert notification.space is None
    assert notification.emailed_at is not None  # in the inbox only
    assert len(mail.outbox) == 1  # the decision e-mail from communities, not a second one
    assert mail.outbox[0].to == [outsider.email]


def test_a_turned_down_applicant_without_an_account_gets_no_notification(
    admin: User, committed: Committed
) -> None:
    application = Application.objects.create(
        name="Priya Patel",
        email="priya@example.nhs.uk",
        organisation="Example NHS Trust",
        sector=Sector.NHS,
        reason="To help.",
    )
    with committed():
        application_reject(application=application, actor=admin, reason="Not this time.")
    assert not Notification.objects.exists()
    assert len(mail.outbox) == 1


def test_notifications_remember_the_page_they_are_about(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    Watch.objects.create(user=moderator, page=page)
    first = make_comment(page, facilitator)
    with committed():
        record_comment(make_comment(page, member, parent=first))
        page_save(page=page, actor=facilitator, body="New text.", base_revision=1)
        audit.record(
            actor=facilitator,
            action="discussion.close",
            target=first.thread,
            space=members_space,
            after={"outcome": "We agreed.", "page": page.pk, "automatic": False},
        )
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {Kind.REPLY, Kind.WATCHED, Kind.DISCUSSION_CLOSED}
    assert set(Notification.objects.values_list("page_id", flat=True)) == {page.pk}


def test_the_migration_fills_in_the_page_of_older_notifications(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("coproduce.notifications.migrations.0002_page_email_attempts")
    page = make_page(members_space, facilitator)
    first = make_comment(page, facilitator)
    Watch.objects.create(user=member, page=page)
    with committed():
        record_comment(make_comment(page, member, parent=first))
        page_save(page=page, actor=facilitator, body="New text.", base_revision=1)
        audit.record(actor=facilitator, action="member.warn", target=member, after={"reason": "Be kind."})
    Notification.objects.update(page=None)
    migration.fill_pages(apps, None)
    pages = dict(Notification.objects.values_list("kind", "page_id"))
    assert pages == {Kind.REPLY: page.pk, Kind.WATCHED: page.pk, Kind.MODERATION: None}


def test_a_warned_or_suspended_member_is_told_why(
    moderator: User, member: User, committed: Committed
) -> None:
    until = timezone.now() + timedelta(days=7)
    with committed():
        audit.record(actor=moderator, action="member.warn", target=member, after={"reason": "Be kind."})
        audit.record(
            actor=moderator,
            action="member.suspend",
            target=member,
            after={"reason": "Repeated abuse.", "until": until.isoformat()},
        )
    texts = sorted(Notification.objects.filter(recipient=member).values_list("text", flat=True))
    assert texts[0] == "A moderator sent you a warning: Be kind."
    assert texts[1].startswith("A moderator suspended you from posting until ")
    assert texts[1].endswith(": Repeated abuse.")
    assert {n.kind for n in Notification.objects.all()} == {Kind.MODERATION}
    assert not Notification.objects.filter(recipient=moderator).exists()


def test_entries_without_a_route_notify_nobody(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    Watch.objects.create(user=member, page=page)
    Notification.objects.all().delete()
    with committed():
        for action in ("page.hide", "comment.edit", "discussion.reopen", "member.unsuspend"):
            audit.record(actor=facilitator, action=action, target=page, space=members_space)
    assert not Notification.objects.exists()


# --- preferences, e-mail, idempotence, queries -------------------------------------------------


def test_each_recipient_gets_their_chosen_frequency_and_only_immediate_ones_are_emailed(
    members_space: Space, facilitator: User, member: User, moderator: User, committed: Committed
) -> None:
    Preference.objects.create(user=moderator, kind=Kind.MENTION, frequency=Frequency.OFF)
    page = make_page(members_space, facilitator)
    with committed():
        record_comment(make_comment(page, facilitator), mentions=[member, moderator])
    assert Notification.objects.get(recipient=member).frequency == Frequency.IMMEDIATE
    assert Notification.objects.get(recipient=moderator).frequency == Frequency.OFF
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert Notification.objects.get(recipient=member).emailed_at is not None
    assert Notification.objects.get(recipient=moderator).emailed_at is None


def test_running_the_fan_out_twice_makes_no_second_notification_or_email(
    members_space: Space, facilitator: User, member: User, committed: Committed
) -> None:
    page = make_page(members_space, facilitator)
    with committed():
        entry = record_comment(make_comment(page, facilitator), mentions=[member])
    with committed():
        fan_out(entry_id=entry.pk)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("space_name", ["public_space", "members_space", "private_space"])
def test_the_bulk_read_check_agrees_with_can_read_space(
    request: pytest.FixtureRequest,
    space_name: str,
    admin: User,
    facilitator: User,
    moderator: User,
    member: User,
    outsider: User,
) -> None:
    space: Space = request.getfixturevalue(space_name)
    left = make_person("lena", Role.MEMBER, name="Lena Left", is_active=False)
    ended = make_person("eric", Role.NONE, name="Eric Ended")
    SpaceMembership.objects.create(space=space, user=ended)  # community membership ended
    SpaceMembership.objects.create(space=space, user=member)
    people = [admin, facilitator, moderator, member, outsider, left, ended]
    assert readers(people, space) == [user for user in people if can_read_space(user, space)]


def test_the_queries_of_a_fan_out_do_not_grow_with_the_number_of_recipients(
    members_space: Space, facilitator: User
) -> None:
    page = make_page(members_space, facilitator)

    def queries_for(watchers: int) -> int:
        Watch.objects.filter(page=page).delete()
        for n in range(watchers):
            Watch.objects.create(user=make_person(f"w{watchers}x{n}", Role.MEMBER), page=page)
        entry = audit.record(
            actor=facilitator, action="page.save", target=page, space=members_space, after={"revision": 1}
        )
        with CaptureQueriesContext(connection) as captured:
            assert fan_out(entry_id=entry.pk) == watchers
        return len(captured)

    few, many = queries_for(3), queries_for(30)
    assert few == many
