"""Every change to an account: profile, personal API tokens, and the audit of sign-in events."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from coproduce.accounts.models import ApiToken, CreditChoice, Sector, User, hash_token
from coproduce.governance import audit
from coproduce.governance.safety import check_submission

# The profile fields a person may change about themselves. Role, staff status and username are not here.
PROFILE_FIELDS = ("name", "organisation", "sector", "job_role", "professional_registration", "credit_as")
PROFILE_TEXT_FIELDS = ("name", "organisation", "job_role", "professional_registration")
TOKEN_NAME_MAX = 100


def _profile_snapshot(user: User) -> dict[str, Any]:
    return {field: getattr(user, field) for field in PROFILE_FIELDS}


def profile_update(*, user: User, actor: User, **fields: str) -> User:
    """Change someone's own profile fields; raises UnsafeContent or ValidationError and saves nothing."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    cleaned = {name: str(value).strip() for name, value in fields.items()}
    if "sector" in cleaned and cleaned["sector"] not in {"", *Sector.values}:
        raise ValidationError({"sector": "Choose a sector from the list."})
    if "credit_as" in cleaned and cleaned["credit_as"] not in CreditChoice.values:
        raise ValidationError({"credit_as": "Choose how briefing papers credit you from the list."})
    check_submission({name: value for name, value in cleaned.items() if name in PROFILE_TEXT_FIELDS})
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = _profile_snapshot(user)
        for name, value in cleaned.items():
            setattr(user, name, value)
        after = _profile_snapshot(user)
        if before == after:
            return user
        user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in cleaned])
        user.save(update_fields=[name for name in cleaned if before[name] != after[name]])
        changed = [name for name in PROFILE_FIELDS if before[name] != after[name]]
        audit.record(
            actor=actor,
            action="account.profile_update",
            target=user,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return user


def token_create(*, user: User, name: str, actor: User | None) -> tuple[ApiToken, str]:
    """Create a personal API token. The raw token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter a name for the token."})
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError({"name": f"The name must be {TOKEN_NAME_MAX} characters or fewer."})
    check_submission({"name": name})
    raw = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, digest=hash_token(raw), hint=raw[:8])
        audit.record(
            actor=actor, action="token.create", target=token, after={"name": name, "hint": token.hint}
        )
    return token, raw


def token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke a token. Revoking one that is already revoked changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="token.revoke",
            target=token,
            before={"revoked": False},
            after={"revoked": True},
        )
    return token


def account_record_signup(*, user: User) -> None:
    """Audit that someone created an account (allauth's sign-up made the row)."""
    with transaction.atomic():
        audit.record(actor=user, action="account.signup", target=user, after={"username": user.username})


def account_record_password_change(*, user: User, reset: bool) -> None:
    """Audit a password change or a reset by e-mail link. The password itself is never recorded."""
    action = "account.password_reset" if reset else "account.password_change"
    with transaction.atomic():
        audit.record(actor=user, action=action, target=user)


def account_record_security_change(*, user: User, action: str, detail: dict[str, Any] | None = None) -> None:
    """Audit a change to how someone signs in: second factor on/off/reset, e-mail address added,
    removed or made primary. Secrets (codes, keys) are never recorded."""
    with transaction.atomic():
        audit.record(actor=user, action=action, target=user, after=detail or {})
