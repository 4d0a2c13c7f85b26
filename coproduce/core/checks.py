"""System checks for misconfiguration, each with a stable id."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_secret_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEBUG and (not settings.SECRET_KEY_FROM_ENVIRONMENT or len(settings.SECRET_KEY) < 50):
        return [
            Error(
                "COPRODUCE_SECRET_KEY is missing or shorter than 50 characters.",
                hint="Set COPRODUCE_SECRET_KEY to a long random string, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(64))'.",
                id="coproduce.E001",
            )
        ]
    return []


@register()
def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    url: str = settings.SITE_URL
    if not url.startswith(("http://", "https://")):
        return [
            Error(
                f"COPRODUCE_SITE_URL must start with http:// or https://; got {url!r}.",
                id="coproduce.E002",
            )
        ]
    if settings.HTTPS and url.startswith("http://"):
        return [
            Warning(
                "COPRODUCE_SITE_URL uses http:// while COPRODUCE_HTTPS is on: "
                "links in e-mails will be wrong.",
                hint="Use the https:// address people reach the site at.",
                id="coproduce.W001",
            )
        ]
    return []


@register()
def check_database(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    engine: str = settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith(("sqlite3", "postgresql")):
        return [
            Error(
                f"DATABASE_URL points at an unsupported database ({engine}).",
                hint="Use a postgres:// URL, or leave DATABASE_URL unset for SQLite.",
                id="coproduce.E003",
            )
        ]
    return []


@register()
def check_email(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    backend = str(settings.EMAIL_BACKEND_PATH)
    if not settings.DEBUG and backend.endswith("console.EmailBackend"):
        return [
            Warning(
                "E-mail goes to the console: applicants and members will receive nothing.",
                hint="Set COPRODUCE_EMAIL_HOST (and user, password) to send real e-mail.",
                id="coproduce.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_sign_in_protection(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Production without the abuse limits or the second factor for staff is worth a warning."""
    warnings: list[CheckMessage] = []
    if not settings.RATE_LIMITS_ENABLED:
        warnings.append(
            Warning(
                "COPRODUCE_RATE_LIMITS is off: log-in, sign-up and posting have no abuse limits.",
                hint="Turn it off only for load tests; leave COPRODUCE_RATE_LIMITS unset in production.",
                id="coproduce.W003",
            )
        )
    if not settings.REQUIRE_MFA_FOR_STAFF:
        warnings.append(
            Warning(
                "COPRODUCE_REQUIRE_MFA_FOR_STAFF is off: moderators and admins can log in with a "
                "password alone.",
                hint="Leave COPRODUCE_REQUIRE_MFA_FOR_STAFF unset (on) in production.",
                id="coproduce.W004",
            )
        )
    return warnings
