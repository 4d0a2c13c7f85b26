"""Who may see and moderate flagged content, and permission-checked lookups for views and the API.

Seeing follows the space (coproduce.communities.access): what the viewer may not see is "not
found" (404); what they may see but not moderate is "forbidden" (403). Hidden pages and held or
hidden comments are seen only by those who moderate their space (and a held comment's author).
Suspended members can read but not post: services call `refuse_if_suspended` first.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.access import Viewer, can_moderate_space, can_read_space
from coproduce.communities.models import Space, SpaceMembership, SpaceRole
from coproduce.discussions.models import Comment
from coproduce.governance.models import Flag
from coproduce.wiki.models import Page


def suspended_message(user: User) -> str:
    """What a suspended member is told when they try to post."""
    until = timezone.localtime(user.suspended_until) if user.suspended_until else None
    when = f"{until:%-d %B %Y at %H:%M}" if until else "further notice"
    return f"You are suspended until {when} and cannot post."


def refuse_if_suspended(user: User) -> None:
    """Raise PermissionDenied with `suspended_message` when the user is suspended now."""
    if user.is_suspended:
        raise PermissionDenied(suspended_message(user))


def space_of(*, comment: Comment | None = None, page: Page | None = None) -> Space:
    if (comment is None) == (page is None):
        raise ValueError("Give exactly one comment or one page.")
    if comment is not None:
        return comment.thread.space
    assert page is not None
    return page.space


def can_see_page(viewer: Viewer, page: Page) -> bool:
    """Read the page: readers of its space, but a hidden page only for those who moderate it."""
    if not can_read_space(viewer, page.space):
        return False
    return page.hidden_at is None or can_moderate_space(viewer, page.space)


def can_see_comment(viewer: Viewer, comment: Comment) -> bool:
    """See the comment's text: visible ones with their page; held ones their author; moderators all."""
    thread = comment.thread
    if not can_read_space(viewer, thread.space):
        return False
    if can_moderate_space(viewer, thread.space):
        return True
    if thread.page is not None and thread.page.hidden_at is not None:
        return False
    if comment.state == Comment.State.HELD:
        return isinstance(viewer, User) and comment.author_id == viewer.pk
    return comment.state == Comment.State.VISIBLE


def get_comment_for_user(viewer: Viewer, pk: int) -> Comment:
    """The comment `pk` if the viewer may see its text; 404 otherwise."""
    comments = Comment.objects.select_related("thread__space", "thread__page__space", "author")
    comment = comments.filter(pk=pk).first()
    if comment is None or not can_see_comment(viewer, comment):
        raise Http404("No such comment.")
    return comment


def get_comment_for_moderator(viewer: Viewer, pk: int) -> Comment:
    """The comment `pk` in a space the viewer moderates: 404 if they cannot read it, else 403."""
    comments = Comment.objects.select_related("thread__space", "thread__page__space", "author")
    comment = comments.filter(pk=pk).first()
    if comment is None or not can_read_space(viewer, comment.thread.space):
        raise Http404("No such comment.")
    require_space_moderator(viewer, comment.thread.space)
    return comment


def moderated_spaces(viewer: Viewer) -> QuerySet[Space]:
    """The spaces whose content the viewer moderates (all of them for community moderators)."""
    if not isinstance(viewer, User) or not viewer.is_member:
        return Space.objects.none()
    if viewer.is_moderator:
        return Space.objects.all()
    spaces = SpaceMembership.objects.filter(user=viewer, role=SpaceRole.MODERATOR).values("space_id")
    return Space.objects.filter(pk__in=spaces)


def require_queue_access(viewer: Viewer) -> User:
    """Community moderators and admins, and anyone who moderates a space; 403 otherwise."""
    if isinstance(viewer, User) and moderated_spaces(viewer).exists():
        return viewer
    raise PermissionDenied("Only moderators can see the moderation queue.")


def can_see_flagged(viewer: Viewer, flag: Flag) -> bool:
    """Whether the viewer may know the flagged thing exists (its space is readable to them)."""
    return can_read_space(viewer, space_of(comment=flag.comment, page=flag.page))


def require_space_moderator(actor: Viewer, space: Space) -> None:
    """Community moderators and admins, and this space's moderators; 403 otherwise."""
    if not can_moderate_space(actor, space):
        raise PermissionDenied("Only the community's moderators and this space's moderators can do that.")
