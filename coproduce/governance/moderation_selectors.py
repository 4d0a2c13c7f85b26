"""Reads for moderators: the moderation queue, and whether a member has already flagged something.

Callers have already checked access (`moderation_access.require_queue_access`); every queue read
is limited to the spaces the viewer moderates.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from coproduce.accounts.models import User
from coproduce.communities.models import Space
from coproduce.discussions.models import Comment
from coproduce.governance.models import Flag
from coproduce.governance.moderation_access import moderated_spaces, space_of
from coproduce.wiki.models import Page


def open_flag_by(*, reporter: User, comment: Comment | None = None, page: Page | None = None) -> Flag | None:
    """The reporter's flag on this thing that no moderator has dealt with yet, if any."""
    flags = Flag.objects.filter(reporter=reporter, status=Flag.Status.OPEN)
    return flags.filter(comment=comment).first() if comment is not None else flags.filter(page=page).first()


@dataclass
class QueueItem:
    """One flagged comment or page with its open flags."""

    comment: Comment | None
    page: Page | None
    flags: list[Flag]

    @property
    def space(self) -> Space:
        return space_of(comment=self.comment, page=self.page)

    @property
    def reasons(self) -> list[str]:
        return sorted({flag.get_reason_display() for flag in self.flags})

    @property
    def reporters(self) -> list[str]:
        names = {flag.reporter.display_name if flag.reporter else "Watched words" for flag in self.flags}
        return sorted(names)


def open_flags(viewer: User) -> list[QueueItem]:
    """Open flags in the spaces the viewer moderates, grouped by the flagged thing, oldest first."""
    flags = (
        Flag.objects.filter(status=Flag.Status.OPEN, space__in=moderated_spaces(viewer))
        .select_related(
            "reporter",
            "page__space",
            "page__current",
            "comment__author",
            "comment__thread__space",
            "comment__thread__page",
        )
        .order_by("created_at", "pk")
    )
    items: dict[tuple[int | None, int | None], QueueItem] = {}
    for flag in flags:
        key = (flag.comment_id, flag.page_id)
        if key not in items:
            items[key] = QueueItem(comment=flag.comment, page=flag.page, flags=[])
        items[key].flags.append(flag)
    return list(items.values())


def held_comments(viewer: User) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(state=Comment.State.HELD, thread__space__in=moderated_spaces(viewer))
        .select_related("author", "thread__space", "thread__page")
        .order_by("created_at", "pk")
    )


def hidden_comments(viewer: User) -> QuerySet[Comment]:
    """Comments hidden by moderators in the spaces the viewer moderates, most recently hidden first."""
    return (
        Comment.objects.filter(state=Comment.State.HIDDEN, thread__space__in=moderated_spaces(viewer))
        .select_related("author", "moderated_by", "thread__space", "thread__page")
        .order_by("-moderated_at", "-pk")
    )


def hidden_pages(viewer: User) -> QuerySet[Page]:
    return (
        Page.objects.filter(hidden_at__isnull=False, space__in=moderated_spaces(viewer))
        .select_related("space")
        .order_by("-hidden_at", "-pk")
    )
