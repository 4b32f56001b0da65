"""A shop's dashboard and the marketplace's.

A shop's KPIs, months and customers are computed live from its orders (index-only, over the
period's paid orders). Its categories and products come from the product x month rollup
(`ProductMonth`) when the period is made of whole months (the default, the last 12 months,
is), and live from the order lines otherwise: at a million lines, the live lines of the
biggest shop take several times longer than its rollup rows (bench/ANALYTICS_SQL.md). The
marketplace reads its KPIs, months and shops from the shop x day rollup (`ShopDay`).

Money rules (API.md, "Notifications and analytics"):
- revenue counts orders that are paid or later (paid, processing, shipped, delivered), by
  `paid_at` in the period, net of discounts (an order's `total`; a line's `net_total`, its share
  of the discount taken off);
- orders cancelled after payment count under `refunded` (by `paid_at`), not as revenue;
- expired and unpaid orders count nowhere;
- soft-deleted orders and products keep their history: they count as they were.

The period runs from `start` to `end`, both whole days (UTC) included. Ranks are computed by
PostgreSQL with window functions: `rank` is RANK() over the products' revenue in the shop and
period, `category_rank` the same within the product's category (ties share a rank)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import Rank, TruncMonth
from django.utils import timezone

from souk.analytics.models import ProductMonth, ShopDay
from souk.inventory.models import InventoryAlert
from souk.orders.models import Order, OrderItem
from souk.shops.models import Shop

CENT = Decimal("0.01")
SHARE_UNIT = Decimal("0.0001")
ZERO = Decimal("0.00")
TOP_PRODUCTS = 10

REVENUE_STATUSES = (
    Order.Status.PAID,
    Order.Status.PROCESSING,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:  # excluded
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)

    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            days = calendar.monthrange(month.year, month.month)[1]
            month = month + timedelta(days=days)
        return months


def whole_months(period: Period, today: date) -> bool:
    """Whether the period is made of whole calendar months. A period reaching today (or
    later) holds the current month whole: nothing has been paid after now."""
    last_day = calendar.monthrange(period.end.year, period.end.month)[1]
    return period.start.day == 1 and (period.end.day == last_day or period.end >= today)


def default_period(today: date) -> Period:
    """The last 12 months: this month and the 11 before it, up to today."""
    year, month = today.year, today.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return Period(start=date(year, month, 1), end=today)


def _money(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENT)


def shares(revenues: list[Decimal]) -> list[Decimal]:
    """Each revenue's part of their sum, to 4 places, adding up to exactly 1 (largest
    remainder); all 0 when the sum is 0."""
    whole = sum(revenues, Decimal(0))
    if whole <= 0:
        return [Decimal("0.0000") for _ in revenues]
    exact = [revenue / whole for revenue in revenues]
    parts = [value.quantize(SHARE_UNIT, rounding=ROUND_DOWN) for value in exact]
    left = int(((Decimal(1) - sum(parts, Decimal(0))) / SHARE_UNIT).to_integral_value())
    order = sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))
    for i in order[:left]:
        parts[i] += SHARE_UNIT
    return parts


def _orders(shop: Shop | None, period: Period) -> QuerySet[Order]:
    # Every order (of the shop) paid in the period, soft-deleted ones included (history).
    orders = Order.all_objects.filter(paid_at__gte=period.since, paid_at__lt=period.until)
    return orders if shop is None else orders.filter(shop=shop)


def _lines(shop: Shop | None, period: Period) -> QuerySet[OrderItem]:
    lines = OrderItem.objects.filter(
        order__paid_at__gte=period.since,
        order__paid_at__lt=period.until,
        order__status__in=REVENUE_STATUSES,
    )
    return lines if shop is None else lines.filter(order__shop=shop)


def _people(shop: Shop | None, period: Period) -> dict[str, int]:
    """Distinct buyers of revenue orders, and those with two or more."""
    buyers = (
        _orders(shop, period)
        .filter(status__in=REVENUE_STATUSES)
        .values("customer_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    people = buyers.aggregate(customers=Count("customer_id"), repeat=Count("n", filter=Q(n__gte=2)))
    return {"customers": people["customers"] or 0, "repeat_customers": people["repeat"] or 0}


def _kpis(shop: Shop, period: Period, months: list[dict[str, Any]]) -> dict[str, Any]:
    revenue = sum((row["revenue"] for row in months), ZERO)
    orders = sum(row["orders"] for row in months)
    average = (revenue / orders).quantize(CENT, rounding=ROUND_HALF_UP) if orders else ZERO
    return {
        "revenue": revenue,
        "orders": orders,
        "average_order_value": average,
        **_people(shop, period),
        "refunded": sum((row["refunded"] for row in months), ZERO),
        "low_stock_count": InventoryAlert.objects.filter(
            shop=shop, resolved_at__isnull=True
        ).count(),
    }


def _shop_months(shop: Shop, period: Period) -> list[dict[str, Any]]:
    """The period's months with their revenue, revenue orders and refunds (one pass over the
    shop's orders paid in the period)."""
    rows = (
        _orders(shop, period)
        .filter(status__in=(*REVENUE_STATUSES, Order.Status.CANCELLED))
        .annotate(month=TruncMonth("paid_at", tzinfo=UTC))
        .values("month")
        .annotate(
            revenue=Sum("total", filter=Q(status__in=REVENUE_STATUSES)),
            orders=Count("status", filter=Q(status__in=REVENUE_STATUSES)),  # index-only
            refunded=Sum("total", filter=Q(status=Order.Status.CANCELLED)),
        )
        .order_by("month")
    )
    found = {row["month"].date(): row for row in rows}
    return [
        {
            "month": month,
            "revenue": _money(found[month]["revenue"]) if month in found else ZERO,
            "orders": found[month]["orders"] if month in found else 0,
            "refunded": _money(found[month]["refunded"]) if month in found else ZERO,
        }
        for month in period.months()
    ]


def _ranked_products(shop: Shop | None, period: Period) -> list[dict[str, Any]]:
    """Every product sold in the period with its revenue (net), units and both ranks, best
    first, in one statement: from the product x month rollup over whole months, from the order
    lines otherwise. The categories and the units sold are summed from it as well."""
    rows: QuerySet[Any]
    if whole_months(period, timezone.now().date()):
        months = ProductMonth.objects.filter(month__gte=period.start, month__lte=period.end)
        rows = (
            (months if shop is None else months.filter(shop=shop))
            .values("product_id", "product__category_id")
            .annotate(revenue=Sum("revenue"), units=Sum("units"))
            # Products whose sales were all cancelled after payment keep rows with 0 units.
            .filter(units__gt=0)
        )
    else:
        rows = (
            _lines(shop, period)
            .values("product_id", "product__category_id")
            .annotate(revenue=Sum("net_total"), units=Sum("quantity"))
        )
    ranked = (
        rows.annotate(
            name=Max("product__name"),
            category_name=Max("product__category__name"),
        )
        .annotate(
            rank=Window(Rank(), order_by=F("revenue").desc()),
            category_rank=Window(
                Rank(), partition_by=F("product__category_id"), order_by=F("revenue").desc()
            ),
        )
        .order_by("rank", "product_id")
    )
    return [dict(row) for row in ranked]


def _categories(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    revenues: dict[int | None, Decimal] = {}
    names: dict[int | None, str] = {}
    for row in products:
        category = row["product__category_id"]
        revenues[category] = revenues.get(category, Decimal(0)) + row["revenue"]
        names[category] = row["category_name"]
    ordered = sorted(revenues, key=lambda c: (-revenues[c], c if c is not None else -1))
    parts = shares([revenues[c] for c in ordered])
    return [
        {"category": c, "name": names[c], "revenue": _money(revenues[c]), "share": part}
        for c, part in zip(ordered, parts, strict=True)
    ]


def _top_products(products: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    return [
        {
            "product": row["product_id"],
            "name": row["name"],
            "category": row["product__category_id"],
            "revenue": _money(row["revenue"]),
            "units": row["units"],
            "rank": row["rank"],
            "category_rank": row["category_rank"],
        }
        for row in products[:limit]
    ]


def shop_dashboard(*, shop: Shop, period: Period, top: int = TOP_PRODUCTS) -> dict[str, Any]:
    """The dashboard of `shop` over `period` (API.md shape; money as Decimal)."""
    products = _ranked_products(shop, period)
    months = _shop_months(shop, period)
    kpis = _kpis(shop, period, months)
    return {
        "currency": settings.CURRENCY,
        "period": {"from": period.start, "to": period.end},
        "kpis": {**kpis, "items_sold": sum(row["units"] for row in products)},
        "monthly_revenue": [
            {"month": row["month"].strftime("%Y-%m"), **_pick(row, "revenue", "orders")}
            for row in months
        ],
        "category_breakdown": _categories(products),
        "top_products": _top_products(products, top),
    }


def _pick(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: row[key] for key in keys}


def _days(period: Period) -> QuerySet[ShopDay]:
    return ShopDay.objects.filter(day__gte=period.start, day__lte=period.end)


def _money_months(rows: Any, period: Period) -> list[dict[str, Any]]:
    found = {row["month"]: row for row in rows}
    return [
        {
            "month": month.strftime("%Y-%m"),
            "revenue": _money(found[month]["revenue"]) if month in found else ZERO,
            "orders": found[month]["orders"] if month in found else 0,
        }
        for month in period.months()
    ]


def marketplace_dashboard(*, period: Period, top: int = TOP_PRODUCTS) -> dict[str, Any]:
    """The whole marketplace over `period`: revenue, orders, units, refunds, months and the
    ranking of shops from the shop x day rollup; customers, categories and products from the
    orders and their lines."""
    totals = _days(period).aggregate(
        revenue=Sum("revenue"), orders=Sum("orders"), units=Sum("units"), refunded=Sum("refunded")
    )
    revenue, orders = _money(totals["revenue"]), totals["orders"] or 0
    months = (
        _days(period)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(revenue=Sum("revenue"), orders=Sum("orders"))
        .order_by("month")
    )
    products = _ranked_products(None, period)
    shops = (
        _days(period)
        .values("shop_id")
        .annotate(name=Max("shop__name"), revenue=Sum("revenue"), orders=Sum("orders"))
        .filter(orders__gt=0)
        .annotate(rank=Window(Rank(), order_by=F("revenue").desc()))
        .order_by("rank", "shop_id")[:top]
    )
    return {
        "currency": settings.CURRENCY,
        "period": {"from": period.start, "to": period.end},
        "kpis": {
            "revenue": revenue,
            "orders": orders,
            "average_order_value": (
                (revenue / orders).quantize(CENT, rounding=ROUND_HALF_UP) if orders else ZERO
            ),
            "items_sold": totals["units"] or 0,
            **_people(None, period),
            "refunded": _money(totals["refunded"]),
            "low_stock_count": InventoryAlert.objects.filter(resolved_at__isnull=True).count(),
        },
        "monthly_revenue": _money_months(months, period),
        "category_breakdown": _categories(products),
        "top_products": _top_products(products, top),
        "top_shops": [
            {
                "shop": row["shop_id"],
                "name": row["name"],
                "revenue": _money(row["revenue"]),
                "orders": row["orders"],
                "rank": row["rank"],
            }
            for row in shops
        ],
    }
