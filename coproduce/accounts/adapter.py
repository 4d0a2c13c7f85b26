"""Hooks allauth into Coproduce. Business rules stay in services."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from coproduce.accounts import services
from coproduce.accounts.models import User
from coproduce.governance.safety import UnsafeContent, check_submission

# One answer for every refusal of a log-in for too many attempts, whether allauth's own limit per
# name typed, our lockout of an account, or a name that matches no account: it tells the person
# what to do without telling anyone whether the account exists or whether the password was right.
TOO_MANY_LOGIN_ATTEMPTS = (
    "There have been too many attempts to log in to this account. Try again later, "
    "or reset your password to unlock it now."
)


def _login_of(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username") or credentials.get("email") or "")


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no type hints
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": TOO_MANY_LOGIN_ATTEMPTS,
    }

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth's limit on failed log-ins per address and per name, then our account lockout.

        A locked account is refused before its password is checked, so a right password gets the
        same answer as a wrong one.
        """
        super().pre_authenticate(request, **credentials)
        if services.login_locked_until(login=_login_of(credentials)) is not None:
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        if not isinstance(user, AbstractBaseUser):
            return None
        if isinstance(user, User):
            services.login_success_record(user=user)
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        services.login_failure_record(login=_login_of(credentials))

    def get_from_email(self) -> str:
        return str(settings.DEFAULT_FROM_EMAIL)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every account e-mail greets people in the community's name, not the host's."""
        super().send_mail(template_prefix, email, {"site_name": settings.SITE_NAME, **context})

    def clean_username(self, username: str, shallow: bool = False) -> str:
        """A username is shown to everyone, so it goes through the patient-data guard too."""
        username = str(super().clean_username(username, shallow=shallow))
        try:
            check_submission({"username": username})
        except UnsafeContent as error:
            kinds = sorted({f.kind.replace("_", " ") for found in error.findings.values() for f in found})
            raise ValidationError(
                f"A username cannot contain patient-identifiable data ({', '.join(kinds)}).",
                code="unsafe_content",
            ) from None
        return username
