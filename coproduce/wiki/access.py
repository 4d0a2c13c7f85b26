"""Who may read and edit a space's wiki, and permission-checked lookups for views and the API.

Reading follows the space (coproduce.communities.access): a page in a space the viewer may not
read is "not found" (404), never "forbidden", so its existence does not leak. Editing is for
community members who can read the space; in a private space that means its own members (and
community admins, who can read and manage every space). Readers who cannot edit get 403.

Contributing (editing pages, commenting, uploading) also needs the latest code of conduct to
have been accepted (coproduce.communities.conduct): `can_edit_space` says no until then, and
the `get_*_for_editor` helpers raise `ConductNotAccepted` (a 403 with the stable code
"conduct_not_accepted") for someone who could edit once they accept it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from coproduce.accounts.models import User
from coproduce.communities import conduct
from coproduce.communities.access import (
    Viewer,
    can_manage_space,
    can_moderate_space,
    can_read_space,
    get_space_for_user,
    space_role,
    spaces_readable_by,
    valid_space_slug,
    visibilities_open_to,
)
from coproduce.communities.models import Space, Visibility
from coproduce.wiki.models import Page, PageAlias, PageTemplate

__all__ = [
    "can_edit_space",
    "can_read_space",
    "could_edit_space",
    "get_page_for_editor",
    "get_page_for_user",
    "get_space_for_editor",
    "get_space_for_user",
    "get_template_for_manager",
    "require_editor",
    "spaces_readable_by",
]

PAGE_SLUG_MAX_LENGTH = 120
CANNOT_EDIT = "Only community members who belong to this space can edit its pages."


def can_edit_space(viewer: Viewer, space: Space) -> bool:
    """Write in the space (pages, comments): its readers who are members, not suspended, and
    who have accepted the latest code of conduct."""
    return could_edit_space(viewer, space) and conduct.has_accepted(viewer)


def could_edit_space(viewer: Viewer, space: Space) -> bool:
    """`can_edit_space` before the code of conduct is considered: whether accepting it would do."""
    if not isinstance(viewer, User) or not viewer.is_member or not can_read_space(viewer, space):
        return False
    if viewer.is_suspended:
        return False
    if space.visibility != Visibility.PRIVATE or viewer.is_community_admin:
        return True
    return space_role(viewer, space) is not None


def get_page_for_user(viewer: Viewer, space_slug: str, page_slug: str, *, allow_hidden: bool = False) -> Page:
    """The page at `page_slug` (or one of its old slugs) in a space the viewer may read; else 404.

    A page a moderator hid is "not found" for those who cannot moderate the space, unless
    `allow_hidden` (the page view, which shows a placeholder in its place). The view redirects
    to the page's own address when `page.slug != page_slug`.
    """
    pages = Page.objects.select_related("space", "current", "updated_by")
    page = _page_in_open_space(viewer, pages, space_slug, page_slug)
    if page is not None:
        space = page.space
        if not can_read_space(viewer, space):  # cannot happen; the rule is checked as everywhere
            raise Http404("No such space.")
    else:
        space = get_space_for_user(viewer, space_slug)
        if not page_slug or len(page_slug) > PAGE_SLUG_MAX_LENGTH:
            raise Http404("No such page.")
        page = pages.filter(space=space, slug=page_slug).first()
    if page is None:
        alias = PageAlias.objects.filter(space=space, slug=page_slug).only("page_id").first()
        page = pages.filter(pk=alias.page_id).first() if alias is not None else None
    if page is None:
        raise Http404("No such page.")
    if page.hidden_at is not None and not allow_hidden and not can_moderate_space(viewer, space):
        raise Http404("No such page.")
    return page


def _page_in_open_space(
    viewer: Viewer, pages: QuerySet[Page], space_slug: str, page_slug: str
) -> Page | None:
    """The page at `page_slug` with its space, in one query, if that space is one the viewer may read
    whatever their memberships (`visibilities_open_to`); None otherwise, and then `get_page_for_user`
    looks the space up first, as before. A private space is never matched here, so how long a refusal
    takes says nothing about which pages a space the viewer may not read has."""
    if not page_slug or len(page_slug) > PAGE_SLUG_MAX_LENGTH or not valid_space_slug(space_slug):
        return None
    pages = pages.filter(space__slug=space_slug, slug=page_slug)
    visibilities = visibilities_open_to(viewer)
    if visibilities is not None:
        pages = pages.filter(space__visibility__in=visibilities)
    return pages.order_by().first()


def require_editor(viewer: Viewer, space: Space) -> None:
    """403 unless the viewer may edit the space: ConductNotAccepted when only that is missing."""
    if not could_edit_space(viewer, space):
        raise PermissionDenied(CANNOT_EDIT)
    conduct.require_accepted(viewer)


def get_page_for_editor(viewer: Viewer, space_slug: str, page_slug: str) -> Page:
    page = get_page_for_user(viewer, space_slug, page_slug)
    require_editor(viewer, page.space)
    return page


def get_space_for_editor(viewer: Viewer, space_slug: str) -> Space:
    space = get_space_for_user(viewer, space_slug)
    require_editor(viewer, space)
    return space


def get_template_for_manager(viewer: Viewer, space_slug: str, template_id: int) -> PageTemplate:
    """A page template of a space the viewer manages (facilitators, admins): 404 / 403 otherwise."""
    space = get_space_for_user(viewer, space_slug)
    template = PageTemplate.objects.filter(space=space, pk=template_id).first()
    if template is None:
        raise Http404("No such template.")
    if not can_manage_space(viewer, space):
        raise PermissionDenied("Only the space's facilitators and community admins can change templates.")
    return template
