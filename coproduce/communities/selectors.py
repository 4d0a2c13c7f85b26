"""Reads for membership and spaces. Permission checks live in access.py."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet
from django.utils import timezone

from coproduce.accounts.models import Role, User, hash_token
from coproduce.communities.access import Viewer, spaces_readable_by
from coproduce.communities.models import AllowedDomain, Application, Invitation, Space, SpaceMembership


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def allowed_domain_for(email: str) -> AllowedDomain | None:
    """The allow-list entry covering `email`: its domain exactly, or a parent of it.

    "nhs.net" covers "someone@nhs.net" and "someone@trust.nhs.net", never "someone@notnhs.net".
    """
    domain = email_domain(email)
    if not domain:
        return None
    labels = domain.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels))]
    return AllowedDomain.objects.filter(domain__in=candidates).order_by("-domain").first()


def applications_with_status(status: str = "") -> QuerySet[Application]:
    applications = Application.objects.select_related("decided_by", "user")
    return applications.filter(status=status) if status else applications


def pending_application_for(email: str) -> Application | None:
    return Application.objects.filter(email__iexact=email.strip(), status=Application.Status.PENDING).first()


def user_with_email(email: str) -> User | None:
    """The account that has proved it owns `email` (a verified address).

    Unverified claims count for nothing."""
    address = EmailAddress.objects.filter(email__iexact=email, verified=True).select_related("user").first()
    if address is None:
        return None
    user: User = address.user
    return user


def invitation_by_token(raw_token: str) -> Invitation | None:
    return Invitation.objects.filter(digest=hash_token(raw_token)).first()


def invitations_recent() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("invited_by", "accepted_by")


def open_invitation_for(email: str) -> Invitation | None:
    return Invitation.objects.filter(
        email__iexact=email, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).first()


def community_people(query: str = "") -> QuerySet[User]:
    people = User.objects.filter(is_active=True).order_by("name", "username")
    query = "".join(ch for ch in query if ch.isprintable()).strip()  # NUL breaks PostgreSQL
    if query:
        people = people.filter(Q(username__icontains=query) | Q(name__icontains=query))
    return people


def community_admin_count(*, excluding: User | None = None) -> int:
    admins = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
    if excluding is not None:
        admins = admins.exclude(pk=excluding.pk)
    return admins.count()


def space_memberships(space: Space) -> QuerySet[SpaceMembership]:
    return space.memberships.select_related("user").order_by("user__name", "user__username")


def spaces_matching(viewer: Viewer, query: str) -> QuerySet[Space]:
    """Spaces the viewer may read whose name or description contains every word of `query`.

    A plain-words match for the header search box until the full-text search of the wiki issue
    replaces it; the query language is never interpreted, so any input is safe.
    """
    spaces = spaces_readable_by(viewer)
    printable = "".join(ch if ch.isprintable() else " " for ch in query)  # NUL breaks PostgreSQL
    words = printable.split()[:10]
    if not words:
        return spaces.none()
    for word in words:
        spaces = spaces.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return spaces.order_by("name")
