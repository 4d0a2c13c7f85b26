"""Permission-checked lookups: a notification is found only by the person it was made for."""

from __future__ import annotations

from django.http import Http404

from coproduce.accounts.models import User
from coproduce.communities.access import Viewer
from coproduce.notifications.models import Notification
from coproduce.notifications.selectors import visible_to


def get_notification_for_user(viewer: Viewer, pk: int) -> Notification:
    """One of the viewer's own notifications they may still read; 404 otherwise, so none is revealed."""
    found = visible_to(viewer).filter(pk=pk).first() if isinstance(viewer, User) else None
    if found is None:
        raise Http404("No such notification.")
    return found
