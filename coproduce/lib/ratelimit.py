"""A fixed-window rate limiter on the cache, shared by every app process through Redis.

Every limit counts per key (usually the account) and, while a request is being answered, also per
client address: `RATE_LIMIT_ADDRESS_FACTOR` times the per-key limit, because several people may
share one address (a hospital's network, a workshop room). The address is set for the request by
`coproduce.core.middleware.RateLimitMiddleware`, which also adds `Retry-After` to every 429.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_address: ContextVar[str | None] = ContextVar("coproduce_ratelimit_address", default=None)
_refusal: ContextVar[RateLimited | None] = ContextVar("coproduce_ratelimit_refusal", default=None)


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


@contextmanager
def request_scope(address: str) -> Iterator[None]:
    """While answering one request: count limits per `address` too, and remember any refusal."""
    address_token = _address.set(address)
    refusal_token = _refusal.set(None)
    try:
        yield
    finally:
        _address.reset(address_token)
        _refusal.reset(refusal_token)


def last_refusal() -> RateLimited | None:
    """The refusal raised while answering the current request, if any (for the Retry-After header)."""
    return _refusal.get()


def _count(scope: str, key: str, limit: int, window: int) -> tuple[str, int | None]:
    """Count one attempt; return the counter's key and, past the limit, how long until it resets."""
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
    return cache_key, (max(1, start + window - now) if count > limit else None)


def hit(*, scope: str, key: str, limit: int, window: int) -> None:
    """Count one attempt for (scope, key); raise RateLimited past `limit` per `window` seconds.

    During a request the attempt also counts against the client's address, whose limit is
    `limit * RATE_LIMIT_ADDRESS_FACTOR` (unless `key` is the address itself). A refused attempt is
    not counted, so that one account refused does not use up its neighbours' share of the address.
    """
    if not settings.RATE_LIMITS_ENABLED:
        return
    counters = [(scope, key, limit)]
    address = _address.get()
    if address is not None and address != key:
        counters.append((f"{scope}@address", address, limit * settings.RATE_LIMIT_ADDRESS_FACTOR))
    counted = [_count(name, counted_key, most, window) for name, counted_key, most in counters]
    waits = [wait for _, wait in counted if wait is not None]
    if waits:
        for cache_key, _ in counted:
            with suppress(ValueError):  # expired meanwhile
                cache.decr(cache_key)
        refusal = RateLimited(retry_after=max(waits))
        _refusal.set(refusal)
        raise refusal
