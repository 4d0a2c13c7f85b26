"""Reads for discussions. Callers have already checked that the viewer may read the page.

`discussion_for_page` builds the whole thread for display in a constant number of queries,
however many comments it has: the thread, its comments with their authors, and the viewer's
few permission checks, made once (or not at all when the caller has made them already). The
tree is built in Python, and what the viewer may do with each comment is worked out from what
is already loaded; discussions/templatetags/discussions.py turns the tree into HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from coproduce.accounts.models import User
from coproduce.communities.access import Viewer, can_close_discussion, can_moderate_space
from coproduce.discussions.models import Comment, Thread
from coproduce.discussions.services import edit_window_open
from coproduce.governance.moderation_access import suspended_message
from coproduce.wiki.access import can_edit_space
from coproduce.wiki.models import Page

State = Comment.State

MAX_DEPTH = 4  # replies nest this deep; deeper replies line up under the last level, saying whom they answer
DELETED = "This comment was deleted."
HIDDEN = "This comment was hidden by a moderator."


@dataclass(frozen=True)
class Abilities:
    """What the viewer may do in this discussion, decided once for all its comments."""

    user: User | None
    comment: bool  # post and reply (the discussion is open and they may write in the space)
    write: bool  # may write in the space at all (edit their comments while the window is open)
    moderate: bool
    close: bool
    report: bool
    refusal: str  # why they cannot comment, when they cannot ("" otherwise)


@dataclass
class CommentView:
    """A comment as this viewer sees it, with what they may do with it."""

    comment: Comment
    html: str  # the text to show ("" when only a placeholder is shown)
    placeholder: str  # "This comment was deleted." and the like, or ""
    notice: str  # shown to its author and moderators: "Held for review", "Hidden by a moderator"
    edited: bool
    mine: bool
    can_reply: bool = False
    can_edit: bool = False
    can_delete: bool = False
    can_report: bool = False
    can_hide: bool = False
    can_restore: bool = False
    can_publish: bool = False
    editable_until: datetime | None = None
    reply_to: User | None = None  # set when the reply is shown below its parent's level
    replies: list[CommentView] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.comment.pk

    @property
    def has_actions(self) -> bool:
        return any(
            (
                self.can_reply,
                self.can_edit,
                self.can_delete,
                self.can_report,
                self.can_hide,
                self.can_restore,
                self.can_publish,
            )
        )

    @property
    def created_iso(self) -> str:
        return self.comment.created_at.isoformat()

    @property
    def created_label(self) -> str:
        """ "12 May 2026 at 09:30" in the site's time zone (cheaper than the template's date filter)."""
        local = timezone.localtime(self.comment.created_at)
        return f"{local.day} {local:%B %Y at %H:%M}"

    @property
    def author(self) -> User | None:
        return self.comment.author

    @property
    def body(self) -> str:
        """The Markdown the viewer may see (empty behind a placeholder)."""
        return self.comment.body if self.html else ""


@dataclass
class Discussion:
    page: Page
    thread: Thread | None
    comments: list[CommentView]  # the top-level comments, replies nested in them
    count: int  # comments shown with their text
    can: Abilities

    @property
    def closed(self) -> bool:
        return self.thread is not None and self.thread.is_closed

    @property
    def close_at(self) -> datetime | None:
        return self.thread.close_at if self.thread is not None else None


def thread_of(page: Page) -> Thread | None:
    return Thread.objects.filter(page=page).select_related("closed_by").first()


def abilities(
    viewer: Viewer,
    page: Page,
    thread: Thread | None,
    *,
    write: bool | None = None,
    moderate: bool | None = None,
) -> Abilities:
    """`write` and `moderate` are `can_edit_space` and `can_moderate_space` for the page's space,
    when the caller has asked them already (each may cost a query); they are asked here otherwise."""
    space = page.space
    user = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    write = can_edit_space(viewer, space) if write is None else write
    moderate = can_moderate_space(viewer, space) if moderate is None else moderate
    closed = thread is not None and thread.is_closed
    hidden = page.hidden_at is not None and not moderate
    refusal = ""
    if user is None:
        refusal = "Log in to comment."
    elif user.is_suspended:
        refusal = suspended_message(user)
    elif not write:
        refusal = "Only community members who belong to this space can comment on its pages."
    return Abilities(
        user=user,
        comment=write and not closed and not hidden,
        write=write,
        moderate=moderate,
        close=can_close_discussion(viewer, space),
        report=user is not None and user.is_member and not user.is_suspended,
        refusal=refusal,
    )


def comments_for(viewer: Viewer, page: Page, *, thread: Thread | None = None) -> list[CommentView]:
    """The comments the viewer may see, oldest first, flat (each knows its parent)."""
    thread = thread if thread is not None else thread_of(page)
    if thread is None:
        return []
    can = abilities(viewer, page, thread)
    rows = Comment.objects.filter(thread=thread).select_related("author").order_by("created_at", "pk")
    return list(_views(rows, can, closed=thread.is_closed))


def discussion_for_page(
    viewer: Viewer, page: Page, *, write: bool | None = None, moderate: bool | None = None
) -> Discussion:
    """The page's whole discussion as the viewer sees it, replies nested under their parents.

    `write` and `moderate`: see `abilities`.
    """
    thread = thread_of(page)
    can = abilities(viewer, page, thread, write=write, moderate=moderate)
    if thread is None:
        return Discussion(page=page, thread=None, comments=[], count=0, can=can)
    rows = (
        Comment.objects.filter(thread=thread)
        .select_related("author")
        .defer("body")
        .order_by("created_at", "pk")
    )
    views = list(_views(rows, can, closed=thread.is_closed))
    return Discussion(
        page=page,
        thread=thread,
        comments=_tree(views),
        count=sum(1 for view in views if view.html),
        can=can,
    )


def _views(rows: Iterable[Comment], can: Abilities, *, closed: bool) -> Iterable[CommentView]:
    """Each comment as the viewer sees it; a held comment, and the replies to it, only for those allowed."""
    left_out: set[int] = set()
    now = timezone.now()
    me = can.user.pk if can.user is not None else None
    for comment in rows:
        mine = me is not None and comment.author_id == me
        if comment.parent_id in left_out or (comment.state == State.HELD and not (mine or can.moderate)):
            left_out.add(comment.pk)
            continue
        yield _view(comment, can, mine=mine, closed=closed, now=now)


def _view(comment: Comment, can: Abilities, *, mine: bool, closed: bool, now: datetime) -> CommentView:
    state = comment.state
    html, placeholder, notice = comment.html, "", ""
    if state == State.DELETED:
        html, placeholder = "", DELETED
    elif state == State.HIDDEN:
        placeholder = HIDDEN
        if can.moderate:
            reason = comment.moderation_reason
            notice = f"Hidden by a moderator: {reason}" if reason else "Hidden by a moderator"
        else:
            html = ""
    elif state == State.HELD:
        notice = "Held for review: only you and the moderators can see it until a moderator publishes it."
        if can.moderate and not mine:
            notice = "Held for review: only its author and the moderators can see it."
    live = state in (State.VISIBLE, State.HELD)
    window = mine and live and can.write and not closed and edit_window_open(comment, now=now)
    return CommentView(
        comment=comment,
        html=html,
        placeholder=placeholder,
        notice=notice,
        edited=comment.edited_at is not None and state != State.DELETED,
        mine=mine,
        can_reply=can.comment and live,
        can_edit=window,
        can_delete=mine and live,
        can_report=can.report and not mine and state == State.VISIBLE,
        can_hide=can.moderate and live,
        can_restore=can.moderate and state == State.HIDDEN,
        can_publish=can.moderate and state == State.HELD,
        editable_until=_edit_deadline(comment) if window else None,
    )


def _edit_deadline(comment: Comment) -> datetime:
    return comment.created_at + timedelta(minutes=settings.COMMENT_EDIT_MINUTES)


def _tree(views: list[CommentView]) -> list[CommentView]:
    """Nest replies under their parents, oldest first.

    Replies nest MAX_DEPTH levels deep; a reply to the deepest level is shown beside the comment
    it answers, naming its author, so that nesting (and the templates' recursion) stays bounded.
    """
    by_pk = {view.pk: view for view in views}
    depth: dict[int, int] = {}
    container: dict[int, CommentView] = {}  # the comment whose replies list holds this one
    roots: list[CommentView] = []
    for view in views:  # oldest first, so a parent always comes before its replies
        parent = by_pk.get(view.comment.parent_id or 0)
        if parent is None or parent.pk not in depth:  # no parent shown, or (imported data) a later one
            depth[view.pk] = 0
            roots.append(view)
        elif depth[parent.pk] + 1 < MAX_DEPTH:
            depth[view.pk], container[view.pk] = depth[parent.pk] + 1, parent
            parent.replies.append(view)
        else:
            depth[view.pk], container[view.pk] = depth[parent.pk], container[parent.pk]
            view.reply_to = parent.author
            container[parent.pk].replies.append(view)
    return roots
