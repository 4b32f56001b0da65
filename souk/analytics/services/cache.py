"""Dashboards are cached briefly (DASHBOARD_CACHE_SECONDS). Each shop has a cache generation
that a change of its revenue (an order paid, or cancelled after payment) renews after its
commit, so the next read of that shop's dashboard is computed afresh; on the primary, while a
read replica may not have replayed the change yet. The marketplace's copy of the default
period is replaced by a periodic job before it expires."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from souk.core.db_router import on_primary, replica_window_seconds

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _generation_key(shop_id: int) -> str:
    return f"analytics:gen:{shop_id}"


def _cached(full_key: Callable[[], str], compute: Callable[[], T]) -> T:
    """`compute()`'s answer, kept under `full_key()` for DASHBOARD_CACHE_SECONDS. With Redis
    unreachable, computed every time."""
    try:
        key = full_key()
        found = cache.get(key)
    except Exception:
        logger.warning("dashboard cache unreachable", exc_info=True)
        return compute()
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    try:
        cache.set(key, value, timeout=settings.DASHBOARD_CACHE_SECONDS)
    except Exception:
        logger.warning("dashboard cache unreachable", exc_info=True)
    return value


def _marketplace_key(key: str) -> str:
    return f"analytics:marketplace:{key}"


def shop_cached(shop_id: int, key: str, compute: Callable[[], T]) -> T:
    """`compute()`'s answer for this shop and key, from the cache while the shop's revenue
    has not changed and DASHBOARD_CACHE_SECONDS have not passed."""

    renewed_at = 0.0

    def full_key() -> str:
        nonlocal renewed_at
        generation = cache.get(_generation_key(shop_id), 0)
        renewed_at = _renewed_at(generation)
        return f"analytics:shop:{shop_id}:{generation}:{key}"

    def fresh() -> T:
        if time.time() - renewed_at < replica_window_seconds():
            with on_primary():
                return compute()
        return compute()

    return _cached(full_key, fresh)


def _renewed_at(generation: object) -> float:
    """When a generation (`<unix time>-<random>`) was made; 0 for the first one."""
    if not isinstance(generation, str):
        return 0.0
    try:
        return float(generation.split("-", 1)[0])
    except ValueError:
        return 0.0


def marketplace_cached(key: str, compute: Callable[[], T]) -> T:
    """`compute()`'s answer from the cache for DASHBOARD_CACHE_SECONDS. The marketplace's
    figures change with every sale anywhere, so they are not renewed by sales: they are at
    most that old."""
    return _cached(lambda: _marketplace_key(key), compute)


def marketplace_store(key: str, value: object) -> None:
    """Replace the marketplace's cached copy under `key` (kept DASHBOARD_CACHE_SECONDS)."""
    try:
        cache.set(_marketplace_key(key), value, timeout=settings.DASHBOARD_CACHE_SECONDS)
    except Exception:
        logger.warning("dashboard cache unreachable", exc_info=True)


def _renew(shop_ids: list[int]) -> None:
    try:
        cache.set_many(
            {_generation_key(i): f"{time.time():.3f}-{uuid.uuid4().hex}" for i in shop_ids},
            timeout=None,
        )
    except Exception:
        logger.warning("could not renew dashboard cache generations", exc_info=True)


def dashboards_renew_on_commit(shop_ids: list[int]) -> None:
    """After the current transaction commits, the next read of these shops' dashboards is
    computed afresh."""
    transaction.on_commit(lambda: _renew(shop_ids), robust=True)
