"""Telling shop members about low stock (by email, from a task, after commit)."""

from __future__ import annotations

from collections import defaultdict

from django.core.mail import send_mass_mail
from django.utils import timezone

from souk.inventory.models import InventoryAlert
from souk.shops.models import ShopMember


def alerts_notify(*, alert_ids: list[int]) -> int:
    """Email each shop's members about its new, unresolved, not yet announced alerts.
    Safe to retry: announced alerts are skipped. Returns the number of emails sent."""
    alerts = list(
        InventoryAlert.objects.filter(
            pk__in=alert_ids, resolved_at__isnull=True, notified_at__isnull=True
        ).select_related("variant__product", "shop")
    )
    by_shop: dict[int, list[InventoryAlert]] = defaultdict(list)
    for alert in alerts:
        by_shop[alert.shop_id].append(alert)
    messages = []
    for shop_id, shop_alerts in by_shop.items():
        shop = shop_alerts[0].shop
        lines = [
            f"- {a.variant.product.name} (SKU {a.variant.sku}): {a.quantity} left"
            for a in shop_alerts
        ]
        body = (
            f"Stock is running low in {shop.name}:\n\n"
            + "\n".join(lines)
            + "\n\nRestock or adjust the listings in your Souk inventory."
        )
        recipients = list(
            ShopMember.objects.filter(shop_id=shop_id, user__is_active=True).values_list(
                "user__email", flat=True
            )
        )
        if recipients:
            messages.append((f"Low stock in {shop.name}", body, None, recipients))
    sent = send_mass_mail(messages, fail_silently=False) if messages else 0
    InventoryAlert.objects.filter(pk__in=[a.pk for a in alerts]).update(notified_at=timezone.now())
    return sent
