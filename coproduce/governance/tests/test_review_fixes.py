"""Defects a review of issue 6 found, each shown fixed from both sides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from conftest import make_person
from coproduce.accounts.models import Role, User
from coproduce.communities.models import Space, SpaceMembership
from coproduce.discussions import services as discussions
from coproduce.governance import redaction, rights
from coproduce.governance.models import AuditEntry
from coproduce.governance.policy import space_guard_policy_set
from coproduce.governance.safety import UnsafeContent
from coproduce.reports import services as reports
from coproduce.reports.models import Paper
from coproduce.wiki import services as wiki

pytestmark = pytest.mark.django_db

POSTCODE = "We met at LS1 4AP."


def test_a_revert_does_not_bring_back_what_the_space_now_blocks(
    members_space: Space, facilitator: User
) -> None:
    page = wiki.page_create(
        space=members_space, actor=facilitator, title="Venue", body=POSTCODE, confirmed=True
    )
    wiki.page_save(page=page, actor=facilitator, body="We met in Leeds.", base_revision=1)
    space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    page.refresh_from_db()
    page.space.refresh_from_db()

    with pytest.raises(UnsafeContent):
        wiki.page_revert(page=page, actor=facilitator, revision=1)
    page.refresh_from_db()
    assert page.head == 2


def test_a_revert_to_text_the_space_allows_still_works(members_space: Space, facilitator: User) -> None:
    page = wiki.page_create(space=members_space, actor=facilitator, title="Venue", body="In Leeds.")
    wiki.page_save(page=page, actor=facilitator, body="In York.", base_revision=1)

    revision = wiki.page_revert(page=page, actor=facilitator, revision=1)

    assert revision.body == "In Leeds."


def test_working_on_a_drafts_board_keeps_it_from_retention(members_space: Space, facilitator: User) -> None:
    page = wiki.page_create(space=members_space, actor=facilitator, title="Notes", body="Powers.")
    paper = reports.paper_create(actor=facilitator, space=members_space, title="Draft")
    Paper.objects.filter(pk=paper.pk).update(updated_at=timezone.now() - timedelta(days=40))
    stale = reports.paper_create(actor=facilitator, space=members_space, title="Forgotten")
    Paper.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=40))
    Space.objects.filter(pk=members_space.pk).update(keep_drafts_days=30)

    reports.source_place(actor=facilitator, paper=paper, key=f"page:{page.pk}", section=None, used=None)
    rights.retention_apply(now=timezone.now())

    assert Paper.objects.filter(pk=paper.pk).exists()
    assert not Paper.objects.filter(pk=stale.pk).exists()


def test_a_suspended_facilitator_cannot_change_retention_or_the_guard_and_others_still_can(
    members_space: Space, facilitator: User
) -> None:
    User.objects.filter(pk=facilitator.pk).update(suspended_until=timezone.now() + timedelta(days=7))
    facilitator.refresh_from_db()
    other = make_person("fran", Role.FACILITATOR, name="Fran Facilitator")
    SpaceMembership.objects.create(space=members_space, user=other, role="facilitator")

    with pytest.raises(PermissionDenied):
        rights.space_retention_set(
            space=members_space, actor=facilitator, keep_closed_discussions_days=1, keep_drafts_days=1
        )
    with pytest.raises(PermissionDenied):
        space_guard_policy_set(space=members_space, actor=facilitator, policy={"postcode": "block"})
    rights.space_retention_set(
        space=members_space, actor=other, keep_closed_discussions_days=90, keep_drafts_days=None
    )
    members_space.refresh_from_db()
    assert members_space.keep_closed_discussions_days == 90


def test_erasing_someone_with_a_one_word_name_leaves_that_word_in_other_peoples_titles(
    admin: User, members_space: Space, facilitator: User
) -> None:
    mark = make_person("mark", Role.MEMBER, name="Mark")
    full = make_person("jsmith", Role.MEMBER, name="Jane Smith")
    page = wiki.page_create(
        space=members_space, actor=facilitator, title="Mark the ward visit dates", body="x"
    )
    quoted = wiki.page_create(space=members_space, actor=facilitator, title="Notes from Jane Smith", body="x")

    rights.member_erase(member=mark, actor=admin)
    rights.member_erase(member=full, actor=admin)

    page.refresh_from_db()
    quoted.refresh_from_db()
    assert page.title == "Mark the ward visit dates"
    labels = set(AuditEntry.objects.filter(target_id=str(page.pk)).values_list("target_label", flat=True))
    assert labels == {"Mark the ward visit dates"}
    assert not AuditEntry.objects.filter(target_label__contains="Jane Smith").exists()


def test_redacting_a_title_also_leaves_the_discussions_audit_entries(
    members_space: Space, facilitator: User, member: User, moderator: User
) -> None:
    name = "Mrs Jane Smith"
    SpaceMembership.objects.create(space=members_space, user=member)
    page = wiki.page_create(
        space=members_space, actor=facilitator, title=f"{name} admitted with sepsis", body="x", confirmed=True
    )
    discussions.comment_create(page=page, actor=member, body="Noted.")
    discussions.discussion_close(page=page, actor=facilitator, outcome="Done.")
    assert page.current is not None
    [found] = [f for f in redaction.revision_findings(page.current) if f.field == "title"]

    redaction.revision_redact(
        revision=page.current, actor=moderator, field="title", start=found.start, end=found.end
    )

    assert not AuditEntry.objects.filter(target_label__contains="Jane Smith").exists()
    assert AuditEntry.objects.filter(action="discussion.close").exists()


def test_only_a_superuser_erases_a_superuser(admin: User) -> None:
    root = make_person("root", Role.ADMIN, name="Root User", is_superuser=True)
    other = make_person("ola", Role.ADMIN, name="Ola Admin")

    with pytest.raises(PermissionDenied):
        rights.member_erase(member=root, actor=admin)
    root.refresh_from_db()
    assert root.erased_at is None
    rights.member_erase(member=other, actor=root)
    other.refresh_from_db()
    assert other.erased_at is not None
