"""Reads about accounts and personal API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from coproduce.accounts.access import require_second_factor
from coproduce.accounts.models import ApiToken, User, hash_token

# How stale `last_used_at` may get: one write a minute per token at most, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_token(raw: str) -> User | None:
    """The active owner of an active token, or None.

    The lookup is by the SHA-256 digest, so the database never compares the secret itself and
    timing reveals nothing about how much of a guess was right. A moderator's or admin's token is
    refused with SecondFactorRequired (403) until they set up a second factor, as in the browser.
    """
    if not raw or not raw.startswith(ApiToken.PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    require_second_factor(token.user)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def account_for_login(login: str) -> User | None:
    """The account a log-in form's "username or e-mail address" names, or None."""
    login = login.strip()
    if not login or len(login) > 254:
        return None
    user = User.objects.filter(username__iexact=login).first()
    if user is None and "@" in login:
        user = User.objects.filter(Q(email__iexact=login) | Q(emailaddress__email__iexact=login)).first()
    return user
