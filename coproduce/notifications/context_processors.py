"""The unread count in the header: counted only when a page shows it, at most once per request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from coproduce.accounts.models import User
from coproduce.notifications.selectors import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    def count() -> int:
        user = getattr(request, "user", None)
        return unread_count(user) if isinstance(user, User) else 0  # no query for visitors

    return {"unread_notifications": SimpleLazyObject(count)}
