"""Low-stock alerts: one alert when a variant falls to LOW_STOCK_THRESHOLD or below, none
repeated while it stays low, resolved when it rises above again.

The database guarantees one unresolved alert per variant (a partial unique index). A stock
change that crosses the threshold always asks the database (raise, or resolve); one that does
not is decided by whether the variant has an unresolved alert, read in the same statement that
locks the variants (`souk.inventory.locks.variants_lock`), so the common case (a sale that
leaves the stock high, or a low variant whose alert is already raised) writes nothing here.

A member or administrator may dismiss an alert they have handled: it is resolved (and marked
dismissed, by whom and when), so that the next fall of that variant raises a new alert. Until
such a fall, neither a change that leaves the stock low (a small restock) nor the hourly
rescan raises it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from souk.accounts.models import User
from souk.catalog.models import Variant
from souk.core.exceptions import NotFound
from souk.inventory.hooks import low_stock_raised
from souk.inventory.locks import alert_active_lock
from souk.inventory.models import InventoryAlert
from souk.inventory.policy import may_manage_stock
from souk.inventory.services.caches import inventory_changed

# A standing dismissal: an alert of the variant was dismissed and its stock has not fallen
# since. The variant is handled, and nothing short of a new fall raises another alert for it
# (the same condition appears in the rescan below).
# -> (id of the raised alert or NULL, whether a standing dismissal held it back)
_RAISE = """
WITH handled AS (
    SELECT EXISTS (
        SELECT 1 FROM inventory_inventoryalert d
        WHERE d.variant_id = %(variant)s AND d.dismissed_at IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM inventory_stockmovement m
              WHERE m.variant_id = d.variant_id AND m.delta < 0
                AND m.created_at > d.dismissed_at
          )
    ) AS dismissed
),
raised AS (
    INSERT INTO inventory_inventoryalert (shop_id, variant_id, quantity, threshold, created_at)
    SELECT %(shop)s, %(variant)s, %(quantity)s, %(threshold)s, now()
    WHERE NOT (SELECT dismissed FROM handled)
    ON CONFLICT (variant_id) WHERE resolved_at IS NULL DO NOTHING
    RETURNING id
)
SELECT (SELECT id FROM raised), (SELECT dismissed FROM handled)
"""


def alerts_update(
    *,
    variants: Iterable[Variant],
    alerted: set[int] | None = None,
    crossed: set[int] | None = None,
) -> list[int]:
    """Raise or resolve alerts after the stock of `variants` changed (their `quantity` is the
    new stock). Inside the stock transaction, with the variants locked. Returns ids of newly
    raised alerts.

    `crossed`: the variants whose change crossed the threshold (from above it to at or below
    it, or back): for them the database always decides. `alerted`: the ids of those with an
    unresolved alert as the locking statement read them, which decides for the others (None:
    not known, the database decides for every one). The flag can be stale when the lock had to
    wait for another change of the same variant (PostgreSQL re-reads only the locked row). If
    that change raised or resolved an alert, ours either crosses the threshold back (and the
    database decides) or leaves the stock on the same side, where trying to raise an alert
    that exists does nothing and resolving one that is gone updates nothing. A dismissal, which
    does not take the variant's lock, committing during the wait is caught by the hourly
    rescan."""
    threshold = settings.LOW_STOCK_THRESHOLD
    raised_before = alerted if alerted is not None else set()
    moved = crossed or set()
    low = [
        v
        for v in variants
        if v.quantity <= threshold
        and v.deleted_at is None
        and (v.pk in moved or v.pk not in raised_before)
    ]
    high = [
        v.pk
        for v in variants
        if v.quantity > threshold and (alerted is None or v.pk in moved or v.pk in raised_before)
    ]
    raised: list[int] = []
    with connection.cursor() as cursor:
        for variant in low:
            cursor.execute(
                _RAISE,
                {
                    "shop": variant.shop_id,
                    "variant": variant.pk,
                    "quantity": variant.quantity,
                    "threshold": threshold,
                },
            )
            alert_id, _dismissed = cursor.fetchone()
            if alert_id is not None:
                raised.append(alert_id)
    if high:
        InventoryAlert.objects.filter(variant_id__in=high, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
    if raised:
        low_stock_raised.handler(alert_ids=raised)
    return raised


class Rescan(NamedTuple):
    """What one rescan did: alerts raised, and alerts resolved."""

    raised: int
    resolved: int


def alerts_rescan() -> Rescan:
    """Raise alerts the stock changes missed and resolve stale ones (hourly)."""
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
              AND NOT EXISTS (
                  SELECT 1 FROM inventory_inventoryalert d
                  WHERE d.variant_id = v.id AND d.dismissed_at IS NOT NULL
                    AND NOT EXISTS (
                        SELECT 1 FROM inventory_stockmovement m
                        WHERE m.variant_id = d.variant_id AND m.delta < 0
                          AND m.created_at > d.dismissed_at
                    )
              )
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
        if raised:
            low_stock_raised.handler(alert_ids=raised)
        raised_shops = InventoryAlert.objects.filter(pk__in=raised).values_list(
            "shop_id", flat=True
        )
        inventory_changed(shop_ids={*raised_shops, *resolved_shops})
    return Rescan(raised=len(raised), resolved=len(resolved))


def alert_dismiss(*, actor: User, alert_id: int) -> InventoryAlert:
    """Dismiss an active alert that `actor` (a member of its shop, or an administrator) has
    handled: it is kept, resolved and marked dismissed, and the variant's next fall raises a new
    alert. An alert the actor cannot see, or one already
    resolved, is 404."""
    with transaction.atomic():
        alert = alert_active_lock(alert_id=alert_id)
        if alert is None or not may_manage_stock(actor, alert.shop):
            raise NotFound("No such alert.")
        alert.resolved_at = alert.dismissed_at = timezone.now()
        alert.dismissed_by = actor
        alert.save(update_fields=["resolved_at", "dismissed_at", "dismissed_by"])
        inventory_changed(shop_ids=[alert.shop_id])
    return alert
