"""Paginated lists: ?page=&page_size= (at most 100) → {"items", "count", "next"}."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

from coproduce.api.schemas import StrictSchema

MAX_PAGE_SIZE = 100


class PageParams(StrictSchema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class Page(Schema):
    items: list[Any]
    count: int
    next: str | None


def paginate[T](
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[Any],
    params: PageParams,
    serialise: Callable[[Any], T],
) -> dict[str, Any]:
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    start = (params.page - 1) * params.page_size
    window = rows[start : start + params.page_size]
    next_url = None
    if start + params.page_size < count:
        query = request.GET.copy()
        query["page"] = str(params.page + 1)
        query["page_size"] = str(params.page_size)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"items": [serialise(row) for row in window], "count": count, "next": next_url}
