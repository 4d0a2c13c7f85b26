"""Comments and a page's discussion: thin adapters over coproduce.discussions services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from coproduce.api.auth import caller, signed_in
from coproduce.api.pagination import Page as PageOf
from coproduce.api.pagination import PageParams, paginate
from coproduce.api.schemas import StrictSchema
from coproduce.communities.access import Viewer
from coproduce.discussions import access, selectors, services
from coproduce.discussions.models import Comment
from coproduce.discussions.selectors import CommentView
from coproduce.wiki.access import get_page_for_user
from coproduce.wiki.models import Page

router = Router(tags=["comments"])

_COMMENTS = "/{space}/pages/{slug}/comments"
_DISCUSSION = "/{space}/pages/{slug}/discussion"


class CommentIn(StrictSchema):
    body: str = Field(max_length=100_000)  # the service holds the real limit (COMMENT_MAX_CHARS)
    parent: int | None = Field(None, ge=1)


class CommentEdit(StrictSchema):
    body: str = Field(max_length=100_000)


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


def _listed(view: CommentView) -> dict[str, Any]:
    """A comment as the caller may see it: placeholders have no text."""
    comment = view.comment
    return {
        **_created(comment),
        "body": view.body,
        "html": view.html,
        "created_at": comment.created_at.isoformat(),
        "edited": view.edited,
        "state": comment.state,
    }


def _parent(viewer: Viewer, page: Page, pk: int | None) -> Comment | None:
    if pk is None:
        return None
    shown = {view.pk: view.comment for view in selectors.comments_for(viewer, page)}
    if pk not in shown:
        raise ValidationError({"parent": ["There is no such comment in this discussion."]})
    return shown[pk]


@router.get(_COMMENTS, response=PageOf)
def list_comments(request: HttpRequest, space: str, slug: str, params: Query[PageParams]) -> dict[str, Any]:
    viewer = caller(request)
    page = get_page_for_user(viewer, space, slug)
    return paginate(request, selectors.comments_for(viewer, page), params, _listed)


@router.post(_COMMENTS, response={201: CreatedOut})
def create_comment(request: HttpRequest, space: str, slug: str, payload: CommentIn) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    page = get_page_for_user(actor, space, slug)
    parent = _parent(actor, page, payload.parent)
    comment = services.comment_create(page=page, actor=actor, body=payload.body, parent=parent)
    return Status(201, _created(comment))


@router.put(_COMMENTS + "/{pk}", response=CommentOut)
def edit_comment(
    request: HttpRequest, space: str, slug: str, pk: int, payload: CommentEdit
) -> dict[str, Any]:
    actor = signed_in(request)
    comment = access.get_comment_for_author(actor, space, slug, pk)
    services.comment_edit(comment=comment, actor=actor, body=payload.body)
    return _listed(_own_view(comment))


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
    shown = [view for view in selectors.comments_for(viewer, page, thread=thread) if view.html]
    closed = thread is not None and thread.is_closed
    return {
        "closed": closed,
        "outcome": thread.outcome if thread is not None and closed else "",
        "closed_by": thread.closed_by.username if thread and thread.closed_by else None,
        "closed_at": thread.closed_at.isoformat() if thread and thread.closed_at else None,
        "close_at": thread.close_at.isoformat() if thread and thread.close_at else None,
        "comments": len(shown),
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


def _own_view(comment: Comment) -> CommentView:
    return CommentView(
        comment=comment,
        html=comment.html,
        placeholder="",
        notice="",
        edited=comment.edited_at is not None,
        mine=True,
    )
