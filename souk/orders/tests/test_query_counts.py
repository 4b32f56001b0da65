"""Every list of the orders app costs the same number of queries for 2 rows as for 20 (no N+1):
orders (own, a shop's, an administrator's), a shop's orders, coupons, and the cart."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.orders.services.cart import cart_item_add
from souk.orders.services.lifecycle import order_mark_paid
from souk.orders.tests.factories import make_coupon, place_order
from souk.shops.models import Shop

pytestmark = pytest.mark.django_db


def queries(client, path, rows, params=None):
    """(number of queries, rows returned) for one GET, after a warm-up request."""
    client.get(path, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    body = response.json()
    returned = len(body["results"] if "results" in body else body["items"])
    assert returned == rows
    return len(captured)


@pytest.fixture
def catalog(product_factory, shop, category):
    """Twenty single-variant products of `shop`, plenty in stock."""
    return [
        product_factory(
            shop=shop, category=category, name=f"Vase {n}", price="12.00", quantity=100
        ).variants.get()
        for n in range(20)
    ]


@pytest.fixture
def place_orders(customer, catalog):
    """place_orders(n): n more orders of `customer`, each of two lines, some with a coupon and
    some paid, so that every related object an order row shows is there."""
    make_coupon(code="TENOFF")
    placed = []

    def place(count):
        for _ in range(count):
            index = len(placed)
            lines = [(catalog[index % 20], 1), (catalog[(index + 1) % 20], 2)]
            order = place_order(
                user=customer, lines=lines, coupon_code="TENOFF" if index % 2 else None
            )
            if index % 3 == 0:
                order_mark_paid(order_id=order.pk)
            placed.append(order)

    return place


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("customer", "/api/orders/"),
        ("admin_user", "/api/orders/"),
        ("staff", "/api/orders/?shop={shop}"),
        ("staff", "/api/shops/{shop}/orders/"),
        ("artisan", "/api/shops/{shop}/orders/"),
    ],
)
def test_order_lists_do_not_grow_with_the_page(request, client_for, shop, place_orders, who, path):
    client = client_for(request.getfixturevalue(who))
    target = path.format(shop=shop.pk)

    place_orders(2)
    small = queries(client, target, 2)
    place_orders(18)
    large = queries(client, target, 20)

    assert small == large
    assert large <= 10


def test_order_list_filtered_by_status_does_not_grow(client_for, customer, place_orders):
    client = client_for(customer)

    place_orders(3)  # one paid
    small = queries(client, "/api/orders/", 1, {"status": "paid"})
    place_orders(57)  # 20 paid
    large = queries(client, "/api/orders/", 20, {"status": "paid"})

    assert small == large


@pytest.mark.parametrize("who", ["staff", "admin_user"])
def test_coupon_list_does_not_grow(request, client_for, shop, other_artisan, who):
    client = client_for(request.getfixturevalue(who))
    other_shop = Shop.objects.get(owner=other_artisan)

    def add(count, start):
        for n in range(start, start + count):
            make_coupon(code=f"SHOP{n}", shop=shop)

    add(2, 0)
    make_coupon(code="ELSEWHERE", shop=other_shop)
    expected_small = 2 if who == "staff" else 3
    small = queries(client, "/api/coupons/", expected_small)
    add(20 - expected_small, 2)
    large = queries(client, "/api/coupons/", 20)

    assert small == large


def test_cart_with_many_lines_does_not_grow(
    client_for, customer, catalog, product_factory, other_artisan, category
):
    other_shop = Shop.objects.get(owner=other_artisan)
    elsewhere = [
        product_factory(
            shop=other_shop, category=category, name=f"Bowl {n}", quantity=10
        ).variants.get()
        for n in range(10)
    ]
    make_coupon(code="TENOFF")
    client = client_for(customer)
    variants = [variant for pair in zip(catalog[:10], elsewhere, strict=True) for variant in pair]
    for variant in variants[:2]:
        cart_item_add(user=customer, variant=variant, quantity=1)
    client.post("/api/cart/coupon/", {"code": "TENOFF"})

    small = queries(client, "/api/cart/", 2)
    for variant in variants[2:]:
        cart_item_add(user=customer, variant=variant, quantity=2)
    large = queries(client, "/api/cart/", 20)

    assert small == large
    assert large == 1  # the cart, its lines and its coupon in one statement
