"""Kinds of source a paper can draw on, as plugins: the board and the paper only know `Card`s.

A kind registers itself with `register`; it lists the cards a viewer may see in a space and
resolves one key (e.g. "page:12#3", "comment:55", "outcome:7") back to a card, or None when the
thing is gone or the viewer can no longer read it. Later kinds (event prompt answers, survey
free text) add a class here or in their own app and call `register`: nothing else changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.urls import reverse
from django.utils.html import strip_tags

from coproduce.communities.access import Viewer, can_moderate_space, can_read_space
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment, Thread
from coproduce.wiki.models import Page, Revision

EXCERPT_CHARS = 300
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


@dataclass(frozen=True)
class Card:
    key: str
    kind: str
    kind_label: str
    title: str
    excerpt: str
    url: str  # absolute
    author_ids: tuple[int, ...]
    contributed_at: datetime | None
    revision: int | None = None
    part: str = ""


class SourceKind(Protocol):
    kind: str
    label: str

    def cards(self, space: Space, viewer: Viewer) -> Iterable[Card]: ...

    def resolve(self, key: str, space: Space, viewer: Viewer, revision: int | None) -> Card | None: ...


_KINDS: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> SourceKind:
    _KINDS[kind.kind] = kind
    return kind


def kinds() -> dict[str, SourceKind]:
    return dict(_KINDS)


def parse_key(key: str) -> tuple[str, int, str] | None:
    """ "page:12#3" -> ("page", 12, "3"); None when the key is malformed."""
    match = re.fullmatch(r"([a-z_]{1,30}):(\d{1,18})(?:#(\d{1,6}))?", key or "")
    if match is None:
        return None
    return match[1], int(match[2]), match[3] or ""


def board_cards(space: Space, viewer: Viewer) -> list[Card]:
    """Every contribution of the space the viewer may read, kind by kind."""
    return [card for kind in _KINDS.values() for card in kind.cards(space, viewer)]


def resolve(key: str, space: Space, viewer: Viewer, revision: int | None = None) -> Card | None:
    parsed = parse_key(key)
    if parsed is None or parsed[0] not in _KINDS:
        return None
    return _KINDS[parsed[0]].resolve(key, space, viewer, revision)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def page_parts(body: str) -> list[tuple[str, str]]:
    """The Markdown body's heading sections, in order: (heading text, the text under it)."""
    parts: list[tuple[str, list[str]]] = []
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is not None:
            parts.append((match[2].strip(), []))
        elif parts:
            parts[-1][1].append(line)
    return [(heading, "\n".join(lines)) for heading, lines in parts]


def _markdown_text(body: str) -> str:
    return strip_tags(re.sub(r"[#*_`|>\[\]]+", " ", body))


# --- pages -----------------------------------------------------------------------------------


def _page_readable(page: Page, space: Space, viewer: Viewer) -> bool:
    if page.space_id != space.pk or not can_read_space(viewer, space):
        return False
    return page.hidden_at is None or can_moderate_space(viewer, space)


def _authors(rows: Iterable[tuple[int, int | None]], upto: int) -> tuple[int, ...]:
    seen: dict[int, None] = {}
    for number, author_id in sorted(rows, key=lambda row: row[0]):
        if number <= upto and author_id is not None:
            seen.setdefault(author_id, None)
    return tuple(seen)


class PageSource:
    kind = "page"
    label = "Wiki page"

    def _cards_for(self, page: Page, revision: Revision, authors: tuple[int, ...]) -> list[Card]:
        url = absolute(reverse("wiki:revision", args=[page.space.slug, page.slug, revision.number]))
        whole = Card(
            key=f"page:{page.pk}",
            kind=self.kind,
            kind_label=self.label,
            title=revision.title,
            excerpt=excerpt(_markdown_text(revision.body)),
            url=url,
            author_ids=authors,
            contributed_at=revision.created_at,
            revision=revision.number,
        )
        cards = [whole]
        for n, (heading, text) in enumerate(page_parts(revision.body), start=1):
            cards.append(
                Card(
                    key=f"page:{page.pk}#{n}",
                    kind=self.kind,
                    kind_label="Wiki page section",
                    title=f"{revision.title}: {heading}",
                    excerpt=excerpt(_markdown_text(text)),
                    url=url,
                    author_ids=authors,
                    contributed_at=revision.created_at,
                    revision=revision.number,
                    part=str(n),
                )
            )
        return cards

    def cards(self, space: Space, viewer: Viewer) -> Iterable[Card]:
        if not can_read_space(viewer, space):
            return []
        pages = [
            page
            for page in Page.objects.filter(space=space)
            .select_related("space", "current")
            .order_by("title", "pk")
            if page.current is not None and _page_readable(page, space, viewer)
        ]
        rows: dict[int, list[tuple[int, int | None]]] = {}
        for page_id, number, author_id in Revision.objects.filter(page__in=pages).values_list(
            "page_id", "number", "author_id"
        ):
            rows.setdefault(page_id, []).append((number, author_id))
        cards: list[Card] = []
        for page in pages:
            assert page.current is not None
            authors = _authors(rows.get(page.pk, []), page.current.number)
            cards.extend(self._cards_for(page, page.current, authors))
        return cards

    def resolve(self, key: str, space: Space, viewer: Viewer, revision: int | None) -> Card | None:
        parsed = parse_key(key)
        if parsed is None:
            return None
        page = Page.objects.filter(pk=parsed[1], space=space).select_related("space").first()
        if page is None or not _page_readable(page, space, viewer):
            return None
        number = revision if revision is not None else page.head
        found = Revision.objects.filter(page=page, number=number).first()
        if found is None:
            return None
        rows = list(Revision.objects.filter(page=page).values_list("number", "author_id"))
        cards = self._cards_for(page, found, _authors(rows, number))
        return next((card for card in cards if card.key == key), None)


# --- comments --------------------------------------------------------------------------------


def _comment_card(comment: Comment) -> Card:
    page = comment.thread.page
    assert page is not None
    path = reverse("wiki:page", args=[page.space.slug, page.slug])
    return Card(
        key=f"comment:{comment.pk}",
        kind="comment",
        kind_label="Comment",
        title=f"Comment on “{page.title}”",
        excerpt=excerpt(comment.body),
        url=absolute(f"{path}#comment-{comment.pk}"),
        author_ids=(comment.author_id,) if comment.author_id is not None else (),
        contributed_at=comment.created_at,
    )


class CommentSource:
    kind = "comment"
    label = "Comment"

    def _comments(self, space: Space, viewer: Viewer) -> list[Comment]:
        if not can_read_space(viewer, space):
            return []
        comments = Comment.objects.filter(
            thread__space=space, thread__page__isnull=False, state=Comment.State.VISIBLE
        ).select_related("thread__page__space")
        moderate = can_moderate_space(viewer, space)
        return [
            c for c in comments if c.thread.page is not None and (moderate or c.thread.page.hidden_at is None)
        ]

    def cards(self, space: Space, viewer: Viewer) -> Iterable[Card]:
        return [_comment_card(comment) for comment in self._comments(space, viewer)]

    def resolve(self, key: str, space: Space, viewer: Viewer, revision: int | None) -> Card | None:
        parsed = parse_key(key)
        if parsed is None or parsed[2]:
            return None
        comment = (
            Comment.objects.filter(pk=parsed[1], thread__space=space, state=Comment.State.VISIBLE)
            .select_related("thread__page__space")
            .first()
        )
        page = comment.thread.page if comment is not None else None
        if comment is None or page is None or not _page_readable(page, space, viewer):
            return None
        return _comment_card(comment)


# --- discussion outcomes -----------------------------------------------------------------------


def _outcome_card(thread: Thread) -> Card:
    page = thread.page
    assert page is not None
    path = reverse("wiki:page", args=[page.space.slug, page.slug])
    return Card(
        key=f"outcome:{thread.pk}",
        kind="outcome",
        kind_label="Discussion outcome",
        title=f"Outcome of the discussion of “{page.title}”",
        excerpt=excerpt(thread.conclusion, 2000),
        url=absolute(f"{path}#discussion"),
        author_ids=(thread.closed_by_id,) if thread.closed_by_id is not None else (),
        contributed_at=thread.closed_since,
    )


class OutcomeSource:
    kind = "outcome"
    label = "Discussion outcome"

    def cards(self, space: Space, viewer: Viewer) -> Iterable[Card]:
        if not can_read_space(viewer, space):
            return []
        threads = Thread.objects.filter(space=space, page__isnull=False).select_related("page__space")
        return [
            _outcome_card(thread)
            for thread in threads
            if thread.is_closed and thread.page is not None and _page_readable(thread.page, space, viewer)
        ]

    def resolve(self, key: str, space: Space, viewer: Viewer, revision: int | None) -> Card | None:
        parsed = parse_key(key)
        if parsed is None or parsed[2]:
            return None
        thread = Thread.objects.filter(pk=parsed[1], space=space).select_related("page__space").first()
        if thread is None or not thread.is_closed or thread.page is None:
            return None
        if not _page_readable(thread.page, space, viewer):
            return None
        return _outcome_card(thread)


register(PageSource())
register(CommentSource())
register(OutcomeSource())
