"""A member downloads everything they contributed: JSON and Markdown in a zip, their own data only."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from conftest import client_for
from coproduce.accounts.models import ApiToken, User, hash_token
from coproduce.communities.models import Application, Space
from coproduce.discussions import services as discussions
from coproduce.governance import moderation, rights
from coproduce.governance.models import AuditEntry, Flag
from coproduce.lib.ratelimit import RateLimited
from coproduce.notifications.models import Preference
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Attachment

EXPORT = reverse("governance:my_export")


def _zip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


@pytest.fixture
def contributions(members_space: Space, facilitator: User, member: User) -> None:
    """The member's page revisions, comment, flag, application, preference and attachment, beside
    a facilitator's comment and revision that must never be exported to the member."""
    page = wiki.page_create(space=members_space, actor=member, title="Sharing safely", body="My first words.")
    wiki.page_save(page=page, actor=facilitator, body="The facilitator's private rewrite.", base_revision=1)
    wiki.page_save(page=page, actor=member, body="My second words.", base_revision=2, summary="Mine again")
    theirs = discussions.comment_create(page=page, actor=facilitator, body="Facilitator's own remark.")
    discussions.comment_create(page=page, actor=member, body="My reply to the remark.", parent=theirs)
    moderation.flag_create(
        actor=member, reason=Flag.Reason.SPAM, note="Looks like spam to me.", comment=theirs
    )
    Application.objects.create(
        name="Meera Member",
        email=member.email,
        organisation="Example",
        sector="nhs",
        reason="I care.",
        user=member,
    )
    Preference.objects.create(user=member, kind="watched", frequency="weekly")
    Attachment.objects.create(
        page=page,
        file=ContentFile(b"hello attachment", name="notes.txt"),
        name="notes.txt",
        content_type="text/plain",
        size=16,
        sha256="0" * 64,
        uploaded_by=member,
    )


@pytest.mark.usefixtures("contributions")
def test_a_member_downloads_a_zip_of_everything_they_contributed(member: User) -> None:
    response = client_for(member).get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'attachment; filename="coproduce-export-meera-' in response["Content-Disposition"]
    archive = _zip(response.content)
    data = json.loads(archive.read("contributions.json"))
    assert data["profile"]["username"] == "meera"
    assert data["profile"]["email"] == "meera@example.nhs.uk"
    assert [(r["number"], r["body"]) for r in data["page_revisions"]] == [
        (1, "My first words."),
        (3, "My second words."),
    ]
    assert [c["body"] for c in data["comments"]] == ["My reply to the remark."]
    assert data["flags_raised"][0]["note"] == "Looks like spam to me."
    assert data["applications"][0]["reason"] == "I care."
    assert data["notification_preferences"]["watched"] == "weekly"
    assert data["attachments"][0]["name"] == "notes.txt"
    assert archive.read(data["attachments"][0]["file"]) == b"hello attachment"
    page_md = archive.read("pages/masterclass/sharing-safely.md").decode()
    assert "# Sharing safely" in page_md
    assert "My first words." in page_md
    assert "Summary: Mine again" in page_md
    assert "My reply to the remark." in archive.read("comments.md").decode()


@pytest.mark.usefixtures("contributions")
def test_the_export_holds_no_one_elses_words(member: User) -> None:
    archive = _zip(client_for(member).get(EXPORT).content)

    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "private rewrite" not in everything
    assert "Facilitator's own remark" not in everything
    assert "rowan" not in everything
    assert "Rowan" not in everything


@pytest.mark.usefixtures("contributions")
def test_an_export_is_recorded_in_the_audit_log_with_counts_only(member: User) -> None:
    client_for(member).get(EXPORT)

    entry = AuditEntry.objects.get(action="member.export")
    assert entry.actor == member
    assert entry.target_id == str(member.pk)
    assert entry.after == {"revisions": 2, "comments": 1, "attachments": 1}


def test_someone_logged_out_is_sent_to_log_in_for_an_export(db: None, anonymous: Client) -> None:
    response = anonymous.get(EXPORT)

    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not AuditEntry.objects.filter(action="member.export").exists()


def test_a_member_with_nothing_contributed_gets_a_zip_with_their_profile(outsider: User) -> None:
    archive = _zip(client_for(outsider).get(EXPORT).content)

    data = json.loads(archive.read("contributions.json"))
    assert data["profile"]["name"] == "Otto Outsider"
    assert data["page_revisions"] == []
    assert data["comments"] == []


def test_no_one_may_export_another_members_data(admin: User, member: User) -> None:
    with pytest.raises(PermissionDenied):
        rights.member_export(member=member, actor=admin)
    assert not AuditEntry.objects.filter(action="member.export").exists()


@pytest.mark.usefixtures("contributions")
def test_the_api_returns_the_callers_export_with_a_token(member: User) -> None:
    raw = ApiToken.generate()
    ApiToken.objects.create(user=member, name="script", digest=hash_token(raw), hint=raw[:8])

    response = Client().get("/api/v1/me/export", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
    data = json.loads(_zip(response.content).read("contributions.json"))
    assert data["profile"]["username"] == "meera"
    assert len(data["page_revisions"]) == 2


def test_the_api_export_refuses_an_anonymous_caller(db: None, anonymous: Client) -> None:
    response = anonymous.get("/api/v1/me/export")

    assert response.status_code == 401
    assert response.json()["error"]["code"]


def test_the_profile_page_links_to_the_export(member: User) -> None:
    response = client_for(member).get(reverse("accounts:profile"))

    assert EXPORT in response.content.decode()


def test_exports_are_limited_per_hour_with_a_429_from_the_api(member: User) -> None:
    for _ in range(rights.EXPORTS_PER_HOUR):
        rights.member_export(member=member, actor=member)

    with pytest.raises(RateLimited):
        rights.member_export(member=member, actor=member)
    raw = ApiToken.generate()
    ApiToken.objects.create(user=member, name="script", digest=hash_token(raw), hint=raw[:8])
    response = Client().get("/api/v1/me/export", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert AuditEntry.objects.filter(action="member.export").count() == rights.EXPORTS_PER_HOUR
