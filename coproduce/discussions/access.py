"""Permission-checked lookups for discussions: 404 for what the viewer may not see, 403 for what
they may see but not change. A comment is reached through its page, so the page's (and space's)
rules apply first; a comment held for review is "not found" for everyone but its author and
the space's moderators.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from coproduce.communities.access import Viewer, can_close_discussion, can_moderate_space
from coproduce.discussions.models import Comment
from coproduce.discussions.services import CANNOT_CLOSE, ONLY_AUTHOR
from coproduce.wiki.access import get_page_for_user
from coproduce.wiki.models import Page


def get_comment_for_user(viewer: Viewer, space_slug: str, page_slug: str, pk: int) -> Comment:
    """A comment on the page at `page_slug` that the viewer may see; 404 otherwise."""
    page = get_page_for_user(viewer, space_slug, page_slug)
    comment = (
        Comment.objects.filter(pk=pk, thread__page=page).select_related("thread", "author", "parent").first()
    )
    if comment is None:
        raise Http404("No such comment.")
    comment.thread.page = page
    mine = viewer.is_authenticated and comment.author_id == viewer.pk
    if comment.state == Comment.State.HELD and not mine and not can_moderate_space(viewer, page.space):
        raise Http404("No such comment.")
    return comment


def get_comment_for_author(viewer: Viewer, space_slug: str, page_slug: str, pk: int) -> Comment:
    """A comment the viewer wrote (to change or delete it); 403 for someone else's."""
    comment = get_comment_for_user(viewer, space_slug, page_slug, pk)
    if not viewer.is_authenticated or comment.author_id != viewer.pk:
        raise PermissionDenied(ONLY_AUTHOR)
    return comment


def get_page_for_closer(viewer: Viewer, space_slug: str, page_slug: str) -> Page:
    """A page whose discussion the viewer may close and reopen (facilitators, moderators)."""
    page = get_page_for_user(viewer, space_slug, page_slug)
    if not can_close_discussion(viewer, page.space):
        raise PermissionDenied(CANNOT_CLOSE)
    return page
