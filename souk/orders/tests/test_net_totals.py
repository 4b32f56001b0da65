"""Each order line's revenue net of its share of the discount: the shares are split over the
lines in proportion to their totals, to the cent, and the net totals add up to the order's
total (analytics count revenue by line)."""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module

import pytest
from hypothesis import given
from hypothesis import strategies as st

from souk.orders.models import OrderItem
from souk.orders.services.placement import order_place
from souk.orders.services.pricing import allocate
from souk.orders.tests.factories import ensure_address, make_coupon


def _variant(product_factory, shop, category, price):
    return product_factory(shop=shop, category=category, price=price, quantity=9).variants.get()


@pytest.mark.django_db
def test_a_discount_is_shared_by_the_lines_to_the_cent(customer, shop, category, product_factory):
    a = _variant(product_factory, shop, category, "10.00")
    b = _variant(product_factory, shop, category, "10.00")
    c = _variant(product_factory, shop, category, "10.00")
    ensure_address(customer)
    make_coupon(code="TENOFF", kind="fixed", value="10.00")

    order = order_place(
        user=customer, shop=shop, items=[(a.pk, 1), (b.pk, 1), (c.pk, 1)], coupon_code="TENOFF"
    )

    nets = list(
        OrderItem.objects.filter(order=order).order_by("pk").values_list("net_total", flat=True)
    )
    assert order.total == Decimal("20.00")
    assert sorted(nets) == [Decimal("6.66"), Decimal("6.67"), Decimal("6.67")]
    assert sum(nets) == order.total


@pytest.mark.django_db
def test_without_a_discount_a_line_nets_its_total(customer, shop, category, product_factory):
    a = _variant(product_factory, shop, category, "12.50")
    ensure_address(customer)

    order = order_place(user=customer, shop=shop, items=[(a.pk, 2)])

    assert list(OrderItem.objects.filter(order=order).values_list("line_total", "net_total")) == [
        (Decimal("25.00"), Decimal("25.00"))
    ]


@pytest.mark.django_db
def test_the_shares_follow_the_line_totals(customer, shop, category, product_factory):
    big = _variant(product_factory, shop, category, "90.00")
    small = _variant(product_factory, shop, category, "10.00")
    ensure_address(customer)
    make_coupon(code="HALF", kind="percent", value="50")

    order = order_place(
        user=customer, shop=shop, items=[(big.pk, 1), (small.pk, 1)], coupon_code="HALF"
    )

    nets = dict(OrderItem.objects.filter(order=order).values_list("variant_id", "net_total"))
    assert nets == {big.pk: Decimal("45.00"), small.pk: Decimal("5.00")}


@given(
    total=st.decimals(min_value=0, max_value=1000, places=2),
    weights=st.lists(
        st.decimals(min_value="0.01", max_value=500, places=2), min_size=1, max_size=6
    ),
)
def test_the_migration_splits_old_discounts_as_new_orders_do(total, weights):
    """The backfill of existing lines (migration 0004) copies `allocate`: same shares."""
    backfill = import_module("souk.orders.migrations.0004_orderitem_net_total")
    by_line = dict(enumerate(weights))
    total = min(total, sum(weights))

    assert backfill._allocate(total, by_line) == allocate(total, by_line)
