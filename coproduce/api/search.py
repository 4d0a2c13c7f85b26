"""GET /api/v1/search: ranked full-text search over what the caller may read."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field, model_validator

from coproduce.api.auth import caller
from coproduce.api.pagination import PageParams
from coproduce.communities.access import get_space_for_user
from coproduce.core.viewercache import viewer_cacheable
from coproduce.search.query import Hit, search

router = Router(tags=["search"])


class SearchParams(PageParams):
    q: str = Field("", max_length=10_000, description="Words to look for; read as plain words.")
    space: str | None = Field(None, max_length=60, description="Only this space (its slug).")
    author: str | None = Field(None, max_length=150, description="Only pages this person (username) edited.")
    since: date | None = Field(None, description="Only things changed on or after this day.")
    until: date | None = Field(None, description="Only things changed on or before this day.")

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.since and self.until and self.since > self.until:
            raise ValueError("until must be the same day as since or after it")
        return self


class HitOut(Schema):
    type: str
    title: str
    url: str
    snippet: str = Field(description="Escaped text of the page with <mark> around the matched words.")
    space: str = Field(description="The space's slug.")
    space_name: str
    updated_at: str


class SearchPage(Schema):
    items: list[HitOut]
    count: int
    next: str | None


def _out(request: HttpRequest, hit: Hit) -> dict[str, Any]:
    return {
        "type": hit.type,
        "title": hit.title,
        "url": request.build_absolute_uri(hit.url),
        "snippet": str(hit.snippet_html),
        "space": hit.space_slug,
        "space_name": hit.space_name,
        "updated_at": hit.updated_at.isoformat(),
    }


def _next_url(request: HttpRequest, params: SearchParams, count: int) -> str | None:
    if params.page * params.page_size >= count:
        return None
    query = request.GET.copy()
    query["page"] = str(params.page + 1)
    query["page_size"] = str(params.page_size)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@router.get("", response=SearchPage, summary="Search pages")
# The same question from the same script again, with nothing changed: answered from memory.
@decorate_view(viewer_cacheable)
def search_everything(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Pages matching every word of `q`, best first, among what the caller may read; empty `q` finds none."""
    viewer = caller(request)
    space = get_space_for_user(viewer, params.space) if params.space else None
    results = search(
        viewer,
        params.q,
        space=space,
        author=params.author,
        since=params.since,
        until=params.until,
        page=params.page,
        page_size=params.page_size,
    )
    return {
        "items": [_out(request, hit) for hit in results.items],
        "count": results.count,
        "next": _next_url(request, params, results.count),
    }
