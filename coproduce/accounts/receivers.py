"""Connects allauth's signals to Coproduce services (the rules live in the services)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import (
    email_added,
    email_changed,
    email_confirmed,
    email_removed,
    password_changed,
    password_reset,
    password_set,
    user_signed_up,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.dispatch import receiver
from django.http import HttpRequest

from coproduce.accounts import services
from coproduce.accounts.models import User


@receiver(email_confirmed, dispatch_uid="coproduce.accounts.grant_for_allowed_domain")
def grant_membership_for_allowed_domain(sender: object, email_address: EmailAddress, **kwargs: Any) -> None:
    """A verified address at an allow-listed domain makes its owner a member at once."""
    # Imported here: communities imports accounts, so a module-level import would be circular.
    from coproduce.communities.services import membership_grant_for_allowed_domain

    user = email_address.user
    if isinstance(user, User):
        membership_grant_for_allowed_domain(user=user)


@receiver(user_signed_up, dispatch_uid="coproduce.accounts.record_signup")
def record_signup(sender: object, user: User, **kwargs: Any) -> None:
    services.account_record_signup(user=user)


@receiver(password_changed, dispatch_uid="coproduce.accounts.record_password_change")
@receiver(password_set, dispatch_uid="coproduce.accounts.record_password_set")
def record_password_change(
    sender: object, user: User, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    services.account_record_password_change(
        user=user, reset=False, current_session=session.session_key if session is not None else None
    )


@receiver(password_reset, dispatch_uid="coproduce.accounts.record_password_reset")
def record_password_reset(sender: object, user: User, **kwargs: Any) -> None:
    services.account_record_password_change(user=user, reset=True)


@receiver(authenticator_added, dispatch_uid="coproduce.accounts.record_mfa_added")
def record_mfa_added(sender: object, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    services.account_record_security_change(
        user=user, action="account.mfa_add", detail={"type": str(authenticator.type)}
    )


@receiver(authenticator_removed, dispatch_uid="coproduce.accounts.record_mfa_removed")
def record_mfa_removed(sender: object, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    services.account_record_security_change(
        user=user, action="account.mfa_remove", detail={"type": str(authenticator.type)}
    )


@receiver(authenticator_reset, dispatch_uid="coproduce.accounts.record_mfa_reset")
def record_mfa_reset(sender: object, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    services.account_record_security_change(
        user=user, action="account.mfa_reset", detail={"type": str(authenticator.type)}
    )


@receiver(email_added, dispatch_uid="coproduce.accounts.record_email_added")
def record_email_added(sender: object, user: User, email_address: EmailAddress, **kwargs: Any) -> None:
    services.account_record_security_change(
        user=user, action="account.email_add", detail={"email": email_address.email}
    )


@receiver(email_removed, dispatch_uid="coproduce.accounts.record_email_removed")
def record_email_removed(sender: object, user: User, email_address: EmailAddress, **kwargs: Any) -> None:
    services.account_record_security_change(
        user=user, action="account.email_remove", detail={"email": email_address.email}
    )


@receiver(email_changed, dispatch_uid="coproduce.accounts.record_email_changed")
def record_email_changed(
    sender: object,
    user: User,
    from_email_address: EmailAddress | None,
    to_email_address: EmailAddress,
    **kwargs: Any,
) -> None:
    services.account_record_security_change(
        user=user,
        action="account.email_primary",
        detail={
            "from": from_email_address.email if from_email_address else None,
            "to": to_email_address.email,
        },
    )
