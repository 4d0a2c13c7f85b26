"""Who may do what with spaces. Every view and API call asks here first.

A space a person may not read is reported as not found (404), so that its
existence does not leak; a space they may read but not change gives 403.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from coproduce.accounts.models import User
from coproduce.communities.memo import remembered
from coproduce.communities.models import (
    AllowedDomain,
    Application,
    Invitation,
    Space,
    SpaceMembership,
    SpaceRole,
    Visibility,
)

type Viewer = User | AnonymousUser

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


def _user(viewer: Viewer) -> User | None:
    return viewer if isinstance(viewer, User) and viewer.is_active else None


def spaces_readable_by(viewer: Viewer) -> QuerySet[Space]:
    user = _user(viewer)
    spaces = Space.objects.all()
    if user is None:
        return spaces.filter(visibility=Visibility.PUBLIC)
    if user.is_community_admin:
        return spaces
    if not user.is_member:  # someone whose community membership ended keeps no space
        return spaces.filter(visibility=Visibility.PUBLIC)
    rule = Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS]) | Q(memberships__user=user)
    return spaces.filter(rule).distinct()


def readable_spaces(viewer: Viewer) -> list[Space]:
    """`spaces_readable_by` as a list by name, read once per request (coproduce.communities.memo)."""
    user = _user(viewer)
    key = ("readable_spaces", None) if user is None else ("readable_spaces", *_flags(user))
    return remembered(key, lambda: list(spaces_readable_by(viewer).order_by("name")))


def _flags(user: User) -> tuple[object, ...]:
    """What `spaces_readable_by` reads from the user row besides memberships."""
    return (user.pk, user.is_active, user.is_member, user.is_community_admin)


def visibilities_open_to(viewer: Viewer) -> list[str] | None:
    """The visibilities of the spaces the viewer may read whatever their memberships (the rule of
    `spaces_readable_by` and `can_read_space` without the membership part); None: every space."""
    user = _user(viewer)
    if user is None:
        return [Visibility.PUBLIC]
    if user.is_community_admin:
        return None
    if not user.is_member:
        return [Visibility.PUBLIC]
    return [Visibility.PUBLIC, Visibility.MEMBERS]


def space_role(user: User | None, space: Space) -> str | None:
    """The user's role in the space, or None; asked of the database once per request."""
    if user is None:
        return None
    user_id, space_id = user.pk, space.pk

    def role() -> str | None:
        memberships = SpaceMembership.objects.filter(space_id=space_id, user_id=user_id).order_by()
        return next(iter(memberships.values_list("role", flat=True)[:1]), None)

    return remembered(("space_role", user_id, space_id), role)


def can_read_space(viewer: Viewer, space: Space) -> bool:
    user = _user(viewer)
    if space.visibility == Visibility.PUBLIC:
        return True
    if user is None:
        return False
    if user.is_community_admin:
        return True
    if not user.is_member:  # someone whose community membership ended keeps no space
        return False
    if space.visibility == Visibility.MEMBERS:
        return True
    return space_role(user, space) is not None


def can_manage_space(viewer: Viewer, space: Space) -> bool:
    """Change the space's settings and members: admins and the space's facilitators."""
    user = _user(viewer)
    if user is None or not user.is_member:
        return False
    return user.is_community_admin or space_role(user, space) == SpaceRole.FACILITATOR


def can_moderate_space(viewer: Viewer, space: Space) -> bool:
    """Hide and restore content, act on flags: community moderators and admins, the space's moderators."""
    user = _user(viewer)
    if user is None or not user.is_member or not can_read_space(user, space):
        return False
    return user.is_moderator or space_role(user, space) == SpaceRole.MODERATOR


def can_close_discussion(viewer: Viewer, space: Space) -> bool:
    """Close and reopen discussions: the space's facilitators and anyone who may moderate it,
    unless they are suspended from posting."""
    user = _user(viewer)
    if user is None or user.is_suspended:
        return False
    return can_manage_space(user, space) or can_moderate_space(user, space)


def can_create_space(viewer: Viewer) -> bool:
    user = _user(viewer)
    return user is not None and user.is_facilitator


def valid_space_slug(slug: str) -> bool:
    """Whether `slug` could be a space's (anything else is not looked up)."""
    return _SLUG.fullmatch(slug) is not None


def get_space_for_user(viewer: Viewer, slug: str) -> Space:
    """The space `slug` if the viewer may read it; 404 otherwise."""
    space = Space.objects.filter(slug=slug).first() if valid_space_slug(slug) else None
    if space is None or not can_read_space(viewer, space):
        raise Http404("No such space.")
    return space


def get_space_for_manager(viewer: Viewer, slug: str) -> Space:
    space = get_space_for_user(viewer, slug)
    if not can_manage_space(viewer, space):
        raise PermissionDenied("Only the space's facilitators and community admins can do that.")
    return space


def require_community_admin(viewer: Viewer) -> User:
    user = _user(viewer)
    if user is None or not user.is_community_admin:
        raise PermissionDenied("Only community admins can do that.")
    return user


def require_facilitator(viewer: Viewer) -> User:
    user = _user(viewer)
    if user is None or not user.is_facilitator:
        raise PermissionDenied("Only facilitators and admins can do that.")
    return user


def require_moderator(viewer: Viewer) -> User:
    """Moderators and community admins: the people who keep the community safe."""
    user = _user(viewer)
    if user is None or not user.is_moderator:
        raise PermissionDenied("Only moderators and community admins can do that.")
    return user


def get_application_for_admin(viewer: Viewer, pk: int) -> Application:
    require_community_admin(viewer)
    return get_object_or_404(Application.objects.select_related("decided_by", "user"), pk=pk)


def get_invitation_for_admin(viewer: Viewer, pk: int) -> Invitation:
    require_community_admin(viewer)
    return get_object_or_404(Invitation, pk=pk)


def get_allowed_domain_for_admin(viewer: Viewer, pk: int) -> AllowedDomain:
    require_community_admin(viewer)
    return get_object_or_404(AllowedDomain, pk=pk)


def get_person_for_admin(viewer: Viewer, pk: int) -> User:
    require_community_admin(viewer)
    return get_object_or_404(User, pk=pk, is_active=True)
