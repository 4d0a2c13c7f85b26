"""The one path by which changes are written to the audit log.

Other apps read what happened from here: `listen` registers a function called with every new
entry, inside the service's transaction (notifications use it to schedule their fan-out on
commit). Listeners must be quick and must not raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models

from coproduce.governance.models import AuditEntry

if TYPE_CHECKING:
    from coproduce.accounts.models import User
    from coproduce.communities.models import Space


type Listener = Callable[[AuditEntry], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Listener:
    """Call `listener(entry)` for every entry recorded from now on (usable as a decorator)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


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
    entry = AuditEntry.objects.create(
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
    for listener in _listeners:
        listener(entry)
    return entry
