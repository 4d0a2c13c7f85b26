"""Ranked full-text search over what the viewer may read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString

from coproduce.communities.access import Viewer, readable_spaces
from coproduce.communities.models import Space
from coproduce.search.engines import engine
from coproduce.search.index import index_version
from coproduce.search.models import SearchDocument
from coproduce.search.text import highlight, query_words

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
CACHE_SECONDS = 300


@dataclass(frozen=True)
class Hit:
    type: str
    title: str
    url: str
    snippet_html: SafeString  # escaped text with <mark> around the matched words
    space_name: str
    space_slug: str
    updated_at: datetime
    rank: float


@dataclass(frozen=True)
class Results:
    items: list[Hit]
    count: int


NOTHING = Results(items=[], count=0)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _candidates(
    readable: list[int], *, space: Space | None, author: str | None, since: date | None, until: date | None
) -> QuerySet[SearchDocument]:
    """The documents in the readable spaces that pass the filters (visibility first, always)."""
    documents = SearchDocument.objects.filter(space__in=readable)
    if space is not None:
        documents = documents.filter(space=space)
    if author:
        documents = documents.filter(authors__username__iexact=author.strip())
    if since is not None:
        documents = documents.filter(updated_at__gte=_start_of(since))
    if until is not None:
        documents = documents.filter(updated_at__lt=_start_of(until + timedelta(days=1)))
    return documents


def search(
    viewer: Viewer,
    query: str,
    *,
    space: Space | None = None,
    author: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Results:
    """Pages matching every word of `query` (or a related form: "risks" finds "risk"), best first.

    The query is only ever read as plain words; an empty query finds nothing.
    """
    terms = query_words(query)
    if not terms:
        return NOTHING
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, min(page, MAX_PAGE))
    readable = sorted(space.pk for space in readable_spaces(viewer))
    if not readable or (space is not None and space.pk not in readable):
        return NOTHING
    # The key holds exactly what decides the answer, the index version included, so a cached
    # answer is never stale nor shown to someone who can read different spaces.
    facts = [index_version(), readable, terms, space and space.pk, author, since, until, page, page_size]
    key = "search:" + hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()
    results: Results | None = cache.get(key)
    if results is None:
        within = _candidates(readable, space=space, author=author, since=since, until=until)
        results = _run(terms, within, page=page, page_size=page_size)
        cache.set(key, results, CACHE_SECONDS)
    return results


def _run(terms: list[str], within: QuerySet[SearchDocument], *, page: int, page_size: int) -> Results:
    search_engine = engine()
    sql, params = within.values("pk").query.sql_with_params()
    ranked = search_engine.ranked(terms, (sql, params), limit=page_size, offset=(page - 1) * page_size)
    if ranked.total is None:
        count = search_engine.count(terms, (sql, params)) if page > 1 else 0
        return Results(items=[], count=count)
    ids = [doc_id for doc_id, _ in ranked.ids]
    snippets = search_engine.snippets(terms, ids)
    shown = ("kind", "title", "url", "updated_at", "space__name", "space__slug")
    documents = SearchDocument.objects.select_related("space").only(*shown).in_bulk(ids)
    items = [
        Hit(
            type=documents[doc_id].kind,
            title=documents[doc_id].title,
            url=documents[doc_id].url,
            snippet_html=highlight(snippets.get(doc_id, "")),
            space_name=documents[doc_id].space.name,
            space_slug=documents[doc_id].space.slug,
            updated_at=documents[doc_id].updated_at,
            rank=rank,
        )
        for doc_id, rank in ranked.ids
        if doc_id in documents
    ]
    return Results(items=items, count=ranked.total)
