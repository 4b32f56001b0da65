"""Inventory reads, scoped to a shop the caller is a member of."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from souk.catalog.models import Variant
from souk.core.cache import cache_get_or_set_safe
from souk.inventory.hooks import units_reserved
from souk.inventory.models import InventoryAlert, Purchase, PurchaseItem, StockMovement
from souk.inventory.services.caches import TIMEOUT, alerts_key, inventory_version
from souk.shops.models import Shop


def _inventory_rows(shop_id: int, offset: int, limit: int) -> dict[str, Any]:
    variants = Variant.objects.filter(shop_id=shop_id, product__deleted_at__isnull=True)
    rows = (
        variants.select_related("product")
        .annotate(reserved=units_reserved.handler())
        .order_by("product__name", "product_id", "position", "id")[offset : offset + limit]
    )
    threshold = settings.LOW_STOCK_THRESHOLD
    return {
        "count": variants.count(),
        "rows": [
            {
                "variant": v.pk,
                "sku": v.sku,
                "product": {"id": v.product_id, "name": v.product.name},
                "quantity": v.quantity,
                "reserved": v.reserved,
                "low_stock": v.quantity <= threshold,
            }
            for v in rows
        ],
    }


def shop_inventory(*, shop: Shop, offset: int, limit: int) -> dict[str, Any]:
    """{count, rows} of the shop's variants; cached until the shop's stock next changes."""
    version = inventory_version(shop.pk)
    if version is None:
        return _inventory_rows(shop.pk, offset, limit)
    key = f"inventory:page:{shop.pk}:v{version}:{offset}:{limit}"
    result: dict[str, Any] = cache_get_or_set_safe(
        key, lambda: _inventory_rows(shop.pk, offset, limit), TIMEOUT
    )
    return result


def alert_message(*, product: str, sku: str, quantity: int, threshold: int) -> str:
    """The sentence a person reads for a low-stock alert."""
    left = "None" if quantity <= 0 else f"Only {quantity}"
    return f"{left} left of {product} (SKU {sku}); threshold {threshold}."


def _active_alerts() -> QuerySet[InventoryAlert]:
    return (
        InventoryAlert.objects.filter(
            resolved_at__isnull=True,
            # a closed shop's or deleted product's alerts wait for the rescan to resolve them
            shop__deleted_at__isnull=True,
            variant__deleted_at__isnull=True,
            variant__product__deleted_at__isnull=True,
        )
        .select_related("shop", "variant__product")
        .order_by("-created_at", "-id")
    )


def _alert_row(alert: InventoryAlert) -> dict[str, Any]:
    variant = alert.variant
    product = variant.product
    return {
        "id": alert.pk,
        "shop": {"id": alert.shop_id, "name": alert.shop.name},
        "product": {"id": product.pk, "name": product.name},
        "variant": variant.pk,
        "sku": variant.sku,
        "quantity": variant.quantity,
        "threshold": alert.threshold,
        "message": alert_message(
            product=product.name,
            sku=variant.sku,
            quantity=variant.quantity,
            threshold=alert.threshold,
        ),
        "created_at": alert.created_at,
    }


def _shop_alert_rows(shop_id: int) -> list[dict[str, Any]]:
    return [_alert_row(alert) for alert in _active_alerts().filter(shop_id=shop_id)]


def active_alerts(*, shop: Shop | None, offset: int, limit: int) -> dict[str, Any]:
    """{count, rows} of the active low-stock alerts of `shop` (of every shop when None), newest
    first, each with the variant's stock now. A shop's alerts are cached until its stock next
    changes or an alert of it is dismissed."""
    if shop is not None:
        rows: list[dict[str, Any]] = cache_get_or_set_safe(
            alerts_key(shop.pk), lambda: _shop_alert_rows(shop.pk), TIMEOUT
        )
        return {"count": len(rows), "rows": rows[offset : offset + limit]}
    alerts = _active_alerts()
    return {
        "count": alerts.count(),
        "rows": [_alert_row(alert) for alert in alerts[offset : offset + limit]],
    }


def movements(*, shop: Shop, variant_id: int | None = None) -> QuerySet[StockMovement]:
    moves = StockMovement.objects.filter(shop=shop).select_related("actor")
    if variant_id is not None:
        moves = moves.filter(variant_id=variant_id)
    return moves.order_by("-id")


def purchases(*, shop_ids: list[int] | None) -> QuerySet[Purchase]:
    """Standing (not reversed) purchases of these shops, or of every shop when None."""
    found = Purchase.objects.filter(reversed_at__isnull=True)
    if shop_ids is not None:
        found = found.filter(shop_id__in=shop_ids)
    return (
        found.select_related("shop")
        .prefetch_related(
            Prefetch("items", queryset=PurchaseItem.objects.select_related("variant"))
        )
        .order_by("-purchased_at", "-id")
    )
