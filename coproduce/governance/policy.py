"""Each space's policy for the patient-data guard: which kinds of finding block, which warn.

`safety.POLICY` says what every kind does by default. A space's facilitators may change that
for their space (`Space.guard_policy`, kind → "block" | "warn"): make postcodes block in a
space about one ward, or let e-mail addresses through with a warning. NHS numbers and hospital
numbers (`FIXED_KINDS`) always block, whatever the stored policy says; unknown kinds and
values in the stored JSON are ignored.

`check_for_space` is what services call on the text a person typed:

- a finding the space's policy blocks raises `UnsafeContent` (nothing is saved);
- a finding it warns about raises `NeedsConfirmation` unless the person has confirmed
  ("I have checked: this is not about an identifiable person");
- when they have, it returns a `Confirmation` whose `record(...)` (called inside the service's
  transaction, once the target exists) writes a `guard.confirmed` audit entry naming the
  kinds found and the fields they were in, never the text itself.

`NeedsConfirmation` is an `UnsafeContent`, so any caller that does not know about confirming
refuses the text as if it were blocked: safe by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from coproduce.accounts.models import User
from coproduce.communities.access import can_manage_space
from coproduce.communities.models import Space
from coproduce.governance import audit
from coproduce.governance.safety import KIND_LABELS, POLICY, Action, Finding, UnsafeContent, scan

# Kinds no space may relax: an NHS number or a hospital number always identifies a patient.
FIXED_KINDS = frozenset({"nhs_number", "hospital_number"})
CHOICES: tuple[Action, ...] = ("block", "warn")  # what a space may choose for a kind
CANNOT_MANAGE = "Only the space's facilitators and community admins can change its guard settings."


@dataclass
class NeedsConfirmation(UnsafeContent):
    """The text holds something that may identify a person; save only once they confirm."""

    def __str__(self) -> str:
        return "Please confirm: " + super().__str__()


@dataclass(frozen=True)
class Confirmation:
    """What a person confirmed was safe to save (field → findings); empty when nothing warned."""

    findings: Mapping[str, list[Finding]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.findings)

    def record(self, *, actor: User, target: models.Model, space: Space, during: str, **extra: Any) -> None:
        """The `guard.confirmed` audit entry: kinds and fields, never the found text.

        Call inside the service's transaction; does nothing when nothing was confirmed.
        """
        if not self.findings:
            return
        fields = {name: sorted({f.kind for f in found}) for name, found in self.findings.items()}
        entry = audit.record(
            actor=actor,
            action="guard.confirmed",
            target=target,
            space=space,
            after={
                "kinds": sorted({kind for kinds in fields.values() for kind in kinds}),
                "fields": fields,
                "during": during,
                **extra,
            },
        )
        # The target's name (a page's title) may be what was confirmed: name it by kind and id.
        entry.target_label = f"{target._meta.verbose_name} {target.pk}"
        entry.save(update_fields=["target_label"])


def configurable_kinds() -> list[str]:
    """The kinds a space may set to block or warn, in POLICY's order."""
    return [kind for kind, action in POLICY.items() if action in CHOICES and kind not in FIXED_KINDS]


def fixed_kinds() -> list[str]:
    """The kinds that always block, as far as the guard knows them (for the settings page)."""
    return [kind for kind in POLICY if kind in FIXED_KINDS]


def space_policy(space: Space | None) -> Mapping[str, Action]:
    """POLICY with the space's choices over it; NHS and hospital numbers always block."""
    policy: dict[str, Action] = dict(POLICY)
    stored = space.guard_policy if space is not None else None
    if isinstance(stored, dict):
        for kind, action in stored.items():
            if kind in POLICY and action in CHOICES and kind not in FIXED_KINDS:
                policy[kind] = action
    for kind in FIXED_KINDS:
        policy[kind] = "block"
    return policy


def check_for_space(
    *,
    space: Space,
    fields: Mapping[str, str],
    confirmed: bool,
    previous: Mapping[str, str] | None = None,
) -> Confirmation:
    """Apply the space's policy to what a person typed (field name → text).

    Raises `UnsafeContent` for findings the policy blocks (confirming never helps) and
    `NeedsConfirmation` for findings it warns about when `confirmed` is false. Otherwise
    returns the confirmed findings; call `.record(...)` on them inside the transaction.

    `previous` (field name → the text saved before, for an edit): a warning about exactly the
    same characters as the saved text already held is not asked again, so a postcode confirmed
    once does not have to be confirmed at every later edit of the page. Blocks always apply.
    """
    policy = space_policy(space)
    found = {name: scan(value) for name, value in fields.items() if value}
    blocked = _where(found, policy, "block")
    if blocked:
        raise UnsafeContent(findings=blocked)
    warned = _where(found, policy, "warn")
    if previous:
        warned = _new_only(warned, fields, previous)
    if warned and not confirmed:
        raise NeedsConfirmation(findings=warned)
    return Confirmation(findings=warned)


def _new_only(
    warned: dict[str, list[Finding]], fields: Mapping[str, str], previous: Mapping[str, str]
) -> dict[str, list[Finding]]:
    """The warnings whose text the same field did not already hold before this edit."""
    kept = {
        name: [f for f in found if fields[name][f.start : f.end] not in previous.get(name, "")]
        for name, found in warned.items()
    }
    return {name: found for name, found in kept.items() if found}


def check_blocking_for_space(*, space: Space, fields: Mapping[str, str]) -> None:
    """Only the space's blocking kinds (warnings pass): for text the person already confirmed
    or did not type themself, such as the result of merging their edit with someone else's."""
    blocked = _where(
        {name: scan(value) for name, value in fields.items() if value}, space_policy(space), "block"
    )
    if blocked:
        raise UnsafeContent(findings=blocked)


def _where(
    found: Mapping[str, list[Finding]], policy: Mapping[str, Action], action: Action
) -> dict[str, list[Finding]]:
    chosen = {name: [f for f in fs if policy.get(f.kind, "allow") == action] for name, fs in found.items()}
    return {name: fs for name, fs in chosen.items() if fs}


# --- changing a space's policy -------------------------------------------------------------


def space_guard_policy_set(*, space: Space, actor: User, policy: Mapping[str, str]) -> dict[str, str]:
    """Set what the guard does with each kind of finding in `space` (kind → "block" | "warn").

    For the space's facilitators and community admins. Kinds left out keep the default.
    Only the choices that differ from the default are stored, so a space follows later
    changes to the defaults for the kinds it has not changed. NHS and hospital numbers
    cannot be set to anything but block (`ValidationError`).
    """
    if not can_manage_space(actor, space) or actor.is_suspended:
        raise PermissionDenied(CANNOT_MANAGE)
    errors: dict[str, list[str]] = {}
    for kind, action in policy.items():
        label = KIND_LABELS.get(kind, kind)
        if kind in FIXED_KINDS:
            if action != "block":
                errors[kind] = [f"A {label} always blocks: it cannot be set to {action}."]
        elif kind not in POLICY:
            errors[kind] = [f"The guard has no kind of finding called {kind}."]
        elif action not in CHOICES:
            errors[kind] = [f"Choose block or warn for {label}."]
    if errors:
        raise ValidationError(errors)
    chosen = {kind: action for kind, action in policy.items() if kind not in FIXED_KINDS}
    stored = {kind: action for kind, action in chosen.items() if action != POLICY[kind]}
    with transaction.atomic():
        locked = Space.objects.select_for_update().get(pk=space.pk)
        before = dict(locked.guard_policy) if isinstance(locked.guard_policy, dict) else {}
        kept = {k: v for k, v in before.items() if k in POLICY and k not in chosen and k not in FIXED_KINDS}
        after = kept | stored
        if after == before:
            return after
        locked.guard_policy = after
        locked.save(update_fields=["guard_policy"])
        audit.record(
            actor=actor,
            action="space.guard_policy",
            target=locked,
            space=locked,
            before={"guard_policy": before},
            after={"guard_policy": after},
        )
    space.guard_policy = after
    return after
