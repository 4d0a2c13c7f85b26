"""Permission-checked lookups for accounts."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from coproduce.accounts.models import ApiToken, User


def get_own_token(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anyone else's (or none) is reported as not found."""
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404("No such token.")
    return token


class SecondFactorRequired(PermissionDenied):
    """A moderator or admin without an authenticator app may not act until they set one up."""

    code = "second_factor_required"

    def __init__(self) -> None:
        super().__init__(
            "Moderators and admins must use a second factor. Set up an authenticator app on your "
            "account's two-factor authentication page, then try again."
        )


def needs_second_factor(user: User) -> bool:
    """True for a moderator or admin with no TOTP authenticator, while the rule is switched on."""
    if not settings.REQUIRE_MFA_FOR_STAFF or not (user.is_moderator or user.is_community_admin):
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def require_second_factor(user: User) -> None:
    """Raise SecondFactorRequired (403, code `second_factor_required`) when the user needs one."""
    if needs_second_factor(user):
        raise SecondFactorRequired
