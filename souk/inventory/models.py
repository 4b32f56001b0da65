from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from souk.catalog.models import Variant
from souk.core.models import TimeStampedModel
from souk.shops.models import Shop


class StockMovement(models.Model):
    """The stock ledger: every change of a variant's stock, so that stock always equals the
    sum of its movements."""

    class Reason(models.TextChoices):
        SALE = "sale", "Sale"
        CANCEL = "cancel", "Cancelled order"
        EXPIRY = "expiry", "Expired order"
        PURCHASE = "purchase", "Purchase (restock)"
        ADJUSTMENT = "adjustment", "Adjustment"

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="movements")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="stock_movements")
    delta = models.IntegerField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    reference = models.CharField(max_length=64, blank=True)
    quantity_after = models.PositiveIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["variant", "-id"], name="inventory_move_variant"),
            models.Index(fields=["shop", "-id"], name="inventory_move_shop"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="inventory_move_delta_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} {self.delta:+d} ({self.reason})"


class Purchase(TimeStampedModel):
    """A restock from a supplier; each line raises a variant's stock."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="purchases")
    supplier = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)
    purchased_at = models.DateTimeField(
        help_text="When the goods were bought (a plain date is stored as its midnight UTC)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-purchased_at", "-id"]
        indexes = [models.Index(fields=["shop", "-purchased_at"], name="inventory_purchase_shop")]

    def __str__(self) -> str:
        return f"{self.supplier} {self.purchased_at}"

    @property
    def permission_shop(self) -> Shop:
        return self.shop


class PurchaseItem(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_pitem_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="inventory_pitem_cost_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.variant_id}"


class InventoryAlert(models.Model):
    """Raised once when a variant falls to the low-stock threshold; resolved when stock rises
    above it again, or dismissed by a member or administrator who has handled it (then
    `dismissed_at`/`dismissed_by` say who and when, and only a later fall raises a new one).
    At most one unresolved alert per variant (enforced by the database)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="inventory_alerts")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="alerts")
    quantity = models.PositiveIntegerField()
    threshold = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["variant"],
                condition=Q(resolved_at__isnull=True),
                name="inventory_alert_one_active",
            ),
        ]
        indexes = [
            models.Index(
                fields=["shop", "-created_at"],
                name="inventory_alert_active",
                condition=Q(resolved_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"low stock {self.variant_id}: {self.quantity}"
