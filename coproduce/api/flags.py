"""Flags and moderators' actions: thin adapters over coproduce.governance.moderation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, model_validator

from coproduce.api.auth import caller, signed_in
from coproduce.api.schemas import StrictSchema
from coproduce.discussions.models import Comment
from coproduce.governance import moderation, moderation_access
from coproduce.wiki.access import get_page_for_user

router = Router(tags=["flags"])


class FlagIn(StrictSchema):
    comment: int | None = Field(None, ge=1)
    space: str | None = Field(None, min_length=1, max_length=60)
    page: str | None = Field(None, min_length=1, max_length=120)
    reason: str = Field(max_length=20)
    note: str = Field("", max_length=moderation.NOTE_MAX_LENGTH)

    @model_validator(mode="after")
    def _one_thing(self) -> FlagIn:
        if (self.comment is None) == (self.page is None) or (self.page is None) != (self.space is None):
            raise ValueError("give either comment, or space and page")
        return self


class FlagOut(Schema):
    id: int
    status: str


class ReasonIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=moderation.REASON_MAX_LENGTH)


class StateOut(Schema):
    id: int
    state: str


class PageStateOut(Schema):
    slug: str
    hidden: bool


@router.post("", response={201: FlagOut})
def create_flag(request: HttpRequest, payload: FlagIn) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    moderation_access.refuse_if_suspended(actor)
    if payload.comment is not None:
        comment = moderation_access.get_comment_for_user(actor, payload.comment)
        flag = moderation.flag_create(actor=actor, comment=comment, reason=payload.reason, note=payload.note)
    else:
        page = get_page_for_user(actor, payload.space or "", payload.page or "")
        flag = moderation.flag_create(actor=actor, page=page, reason=payload.reason, note=payload.note)
    return Status(201, {"id": flag.pk, "status": flag.status})


def _comment(request: HttpRequest, pk: int) -> Comment:
    return moderation_access.get_comment_for_moderator(caller(request), pk)


@router.post("/comments/{pk}/hide", response=StateOut)
def hide_comment(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, Any]:
    actor = signed_in(request)
    comment = moderation.comment_hide(comment=_comment(request, pk), actor=actor, reason=payload.reason)
    return {"id": comment.pk, "state": comment.state}


@router.post("/comments/{pk}/restore", response=StateOut)
def restore_comment(request: HttpRequest, pk: int) -> dict[str, Any]:
    actor = signed_in(request)
    comment = moderation.comment_restore(comment=_comment(request, pk), actor=actor)
    return {"id": comment.pk, "state": comment.state}


@router.post("/pages/{space}/{slug}/hide", response=PageStateOut)
def hide_page(request: HttpRequest, space: str, slug: str, payload: ReasonIn) -> dict[str, Any]:
    actor = signed_in(request)
    page = moderation.page_hide(
        page=get_page_for_user(actor, space, slug), actor=actor, reason=payload.reason
    )
    return {"slug": page.slug, "hidden": True}


@router.post("/pages/{space}/{slug}/restore", response=PageStateOut)
def restore_page(request: HttpRequest, space: str, slug: str) -> dict[str, Any]:
    actor = signed_in(request)
    page = moderation.page_restore(page=get_page_for_user(actor, space, slug), actor=actor)
    return {"slug": page.slug, "hidden": False}
