"""The signed-in person's inbox and notification settings: thin adapters over the services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Body, Query, Router, Schema
from pydantic import Field

from coproduce.api.auth import signed_in
from coproduce.api.pagination import Page as PageOf
from coproduce.api.pagination import PageParams, paginate
from coproduce.notifications import selectors, services
from coproduce.notifications.access import get_notification_for_user
from coproduce.notifications.models import Notification

router = Router(tags=["notifications"])


class InboxParams(PageParams):
    unread: bool = Field(False, description="Only unread notifications.")


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str
    created_at: str
    read: bool


class UnreadOut(Schema):
    unread: int


def _out(request: HttpRequest, notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "text": notification.text,
        "url": request.build_absolute_uri(notification.url),
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


@router.get("/notifications", response=PageOf)
def list_notifications(request: HttpRequest, params: Query[InboxParams]) -> dict[str, Any]:
    rows = selectors.inbox(signed_in(request), unread_only=params.unread)
    return paginate(request, rows, params, lambda row: _out(request, row))


@router.post("/notifications/read-all", response=UnreadOut)
def read_all(request: HttpRequest) -> dict[str, int]:
    services.notifications_read_all(user=signed_in(request))
    return {"unread": 0}


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_one(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = signed_in(request)
    notification = get_notification_for_user(user, notification_id)
    return _out(request, services.notification_read(user=user, notification=notification))


@router.get("/notification-settings", response=dict[str, str])
def get_settings(request: HttpRequest) -> dict[str, str]:
    return selectors.preferences_of(signed_in(request))


@router.put("/notification-settings", response=dict[str, str])
def put_settings(request: HttpRequest, payload: Body[dict[str, str]]) -> dict[str, str]:
    return services.preferences_set(user=signed_in(request), preferences=payload)
