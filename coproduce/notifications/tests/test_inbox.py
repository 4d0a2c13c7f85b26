"""The inbox, read and read-all, the unread count in the header, and the settings page."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space, SpaceMembership
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import DEFAULT_FREQUENCY, Frequency, Kind, Notification, Preference
from coproduce.notifications.selectors import unread_count
from coproduce.notifications.tests.helpers import make_page
from coproduce.wiki.models import Page

pytestmark = pytest.mark.django_db

type MaxQueries = Callable[..., AbstractContextManager[Any]]


def notify(
    user: User, text: str, *, url: str = "/spaces/", space: Space | None = None, page: Page | None = None
) -> Notification:
    entry = AuditEntry.objects.create(action="page.save", target_type="wiki.page", target_id=text)
    return Notification.objects.create(
        recipient=user,
        kind=Kind.WATCHED,
        entry=entry,
        text=text,
        url=url,
        space=space,
        page=page,
        frequency="daily",
    )


def test_the_inbox_lists_my_notifications_newest_first_and_marks_the_unread(
    member: User, facilitator: User, members_space: Space
) -> None:
    notify(member, "Older news", space=members_space).read_at = None
    read = notify(member, "Read news")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    notify(member, "Newest news")
    notify(facilitator, "Someone else's news")
    page = client_for(member).get("/notifications/").content.decode()
    assert page.index("Newest news") < page.index("Read news") < page.index("Older news")
    assert "Someone else&#x27;s news" not in page
    assert "Someone else's news" not in page
    assert page.count('nhsuk-tag--blue">Unread') == 2
    assert "Mark all as read" in page
    assert "Masterclass" in page


def test_the_inbox_can_show_only_unread_and_is_paginated(member: User) -> None:
    for n in range(30):
        notify(member, f"News {n:02d}")
    Notification.objects.filter(text="News 29").update(read_at="2026-01-01T00:00:00Z")
    client = client_for(member)
    assert "News 29" not in client.get("/notifications/?unread=1").content.decode()
    second = client.get("/notifications/?page=2").content.decode()
    assert "News 04" in second
    assert "News 05" not in second


def test_the_inbox_needs_a_log_in(anonymous: Client) -> None:
    response = anonymous.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_opening_a_notification_marks_it_read_and_goes_to_the_thing(member: User) -> None:
    notification = notify(member, "A reply", url="/spaces/masterclass/wiki/workforce/#comment-3")
    response = client_for(member).post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == "/spaces/masterclass/wiki/workforce/#comment-3"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert not AuditEntry.objects.exclude(action="page.save").exists()  # reading is not audited


def test_nobody_can_open_or_even_see_someone_elses_notification(member: User, facilitator: User) -> None:
    notification = notify(facilitator, "Private")
    assert client_for(member).post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert client_for(member).get(f"/notifications/{notification.pk}/read/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_as_read_reads_only_mine(member: User, facilitator: User) -> None:
    notify(member, "One")
    notify(member, "Two")
    theirs = notify(facilitator, "Theirs")
    response = client_for(member).post("/notifications/read-all/", follow=True)
    assert "Marked 2 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_header_shows_the_unread_count_with_one_small_query(
    member: User, facilitator: User, private_space: Space, django_assert_max_num_queries: MaxQueries
) -> None:
    for n in range(3):
        notify(member, f"News {n}")
    notify(member, "Steering group news", space=private_space)  # a space she cannot read
    hidden = make_page(private_space, facilitator, title="Hidden")
    Page.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    notify(member, "Hidden page news", page=hidden)
    client = client_for(member)
    client.get("/")  # warm up: session, site caches
    with django_assert_max_num_queries(4) as captured:  # session, user, the spaces, the unread count
        page = client.get("/spaces/").content.decode()
    counts = [q["sql"] for q in captured.captured_queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT" in counts[0].upper()
    count = r"Inbox <span>\(3<span class=\"nhsuk-u-visually-hidden\"> unread notifications</span>\)</span>"
    assert re.search(count, page)


def test_notifications_from_a_space_i_can_no_longer_read_leave_my_inbox_until_i_can_again(
    member: User, facilitator: User, private_space: Space
) -> None:
    membership = SpaceMembership.objects.create(space=private_space, user=member)
    page = make_page(private_space, facilitator, title="Budget cuts")
    secret = notify(member, "Rowan edited “Budget cuts” in Steering group", space=private_space, page=page)
    notify(member, "Welcome")
    client = client_for(member)
    assert "Budget cuts" in client.get("/notifications/").content.decode()
    assert unread_count(member) == 2

    membership.delete()
    inbox = client.get("/notifications/").content.decode()
    assert "Budget cuts" not in inbox
    assert "Steering group" not in inbox
    assert "Welcome" in inbox
    assert unread_count(member) == 1
    assert client.post(f"/notifications/{secret.pk}/read/").status_code == 404
    client.post("/notifications/read-all/")
    secret.refresh_from_db()
    assert secret.read_at is None  # not even counted as read: she never saw it

    SpaceMembership.objects.create(space=private_space, user=member)
    assert "Budget cuts" in client.get("/notifications/").content.decode()
    assert unread_count(member) == 1


def test_notifications_about_a_page_a_moderator_hid_are_not_shown(
    member: User, facilitator: User, members_space: Space
) -> None:
    page = make_page(members_space, facilitator, title="Rude page")
    about = notify(member, "Rowan edited “Rude page” in Masterclass", space=members_space, page=page)
    notify(member, "Rowan edited “Fine page” in Masterclass", space=members_space)
    Page.objects.filter(pk=page.pk).update(hidden_at=timezone.now())
    client = client_for(member)
    inbox = client.get("/notifications/").content.decode()
    assert "Rude page" not in inbox
    assert "Fine page" in inbox
    assert unread_count(member) == 1
    assert client.post(f"/notifications/{about.pk}/read/").status_code == 404


def test_someone_whose_community_membership_ended_sees_only_what_is_not_tied_to_a_space(
    outsider: User, members_space: Space, public_space: Space
) -> None:
    notify(outsider, "Members-only news", space=members_space)
    notify(outsider, "Public news", space=public_space)
    notify(outsider, "Your application to join was not approved.")
    inbox = client_for(outsider).get("/notifications/").content.decode()
    assert "Members-only news" not in inbox
    assert "Public news" in inbox
    assert "not approved" in inbox
    assert unread_count(outsider) == 2


def test_visitors_get_no_inbox_link_and_no_notification_query(
    anonymous: Client, django_assert_max_num_queries: MaxQueries
) -> None:
    with django_assert_max_num_queries(1) as captured:
        page = anonymous.get("/spaces/").content.decode()
    assert not [q for q in captured.captured_queries if "notifications_notification" in q["sql"]]
    assert "Inbox" not in page


def test_moderators_see_a_moderation_link_and_members_do_not(moderator: User, member: User) -> None:
    assert 'href="/governance/moderation/"' in client_for(moderator).get("/spaces/").content.decode()
    assert "/governance/moderation/" not in client_for(member).get("/spaces/").content.decode()


# --- settings ------------------------------------------------------------------------------


def test_the_settings_page_preselects_the_defaults_and_my_choices(member: User) -> None:
    Preference.objects.create(user=member, kind=Kind.MENTION, frequency=Frequency.WEEKLY)
    page = client_for(member).get("/notifications/settings/").content.decode()
    for kind in Kind:
        expected = Frequency.WEEKLY if kind == Kind.MENTION else DEFAULT_FREQUENCY[kind]
        checked = re.search(
            rf'<input[^>]*name="{kind.value}"[^>]*value="{expected}"[^>]*checked', page
        ) or re.search(rf'<input[^>]*name="{kind.value}"[^>]*checked[^>]*value="{expected}"', page)
        assert checked, kind
    assert "<legend" in page
    assert "Replies to your comments" in page


def test_saving_the_settings_stores_choices_and_audits_the_change(member: User) -> None:
    choices = dict(DEFAULT_FREQUENCY) | {"reply": "weekly", "watched": "off"}
    response = client_for(member).post("/notifications/settings/", choices, follow=True)
    assert "Your notification settings are saved." in response.content.decode()
    assert dict(Preference.objects.filter(user=member).values_list("kind", "frequency")) == {
        "reply": "weekly",
        "watched": "off",
    }
    entry = AuditEntry.objects.get(action="notifications.preferences")
    assert entry.before == {"reply": "immediate", "watched": "daily"}
    assert entry.after == {"reply": "weekly", "watched": "off"}


def test_a_bad_choice_keeps_what_was_chosen_and_says_what_is_wrong(member: User) -> None:
    choices = dict(DEFAULT_FREQUENCY) | {"reply": "hourly", "mention": "weekly"}
    del choices["watched"]
    response = client_for(member).post("/notifications/settings/", choices)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Choose how often to hear about: changes to pages and spaces you watch." in page
    assert re.search(r'<input[^>]*name="mention"[^>]*value="weekly"[^>]*checked', page)
    assert not Preference.objects.exists()
