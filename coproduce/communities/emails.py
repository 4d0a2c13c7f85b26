"""E-mails about membership: rendered from templates as plain text with an HTML alternative."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from coproduce.accounts.models import User
from coproduce.communities.models import Application, Invitation


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def set_password_url(user: User) -> str:
    """A one-time link to choose a password (allauth's password-reset-from-key page)."""
    key = default_token_generator.make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    return absolute(path)


def send(*, to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    text = render_to_string(f"communities/email/{template}.txt", context)
    html = render_to_string(f"communities/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()


def application_received(application: Application) -> None:
    send(
        to=application.email,
        subject="We have received your application",
        template="application_received",
        context={"application": application},
    )


def application_decided(application: Application) -> None:
    if application.status == Application.Status.APPROVED:
        user = application.user
        needs_password = user is not None and not user.has_usable_password()
        send(
            to=application.email,
            subject="Your application has been approved",
            template="application_approved",
            context={
                "application": application,
                "user": user,
                "set_password_url": set_password_url(user) if user is not None and needs_password else "",
                "login_url": absolute(reverse("account_login")),
            },
        )
    elif application.status == Application.Status.REJECTED:
        send(
            to=application.email,
            subject="Your application was not approved",
            template="application_rejected",
            context={"application": application},
        )


def invitation(invitation: Invitation, raw_token: str) -> None:
    send(
        to=invitation.email,
        subject="You are invited to join",
        template="invitation",
        context={
            "invitation": invitation,
            "join_url": absolute(reverse("communities:join", kwargs={"token": raw_token})),
        },
    )
