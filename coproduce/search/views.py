"""The search page: the header's search box lands here."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from coproduce.communities.selectors import spaces_matching
from coproduce.core.viewercache import viewer_cacheable
from coproduce.search.forms import SearchForm
from coproduce.search.query import Hit, search

PER_PAGE = 20
MAX_SPACES = 10


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() and len(raw) < 8 else 1


@viewer_cacheable
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, viewer=request.user)
    filters = form.filters()
    number = _page_number(request)
    results = search(
        request.user,
        filters.query,
        space=filters.space,
        author=filters.author,
        since=filters.since,
        until=filters.until,
        page=number,
        page_size=PER_PAGE,
    )
    counter: Paginator[Any] = Paginator(range(results.count), PER_PAGE)  # only counts; items come ranked
    page: Page[Hit] = Page(results.items, number, counter)
    filtering = any(request.GET.get(name) for name in ("space", "author", "since", "until"))
    # Spaces whose name or description match are shown too, on the first page of an unfiltered search.
    spaces = spaces_matching(request.user, filters.query if number == 1 and not filtering else "")[
        :MAX_SPACES
    ]
    context = {
        "form": form,
        "query": filters.query,
        "results": results,
        "page": page,
        "filtering": filtering,
        "spaces": spaces,
    }
    return render(request, "search/results.html", context)
