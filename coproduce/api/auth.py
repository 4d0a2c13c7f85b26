"""Who is calling: a bearer token, else the browser session (with CSRF), else anonymous."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from coproduce.accounts.models import User
from coproduce.accounts.selectors import user_for_token
from coproduce.api.errors import ApiError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Caller(HttpBearer):
    """Authenticates every API call; anonymous callers get AnonymousUser (public content only)."""

    def __call__(self, request: HttpRequest) -> User | AnonymousUser:
        header = request.headers.get("Authorization")
        if header:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise AuthenticationError()
            user = user_for_token(raw.strip())
            if user is None:
                raise AuthenticationError()
            return user
        session_user = getattr(request, "user", None)
        if isinstance(session_user, User) and session_user.is_active:
            if request.method not in SAFE_METHODS and check_csrf(request) is not None:
                raise ApiError(403, "csrf_failed", "CSRF check failed: send the X-CSRFToken header.")
            return session_user
        return AnonymousUser()

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - unused
        return user_for_token(token)


def caller(request: HttpRequest) -> User | AnonymousUser:
    """The authenticated caller of this API request."""
    found = getattr(request, "auth", None)
    return found if isinstance(found, User) else AnonymousUser()


def signed_in(request: HttpRequest) -> User:
    found = caller(request)
    if not isinstance(found, User):
        raise ApiError(401, "unauthorized", "Sign in or send an API token to do this.")
    return found
