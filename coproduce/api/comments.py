"""Comments and a page's discussion: thin adapters over coproduce.discussions services.

The list is paginated by the database: `access.comments_listed_for` leaves out what the caller
may not see (as the page does) and each comment is shown with the page's placeholder rules.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from coproduce.api.auth import caller, signed_in
from coproduce.api.pagination import Page as PageOf
from coproduce.api.pagination import PageParams, paginate
from coproduce.api.schemas import StrictSchema
from coproduce.communities.access import Viewer, can_moderate_space
from coproduce.discussions import access, selectors, services
from coproduce.discussions.models import Comment
from coproduce.wiki.access import get_page_for_user
from coproduce.wiki.models import Page

router = Router(tags=["comments"])

_COMMENTS = "/{space}/pages/{slug}/comments"
_DISCUSSION = "/{space}/pages/{slug}/discussion"


class CommentIn(StrictSchema):
    body: str = Field(max_length=100_000)  # the service holds the real limit (COMMENT_MAX_CHARS)
    parent: int | None = Field(None, ge=1, le=2**63 - 1)  # a database id
    confirm: bool = False  # "I have checked: no identifiable person", for what the guard warns about


class CommentEdit(StrictSchema):
    body: str = Field(max_length=100_000)
    confirm: bool = False  # "I have checked: no identifiable person", for what the guard warns about


class CloseIn(StrictSchema):
    outcome: str = Field(max_length=10_000)


class CreatedOut(Schema):
    id: int
    body: str
    html: str
    author: str | None
    parent: int | None


class CommentOut(CreatedOut):
    created_at: str
    edited: bool
    state: str


class ClosedOut(Schema):
    closed: bool
    outcome: str


class ReopenedOut(Schema):
    closed: bool


class DiscussionOut(Schema):
    closed: bool
    outcome: str
    closed_by: str | None
    closed_at: str | None
    close_at: str | None
    comments: int


def _created(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "body": comment.body,
        "html": comment.html,
        "author": comment.author.username if comment.author else None,
        "parent": comment.parent_id,
    }


def _listed(comment: Comment, *, moderate: bool) -> dict[str, Any]:
    """A comment as the caller may see it, as the page shows it (discussions.selectors): a deleted
    comment, and a hidden one for all but moderators, is a placeholder without text."""
    html = _shown_html(comment, moderate=moderate)
    return {
        **_created(comment),
        "body": comment.body if html else "",
        "html": html,
        "created_at": comment.created_at.isoformat(),
        "edited": comment.edited_at is not None and comment.state != Comment.State.DELETED,
        "state": comment.state,
    }


def _shown_html(comment: Comment, *, moderate: bool) -> str:
    if comment.state == Comment.State.DELETED or (comment.state == Comment.State.HIDDEN and not moderate):
        return ""
    return comment.html


def _parent(viewer: Viewer, page: Page, pk: int | None) -> Comment | None:
    if pk is None:
        return None
    try:
        return access.get_parent_for_reply(viewer, page, pk)
    except Http404:
        raise ValidationError({"parent": ["There is no such comment in this discussion."]}) from None


@router.get(_COMMENTS, response=PageOf)
def list_comments(request: HttpRequest, space: str, slug: str, params: Query[PageParams]) -> dict[str, Any]:
    viewer = caller(request)
    page = get_page_for_user(viewer, space, slug)
    thread = selectors.thread_of(page)
    if thread is None:
        return paginate(request, [], params, dict)
    moderate = can_moderate_space(viewer, page.space)
    rows = access.comments_listed_for(viewer, thread, moderate=moderate)
    return paginate(request, rows, params, lambda comment: _listed(comment, moderate=moderate))


@router.post(_COMMENTS, response={201: CreatedOut})
def create_comment(request: HttpRequest, space: str, slug: str, payload: CommentIn) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    page = access.get_page_for_commenter(actor, space, slug)
    parent = _parent(actor, page, payload.parent)
    comment = services.comment_create(
        page=page, actor=actor, body=payload.body, parent=parent, confirmed=payload.confirm
    )
    return Status(201, _created(comment))


@router.put(_COMMENTS + "/{pk}", response=CommentOut)
def edit_comment(
    request: HttpRequest, space: str, slug: str, pk: int, payload: CommentEdit
) -> dict[str, Any]:
    actor = signed_in(request)
    comment = access.get_comment_for_author(actor, space, slug, pk)
    services.comment_edit(comment=comment, actor=actor, body=payload.body, confirmed=payload.confirm)
    return _listed(comment, moderate=False)  # their own comment, visible or held: its text is shown


@router.delete(_COMMENTS + "/{pk}", response={204: None})
def delete_comment(request: HttpRequest, space: str, slug: str, pk: int) -> Status[None]:
    actor = signed_in(request)
    comment = access.get_comment_for_author(actor, space, slug, pk)
    services.comment_delete(comment=comment, actor=actor)
    return Status(204, None)


@router.get(_DISCUSSION, response=DiscussionOut)
def get_discussion(request: HttpRequest, space: str, slug: str) -> dict[str, Any]:
    viewer = caller(request)
    page = get_page_for_user(viewer, space, slug)
    thread = selectors.thread_of(page)
    if thread is None:
        return {
            "closed": False,
            "outcome": "",
            "closed_by": None,
            "closed_at": None,
            "close_at": None,
            "comments": 0,
        }
    moderate = can_moderate_space(viewer, page.space)
    shown = access.comments_listed_for(viewer, thread, moderate=moderate).exclude(html="")
    shown = shown.exclude(state=Comment.State.DELETED)
    if not moderate:
        shown = shown.exclude(state=Comment.State.HIDDEN)
    since = thread.closed_since
    return {
        "closed": since is not None,
        "outcome": thread.conclusion if since is not None else "",
        "closed_by": thread.closed_by.username if thread.closed_by else None,
        "closed_at": since.isoformat() if since is not None else None,
        "close_at": thread.close_at.isoformat() if thread.close_at else None,
        "comments": shown.count(),
    }


@router.post(_DISCUSSION + "/close", response=ClosedOut)
def close_discussion(request: HttpRequest, space: str, slug: str, payload: CloseIn) -> dict[str, Any]:
    actor = signed_in(request)
    page = access.get_page_for_closer(actor, space, slug)
    thread = services.discussion_close(page=page, actor=actor, outcome=payload.outcome)
    return {"closed": True, "outcome": thread.outcome}


@router.post(_DISCUSSION + "/reopen", response=ReopenedOut)
def reopen_discussion(request: HttpRequest, space: str, slug: str) -> dict[str, Any]:
    actor = signed_in(request)
    page = access.get_page_for_closer(actor, space, slug)
    services.discussion_reopen(page=page, actor=actor)
    return {"closed": False}
