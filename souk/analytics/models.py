"""Rollups of revenue, kept current in the same transaction as every payment, or cancellation
after payment, that changes them (souk.analytics.services.rollup), and checked against the
orders every night: each shop's days (`ShopDay`) and each product's months (`ProductMonth`)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from souk.catalog.models import Product
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


class ProductMonth(models.Model):
    """One product's calendar month (UTC, by `paid_at`): the revenue (its lines' `net_total`,
    net of the order's discount) and units of its lines in revenue orders. An order cancelled
    after payment takes its lines back out; a product whose sales were all taken back keeps a
    row with 0 units. The dashboards rank products from it over whole months."""

    # Indexed by the unique constraint (shop first); a product with rows has order lines, which
    # keep it from being deleted.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()  # the first day of the month
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    units = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # A shop's months read index-only: (shop, month range) -> products and figures.
            models.UniqueConstraint(
                fields=["shop", "month", "product"],
                include=["revenue", "units"],
                name="analytics_productmonth_unique",
            )
        ]
        # The marketplace reads a period across all shops.
        indexes = [
            models.Index(
                fields=["month"],
                include=["product", "revenue", "units"],
                name="analytics_productmonth_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.month:%Y-%m}"
