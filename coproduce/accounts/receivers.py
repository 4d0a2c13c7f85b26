"""Connects allauth's signals to Coproduce services (the rules live in the services)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import (
    email_confirmed,
    password_changed,
    password_reset,
    password_set,
    user_signed_up,
)
from django.dispatch import receiver

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
def record_password_change(sender: object, user: User, **kwargs: Any) -> None:
    services.account_record_password_change(user=user, reset=False)


@receiver(password_reset, dispatch_uid="coproduce.accounts.record_password_reset")
def record_password_reset(sender: object, user: User, **kwargs: Any) -> None:
    services.account_record_password_change(user=user, reset=True)
