"""The one path by which changes are written to the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from coproduce.governance.models import AuditEntry

if TYPE_CHECKING:
    from coproduce.accounts.models import User
    from coproduce.communities.models import Space


def record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    space: Space | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry. Call it inside the service's transaction."""
    meta = target._meta
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=str(actor.username) if actor is not None and actor.pk else "",
        action=action,
        target_type=f"{meta.app_label}.{meta.model_name}",
        target_id=str(target.pk),
        target_label=str(target)[:300],
        space=space,
        before=before or {},
        after=after or {},
    )
