"""The marketplace's daily figures per shop: a rollup of revenue kept current in the same
transaction as every payment, or cancellation after payment, that changes it
(souk.analytics.services.rollup), and checked against the orders every night."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from souk.shops.models import Shop

ZERO = Decimal("0.00")


class ShopDay(models.Model):
    """One shop's day (UTC, by `paid_at`): the revenue orders (paid or further along), their
    revenue (order totals, net of discounts) and units, and the orders cancelled after payment
    with their totals (`refunded`)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    orders = models.IntegerField(default=0)
    units = models.BigIntegerField(default=0)
    refunded = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    refunded_orders = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "day"], name="analytics_shopday_unique")
        ]
        # The marketplace reads a period across all shops.
        indexes = [
            models.Index(
                fields=["day"],
                include=["shop", "revenue", "orders", "units", "refunded"],
                name="analytics_shopday_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.day}"
