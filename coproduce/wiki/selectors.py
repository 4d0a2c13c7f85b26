"""Reads for the wiki. Callers have already checked access (coproduce.wiki.access)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.lib.markdown import mark_wiki_links
from coproduce.wiki.models import Page, PageLink, PageTemplate, Revision, Watch


@dataclass(frozen=True)
class Contribution:
    user: User | None  # None for revisions whose author's account is gone
    revisions: int
    chars_added: int
    chars_removed: int


def page_list(space: Space) -> QuerySet[Page]:
    """The space's pages by title (without revision bodies)."""
    return Page.objects.filter(space=space).select_related("updated_by").order_by("title", "pk")


def revisions_of(page: Page) -> QuerySet[Revision]:
    """The page's history, newest first, without bodies or HTML (use `revision_of` for one)."""
    return (
        Revision.objects.filter(page=page).select_related("author").defer("body", "html").order_by("-number")
    )


def revision_of(page: Page, number: int) -> Revision:
    revision = Revision.objects.filter(page=page, number=number).select_related("author").first()
    if revision is None:
        raise Http404("This page has no such revision.")
    return revision


def contributions(page: Page) -> list[Contribution]:
    """Who wrote how much of the page: most revisions first, then most characters added."""
    rows = (
        Revision.objects.filter(page=page)
        .values("author")
        .annotate(revisions=Count("pk"), added=Sum("chars_added"), removed=Sum("chars_removed"))
        .order_by("-revisions", "-added", "author")
    )
    authors = User.objects.in_bulk([row["author"] for row in rows if row["author"] is not None])
    return [
        Contribution(
            user=authors.get(row["author"]) if row["author"] is not None else None,
            revisions=row["revisions"],
            chars_added=row["added"] or 0,
            chars_removed=row["removed"] or 0,
        )
        for row in rows
    ]


def backlinks(page: Page) -> QuerySet[Page]:
    """Other pages whose current revision links to this page ("what links here")."""
    return (
        Page.objects.filter(outgoing_links__target=page)
        .exclude(pk=page.pk)
        .distinct()
        .order_by("title", "pk")
    )


def page_html(page: Page) -> str:
    """The current revision's HTML, with wiki links pointing where their pages are now.

    Links to pages that do not exist yet become red links to the form that creates them
    (class "wiki-link--new"); links to renamed pages point at the new address.
    """
    current = page.current
    if current is None:
        return ""
    links = PageLink.objects.filter(source=page).values_list("target_slug", "target_title", "target__slug")
    targets: dict[str, str | None] = {}
    titles: dict[str, str] = {}
    for slug, title, target_slug in links:
        targets[slug], titles[slug] = target_slug, title
    if all(targets.get(slug) == slug for slug in targets):
        return current.html
    return mark_wiki_links(current.html, space_slug=page.space.slug, targets=targets, titles=titles)


def templates_of(space: Space) -> QuerySet[PageTemplate]:
    return PageTemplate.objects.filter(space=space).order_by("name")


def is_watching(user: User, *, page: Page | None = None, space: Space | None = None) -> bool:
    """Whether `user` watches this page (or this whole space)."""
    if not user.is_authenticated or (page is None) == (space is None):
        return False
    if page is not None:
        return Watch.objects.filter(user=user, page=page).exists()
    return Watch.objects.filter(user=user, space=space).exists()


def watchers_of(page: Page) -> QuerySet[User]:
    """Everyone who watches the page or its space (for the notifications work)."""
    return User.objects.filter(Q(watches__page=page) | Q(watches__space_id=page.space_id)).distinct()
