"""Reads for notifications. Callers pass the signed-in user; nobody reads another's inbox.

Read access is checked when a notification is made, and again whenever it is shown: someone who
has since lost access to its space, or whose page a moderator hid, no longer sees it (its text
names the page and the space). It comes back if access does.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from coproduce.accounts.models import User
from coproduce.communities.access import spaces_readable_by
from coproduce.notifications.models import DEFAULT_FREQUENCY, Kind, Notification, Preference


def visible_to(user: User) -> QuerySet[Notification]:
    """The user's notifications they may still read: no space or a readable one, no hidden page.

    One query whatever it is used for: the space rule is a subquery, the page a left join.
    """
    readable = Q(space__isnull=True) | Q(space__in=spaces_readable_by(user))
    shown = Q(page__isnull=True) | Q(page__hidden_at__isnull=True)
    return Notification.objects.filter(readable, shown, recipient=user)


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications they may still read, newest first."""
    rows = visible_to(user).select_related("space")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """One COUNT (the read rules of `visible_to` are part of the same query)."""
    return visible_to(user).filter(read_at__isnull=True).count()


def preferences_of(user: User) -> dict[str, str]:
    """How the user wants to hear about each kind: their choice, else the kind's default."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind: chosen.get(kind, DEFAULT_FREQUENCY[kind]) for kind in Kind.values}


def frequencies_for(user_ids: list[int], kinds: set[str]) -> dict[tuple[int, str], str]:
    """(user id, kind) → frequency for many people at once, defaults filled in (one query)."""
    chosen = {
        (user_id, kind): frequency
        for user_id, kind, frequency in Preference.objects.filter(
            user_id__in=user_ids, kind__in=kinds
        ).values_list("user_id", "kind", "frequency")
    }
    return {
        (user_id, kind): chosen.get((user_id, kind), DEFAULT_FREQUENCY[kind])
        for user_id in user_ids
        for kind in kinds
    }
