"""Listens to the audit log and schedules the notification fan-out after commit.

Notifications are made from audit entries, never from model signals: the entry is the one
record of what happened, written inside the service's transaction. Nothing is done here but
scheduling, so a rolled-back change notifies nobody and the service stays fast.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from coproduce.governance import audit
from coproduce.governance.models import AuditEntry
from coproduce.notifications import tasks
from coproduce.notifications.fanout import ROUTES


@audit.listen
def schedule_fan_out(entry: AuditEntry) -> None:
    if entry.action in ROUTES:
        transaction.on_commit(partial(tasks.fan_out.enqueue, entry.pk))
