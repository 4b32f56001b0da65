"""Inventory reads, scoped to a shop the caller is a member of."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from souk.catalog.models import Variant
from souk.core.cache import cache_get_or_set_safe
from souk.inventory.models import InventoryAlert, Purchase, PurchaseItem, StockMovement
from souk.inventory.services.caches import TIMEOUT, alerts_key, inventory_version
from souk.shops.models import Shop


def _reserved() -> Coalesce:
    """Units of a variant held by orders awaiting payment (already taken from stock)."""
    from souk.orders.models import Order, OrderItem

    held = (
        OrderItem.objects.filter(variant=OuterRef("pk"), order__status=Order.Status.PENDING_PAYMENT)
        .order_by()
        .values("variant")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(held, output_field=IntegerField()), Value(0))


def _inventory_rows(shop_id: int, offset: int, limit: int) -> dict[str, Any]:
    variants = Variant.objects.filter(shop_id=shop_id, product__deleted_at__isnull=True)
    rows = (
        variants.select_related("product")
        .annotate(reserved=_reserved())
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


def _alert_rows(shop_id: int) -> list[dict[str, Any]]:
    alerts = (
        InventoryAlert.objects.filter(shop_id=shop_id, resolved_at__isnull=True)
        .select_related("variant__product")
        .order_by("-created_at", "-id")
    )
    return [
        {
            "id": alert.pk,
            "product": {"id": alert.variant.product_id, "name": alert.variant.product.name},
            "variant": alert.variant_id,
            "sku": alert.variant.sku,
            "quantity": alert.quantity,
            "threshold": alert.threshold,
            "created_at": alert.created_at,
        }
        for alert in alerts
    ]


def shop_alerts(*, shop: Shop) -> list[dict[str, Any]]:
    """Unresolved low-stock alerts, newest first; cached until stock next changes."""
    rows: list[dict[str, Any]] = cache_get_or_set_safe(
        alerts_key(shop.pk), lambda: _alert_rows(shop.pk), TIMEOUT
    )
    return rows


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
