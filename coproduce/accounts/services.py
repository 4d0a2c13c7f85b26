"""Every change to an account: profile, personal API tokens, and the audit of sign-in events."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from coproduce.accounts import selectors, tasks
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


def account_record_password_change(*, user: User, reset: bool, current_session: str | None = None) -> None:
    """Audit a password change or a reset by e-mail link. The password itself is never recorded.

    Every other session of the account ends (`current_session`, the one that made the change, is
    kept); a reset by e-mail link also ends a lockout.
    """
    action = "account.password_reset" if reset else "account.password_change"
    with transaction.atomic():
        audit.record(actor=user, action=action, target=user)
        if reset:
            account_unlock(user=user, actor=user)
        sessions_end(user=user, keep=current_session)


def account_record_security_change(*, user: User, action: str, detail: dict[str, Any] | None = None) -> None:
    """Audit a change to how someone signs in: second factor on/off/reset, e-mail address added,
    removed or made primary. Secrets (codes, keys) are never recorded."""
    with transaction.atomic():
        audit.record(actor=user, action=action, target=user, after=detail or {})


# --- log-in lockout and sessions ------------------------------------------------------------

# Failed log-ins for names that match no account are counted in the cache, so that an unknown
# name is refused exactly like a locked account: the answer never tells whether an account exists.
UNKNOWN_COUNT_SECONDS = 24 * 60 * 60


def _unknown_key(kind: str, login: str) -> str:
    return f"lockout:{kind}:{hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]}"


def login_locked_until(*, login: str) -> datetime | None:
    """When the lockout of the account named `login` ends, or None if log-ins are allowed."""
    user = selectors.account_for_login(login)
    if user is not None:
        return user.locked_until if user.is_locked else None
    until = cache.get(_unknown_key("until", login))
    return until if isinstance(until, datetime) and until > timezone.now() else None


def login_failure_record(*, login: str) -> None:
    """Count a failed log-in; past LOCKOUT_ATTEMPTS in a row, lock the account and tell its owner."""
    user = selectors.account_for_login(login)
    if user is None:
        _unknown_failure_record(login)
        return
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.failed_logins += 1
        if user.failed_logins < settings.LOCKOUT_ATTEMPTS:
            user.save(update_fields=["failed_logins"])
            return
        attempts, user.failed_logins = user.failed_logins, 0
        user.locked_until = timezone.now() + timedelta(minutes=settings.LOCKOUT_MINUTES)
        user.save(update_fields=["failed_logins", "locked_until"])
        audit.record(
            actor=None,
            action="account.lock",
            target=user,
            after={"failed_logins": attempts, "locked_until": user.locked_until.isoformat()},
        )
        transaction.on_commit(partial(tasks.send_lockout_notice.enqueue, user.pk))


def _unknown_failure_record(login: str) -> None:
    count_key = _unknown_key("count", login)
    cache.add(count_key, 0, timeout=UNKNOWN_COUNT_SECONDS)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, count := 1, timeout=UNKNOWN_COUNT_SECONDS)
    if count >= settings.LOCKOUT_ATTEMPTS:
        cache.delete(count_key)
        minutes = settings.LOCKOUT_MINUTES
        cache.set(_unknown_key("until", login), timezone.now() + timedelta(minutes=minutes), minutes * 60)


def login_success_record(*, user: User) -> None:
    """A right password: the count of failed log-ins starts again (no audit entry, nothing changed)."""
    if user.failed_logins or user.locked_until is not None:
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        user.failed_logins, user.locked_until = 0, None


def account_unlock(*, user: User, actor: User | None) -> None:
    """End a lockout early (a password reset does this); nothing to do if the account is not locked."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.locked_until is None and not user.failed_logins:
            return
        was_locked = user.is_locked
        user.failed_logins, user.locked_until = 0, None
        user.save(update_fields=["failed_logins", "locked_until"])
        if was_locked:
            audit.record(actor=actor, action="account.unlock", target=user, before={"locked": True})


def sessions_end(*, user: User, keep: str | None = None) -> int:
    """End every session of `user` (except the session key `keep`) at once; returns how many ended.

    Call it from the service that deactivates, suspends from sign-in, erases or deletes an account,
    and after a password change (keeping the session that changed it).
    """
    # allauth.usersessions records every session as it logs in (its user_logged_in receiver).
    sessions = list(UserSession.objects.filter(user=user).exclude(session_key=keep or ""))
    for session in sessions:
        session.end()
    return len(sessions)
