"""Hooks allauth into Coproduce. Business rules stay in services."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError

from coproduce.governance.safety import UnsafeContent, check_submission


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no type hints
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
