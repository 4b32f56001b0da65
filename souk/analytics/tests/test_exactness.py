"""Every figure of a shop's dashboard against a plain Python computation over the same rows: a
generated history of orders (with coupons, payments at dates in and out of the period, moves
forward, cancellations after payment, expiries, soft deletions) for one shop. Over a period of
whole months the products come from the product x month rollup, over any other from the order
lines: both are checked."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, cast

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.accounts.tests.factories import UserFactory
from souk.analytics import selectors
from souk.catalog.tests.factories import make_category, make_product
from souk.inventory.models import InventoryAlert
from souk.orders.models import Order, OrderItem
from souk.orders.services.lifecycle import (
    order_cancel,
    order_mark_paid,
    order_soft_delete,
    order_transition,
    orders_expire,
)
from souk.orders.tests.factories import make_coupon, place_order
from souk.shops.models import Shop
from souk.shops.tests.factories import ShopFactory

PARTIAL = selectors.Period(start=date(2025, 2, 10), end=date(2025, 5, 20))
WHOLE = selectors.Period(start=date(2025, 2, 1), end=date(2025, 5, 31))
EDGES = [
    edge + shift
    for period in (PARTIAL, WHOLE)
    for edge in (period.since, period.until)  # until is excluded
    for shift in (timedelta(0), -timedelta(microseconds=1))
]
CENT = Decimal("0.01")
PRICES = ["5.00", "7.25", "10.00", "12.35", "19.99"]
FATES = [
    "pending",
    "expired",
    "cancelled_unpaid",
    "paid",
    "processing",
    "shipped",
    "delivered",
    "cancelled",
]
FORWARD = {"paid": [], "processing": ["processing"], "shipped": ["processing", "shipped"]}
FORWARD["delivered"] = ["processing", "shipped", "delivered"]
REVENUE = {"paid", "processing", "shipped", "delivered"}

paid_ats = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(  # hypothesis takes naive bounds and adds the zone
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime(2025, 6, 30, 23, 59, 59),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    categories = draw(st.integers(min_value=2, max_value=3))
    products = draw(
        st.lists(
            st.tuples(st.integers(0, categories - 1), st.sampled_from(PRICES)),
            min_size=2,
            max_size=6,
        )
    )
    indices = st.integers(0, len(products) - 1)
    order = st.fixed_dictionaries(
        {
            "customer": st.integers(0, 2),
            "lines": st.lists(
                st.tuples(indices, st.integers(1, 4)),
                min_size=1,
                max_size=3,
                unique_by=lambda x: x[0],
            ),
            "coupon": st.sampled_from([None, "PCT", "FIX"]),
            "fate": st.sampled_from(FATES),
            "paid_at": paid_ats,
            "deleted": st.booleans(),
        }
    )
    return {
        "categories": categories,
        "products": products,
        "percent": draw(st.integers(5, 50)),
        "fixed": draw(st.decimals(min_value="0.50", max_value="40.00", places=2)),
        "orders": draw(st.lists(order, min_size=1, max_size=7)),
        "deleted_products": draw(st.sets(indices, max_size=2)),
    }


def _make_history(history: dict[str, Any]) -> Any:
    owner = UserFactory(role="artisan")
    shop = cast(Shop, ShopFactory(owner=owner))
    categories = [make_category(f"Kind {n}") for n in range(history["categories"])]
    products = [
        make_product(
            shop=shop, category=categories[kind], name=f"Item {n}", price=price, quantity=1000
        )
        for n, (kind, price) in enumerate(history["products"])
    ]
    variants = [product.variants.get() for product in products]
    customers = [UserFactory(role="customer") for _ in range(3)]
    make_coupon(code="PCT", kind="percent", value=str(history["percent"]))
    make_coupon(code="FIX", kind="fixed", value=str(history["fixed"]))
    for spec in history["orders"]:
        buyer = customers[spec["customer"]]
        order = place_order(
            user=buyer,
            lines=[(variants[index], quantity) for index, quantity in spec["lines"]],
            coupon_code=spec["coupon"],
        )
        _live(order, spec, owner)
        if spec["deleted"]:
            order_soft_delete(order_id=order.pk)
    for index in history["deleted_products"]:
        products[index].soft_delete()
    return shop


def _live(order: Order, spec: dict[str, Any], owner: Any) -> None:
    """Take the order to its generated fate."""
    fate = spec["fate"]
    if fate == "expired":
        Order.all_objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(1))
        assert orders_expire() == 1
    elif fate == "cancelled_unpaid":
        order_cancel(order_id=order.pk, actor=order.customer)
    elif fate != "pending":
        with time_machine.travel(spec["paid_at"], tick=False):
            assert order_mark_paid(order_id=order.pk)
        for status in FORWARD.get(fate, []):
            order_transition(order_id=order.pk, status=status, actor=owner)
        if fate == "cancelled":
            order_cancel(order_id=order.pk, actor=order.customer)


# --- the plain computation ---------------------------------------------------------------------


def _in_period(order: Order, period: selectors.Period) -> bool:
    return order.paid_at is not None and period.since <= order.paid_at < period.until


def _months(period: selectors.Period) -> list[str]:
    months, year, month = [], period.start.year, period.start.month
    while (year, month) <= (period.end.year, period.end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _shares(revenues: list[Decimal]) -> list[Decimal]:
    """Largest remainder in ten-thousandths (ties: the earlier row)."""
    whole = sum(revenues, Decimal(0))
    if whole == 0:
        return [Decimal("0.0000")] * len(revenues)
    units = [Fraction(revenue) * 10000 / Fraction(whole) for revenue in revenues]
    floors = [math.floor(unit) for unit in units]
    left = 10000 - sum(floors)
    by_remainder = sorted(range(len(units)), key=lambda i: (floors[i] - units[i], i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [(Decimal(n) / 10000).quantize(Decimal("0.0001")) for n in floors]


def _rank(value: Decimal, values: list[Decimal]) -> int:
    return 1 + sum(1 for other in values if other > value)


def _expected(shop: Any, period: selectors.Period) -> dict[str, Any]:
    orders = list(Order.all_objects.filter(shop=shop))
    counted = [o for o in orders if o.status in REVENUE and _in_period(o, period)]
    ids = {o.pk for o in counted}
    lines = [
        line
        for line in OrderItem.objects.filter(order__shop=shop).select_related("product__category")
        if line.order_id in ids
    ]
    revenue = sum((o.total for o in counted), Decimal("0.00"))
    per_customer = Counter(o.customer_id for o in counted)
    kpis = {
        "revenue": revenue,
        "orders": len(counted),
        "average_order_value": (
            (revenue / len(counted)).quantize(CENT, rounding=ROUND_HALF_UP)
            if counted
            else Decimal("0.00")
        ),
        "items_sold": sum(line.quantity for line in lines),
        "customers": len(per_customer),
        "repeat_customers": sum(1 for n in per_customer.values() if n >= 2),
        "refunded": sum(
            (o.total for o in orders if o.status == "cancelled" and _in_period(o, period)),
            Decimal("0.00"),
        ),
        "low_stock_count": InventoryAlert.objects.filter(shop=shop, resolved_at=None).count(),
    }
    by_month: dict[str, list[Order]] = defaultdict(list)
    for o in counted:
        assert o.paid_at is not None
        by_month[o.paid_at.astimezone(UTC).strftime("%Y-%m")].append(o)
    monthly = [
        {
            "month": month,
            "revenue": sum((o.total for o in by_month[month]), Decimal("0.00")),
            "orders": len(by_month[month]),
        }
        for month in _months(period)
    ]
    return {"kpis": kpis, "monthly_revenue": monthly, **_by_product(lines)}


def _by_product(lines: list[OrderItem]) -> dict[str, Any]:
    category_revenue: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    category_name: dict[int, str] = {}
    product_revenue: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    units: Counter[int] = Counter()
    product_of: dict[int, Any] = {}
    for line in lines:
        product = line.product
        category_revenue[product.category_id] += line.net_total
        category_name[product.category_id] = product.category.name
        product_revenue[product.pk] += line.net_total
        units[product.pk] += line.quantity
        product_of[product.pk] = product
    kinds = sorted(category_revenue, key=lambda c: (-category_revenue[c], c))
    shares = _shares([category_revenue[c] for c in kinds])
    categories = [
        {
            "category": c,
            "name": category_name[c],
            "revenue": category_revenue[c],
            "share": share,
        }
        for c, share in zip(kinds, shares, strict=True)
    ]
    everything = list(product_revenue.values())
    products = [
        {
            "product": pk,
            "name": product_of[pk].name,
            "category": product_of[pk].category_id,
            "revenue": product_revenue[pk],
            "units": units[pk],
            "rank": _rank(product_revenue[pk], everything),
            "category_rank": _rank(
                product_revenue[pk],
                [
                    product_revenue[other]
                    for other in product_revenue
                    if product_of[other].category_id == product_of[pk].category_id
                ],
            ),
        }
        for pk in product_revenue
    ]
    products.sort(key=lambda row: (row["rank"], row["product"]))
    return {"category_breakdown": categories, "top_products": products}


def _plain(value: Any) -> Any:
    """Decimals as their exact text (2-place money, 4-place shares), to compare places too."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- the test ----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [PARTIAL, WHOLE], ids=["lines", "rollup"])
@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(history=histories())
def test_every_figure_of_the_dashboard_matches_a_plain_computation(period, history):
    assert selectors.whole_months(period, timezone.now().date()) == (period is WHOLE)
    with transaction.atomic():
        shop = _make_history(history)
        expected = _expected(shop, period)

        dashboard = selectors.shop_dashboard(shop=shop, period=period, top=100)
        top_three = selectors.shop_dashboard(shop=shop, period=period, top=3)["top_products"]

        assert _plain(dashboard["kpis"]) == _plain(expected["kpis"])
        assert _plain(dashboard["monthly_revenue"]) == _plain(expected["monthly_revenue"])
        assert _plain(dashboard["category_breakdown"]) == _plain(expected["category_breakdown"])
        assert _plain(dashboard["top_products"]) == _plain(expected["top_products"])
        assert _plain(top_three) == _plain(expected["top_products"][:3])
        assert dashboard["period"] == {"from": period.start, "to": period.end}
        categories = dashboard["category_breakdown"]
        assert (
            sum((row["revenue"] for row in categories), Decimal("0.00"))
            == (dashboard["kpis"]["revenue"])
        )
        if dashboard["kpis"]["revenue"] > 0:
            assert sum(row["share"] for row in categories) == Decimal("1.0000")
        transaction.set_rollback(True)
