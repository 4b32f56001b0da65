"""Cache keys of inventory reads, and their invalidation after commit.

Each shop has a version number in Redis; cached inventory pages include it in their key, so
bumping it (after any stock change commits) makes every cached page of that shop stale at
once. If Redis is down, reads go to the database and nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from redis.exceptions import RedisError

from souk.core.cache import cache_write_on_commit

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


def _bump(client: Any, pipeline: Any, shop_ids: list[int]) -> None:
    """Add to the pipeline: bump the shops' versions (each created at 1 if missing, then
    incremented) and drop their cached alert lists."""
    for shop_id in shop_ids:
        key = client.make_key(version_key(shop_id))
        pipeline.set(key, 1, nx=True)
        pipeline.incr(key)
    pipeline.delete(*(client.make_key(alerts_key(shop_id)) for shop_id in shop_ids))


def inventory_changed(*, shop_ids: Iterable[int]) -> None:
    """After the current transaction commits, cached inventory and alerts of these shops are
    stale."""
    ids = sorted(set(shop_ids))
    if ids:
        cache_write_on_commit(lambda client, pipeline: _bump(client, pipeline, ids))
