"""A fixed-window rate limiter on the cache, shared by every app process through Redis."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


class RateLimited(Exception):
    """Too many attempts; try again after `retry_after` seconds.

    A plain exception, not a frozen dataclass: Python sets `__traceback__` on exceptions as they
    pass through context managers, which a frozen dataclass refuses (FrozenInstanceError).
    """

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"Too many attempts. Please wait {self.retry_after} seconds and try again."


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(*, scope: str, key: str, limit: int, window: int) -> None:
    """Count one attempt for (scope, key); raise RateLimited past `limit` per `window` seconds."""
    if not settings.RATE_LIMITS_ENABLED:
        return
    now = int(time.time())
    start = now - now % window
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{start}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise RateLimited(retry_after=max(1, start + window - now))
