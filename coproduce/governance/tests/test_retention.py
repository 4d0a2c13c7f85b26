"""Per-space retention: closed discussions and unpublished paper drafts are deleted once older
than the space allows, by a periodic command; facilitators and admins choose the days."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.core.management.commands.worker import run_periodic_jobs
from coproduce.discussions import services as discussions
from coproduce.discussions.models import Comment, Thread
from coproduce.governance import rights
from coproduce.governance.models import AuditEntry
from coproduce.reports import services as reports
from coproduce.reports.models import Edition, Paper
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Page


def _closed_discussion(space: Space, facilitator: User, member: User, *, days_ago: int, title: str) -> Thread:
    page = wiki.page_create(space=space, actor=facilitator, title=title, body="Body.")
    discussions.comment_create(page=page, actor=member, body=f"A comment on {title}.")
    thread = discussions.discussion_close(page=page, actor=facilitator, outcome=f"We agreed on {title}.")
    Thread.objects.filter(pk=thread.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
    return thread


def _draft(space: Space, facilitator: User, *, days_ago: int, title: str) -> Paper:
    paper = reports.paper_create(actor=facilitator, space=space, title=title)
    Paper.objects.filter(pk=paper.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))
    return paper


def _keep(space: Space, *, discussions: int | None = None, drafts: int | None = None) -> None:
    Space.objects.filter(pk=space.pk).update(
        keep_closed_discussions_days=discussions, keep_drafts_days=drafts
    )


# --- applying --------------------------------------------------------------------------------


def test_a_discussion_closed_longer_ago_than_the_space_keeps_them_is_deleted_with_its_comments(
    members_space: Space, facilitator: User, member: User
) -> None:
    old = _closed_discussion(members_space, facilitator, member, days_ago=40, title="Old")
    recent = _closed_discussion(members_space, facilitator, member, days_ago=10, title="Recent")
    _keep(members_space, discussions=30)

    [result] = rights.retention_apply(now=timezone.now())

    assert (result.discussions, result.comments, result.drafts) == (1, 1, 0)
    assert not Thread.objects.filter(pk=old.pk).exists()
    assert not Comment.objects.filter(body="A comment on Old.").exists()
    assert Page.objects.filter(title="Old").exists()  # the page itself stays
    assert Thread.objects.filter(pk=recent.pk).exists()
    assert Comment.objects.filter(body="A comment on Recent.").exists()


def test_open_discussions_and_spaces_without_a_setting_keep_everything(
    members_space: Space, public_space: Space, facilitator: User, member: User
) -> None:
    elsewhere = _closed_discussion(public_space, facilitator, member, days_ago=4000, title="Elsewhere")
    page = wiki.page_create(space=members_space, actor=facilitator, title="Open", body="Body.")
    discussions.comment_create(page=page, actor=member, body="Still talking.")
    Thread.objects.filter(page=page).update(created_at=timezone.now() - timedelta(days=400))
    _keep(members_space, discussions=1, drafts=1)

    results = rights.retention_apply(now=timezone.now())

    assert [r.space for r in results] == ["masterclass"]
    assert Thread.objects.filter(pk=elsewhere.pk).exists()
    assert Comment.objects.filter(body="Still talking.").exists()


def test_a_discussion_that_closed_by_itself_counts_from_its_close_time(
    members_space: Space, facilitator: User, member: User
) -> None:
    page = wiki.page_create(space=members_space, actor=facilitator, title="Timed", body="Body.")
    discussions.comment_create(page=page, actor=member, body="Timed comment.")
    Thread.objects.filter(page=page).update(close_at=timezone.now() - timedelta(days=31))
    _keep(members_space, discussions=30)

    rights.retention_apply(now=timezone.now())

    assert not Thread.objects.filter(page=page).exists()


def test_an_unpublished_draft_untouched_for_longer_than_allowed_is_deleted_but_published_papers_stay(
    members_space: Space, facilitator: User
) -> None:
    stale = _draft(members_space, facilitator, days_ago=100, title="Stale draft")
    fresh = _draft(members_space, facilitator, days_ago=5, title="Fresh draft")
    published = _draft(members_space, facilitator, days_ago=400, title="Published long ago")
    Edition.objects.create(paper=published, number=1, version="1.0", licence="OGL", how_to_cite="Cite.")
    _keep(members_space, drafts=90)

    [result] = rights.retention_apply(now=timezone.now())

    assert result.drafts == 1
    assert set(Paper.objects.values_list("pk", flat=True)) == {fresh.pk, published.pk}
    assert not Paper.objects.filter(pk=stale.pk).exists()


def test_retention_is_audited_with_counts_and_forgets_what_the_deleted_discussion_said(
    members_space: Space, facilitator: User, member: User
) -> None:
    old = _closed_discussion(members_space, facilitator, member, days_ago=40, title="Old")
    _keep(members_space, discussions=30)

    rights.retention_apply(now=timezone.now())

    entry = AuditEntry.objects.get(action="space.retention_apply")
    assert entry.actor is None
    assert entry.space == members_space
    assert entry.after == {"discussions": 1, "comments": 1, "drafts": 0}
    closing = AuditEntry.objects.get(action="discussion.close", target_id=str(old.pk))
    assert "outcome" not in closing.after
    assert not AuditEntry.objects.filter(after__icontains="We agreed on Old").exists()


def test_a_second_run_deletes_nothing_more_and_writes_no_entry(
    members_space: Space, facilitator: User, member: User
) -> None:
    _closed_discussion(members_space, facilitator, member, days_ago=40, title="Old")
    _draft(members_space, facilitator, days_ago=100, title="Stale")
    _keep(members_space, discussions=30, drafts=30)
    rights.retention_apply(now=timezone.now())

    [again] = rights.retention_apply(now=timezone.now())

    assert (again.discussions, again.comments, again.drafts) == (0, 0, 0)
    assert AuditEntry.objects.filter(action="space.retention_apply").count() == 1


def test_a_dry_run_counts_and_deletes_nothing(members_space: Space, facilitator: User, member: User) -> None:
    old = _closed_discussion(members_space, facilitator, member, days_ago=40, title="Old")
    stale = _draft(members_space, facilitator, days_ago=100, title="Stale")
    _keep(members_space, discussions=30, drafts=30)

    [result] = rights.retention_apply(now=timezone.now(), dry_run=True)

    assert (result.discussions, result.comments, result.drafts) == (1, 1, 1)
    assert Thread.objects.filter(pk=old.pk).exists()
    assert Paper.objects.filter(pk=stale.pk).exists()
    assert not AuditEntry.objects.filter(action="space.retention_apply").exists()


def test_the_command_reports_each_space_and_honours_dry_run(
    members_space: Space, facilitator: User, member: User
) -> None:
    old = _closed_discussion(members_space, facilitator, member, days_ago=40, title="Old")
    _keep(members_space, discussions=30)
    out = StringIO()

    call_command("apply_retention", "--dry-run", stdout=out)
    assert "masterclass: would delete 1 closed discussion(s) with 1 comment(s), 0 draft(s)" in out.getvalue()
    assert Thread.objects.filter(pk=old.pk).exists()

    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "masterclass: deleted 1 closed discussion(s)" in out.getvalue()
    assert not Thread.objects.filter(pk=old.pk).exists()


def test_the_command_says_so_when_no_space_has_a_setting(db: None) -> None:
    out = StringIO()

    call_command("apply_retention", stdout=out)

    assert out.getvalue().strip() == "No space has a retention setting."


def test_the_workers_periodic_jobs_apply_retention(
    members_space: Space, facilitator: User, member: User
) -> None:
    old = _closed_discussion(members_space, facilitator, member, days_ago=40, title="Old")
    _keep(members_space, discussions=30)

    run_periodic_jobs()

    assert not Thread.objects.filter(pk=old.pk).exists()


# --- setting ---------------------------------------------------------------------------------


def _url(space: Space) -> str:
    return reverse("governance:space_retention", args=[space.slug])


def test_a_facilitator_of_the_space_sets_how_long_it_keeps_things(
    members_space: Space, facilitator: User
) -> None:
    response = client_for(facilitator).post(
        _url(members_space), {"keep_closed_discussions_days": "365", "keep_drafts_days": ""}
    )

    assert response.status_code == 302
    members_space.refresh_from_db()
    assert members_space.keep_closed_discussions_days == 365
    assert members_space.keep_drafts_days is None
    entry = AuditEntry.objects.get(action="space.retention")
    assert entry.actor == facilitator
    assert entry.before == {"keep_closed_discussions_days": None, "keep_drafts_days": None}
    assert entry.after == {"keep_closed_discussions_days": 365, "keep_drafts_days": None}


def test_an_admin_who_is_not_in_the_space_may_set_it(members_space: Space, admin: User) -> None:
    rights.space_retention_set(
        space=members_space, actor=admin, keep_closed_discussions_days=None, keep_drafts_days=30
    )

    members_space.refresh_from_db()
    assert members_space.keep_drafts_days == 30


def test_the_settings_page_shows_the_current_values(members_space: Space, facilitator: User) -> None:
    _keep(members_space, discussions=90)

    page = client_for(facilitator).get(_url(members_space)).content.decode()

    assert 'name="keep_closed_discussions_days"' in page
    assert 'value="90"' in page


def test_a_member_may_not_set_retention(members_space: Space, member: User) -> None:
    response = client_for(member).post(_url(members_space), {"keep_closed_discussions_days": "1"})

    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        rights.space_retention_set(
            space=members_space, actor=member, keep_closed_discussions_days=1, keep_drafts_days=None
        )
    members_space.refresh_from_db()
    assert members_space.keep_closed_discussions_days is None
    assert not AuditEntry.objects.filter(action="space.retention").exists()


def test_an_outsider_cannot_find_a_private_spaces_retention_page(
    private_space: Space, outsider: User
) -> None:
    assert client_for(outsider).get(_url(private_space)).status_code == 404


def test_zero_days_is_refused_with_a_clear_message_and_the_typed_value_kept(
    members_space: Space, facilitator: User
) -> None:
    response = client_for(facilitator).post(
        _url(members_space), {"keep_closed_discussions_days": "0", "keep_drafts_days": "abc"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter at least 1 day, or leave it empty to keep them." in page
    assert "Enter the number of days as a whole number, like 365." in page
    assert 'value="0"' in page
    members_space.refresh_from_db()
    assert members_space.keep_closed_discussions_days is None


def test_the_service_refuses_days_out_of_range(members_space: Space, facilitator: User) -> None:
    with pytest.raises(ValidationError) as raised:
        rights.space_retention_set(
            space=members_space, actor=facilitator, keep_closed_discussions_days=0, keep_drafts_days=10**6
        )

    assert set(raised.value.message_dict) == {"keep_closed_discussions_days", "keep_drafts_days"}


def test_the_space_settings_page_links_to_the_guard_and_retention_settings(
    members_space: Space, facilitator: User
) -> None:
    shown = client_for(facilitator).get(f"/spaces/{members_space.slug}/settings/").content.decode()

    assert f"/governance/spaces/{members_space.slug}/retention/" in shown
    assert f"/governance/spaces/{members_space.slug}/guard/" in shown
