"""A Redis cache that degrades to a miss when Redis is unreachable.

The cache only ever holds what can be recomputed, so Redis going away must slow
the site down, never break it: every failed call is logged and answered as if
the key were absent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _forgive[T](fallback: T, call: Callable[[], T]) -> T:
    try:
        return call()
    except RedisError as error:
        logger.warning("cache unavailable, carrying on without it: %s", error)
        return fallback


class ForgivingRedisCache(RedisCache):
    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return _forgive(False, lambda: super(ForgivingRedisCache, self).add(key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return _forgive(default, lambda: super(ForgivingRedisCache, self).get(key, default, version))

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        _forgive(None, lambda: super(ForgivingRedisCache, self).set(key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return _forgive(False, lambda: super(ForgivingRedisCache, self).touch(key, timeout, version))

    def delete(self, key: Any, version: Any = None) -> bool:
        return _forgive(False, lambda: super(ForgivingRedisCache, self).delete(key, version))

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        return _forgive({}, lambda: super(ForgivingRedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return _forgive(False, lambda: super(ForgivingRedisCache, self).has_key(key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        # With Redis gone nothing is counted; callers treat the count as fresh.
        return _forgive(delta, lambda: super(ForgivingRedisCache, self).incr(key, delta, version))

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        return _forgive([], lambda: super(ForgivingRedisCache, self).set_many(data, timeout, version))

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        _forgive(None, lambda: super(ForgivingRedisCache, self).delete_many(keys, version))

    def clear(self) -> None:
        _forgive(None, lambda: super(ForgivingRedisCache, self).clear())
