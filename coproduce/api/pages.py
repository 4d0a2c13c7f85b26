"""Wiki pages, revisions, diffs and reverts: thin adapters over coproduce.wiki services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from coproduce.api.auth import caller, signed_in
from coproduce.api.errors import ApiError
from coproduce.api.pagination import Page as PageOf
from coproduce.api.pagination import PageParams, paginate
from coproduce.api.schemas import StrictSchema
from coproduce.communities.access import get_space_for_user
from coproduce.lib.diff import unified
from coproduce.wiki import selectors, services
from coproduce.wiki.access import get_page_for_editor, get_page_for_user, get_space_for_editor
from coproduce.wiki.models import Page, Revision

router = Router(tags=["pages"])


class PageIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200)
    body: str
    summary: str = Field("", max_length=300)
    confirm: bool = False  # "I have checked: no identifiable person", for what the guard warns about


class PageUpdate(StrictSchema):
    body: str
    base_revision: int = Field(ge=0)
    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str = Field("", max_length=300)
    confirm: bool = False  # "I have checked: no identifiable person", for what the guard warns about


class RevertIn(StrictSchema):
    revision: int = Field(ge=1)


class PageOut(Schema):
    slug: str
    title: str
    body: str
    html: str
    revision: int
    url: str
    updated_at: str
    updated_by: str | None


class SaveOut(Schema):
    revision: int
    merged: bool


class RevertOut(Schema):
    revision: int


class RevisionOut(Schema):
    number: int
    body: str
    title: str
    author: str | None
    summary: str
    created_at: str


class DiffParams(StrictSchema):
    from_: int = Field(alias="from", ge=1)
    to: int = Field(ge=1)


class DiffOut(Schema):
    from_: int = Field(alias="from")
    to: int
    unified: str


def _url(request: HttpRequest, page: Page) -> str:
    return request.build_absolute_uri(reverse("wiki:page", args=[page.space.slug, page.slug]))


def _page_out(request: HttpRequest, page: Page) -> dict[str, Any]:
    current = page.current
    return {
        "slug": page.slug,
        "title": page.title,
        "body": current.body if current else "",
        "html": selectors.page_html(page),
        "revision": page.head,
        "url": _url(request, page),
        "updated_at": page.updated_at.isoformat(),
        "updated_by": page.updated_by.username if page.updated_by else None,
    }


def _revision_out(revision: Revision, *, with_body: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "number": revision.number,
        "title": revision.title,
        "author": revision.author.username if revision.author else None,
        "summary": revision.summary,
        "created_at": revision.created_at.isoformat(),
    }
    if with_body:
        out["body"] = revision.body
    return out


@router.get("/{space}/pages", response=PageOf)
def list_pages(request: HttpRequest, space: str, params: Query[PageParams]) -> dict[str, Any]:
    found = get_space_for_user(caller(request), space)
    rows = selectors.page_list(found).select_related("space", "updated_by")
    return paginate(
        request,
        rows,
        params,
        lambda page: {
            "slug": page.slug,
            "title": page.title,
            "revision": page.head,
            "url": _url(request, page),
            "updated_at": page.updated_at.isoformat(),
        },
    )


@router.post("/{space}/pages", response={201: PageOut})
def create_page(request: HttpRequest, space: str, payload: PageIn) -> Status[dict[str, Any]]:
    actor = signed_in(request)
    found = get_space_for_editor(actor, space)
    data = payload.model_dump(exclude={"confirm"})
    page = services.page_create(space=found, actor=actor, confirmed=payload.confirm, **data)
    return Status(201, _page_out(request, page))


@router.get("/{space}/pages/{slug}", response=PageOut)
def get_page(request: HttpRequest, space: str, slug: str) -> dict[str, Any]:
    return _page_out(request, get_page_for_user(caller(request), space, slug))


@router.put("/{space}/pages/{slug}", response=SaveOut)
def save_page(request: HttpRequest, space: str, slug: str, payload: PageUpdate) -> dict[str, Any]:
    actor = signed_in(request)
    page = get_page_for_editor(actor, space, slug)
    try:
        data = payload.model_dump(exclude={"confirm"})
        result = services.page_save(page=page, actor=actor, confirmed=payload.confirm, **data)
    except services.EditConflict as conflict:
        raise ApiError(
            409,
            "edit_conflict",
            "Someone else changed the same part of the page; nothing was saved. "
            "Resolve the conflict in body_with_conflicts and save again "
            "with base_revision set to current_revision.",
            {
                "current_revision": conflict.current_revision,
                "body_with_conflicts": conflict.body_with_conflicts,
            },
        ) from None
    return {"revision": result.revision.number, "merged": result.merged}


@router.get("/{space}/pages/{slug}/revisions", response=PageOf)
def list_revisions(request: HttpRequest, space: str, slug: str, params: Query[PageParams]) -> dict[str, Any]:
    page = get_page_for_user(caller(request), space, slug)
    rows = selectors.revisions_of(page).select_related("author")
    return paginate(request, rows, params, lambda revision: _revision_out(revision, with_body=False))


@router.get("/{space}/pages/{slug}/revisions/{number}", response=RevisionOut)
def get_revision(request: HttpRequest, space: str, slug: str, number: int) -> dict[str, Any]:
    page = get_page_for_user(caller(request), space, slug)
    return _revision_out(selectors.revision_of(page, number), with_body=True)


@router.get("/{space}/pages/{slug}/diff", response=DiffOut, by_alias=True)
def diff_revisions(request: HttpRequest, space: str, slug: str, params: Query[DiffParams]) -> dict[str, Any]:
    page = get_page_for_user(caller(request), space, slug)
    old, new = selectors.revision_of(page, params.from_), selectors.revision_of(page, params.to)
    text = unified(old.body, new.body, from_label=f"r{old.number}", to_label=f"r{new.number}")
    return {"from": old.number, "to": new.number, "unified": text}


@router.post("/{space}/pages/{slug}/revert", response=RevertOut)
def revert_page(request: HttpRequest, space: str, slug: str, payload: RevertIn) -> dict[str, Any]:
    actor = signed_in(request)
    page = get_page_for_editor(actor, space, slug)
    revision = services.page_revert(page=page, actor=actor, revision=payload.revision)
    return {"revision": revision.number}
