"""E-mails about the security of an account."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from coproduce.accounts.models import User


def lockout_notice(user: User) -> None:
    """Tell the owner that repeated failed log-ins locked their account, and how to unlock it."""
    context = {
        "user": user,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "attempts": settings.LOCKOUT_ATTEMPTS,
        "minutes": settings.LOCKOUT_MINUTES,
        "reset_url": f"{settings.SITE_URL}{reverse('account_reset_password')}",
    }
    EmailMessage(
        subject=f"[{settings.SITE_NAME}] Your account was locked after failed log-ins",
        body=render_to_string("accounts/email/account_locked.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    ).send()
