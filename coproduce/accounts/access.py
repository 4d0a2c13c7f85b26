"""Permission-checked lookups for accounts."""

from __future__ import annotations

from django.http import Http404

from coproduce.accounts.models import ApiToken, User


def get_own_token(*, user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anyone else's (or none) is reported as not found."""
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise Http404("No such token.")
    return token
