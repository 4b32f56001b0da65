"""Cache helpers that degrade to the database when Redis is unreachable: a cache outage slows
reads down but never fails a request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")


def cache_get_or_set_safe(key: str, compute: Callable[[], T], timeout: int) -> T:
    try:
        cached = cache.get(key)
    except RedisError as exc:
        logger.warning("cache unavailable, computing %s: %s", key, exc)
        return compute()
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    value = compute()
    try:
        cache.set(key, value, timeout)
    except RedisError as exc:
        logger.warning("cache unavailable, not storing %s: %s", key, exc)
    return value


def cache_delete_safe(*keys: str) -> None:
    try:
        cache.delete_many(list(keys))
    except RedisError as exc:
        logger.warning("cache unavailable, could not delete %s: %s", keys, exc)


def cache_set_safe(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except RedisError as exc:
        logger.warning("cache unavailable, not storing %s: %s", key, exc)
