"""Background work for notifications: thin tasks that take ids and call the services."""

from __future__ import annotations

from django.tasks import task


@task
def fan_out(entry_id: int) -> None:
    # Imported here: the fan-out enqueues `send_notification`, so a module-level import is circular.
    from coproduce.notifications import fanout

    fanout.fan_out(entry_id=entry_id)


@task
def send_notification(notification_id: int) -> None:
    from coproduce.notifications import services

    services.notification_email_send(notification_id=notification_id)
