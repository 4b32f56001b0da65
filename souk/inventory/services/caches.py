"""Cache keys of inventory reads, and their invalidation after commit.

Each shop has a version number in Redis; cached inventory pages include it in their key, so
bumping it (after any stock change commits) makes every cached page of that shop stale at
once. If Redis is down, reads go to the database and nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
TIMEOUT = 300


def version_key(shop_id: int) -> str:
    return f"inventory:version:{shop_id}"


def alerts_key(shop_id: int) -> str:
    return f"inventory:alerts:{shop_id}"


def inventory_version(shop_id: int) -> int | None:
    """The shop's current inventory version, or None if the cache is unreachable."""
    try:
        version = cache.get(version_key(shop_id))
        if version is None:
            cache.add(version_key(shop_id), 1, timeout=None)
            version = cache.get(version_key(shop_id))
    except RedisError as exc:
        logger.warning("cache unavailable for inventory %s: %s", shop_id, exc)
        return None
    return int(version) if version is not None else None


def _bump(shop_ids: list[int]) -> None:
    """Bump the shops' versions and drop their cached alert lists, in one round trip (a
    pipeline: each version is created at 1 if missing, then incremented)."""
    if not shop_ids:
        return
    try:
        client = cache.client  # type: ignore[attr-defined]  # django-redis
        pipe = client.get_client(write=True).pipeline(transaction=False)
        for shop_id in shop_ids:
            key = client.make_key(version_key(shop_id))
            pipe.set(key, 1, nx=True)
            pipe.incr(key)
        pipe.delete(*(client.make_key(alerts_key(shop_id)) for shop_id in shop_ids))
        pipe.execute()
    except (RedisError, ValueError) as exc:
        logger.warning("could not invalidate inventory cache of %s: %s", shop_ids, exc)


def inventory_changed(*, shop_ids: Iterable[int]) -> None:
    """After the current transaction commits, cached inventory and alerts of these shops are
    stale."""
    ids = sorted(set(shop_ids))
    transaction.on_commit(lambda: _bump(ids), robust=True)
