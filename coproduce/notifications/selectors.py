"""Reads for notifications. Callers pass the signed-in user; nobody reads another's inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from coproduce.accounts.models import User
from coproduce.notifications.models import DEFAULT_FREQUENCY, Kind, Notification, Preference


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    rows = Notification.objects.filter(recipient=user).select_related("space")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """One COUNT over the (recipient, read_at) index."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


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
