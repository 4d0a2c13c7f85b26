"""Redaction by moderators: the found text leaves every stored copy; only community moderators may."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from conftest import Committed, client_for
from coproduce.accounts.models import User
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.core.pagecache import content_version
from coproduce.discussions.models import Comment
from coproduce.discussions.services import comment_create
from coproduce.governance import redaction
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import Notification
from coproduce.reports import services as reports
from coproduce.reports.models import Edition, Source
from coproduce.search.models import SearchDocument
from coproduce.search.query import search
from coproduce.wiki.models import Page, PageAlias, Revision
from coproduce.wiki.services import page_create, page_save

NAME = "John Smith"
BODY = f"Ward round notes.\n\n{NAME} was admitted with sepsis on Monday.\n\nDischarge planning next week."


@pytest.fixture
def page(public_space: Space, facilitator: User, committed: Committed) -> Page:
    with committed():
        return page_create(
            space=public_space, actor=facilitator, title="Ward round notes", body=BODY, confirmed=True
        )


def _finding(revision: Revision, field: str = "body") -> redaction.Redactable:
    (found,) = [f for f in redaction.revision_findings(revision) if f.field == field]
    return found


def _post(client: Client, revision: Revision, found: redaction.Redactable) -> int:
    url = reverse("governance:revision_redact", args=[revision.pk])
    return client.post(url, {"field": found.field, "start": found.start, "end": found.end}).status_code


def _no_name_anywhere(page: Page) -> None:
    page.refresh_from_db()
    for revision in page.revisions.all():
        assert NAME not in revision.title + revision.body + revision.html + revision.summary
    document = SearchDocument.objects.get(kind=SearchDocument.Kind.PAGE, object_id=page.pk)
    assert NAME not in document.title + document.body
    for entry in AuditEntry.objects.all():
        assert NAME not in json.dumps([entry.target_label, entry.before, entry.after])
    assert not Notification.objects.filter(text__contains=NAME).exists()


# --- revisions ---------------------------------------------------------------------------------


def test_the_guard_finds_the_name_and_the_moderator_sees_it_with_a_redact_button(
    page: Page, moderator: User
) -> None:
    found = _finding(page.current)  # type: ignore[arg-type]
    assert (found.kind, found.found) == ("patient_name", NAME)
    response = client_for(moderator).get(reverse("governance:revision_redact", args=[page.current.pk]))  # type: ignore[union-attr]
    assert response.status_code == 200
    content = response.content.decode()
    assert "patient&#x27;s name" in content.lower() or "patient's name" in content.lower()
    assert 'name="csrfmiddlewaretoken"' in content
    assert "Redact" in content


def test_a_moderators_redaction_removes_the_text_from_revision_page_search_and_rendered_page(
    page: Page, moderator: User, member: User, anonymous: Client, committed: Committed
) -> None:
    revision = page.current
    assert revision is not None
    assert search(member, "Smith").count == 1
    version = content_version().current()
    with committed():
        assert _post(client_for(moderator), revision, _finding(revision)) == 302
    revision.refresh_from_db()
    assert revision.body == BODY.replace(NAME, "[redacted]")
    assert "[redacted] was admitted with sepsis" in revision.html
    _no_name_anywhere(page)
    assert search(member, "Smith").count == 0
    assert search(member, "sepsis").count == 1
    shown = anonymous.get(reverse("wiki:page", args=[page.space.slug, page.slug]))
    assert shown.status_code == 200
    assert NAME not in shown.content.decode()
    assert "[redacted] was admitted" in shown.content.decode()
    assert content_version().current() != version  # cached anonymous copies are stale now


def test_the_audit_entry_says_who_which_revision_and_which_kinds_but_not_the_text(
    page: Page, moderator: User
) -> None:
    revision = page.current
    assert revision is not None
    redaction.revision_redact(revision=revision, actor=moderator, field="body", start=19, end=29)
    entry = AuditEntry.objects.get(action="revision.redact")
    assert entry.actor == moderator
    assert entry.target_id == str(page.pk)
    assert entry.after == {"revision": 1, "field": "body", "kinds": ["patient_name"], "revisions": [1]}
    assert NAME not in json.dumps([entry.target_label, entry.before, entry.after])


def test_an_older_revision_is_redacted_and_the_current_one_is_left_as_it_is(
    page: Page, moderator: User, facilitator: User
) -> None:
    first = page.current
    assert first is not None
    page_save(page=page, actor=facilitator, body=BODY + "\n\nMore.", base_revision=1, confirmed=True)
    redaction.revision_redact(revision=first, actor=moderator, field="body", start=19, end=29)
    first.refresh_from_db()
    page.refresh_from_db()
    assert NAME not in first.body
    assert page.current is not None
    assert NAME in page.current.body


def test_redacting_in_every_revision_removes_the_same_text_from_the_whole_history(
    page: Page, moderator: User, facilitator: User, member: User, committed: Committed
) -> None:
    with committed():
        page_save(page=page, actor=facilitator, body=BODY + "\n\nMore.", base_revision=1, confirmed=True)
    page.refresh_from_db()
    current = page.current
    assert current is not None
    url = reverse("governance:revision_redact", args=[current.pk])
    found = _finding(current)
    data = {"field": "body", "start": found.start, "end": found.end, "every_revision": "1"}
    with committed():
        assert client_for(moderator).post(url, data).status_code == 302
    _no_name_anywhere(page)
    assert search(member, "Smith").count == 0
    entry = AuditEntry.objects.get(action="revision.redact")
    assert entry.after["revisions"] == [1, 2]


def test_a_name_in_the_title_is_redacted_from_the_page_title_its_audit_entries_and_the_index(
    public_space: Space, facilitator: User, moderator: User, committed: Committed
) -> None:
    with committed():
        page = page_create(
            space=public_space,
            actor=facilitator,
            title="Mrs Jane Smith, DOB 12/03/1948",
            body="Notes.",
            confirmed=True,
        )
    revision = page.current
    assert revision is not None
    found = next(
        f for f in redaction.revision_findings(revision) if f.field == "title" and f.kind == "patient_name"
    )
    redaction.revision_redact(
        revision=revision, actor=moderator, field="title", start=found.start, end=found.end
    )
    page.refresh_from_db()
    assert page.title.startswith("[redacted], DOB")
    assert page.slug == "redacted-dob-12031948"
    assert not PageAlias.objects.filter(page=page).exists()
    assert (
        client_for(moderator)
        .get(f"/spaces/{public_space.slug}/wiki/mrs-jane-smith-dob-12031948/")
        .status_code
        == 404
    )
    document = SearchDocument.objects.get(kind=SearchDocument.Kind.PAGE, object_id=page.pk)
    assert "Jane" not in document.title
    for entry in AuditEntry.objects.all():
        assert "jane" not in json.dumps([entry.target_label, entry.before, entry.after]).lower()


def test_a_finding_that_is_no_longer_there_is_refused_with_a_clear_message_and_nothing_changes(
    page: Page, moderator: User
) -> None:
    revision = page.current
    assert revision is not None
    url = reverse("governance:revision_redact", args=[revision.pk])
    response = client_for(moderator).post(url, {"field": "body", "start": 0, "end": 4})
    assert response.status_code == 400
    assert "has changed since the page was shown" in response.content.decode()
    revision.refresh_from_db()
    assert revision.body == BODY
    assert not AuditEntry.objects.filter(action="revision.redact").exists()


def test_an_admin_may_redact(page: Page, admin: User) -> None:
    revision = page.current
    assert revision is not None
    assert _post(client_for(admin), revision, _finding(revision)) == 302
    revision.refresh_from_db()
    assert NAME not in revision.body


def test_members_facilitators_and_space_moderators_get_403_and_the_text_stays(
    page: Page, member: User, facilitator: User
) -> None:
    revision = page.current
    assert revision is not None
    space_moderator = member
    SpaceMembership.objects.create(space=page.space, user=space_moderator, role=SpaceRole.MODERATOR)
    for user in (space_moderator, facilitator):
        client = client_for(user)
        url = reverse("governance:revision_redact", args=[revision.pk])
        assert client.get(url).status_code == 403
        assert _post(client, revision, _finding(revision)) == 403
    with pytest.raises(PermissionDenied):
        redaction.revision_redact(revision=revision, actor=member, field="body", start=19, end=29)
    revision.refresh_from_db()
    assert revision.body == BODY
    assert not AuditEntry.objects.filter(action="revision.redact").exists()


def test_someone_who_cannot_read_the_space_gets_404_and_anonymous_visitors_are_sent_to_log_in(
    private_space: Space, facilitator: User, outsider: User, member: User, anonymous: Client
) -> None:
    page = page_create(space=private_space, actor=facilitator, title="Notes", body=BODY, confirmed=True)
    revision = page.current
    assert revision is not None
    url = reverse("governance:revision_redact", args=[revision.pk])
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(member).post(url, {"field": "body", "start": 19, "end": 29}).status_code == 404
    response = anonymous.post(url, {"field": "body", "start": 19, "end": 29})
    assert response.status_code == 302
    assert "login" in response["Location"]
    revision.refresh_from_db()
    assert revision.body == BODY


def test_a_redaction_without_the_csrf_token_is_refused(page: Page, moderator: User) -> None:
    revision = page.current
    assert revision is not None
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    url = reverse("governance:revision_redact", args=[revision.pk])
    assert client.post(url, {"field": "body", "start": 19, "end": 29}).status_code == 403
    revision.refresh_from_db()
    assert revision.body == BODY


def test_only_the_title_summary_and_body_can_be_redacted(page: Page, moderator: User) -> None:
    revision = page.current
    assert revision is not None
    with pytest.raises(ValidationError):
        redaction.revision_redact(revision=revision, actor=moderator, field="html", start=19, end=29)


# --- comments --------------------------------------------------------------------------------

COMMENT = "Update: Mrs Patel in bed 4 took an overdose last night."


@pytest.fixture
def comment(page: Page, member: User) -> Comment:
    return comment_create(page=page, actor=member, body=COMMENT, confirmed=True)


def _comment_post(client: Client, comment: Comment) -> int:
    (found,) = redaction.comment_findings(comment)
    url = reverse("governance:comment_redact", args=[comment.pk])
    return client.post(url, {"start": found.start, "end": found.end}).status_code


def test_a_moderator_redacts_a_name_from_a_comment_and_its_html_and_the_audit_log_keeps_only_the_kind(
    comment: Comment, moderator: User, anonymous: Client, page: Page
) -> None:
    response = client_for(moderator).get(reverse("governance:comment_redact", args=[comment.pk]))
    assert response.status_code == 200
    assert "Mrs Patel" in response.content.decode()
    assert _comment_post(client_for(moderator), comment) == 302
    comment.refresh_from_db()
    assert comment.body == COMMENT.replace("Mrs Patel", "[redacted]")
    assert "Patel" not in comment.html
    entry = AuditEntry.objects.get(action="comment.redact")
    assert entry.actor == moderator
    assert entry.after == {"comment": comment.pk, "field": "body", "kinds": ["patient_name"]}
    assert "Patel" not in json.dumps([entry.target_label, entry.before, entry.after])
    shown = anonymous.get(reverse("wiki:page", args=[page.space.slug, page.slug]))
    assert "Patel" not in shown.content.decode()


def test_members_cannot_redact_a_comment_and_outsiders_of_a_private_space_get_404(
    comment: Comment, member: User, facilitator: User, private_space: Space, outsider: User
) -> None:
    assert _comment_post(client_for(member), comment) == 403
    assert (
        client_for(facilitator).get(reverse("governance:comment_redact", args=[comment.pk])).status_code
        == 403
    )
    comment.refresh_from_db()
    assert comment.body == COMMENT
    private = page_create(space=private_space, actor=facilitator, title="Private", body="Notes.")
    hidden = comment_create(page=private, actor=facilitator, body=COMMENT, confirmed=True)
    assert client_for(outsider).get(reverse("governance:comment_redact", args=[hidden.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="comment.redact").exists()


def test_moderators_find_the_redaction_page_from_the_page_and_its_revision_and_members_do_not(
    page: Page, moderator: User, member: User
) -> None:
    assert page.current is not None
    redact = reverse("governance:revision_redact", args=[page.current.pk])
    revision = reverse("wiki:revision", args=[page.space.slug, page.slug, page.current.number])
    shown = reverse("wiki:page", args=[page.space.slug, page.slug])

    assert redact in client_for(moderator).get(shown).content.decode()
    assert redact in client_for(moderator).get(revision).content.decode()
    assert redact not in client_for(member).get(shown).content.decode()
    assert redact not in client_for(member).get(revision).content.decode()


def test_a_redaction_also_leaves_the_spaces_papers_their_cards_and_their_editions(
    page: Page, facilitator: User, moderator: User, committed: Committed
) -> None:
    paper = reports.paper_create(actor=facilitator, space=page.space, title="Ward rounds", template="blank")
    intro = paper.sections.get()
    reports.source_place(actor=facilitator, paper=paper, key=f"page:{page.pk}", section=intro, used=True)
    reports.section_write(actor=facilitator, section=intro, heading="Introduction", body="We heard [S1].")
    with committed():
        edition = reports.paper_publish(actor=facilitator, paper=paper)
    edition.refresh_from_db()
    assert NAME in json.dumps(edition.snapshot)
    assert page.current is not None
    found = _finding(page.current)

    old_pdf = str(edition.pdf_file.name)
    storage = edition.pdf_file.storage
    with committed():
        redaction.revision_redact(
            revision=page.current, actor=moderator, field=found.field, start=found.start, end=found.end
        )

    source = Source.objects.get(paper=paper)
    edition = Edition.objects.get(pk=edition.pk)
    assert NAME not in source.title + source.excerpt
    assert NAME not in json.dumps(edition.snapshot)
    assert edition.status == Edition.Status.READY, edition.error
    assert NAME.encode() not in edition.html_file.read()
    assert str(edition.pdf_file.name) == old_pdf or not storage.exists(old_pdf)
    assert AuditEntry.objects.filter(action="edition.redact", target_id=str(edition.pk)).exists()
