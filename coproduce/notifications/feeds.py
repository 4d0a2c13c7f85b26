"""Atom feeds of recent changes: a public space's pages, or one page of a public space.

Feed readers never log in, so a feed exists only for PUBLIC spaces: a members-only or private
space answers 404 to everyone, signed in or not, and pages a moderator hid never appear.

Every address in a feed (the feed's and the entries' ids and links) is built from
settings.SITE_URL, never from the request's Host header, so that ids stay the same for everyone.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from coproduce.communities.models import Space, Visibility
from coproduce.notifications.emails import absolute
from coproduce.wiki.models import Page, Revision

ENTRIES = 50


def public_space(slug: str) -> Space:
    space = Space.objects.filter(slug=slug, visibility=Visibility.PUBLIC).first()
    if space is None:
        raise Http404("No such public space.")
    return space


def public_page(space_slug: str, page_slug: str) -> Page:
    space = public_space(space_slug)
    page = Page.objects.filter(space=space, slug=page_slug, hidden_at__isnull=True).first()
    if page is None:
        raise Http404("No such page.")
    page.space = space
    return page


def _revisions(**where: object) -> QuerySet[Revision]:
    return (
        Revision.objects.filter(page__hidden_at__isnull=True, **where)
        .select_related("page__space", "author")
        .defer("body", "html", "page__space__description")
        .order_by("-created_at", "-pk")[:ENTRIES]
    )


class _Changes(Feed):  # type: ignore[type-arg]  # Django's Feed is generic only in the stubs' eyes
    feed_type = Atom1Feed
    author_name = settings.SITE_NAME

    def item_title(self, item: Revision) -> str:
        return f"{item.title} (revision {item.number})"

    def item_description(self, item: Revision) -> str:
        summary = item.summary or ("Created the page" if item.number == 1 else "No summary given")
        # Atom summaries are type="html": escape, so a summary is shown as text, never as markup.
        return escape(f"{summary}, by {self.item_author_name(item)}")

    def item_link(self, item: Revision) -> str:
        kwargs = {"space_slug": item.page.space.slug, "page_slug": item.page.slug}
        if item.number == 1:
            return absolute(reverse("wiki:revision", kwargs={**kwargs, "number": 1}))
        return absolute(f"{reverse('wiki:diff', kwargs=kwargs)}?from={item.number - 1}&to={item.number}")

    def item_author_name(self, item: Revision) -> str:
        return item.author.display_name if item.author is not None else "Someone who has left"

    def item_pubdate(self, item: Revision) -> datetime:
        return item.created_at

    def item_updateddate(self, item: Revision) -> datetime:
        return item.created_at


class SpaceChanges(_Changes):
    def get_object(self, request: HttpRequest, space_slug: str) -> Space:
        return public_space(space_slug)

    def title(self, obj: Space) -> str:
        return f"{settings.SITE_NAME}: recent changes in {obj.name}"

    def subtitle(self, obj: Space) -> str:
        return f"New revisions of the pages of {obj.name}, newest first."

    def link(self, obj: Space) -> str:
        return absolute(reverse("wiki:index", kwargs={"space_slug": obj.slug}))

    def feed_url(self, obj: Space) -> str:
        return absolute(reverse("notifications:space_feed", kwargs={"space_slug": obj.slug}))

    def items(self, obj: Space) -> QuerySet[Revision]:
        return _revisions(page__space=obj)


class PageChanges(_Changes):
    def get_object(self, request: HttpRequest, space_slug: str, page_slug: str) -> Page:
        return public_page(space_slug, page_slug)

    def title(self, obj: Page) -> str:
        return f"{obj.space.name}: changes to {obj.title}"

    def subtitle(self, obj: Page) -> str:
        return f"New revisions of {obj.title}, newest first."

    def link(self, obj: Page) -> str:
        return absolute(reverse("wiki:page", kwargs={"space_slug": obj.space.slug, "page_slug": obj.slug}))

    def feed_url(self, obj: Page) -> str:
        kwargs = {"space_slug": obj.space.slug, "page_slug": obj.slug}
        return absolute(reverse("notifications:page_feed", kwargs=kwargs))

    def items(self, obj: Page) -> QuerySet[Revision]:
        return _revisions(page=obj)
