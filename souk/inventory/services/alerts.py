"""Low-stock alerts: one alert when a variant falls to LOW_STOCK_THRESHOLD or below, none
repeated while it stays low, resolved when it rises above again.

The database guarantees one unresolved alert per variant (a partial unique index); Redis
keeps a note of which variants have one, so most stock changes skip the insert attempt. The
note is written after commit; if Redis is unreachable the database alone decides.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from souk.catalog.models import Variant
from souk.core.tasks import enqueue_on_commit
from souk.inventory.models import InventoryAlert
from souk.inventory.services.caches import inventory_changed

logger = logging.getLogger(__name__)


def _flag_key(variant_id: int) -> str:
    return f"inventory:alert:{variant_id}"


def _flagged(variant_ids: list[int]) -> set[int]:
    if not variant_ids:
        return set()
    try:
        found = cache.get_many([_flag_key(vid) for vid in variant_ids])
    except RedisError as exc:
        logger.warning("alert dedupe cache unavailable: %s", exc)
        return set()
    return {vid for vid in variant_ids if _flag_key(vid) in found}


def _set_flags(variant_ids: list[int], raised: bool) -> None:
    try:
        if raised:
            cache.set_many({_flag_key(vid): 1 for vid in variant_ids}, timeout=None)
        else:
            cache.delete_many([_flag_key(vid) for vid in variant_ids])
    except RedisError as exc:
        logger.warning("alert dedupe cache unavailable: %s", exc)


_RAISE = """
INSERT INTO inventory_inventoryalert (shop_id, variant_id, quantity, threshold, created_at)
VALUES (%s, %s, %s, %s, now())
ON CONFLICT (variant_id) WHERE resolved_at IS NULL DO NOTHING
RETURNING id
"""


def alerts_update(*, variants: Iterable[Variant]) -> list[int]:
    """Raise or resolve alerts after the stock of `variants` changed (their `quantity` is the
    new stock). Inside the stock transaction. Returns ids of newly raised alerts."""
    threshold = settings.LOW_STOCK_THRESHOLD
    low = [v for v in variants if v.quantity <= threshold and v.deleted_at is None]
    high = [v.pk for v in variants if v.quantity > threshold]
    raised: list[int] = []
    already = _flagged([v.pk for v in low])
    with connection.cursor() as cursor:
        for variant in low:
            if variant.pk in already:
                continue
            cursor.execute(_RAISE, [variant.shop_id, variant.pk, variant.quantity, threshold])
            row = cursor.fetchone()
            if row:
                raised.append(row[0])
    if high:
        InventoryAlert.objects.filter(variant_id__in=high, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    low_ids = [v.pk for v in low]
    if low_ids:
        transaction.on_commit(lambda: _set_flags(low_ids, raised=True), robust=True)
    if high:
        transaction.on_commit(lambda: _set_flags(high, raised=False), robust=True)
    if raised:
        from souk.inventory.tasks import alerts_notify

        enqueue_on_commit(alerts_notify, raised)
    return raised


def alerts_rescan() -> tuple[int, int]:
    """Raise alerts the stock changes missed and resolve stale ones (hourly). Returns
    (raised, resolved)."""
    threshold = settings.LOW_STOCK_THRESHOLD
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inventory_inventoryalert (shop_id, variant_id, quantity, threshold,
                                                  created_at)
            SELECT v.shop_id, v.id, v.quantity, %s, now()
            FROM catalog_variant v
            JOIN catalog_product p ON p.id = v.product_id
            WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.quantity <= %s
            ON CONFLICT (variant_id) WHERE resolved_at IS NULL DO NOTHING
            RETURNING id
            """,
            [threshold, threshold],
        )
        raised = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """
            UPDATE inventory_inventoryalert a SET resolved_at = now()
            FROM catalog_variant v
            WHERE a.variant_id = v.id AND a.resolved_at IS NULL
              AND (v.quantity > %s OR v.deleted_at IS NOT NULL)
            RETURNING a.shop_id, a.variant_id
            """,
            [threshold],
        )
        resolved = cursor.fetchall()
        resolved_shops = [row[0] for row in resolved]
        resolved_variants = [row[1] for row in resolved]
        if resolved_variants:  # else their dedupe notes would hide their next fall
            transaction.on_commit(lambda: _set_flags(resolved_variants, raised=False), robust=True)
        if raised:
            from souk.inventory.tasks import alerts_notify

            enqueue_on_commit(alerts_notify, raised)
        raised_shops = InventoryAlert.objects.filter(pk__in=raised).values_list(
            "shop_id", flat=True
        )
        inventory_changed(shop_ids={*raised_shops, *resolved_shops})
    return len(raised), len(resolved_shops)
