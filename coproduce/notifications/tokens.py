"""Signed unsubscribe tokens: who (user id) and which kinds, readable without logging in.

Nothing is stored: the token is `django.core.signing` output with a salt used only for this
purpose (so a token signed for anything else never validates here) and a timestamp checked
against settings.UNSUBSCRIBE_LINK_DAYS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from coproduce.notifications.models import Kind

SALT = "coproduce.notifications.unsubscribe"


class InvalidToken(Exception):
    """Tampered with, truncated or not ours."""


class ExpiredToken(Exception):
    """Genuine but older than settings.UNSUBSCRIBE_LINK_DAYS."""


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    kinds: tuple[str, ...]


def make(user_id: int, kinds: Iterable[str]) -> str:
    return signing.dumps({"u": user_id, "k": sorted(set(kinds))}, salt=SALT, compress=True)


def read(token: str) -> Unsubscribe:
    max_age = settings.UNSUBSCRIBE_LINK_DAYS * 24 * 60 * 60
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredToken from exc
    except signing.BadSignature as exc:
        raise InvalidToken from exc
    if not isinstance(data, dict):
        raise InvalidToken
    user_id, kinds = data.get("u"), data.get("k")
    if not isinstance(user_id, int) or not isinstance(kinds, list) or not kinds:
        raise InvalidToken
    if not all(isinstance(kind, str) and kind in Kind.values for kind in kinds):
        raise InvalidToken
    return Unsubscribe(user_id=user_id, kinds=tuple(kinds))
