"""Permission-checked lookups for discussions: 404 for what the viewer may not see, 403 for what
they may see but not change. A comment is reached through its page, so the page's (and space's)
rules apply first; a comment held for review is "not found" for everyone but its author and
the space's moderators.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from coproduce.communities.access import Viewer, can_close_discussion, can_moderate_space
from coproduce.discussions.models import Comment, Thread
from coproduce.discussions.services import CANNOT_CLOSE, ONLY_AUTHOR
from coproduce.wiki.access import get_page_for_user, require_editor
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


def get_page_for_commenter(viewer: Viewer, space_slug: str, page_slug: str) -> Page:
    """A page the viewer may comment on: 404 if they cannot read it, 403 if they cannot write in
    its space, ConductNotAccepted (403, "conduct_not_accepted") if only the code of conduct is missing.
    Whether the discussion is open is the service's to say."""
    page = get_page_for_user(viewer, space_slug, page_slug)
    require_editor(viewer, page.space)
    return page


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


def get_parent_for_reply(viewer: Viewer, page: Page, pk: int) -> Comment:
    """The comment `pk` on `page` that the viewer may see listed, to reply to; 404 otherwise.

    The rules of `comments_listed_for`, in one query whatever the depth: a held comment, or
    anything below one, is found only for its author and the space's moderators. Whether the
    comment's state still allows a reply is the service's to say.
    """
    me = viewer.pk if viewer.is_authenticated else None
    found = list(Comment.objects.raw(_parent_sql(), [pk, Comment.State.HELD, me or 0, pk, page.pk]))
    if not found:
        raise Http404("No such comment.")
    parent = found[0]
    held_above = int(getattr(parent, "held_by_others", 0) or 0)
    if held_above and not can_moderate_space(viewer, page.space):
        raise Http404("No such comment.")
    return parent


def comments_listed_for(viewer: Viewer, thread: Thread, *, moderate: bool) -> QuerySet[Comment]:
    """The thread's comments the viewer may see listed, oldest first, with their authors.

    As on the page (`selectors.comments_for`): deleted and hidden comments stay (shown as
    placeholders); a held comment and every reply below it are left out for everyone but its
    author and the moderators (`moderate`: `can_moderate_space` for the thread's space). A
    query for the held comments, and one per level of replies below those left out.
    """
    rows = Comment.objects.filter(thread=thread)
    if not moderate:
        rows = rows.exclude(pk__in=_left_out(viewer, thread))
    return rows.select_related("author").order_by("created_at", "pk")


def _left_out(viewer: Viewer, thread: Thread) -> set[int]:
    held = Comment.objects.filter(thread=thread, state=Comment.State.HELD)
    if viewer.is_authenticated:
        held = held.exclude(author_id=viewer.pk)
    left_out = set(held.values_list("pk", flat=True))
    level = set(left_out)
    while level:
        below = Comment.objects.filter(thread=thread, parent_id__in=level).values_list("pk", flat=True)
        level = set(below) - left_out
        left_out |= level
    return left_out


def _parent_sql() -> str:
    comments = connection.ops.quote_name(Comment._meta.db_table)
    threads = connection.ops.quote_name(Thread._meta.db_table)
    # The comment and its ancestors (UNION stops at a repeated row, so even a cycle ends), then
    # the comment with how many of them are held and written by someone other than the viewer.
    return f"""
        WITH RECURSIVE chain (id, parent_id, state, author_id) AS (
            SELECT id, parent_id, state, author_id FROM {comments} WHERE id = %s
            UNION
            SELECT c.id, c.parent_id, c.state, c.author_id
            FROM {comments} c JOIN chain ON c.id = chain.parent_id
        )
        SELECT c.*, (
            SELECT COUNT(*) FROM chain
            WHERE chain.state = %s AND (chain.author_id IS NULL OR chain.author_id <> %s)
        ) AS held_by_others
        FROM {comments} c JOIN {threads} t ON t.id = c.thread_id
        WHERE c.id = %s AND t.page_id = %s
    """  # noqa: S608 (only table names, quoted, are formatted in; values are parameters)
