"""Cache helpers that degrade to the database when Redis is unreachable: a cache outage slows
reads down but never fails a request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection, transaction
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


# (django-redis client, pipeline): a write adds its commands to the pipeline through the client
# (`client.set(..., client=pipeline)`, `client.make_key(...)`).
CacheWrite = Callable[[Any, Any], None]


class _WritesOnCommit:
    """The cache writes of one transaction, sent after it commits in one pipeline (one round
    trip for all of them)."""

    def __init__(self) -> None:
        self.writes: list[CacheWrite] = []
        self.done = False

    def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            client = cache.client  # type: ignore[attr-defined]  # django-redis
            pipeline = client.get_client(write=True).pipeline(transaction=False)
            for write in self.writes:
                write(client, pipeline)
            pipeline.execute()
        except (RedisError, ValueError) as exc:
            logger.warning(
                "cache unavailable, %d writes after commit lost: %s", len(self.writes), exc
            )


def cache_write_on_commit(write: CacheWrite) -> None:
    """Once the current transaction commits, `write(client, pipeline)` adds its commands to the
    pipeline that carries every such write of the transaction: the invalidations of an order
    (its shops' inventory pages, its recipients' unread counts) cost one round trip, not one
    each. For invalidations only: a write queued inside a savepoint that is rolled back still
    runs with the others, which only costs a cache miss. Outside a transaction it runs now. A
    cache outage is logged and never fails the request."""
    pending = (entry[1] for entry in reversed(connection.run_on_commit))
    batch = next((c for c in pending if isinstance(c, _WritesOnCommit) and not c.done), None)
    if batch is None:
        batch = _WritesOnCommit()
        batch.writes.append(write)
        transaction.on_commit(batch, robust=True)
        return
    batch.writes.append(write)
