"""An admin erases a member: the account is pseudonymised everywhere, their words stay as a
former member's, and published editions name them "a contributor"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, Committed, client_for, make_person
from coproduce.accounts.models import ApiToken, Role, User, hash_token
from coproduce.communities.models import Application, Space, SpaceMembership, SpaceRole
from coproduce.discussions import services as discussions
from coproduce.discussions.models import Comment
from coproduce.governance import moderation, rights
from coproduce.governance.models import AuditEntry
from coproduce.notifications.models import Notification, Preference
from coproduce.reports import services as reports
from coproduce.reports.frozen import FrozenEdition
from coproduce.reports.models import Edition
from coproduce.reports.services import SectionInput, SourcePick
from coproduce.wiki import services as wiki
from coproduce.wiki.models import Revision, Watch

NAME = "Meera Member"
EMAIL = "meera@example.nhs.uk"


@dataclass
class Scene:
    edition: Edition
    token: str
    session_client: Client


def _publish(space: Space, facilitator: User, author: User) -> Edition:
    page = wiki.page_create(space=space, actor=author, title="Powers", body="# Sharing\nRapid sharing.\n")
    paper = reports.paper_create(actor=facilitator, space=space, title="The power and perils")
    inputs = [
        SectionInput(
            id=s.pk, heading=s.heading, kind=s.kind, body="" if s.kind == "contributors" else "Text [S1]."
        )
        for s in paper.sections.all()
    ]
    inputs[0].sources = [SourcePick(key=f"page:{page.pk}")]
    reports.paper_update(actor=facilitator, paper=paper, sections=inputs)
    edition = reports.paper_publish(actor=facilitator, paper=paper)
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.READY)
    return edition


@pytest.fixture
def scene(
    members_space: Space, facilitator: User, moderator: User, member: User, committed: Committed
) -> Scene:
    """Meera wrote a page that a published edition credits, replied to the facilitator (who was
    notified by name), raised a flag, applied, was warned by name, was changed in Django's admin,
    and has a token, a second factor and a session."""
    SpaceMembership.objects.create(space=members_space, user=member, role=SpaceRole.MEMBER)
    with committed():
        edition = _publish(members_space, facilitator, member)
        page = edition.paper.space.pages.get()
        theirs = discussions.comment_create(page=page, actor=facilitator, body="What do you think?")
        discussions.comment_create(page=page, actor=member, body="Rapid sharing helps.", parent=theirs)
    moderation.flag_create(actor=member, reason="spam", note="Spam, I think.", comment=theirs)
    moderation.member_warn(member=member, actor=moderator, reason=f"{NAME} was curt with Rowan.")
    Application.objects.create(
        name=NAME, email=EMAIL, organisation="Example NHS Trust", sector="nhs", reason="I care.", user=member
    )
    Preference.objects.create(user=member, kind="watched", frequency="weekly")
    LogEntry.objects.create(
        user=moderator,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(member.pk),
        object_repr=str(member),
        action_flag=CHANGE,
        change_message=f"Changed the organisation of {NAME}.",
    )
    Watch.objects.create(user=member, page=page)
    Authenticator.objects.create(user=member, type=Authenticator.Type.TOTP, data={"secret": "x"})
    raw = ApiToken.generate()
    ApiToken.objects.create(user=member, name="script", digest=hash_token(raw), hint=raw[:8])
    session_client = client_for(member)
    assert session_client.get(reverse("accounts:profile")).status_code == 200
    assert NAME in str(FrozenEdition.from_dict(edition.snapshot).credit_line)
    assert Notification.objects.filter(recipient=facilitator, text__contains=NAME).exists()
    return Scene(edition=edition, token=raw, session_client=session_client)


def _erase(admin: User, member: User, committed: Committed | None = None) -> Any:
    """Erase through the page; with `committed`, what runs after commit (editions re-rendered) runs too."""
    url = reverse("governance:member_erase", args=[member.pk])
    if committed is None:
        return client_for(admin).post(url, {"confirm": member.username})
    with committed():
        return client_for(admin).post(url, {"confirm": member.username})


def _rows_containing(*needles: str) -> list[str]:
    """Every text or JSON value in the database holding one of the needles: 'model.field #pk'."""
    found: list[str] = []
    lowered = [n.casefold() for n in needles]
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list("pk", *fields):
            for name, value in zip(fields, row[1:], strict=True):
                if any(n in str(value).casefold() for n in lowered):
                    found.append(f"{model._meta.label}.{name} #{row[0]}")
    return found


def test_after_erasure_no_copy_of_their_name_or_address_remains(
    scene: Scene, admin: User, member: User, committed: Committed
) -> None:
    assert _rows_containing(NAME, EMAIL)  # the scene really put them in many places

    response = _erase(admin, member, committed)

    assert response.status_code == 302
    assert _rows_containing(NAME, EMAIL) == []


def test_the_erased_account_keeps_no_personal_field_and_cannot_log_in(
    scene: Scene, admin: User, member: User
) -> None:
    _erase(admin, member)

    erased = User.objects.get(pk=member.pk)
    assert erased.username == f"erased-{member.pk}"
    assert (erased.name, erased.email, erased.organisation, erased.sector, erased.job_role) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert erased.role == Role.NONE
    assert not erased.is_active
    assert not erased.has_usable_password()
    assert erased.erased_at is not None
    assert erased.display_name == "Former member"
    assert not EmailAddress.objects.filter(user=erased).exists()
    assert not ApiToken.objects.filter(user=erased).exists()
    assert not Authenticator.objects.filter(user=erased).exists()
    assert not UserSession.objects.filter(user=erased).exists()
    assert not Notification.objects.filter(recipient=erased).exists()
    assert not Preference.objects.filter(user=erased).exists()
    assert not Watch.objects.filter(user=erased).exists()
    assert not SpaceMembership.objects.filter(user=erased).exists()
    assert not Client().login(username="meera", password=PASSWORD)
    assert not Client().login(username=erased.username, password=PASSWORD)
    login = Client().post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert "_auth_user_id" not in login.client.session


def test_the_erased_members_open_session_and_token_stop_working_at_once(
    scene: Scene, admin: User, member: User
) -> None:
    _erase(admin, member)

    assert scene.session_client.get(reverse("accounts:profile")).status_code == 302
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {scene.token}").status_code == 401
    assert not any(s.get_decoded().get("_auth_user_id") == str(member.pk) for s in Session.objects.all())


def test_their_revisions_and_comments_stay_shown_as_a_former_members(
    scene: Scene, admin: User, member: User
) -> None:
    _erase(admin, member)

    revision = Revision.objects.get(author_id=member.pk)
    assert revision.body == "# Sharing\nRapid sharing.\n"
    comment = Comment.objects.get(author_id=member.pk)
    assert comment.body == "Rapid sharing helps."
    page = revision.page
    url = reverse("wiki:history", args=[page.space.slug, page.slug])
    shown = client_for(admin).get(url).content.decode()
    assert "Former member" in shown
    assert NAME not in shown


def test_published_editions_credit_them_as_a_contributor_and_are_otherwise_intact(
    scene: Scene, admin: User, member: User, committed: Committed
) -> None:
    sections_before = Edition.objects.get(pk=scene.edition.pk).snapshot["sections"]

    _erase(admin, member, committed)

    scene.edition.refresh_from_db()
    frozen = FrozenEdition.from_dict(scene.edition.snapshot)
    assert "a contributor" in [c.name for c in frozen.credits]
    assert NAME not in str(scene.edition.snapshot)
    assert NAME not in scene.edition.how_to_cite
    assert scene.edition.snapshot["sections"] == sections_before


def test_the_erasure_is_audited_without_personal_data(scene: Scene, admin: User, member: User) -> None:
    _erase(admin, member)

    entry = AuditEntry.objects.get(action="member.erase")
    assert entry.actor == admin
    assert entry.target_label == f"erased-{member.pk}"
    assert "meera" not in str(entry.after).casefold()
    assert entry.after["sessions"] >= 1
    assert AuditEntry.objects.filter(action="comment.create", actor_id=member.pk).get().actor_label == (
        f"erased-{member.pk}"
    )


def test_the_facilitators_notification_names_a_former_member(
    scene: Scene, admin: User, member: User, facilitator: User
) -> None:
    _erase(admin, member)

    texts = list(Notification.objects.filter(recipient=facilitator).values_list("text", flat=True))
    assert any(t.startswith("Former member replied") for t in texts)


def test_a_pending_application_from_their_address_is_closed_and_blanked(admin: User, member: User) -> None:
    pending = Application.objects.create(
        name=NAME, email=EMAIL.upper(), organisation="X", sector="nhs", reason="r"
    )

    rights.member_erase(member=member, actor=admin)

    pending.refresh_from_db()
    assert pending.status == Application.Status.REJECTED
    assert (pending.name, pending.email, pending.reason) == ("", "", "")


def test_a_non_admin_gets_403_and_nothing_is_erased(moderator: User, member: User) -> None:
    response = client_for(moderator).post(
        reverse("governance:member_erase", args=[member.pk]), {"confirm": member.username}
    )

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.erased_at is None
    assert member.name == NAME
    assert not AuditEntry.objects.filter(action="member.erase").exists()


def test_a_non_admin_cannot_open_the_erasure_page(member: User, outsider: User) -> None:
    assert client_for(outsider).get(reverse("governance:member_erase", args=[member.pk])).status_code == 403


def test_an_admin_sees_what_erasure_does_before_confirming(admin: User, member: User) -> None:
    response = client_for(admin).get(reverse("governance:member_erase", args=[member.pk]))

    assert response.status_code == 200
    assert "This cannot be undone" in response.content.decode()


def test_a_wrong_confirmation_erases_nothing_and_keeps_what_was_typed(admin: User, member: User) -> None:
    response = client_for(admin).post(
        reverse("governance:member_erase", args=[member.pk]), {"confirm": "meeera"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Type meera exactly to confirm the erasure." in page
    assert 'value="meeera"' in page
    member.refresh_from_db()
    assert member.erased_at is None


def test_an_admin_cannot_erase_themself(admin: User) -> None:
    with pytest.raises(PermissionDenied):
        rights.member_erase(member=admin, actor=admin)

    response = client_for(admin).post(reverse("governance:member_erase", args=[admin.pk]), {"confirm": "ada"})
    assert response.status_code == 400
    assert "You cannot erase your own account" in response.content.decode()
    admin.refresh_from_db()
    assert admin.erased_at is None


def test_another_admin_can_erase_an_admin(admin: User) -> None:
    other = make_person("ari", Role.ADMIN, name="Ari Admin")

    rights.member_erase(member=other, actor=admin)

    other.refresh_from_db()
    assert other.erased_at is not None
    assert not other.is_community_admin


def test_an_erased_member_cannot_be_erased_twice(admin: User, member: User) -> None:
    rights.member_erase(member=member, actor=admin)

    with pytest.raises(ValidationError):
        rights.member_erase(member=member, actor=admin)
    assert client_for(admin).get(reverse("governance:member_erase", args=[member.pk])).status_code == 404


def test_the_members_list_links_each_other_person_to_their_erasure_page(admin: User, member: User) -> None:
    page = client_for(admin).get(reverse("communities:members")).content.decode()

    assert reverse("governance:member_erase", args=[member.pk]) in page
    assert reverse("governance:member_erase", args=[admin.pk]) not in page
