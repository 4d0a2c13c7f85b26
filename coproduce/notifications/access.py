"""Permission-checked lookups: a notification is found only by the person it was made for."""

from __future__ import annotations

from django.http import Http404

from coproduce.communities.access import Viewer
from coproduce.notifications.models import Notification


def get_notification_for_user(viewer: Viewer, pk: int) -> Notification:
    """One of the viewer's own notifications; 404 for anyone else's, so none is revealed."""
    found = Notification.objects.filter(pk=pk, recipient_id=getattr(viewer, "pk", None)).first()
    if found is None or not viewer.is_authenticated:
        raise Http404("No such notification.")
    return found
