"""Notification e-mails: one per immediate notification, or one digest per person and period.

Each has a plain-text part and an HTML alternative, a deep link to the thing, and a one-click
unsubscribe link (also in the `List-Unsubscribe` and `List-Unsubscribe-Post` headers, RFC 8058)
carrying a signed token, so unsubscribing needs no log-in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import Truncator

from coproduce.accounts.models import User
from coproduce.notifications import tokens
from coproduce.notifications.models import Frequency, Kind, Notification

SUBJECT_MAX_LENGTH = 150


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(user_id: int, kinds: Iterable[str]) -> str:
    return absolute(reverse("notifications:unsubscribe", kwargs={"token": tokens.make(user_id, kinds)}))


def kind_labels(kinds: Iterable[str]) -> list[str]:
    return [Kind(kind).label for kind in sorted(set(kinds))]


def _message(
    *, user: User, subject: str, template: str, kinds: Iterable[str], context: dict[str, Any]
) -> EmailMultiAlternatives:
    kinds = sorted(set(kinds))
    link = unsubscribe_url(user.pk, kinds)
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "user": user,
        "unsubscribe_url": link,
        "unsubscribe_labels": kind_labels(kinds),
        "settings_url": absolute(reverse("notifications:settings")),
        **context,
    }
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {Truncator(subject).chars(SUBJECT_MAX_LENGTH)}",
        body=render_to_string(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context), "text/html")
    return message


def notification_message(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one notification (its recipient loaded)."""
    return _message(
        user=notification.recipient,
        subject=notification.text,
        template="notification",
        kinds=[notification.kind],
        context={"notification": notification, "link": absolute(notification.url)},
    )


@dataclass(frozen=True)
class Item:
    text: str
    link: str


@dataclass(frozen=True)
class Group:
    space: str
    items: list[Item]


def groups_of(notifications: Sequence[Notification], space_names: dict[int, str]) -> list[Group]:
    """Notifications by space (spaces by name, then "General"), each oldest first."""
    by_space: dict[str, list[Item]] = {}
    for notification in sorted(notifications, key=lambda n: (n.created_at, n.pk)):
        name = space_names.get(notification.space_id or 0, "General")
        by_space.setdefault(name, []).append(Item(notification.text, absolute(notification.url)))
    names = sorted(name for name in by_space if name != "General")
    names += ["General"] if "General" in by_space else []
    return [Group(name, by_space[name]) for name in names]


def digest_message(
    *, user: User, frequency: str, notifications: Sequence[Notification], space_names: dict[int, str]
) -> EmailMultiAlternatives:
    """One digest for `user`; `notifications` is never empty (callers send nothing otherwise)."""
    period = "daily" if frequency == Frequency.DAILY else "weekly"
    count = len(notifications)
    return _message(
        user=user,
        subject=f"Your {period} digest: {count} update{'s' if count != 1 else ''}",
        template="digest",
        kinds={notification.kind for notification in notifications},
        context={
            "period": period,
            "count": count,
            "groups": groups_of(notifications, space_names),
            "inbox_url": absolute(reverse("notifications:inbox")),
        },
    )
