"""Checkout of the whole cart and direct orders over HTTP: one order per shop, totals from our own
prices, stock taken at once or not at all, coupons split across shops, and Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from souk.accounts.models import Address
from souk.catalog.models import Product, Variant
from souk.core.models import IdempotencyRecord
from souk.core.testing import assert_problem
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import stock_set
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.api.serializers import AddressInputSerializer
from souk.orders.models import (
    Cart,
    CartItem,
    Checkout,
    Coupon,
    CouponRedemption,
    DeliverySchedule,
    Order,
    OrderItem,
)
from souk.orders.tests.factories import ensure_address, make_coupon
from souk.shops.models import Shop

CHECKOUT = "/api/checkout/"
ORDERS = "/api/orders/"
ITEMS = "/api/cart/items/"
PROBLEM = "application/problem+json"
pytestmark = pytest.mark.django_db


def stock(*variants):
    return [Variant.all_objects.get(pk=variant.pk).quantity for variant in variants]


def cart_lines(user):
    return dict(CartItem.objects.filter(cart__user=user).values_list("variant_id", "quantity"))


def snapshot():
    """Everything a placement writes, to compare before and after a refused request."""
    return {
        "orders": Order.all_objects.count(),
        "items": OrderItem.objects.count(),
        "checkouts": Checkout.objects.count(),
        "deliveries": DeliverySchedule.objects.count(),
        "redemptions": CouponRedemption.objects.count(),
        "coupon_uses": sorted(Coupon.all_objects.values_list("code", "uses")),
        "movements": StockMovement.objects.count(),
        "stock": sorted(Variant.all_objects.values_list("pk", "quantity")),
        "carts": sorted(CartItem.objects.values_list("cart__user_id", "variant_id", "quantity")),
        "cart_coupons": sorted(Cart.objects.values_list("user_id", "coupon_id")),
    }


def future(hours):
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def assert_order_sums(order):
    lines = sum((Decimal(item["line_total"]) for item in order["items"]), Decimal("0.00"))
    assert Decimal(order["subtotal"]) == lines
    assert Decimal(order["total"]) == lines - Decimal(order["discount"])
    for item in order["items"]:
        assert Decimal(item["line_total"]) == Decimal(item["unit_price"]) * item["quantity"]


@pytest.fixture
def buyer(client_for, customer):
    ensure_address(customer)
    return client_for(customer)


@pytest.fixture
def other_shop(other_artisan):
    return Shop.objects.get(owner=other_artisan)


@pytest.fixture
def mug(product):
    """The `product` fixture's one variant: 20.00, 5 in stock, in `shop`."""
    return product.variants.get()


@pytest.fixture
def jug(product_factory, shop, category):
    product = product_factory(
        shop=shop,
        category=category,
        name="Water Jug",
        variants=[
            {"sku": "JUG-S", "price": "15.00", "quantity": 3, "attributes": {"size": "S"}},
            {"sku": "JUG-L", "price": "22.50", "quantity": 1, "attributes": {"size": "L"}},
        ],
    )
    return product.variants.get(sku="JUG-S")


@pytest.fixture
def bowl(product_factory, other_shop, category):
    """A variant of the other shop: 10.00, 4 in stock."""
    product = product_factory(
        shop=other_shop, category=category, name="Olive Bowl", price="10.00", quantity=4
    )
    return product.variants.get()


@pytest.fixture
def two_shop_cart(buyer, mug, bowl):
    """2 mugs (40.00) from `shop` and 3 bowls (30.00) from the other shop."""
    assert buyer.post(ITEMS, {"variant": mug.pk, "quantity": 2}).status_code == 201
    assert buyer.post(ITEMS, {"variant": bowl.pk, "quantity": 3}).status_code == 201
    return buyer


def orders_by_shop(body):
    return {order["shop"]["id"]: order for order in body["orders"]}


# --- Checkout -----------------------------------------------------------------------------------


def test_checkout_makes_one_order_per_shop(two_shop_cart, customer, mug, bowl, shop, other_shop):
    address = ensure_address(customer)

    response = two_shop_cart.post(CHECKOUT, {"shipping_address": address.pk})

    assert response.status_code == 201
    body = response.json()
    checkout = Checkout.objects.get()
    assert body["id"] == checkout.pk
    assert (body["subtotal"], body["discount"], body["total"]) == ("70.00", "0.00", "70.00")
    assert body["currency"] == "USD"
    assert [order["shop"]["id"] for order in body["orders"]] == sorted([shop.pk, other_shop.pk])
    orders = orders_by_shop(body)
    mine, theirs = orders[shop.pk], orders[other_shop.pk]
    assert [
        (i["variant"], i["sku"], i["name"], i["unit_price"], i["quantity"]) for i in mine["items"]
    ] == [(mug.pk, mug.sku, "Stoneware Mug", "20.00", 2)]
    assert [
        (i["variant"], i["unit_price"], i["quantity"], i["line_total"]) for i in theirs["items"]
    ] == [(bowl.pk, "10.00", 3, "30.00")]
    assert (mine["subtotal"], mine["discount"], mine["total"]) == ("40.00", "0.00", "40.00")
    assert (theirs["subtotal"], theirs["discount"], theirs["total"]) == ("30.00", "0.00", "30.00")
    for order in body["orders"]:
        assert_order_sums(order)
        assert order["status"] == "pending_payment"
        assert order["payment_status"] == "unpaid"
        assert order["checkout"] == checkout.pk
        assert order["customer"]["id"] == customer.pk
        assert order["shipping_address"]["line1"] == address.line1
        assert order["shipping_address"]["city"] == address.city
        assert order["delivery"]["method"] == "delivery"
        assert order["expires_at"] == body["expires_at"]
    expires = parse_datetime(body["expires_at"])
    created = parse_datetime(body["created_at"])
    assert timedelta(minutes=29) < expires - created <= timedelta(minutes=30)
    # Stock taken at once, through the ledger; the cart is empty.
    assert stock(mug, bowl) == [3, 1]
    sales = StockMovement.objects.filter(reason="sale").order_by("variant_id")
    assert sorted((m.variant_id, m.delta) for m in sales) == sorted([(mug.pk, -2), (bowl.pk, -3)])
    numbers = {order["number"] for order in body["orders"]}
    assert {m.reference for m in sales} == {f"order:{number}" for number in numbers}
    assert ledger_mismatches() == []
    assert cart_lines(customer) == {}
    assert two_shop_cart.get("/api/cart/").json()["items"] == []


def test_order_lines_keep_name_sku_and_price_as_ordered(two_shop_cart, mug, shop):
    body = two_shop_cart.post(CHECKOUT, {}).json()
    order_id = orders_by_shop(body)[shop.pk]["id"]
    Product.objects.filter(pk=mug.product_id).update(name="Renamed Mug")
    Variant.objects.filter(pk=mug.pk).update(sku="NEW-SKU", price=Decimal("99.00"))

    order = two_shop_cart.get(f"{ORDERS}{order_id}/").json()

    [line] = order["items"]
    assert (line["name"], line["sku"], line["unit_price"], line["line_total"]) == (
        "Stoneware Mug",
        mug.sku,
        "20.00",
        "40.00",
    )
    assert order["total"] == "40.00"


def test_line_names_carry_the_variant_options(buyer, jug):
    buyer.post(ITEMS, {"variant": jug.pk, "quantity": 1})

    body = buyer.post(CHECKOUT, {}).json()

    assert body["orders"][0]["items"][0]["name"] == "Water Jug (S)"


def test_checkout_totals_come_from_our_prices_not_the_request(two_shop_cart, mug, bowl):
    response = two_shop_cart.post(
        CHECKOUT,
        {
            "total": "0.01",
            "subtotal": "0.01",
            "discount": "69.99",
            "orders": [{"total": "0.01"}],
            "items": [{"variant": mug.pk, "quantity": 1, "unit_price": "0.01"}],
            "status": "paid",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("70.00", "0.00", "70.00")
    assert {order["status"] for order in body["orders"]} == {"pending_payment"}
    assert sorted(OrderItem.objects.values_list("unit_price", flat=True)) == [
        Decimal("10.00"),
        Decimal("20.00"),
    ]


def test_checkout_uses_the_price_at_checkout_time(two_shop_cart, mug, shop):
    Variant.objects.filter(pk=mug.pk).update(price=Decimal("18.50"))

    body = two_shop_cart.post(CHECKOUT, {}).json()

    assert orders_by_shop(body)[shop.pk]["items"][0]["unit_price"] == "18.50"
    assert body["total"] == "67.00"


def test_short_stock_on_several_lines_is_409_listing_each_and_changes_nothing(
    two_shop_cart, customer, mug, bowl, jug
):
    two_shop_cart.post(ITEMS, {"variant": jug.pk, "quantity": 1})
    make_coupon(code="TENOFF", kind="percent", value="10")
    assert two_shop_cart.post("/api/cart/coupon/", {"code": "TENOFF"}).status_code == 200
    stock_set(variant=mug, quantity=1, actor=None)
    stock_set(variant=bowl, quantity=0, actor=None)
    before = snapshot()

    body = assert_problem(two_shop_cart.post(CHECKOUT, {}), 409, "insufficient_stock")

    assert body["errors"] == {
        "items": sorted(
            [
                {"variant": mug.pk, "requested": 2, "available": 1},
                {"variant": bowl.pk, "requested": 3, "available": 0},
            ],
            key=lambda line: line["variant"],
        )
    }
    assert snapshot() == before
    assert stock(mug, bowl, jug) == [1, 0, 3]  # the jug line, which had stock, was not taken
    assert cart_lines(customer) == {mug.pk: 2, bowl.pk: 3, jug.pk: 1}
    assert Cart.objects.get(user=customer).coupon.code == "TENOFF"
    assert ledger_mismatches() == []


def test_a_line_of_a_deleted_product_blocks_checkout(two_shop_cart, customer, bowl):
    Product.objects.filter(pk=bowl.product_id).update(deleted_at=timezone.now())
    before = snapshot()

    body = assert_problem(two_shop_cart.post(CHECKOUT, {}), 409, "insufficient_stock")

    assert body["errors"]["items"] == [{"variant": bowl.pk, "requested": 3, "available": 0}]
    assert snapshot() == before


def test_shipping_address_of_another_user_is_400(two_shop_cart, other_customer):
    foreign = ensure_address(other_customer)
    before = snapshot()

    body = assert_problem(
        two_shop_cart.post(CHECKOUT, {"shipping_address": foreign.pk}), 400, "validation_error"
    )

    assert "shipping_address" in body["errors"]
    assert snapshot() == before


def test_without_any_address_checkout_for_delivery_is_400(client_for, other_customer, mug):
    client = client_for(other_customer)  # no address on file
    client.post(ITEMS, {"variant": mug.pk, "quantity": 1})
    before = snapshot()

    body = assert_problem(
        client.post(CHECKOUT, {"delivery": {"method": "delivery"}}), 400, "validation_error"
    )

    assert "address" in body["errors"]
    assert snapshot() == before


def test_checkout_with_an_inline_address(two_shop_cart, customer):
    address = {
        "recipient": "Amina Alaoui",
        "phone": "+212 600 000 000",
        "line1": "3 Derb Sidi Ahmed",
        "city": "Fes",
        "country": "MA",
        "location": {"lat": 34.0625, "lng": -4.9736},
    }

    response = two_shop_cart.post(CHECKOUT, {"address": address})

    assert response.status_code == 201
    expected = {
        "label": "",
        "recipient": "Amina Alaoui",
        "phone": "+212 600 000 000",
        "line1": "3 Derb Sidi Ahmed",
        "line2": "",
        "city": "Fes",
        "region": "",
        "postal_code": "",
        "country": "MA",
        "location": {"lat": 34.0625, "lng": -4.9736},
    }
    assert response.json()["shipping_address"] == expected
    for order in response.json()["orders"]:
        assert order["shipping_address"] == expected


def test_an_inline_address_takes_the_address_book_fields_and_a_phone_of_up_to_32():
    given = {"recipient": "X", "line1": "1 St", "city": "Fes", "country": "MA"}

    longest = AddressInputSerializer(data={**given, "phone": "1" * 32})
    too_long = AddressInputSerializer(data={**given, "phone": "1" * 33})

    assert list(AddressInputSerializer().fields) == [*Address.TEXT_FIELDS, "location"]
    assert longest.is_valid(), longest.errors
    assert longest.validated_data == {**given, "phone": "1" * 32}
    assert not too_long.is_valid()
    assert set(too_long.errors) == {"phone"}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            {"address": {"recipient": "X", "city": "Fes", "country": "MA"}}, id="no-line1"
        ),
        pytest.param(
            {"address": {"recipient": "X", "line1": "1 St", "city": "Fes", "country": "MAR"}},
            id="bad-country",
        ),
        pytest.param(
            {
                "address": {
                    "recipient": "X",
                    "line1": "1",
                    "city": "F",
                    "country": "MA",
                    "location": {"lat": 91, "lng": 0},
                }
            },
            id="bad-location",
        ),
        pytest.param({"shipping_address": 1, "address": {"recipient": "X"}}, id="both"),
        pytest.param({"shipping_address": "home"}, id="address-not-an-id"),
        pytest.param({"shipping_address": 99999999}, id="unknown-address"),
    ],
)
def test_bad_addresses_are_400_and_change_nothing(two_shop_cart, payload):
    before = snapshot()

    assert_problem(two_shop_cart.post(CHECKOUT, payload), 400, "validation_error")

    assert snapshot() == before


def test_checkout_with_a_delivery_window(two_shop_cart):
    start, end = future(24), future(26)

    response = two_shop_cart.post(
        CHECKOUT,
        {
            "delivery": {
                "method": "pickup",
                "window_start": start,
                "window_end": end,
                "notes": "Ring",
            }
        },
    )

    assert response.status_code == 201
    for order in response.json()["orders"]:
        delivery = order["delivery"]
        assert delivery["method"] == "pickup"
        assert parse_datetime(delivery["window_start"]) == parse_datetime(start)
        assert parse_datetime(delivery["window_end"]) == parse_datetime(end)
        assert (delivery["notes"], delivery["status"]) == ("Ring", "scheduled")


@pytest.mark.parametrize(
    "delivery",
    [
        pytest.param({"window_start": 26, "window_end": 24}, id="ends-before-it-starts"),
        pytest.param({"window_start": 24, "window_end": 24}, id="empty-window"),
        pytest.param({"window_start": -2, "window_end": 2}, id="starts-in-the-past"),
        pytest.param({"method": "teleport"}, id="unknown-method"),
        pytest.param({"window_start": "tomorrow"}, id="not-a-date"),
        pytest.param({"notes": "x" * 501}, id="notes-too-long"),
    ],
)
def test_bad_delivery_is_400_and_changes_nothing(two_shop_cart, delivery):
    now = timezone.now()
    payload = {
        key: (now + timedelta(hours=value)).isoformat()
        if key.startswith("window") and isinstance(value, int)
        else value
        for key, value in delivery.items()
    }
    before = snapshot()

    body = assert_problem(
        two_shop_cart.post(CHECKOUT, {"delivery": payload}), 400, "validation_error"
    )

    assert "delivery" in body["errors"]
    assert snapshot() == before


def test_empty_cart_checkout_is_400(buyer, customer):
    before = snapshot()

    body = assert_problem(buyer.post(CHECKOUT, {}), 400, "validation_error")

    assert "cart" in body["errors"]
    assert snapshot() == before
    assert Checkout.objects.count() == 0


def test_checkout_needs_credentials(api_client):
    assert_problem(api_client.post(CHECKOUT, {}), 401, "not_authenticated")


# --- Coupons at checkout ------------------------------------------------------------------------


def test_platform_coupon_is_split_across_the_shops_to_the_cent(
    two_shop_cart, customer, shop, other_shop
):
    coupon = make_coupon(code="TENFIX", kind="fixed", value="10.00")

    response = two_shop_cart.post(CHECKOUT, {"coupon": "tenfix"})

    assert response.status_code == 201
    body = response.json()
    assert (body["subtotal"], body["discount"], body["total"]) == ("70.00", "10.00", "60.00")
    orders = orders_by_shop(body)
    # 10.00 split 40:30 is 5.714.. and 4.285..; the cent left over goes to the larger remainder.
    assert (orders[shop.pk]["discount"], orders[shop.pk]["total"]) == ("5.71", "34.29")
    assert (orders[other_shop.pk]["discount"], orders[other_shop.pk]["total"]) == ("4.29", "25.71")
    for order in body["orders"]:
        assert_order_sums(order)
        assert order["coupon"] == "TENFIX"
    coupon.refresh_from_db()
    assert coupon.uses == 1
    redemption = CouponRedemption.objects.get()
    assert (redemption.user_id, redemption.checkout_id, redemption.amount) == (
        customer.pk,
        body["id"],
        Decimal("10.00"),
    )


def test_percent_platform_coupon_from_the_cart_is_used_and_dropped(
    two_shop_cart, customer, shop, other_shop
):
    make_coupon(code="TENOFF", kind="percent", value="10")
    two_shop_cart.post("/api/cart/coupon/", {"code": "TENOFF"})

    body = two_shop_cart.post(CHECKOUT, {}).json()

    orders = orders_by_shop(body)
    assert (body["discount"], body["total"]) == ("7.00", "63.00")
    assert (orders[shop.pk]["discount"], orders[other_shop.pk]["discount"]) == ("4.00", "3.00")
    assert Cart.objects.get(user=customer).coupon_id is None


def test_shop_coupon_applies_only_to_its_shops_order(two_shop_cart, shop, other_shop):
    make_coupon(code="MUGS25", kind="percent", value="25", shop=shop)

    body = two_shop_cart.post(CHECKOUT, {"coupon": "MUGS25"}).json()

    orders = orders_by_shop(body)
    assert (orders[shop.pk]["discount"], orders[shop.pk]["total"]) == ("10.00", "30.00")
    assert orders[shop.pk]["coupon"] == "MUGS25"
    assert (orders[other_shop.pk]["discount"], orders[other_shop.pk]["total"]) == ("0.00", "30.00")
    assert orders[other_shop.pk]["coupon"] is None
    assert (body["discount"], body["total"]) == ("10.00", "60.00")


def test_shop_coupon_min_subtotal_counts_only_its_shops_lines(two_shop_cart, shop):
    make_coupon(code="MUGS50", kind="fixed", value="5", shop=shop, min_subtotal=Decimal("50"))
    before = snapshot()

    body = assert_problem(
        two_shop_cart.post(CHECKOUT, {"coupon": "MUGS50"}), 400, "validation_error"
    )

    assert "coupon" in body["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"max_uses": 1, "uses": 1}, id="used-up"),
        pytest.param({"ends_at": -1}, id="expired"),
        pytest.param({"deleted_at": 0}, id="deleted"),
        pytest.param(None, id="unknown"),
    ],
)
def test_unusable_coupon_at_checkout_is_400_and_changes_nothing(two_shop_cart, extra):
    if extra is not None:
        values = {
            key: timezone.now() + timedelta(days=value) if key.endswith("_at") else value
            for key, value in extra.items()
        }
        make_coupon(code="NOPE", **values)
    before = snapshot()

    body = assert_problem(two_shop_cart.post(CHECKOUT, {"coupon": "NOPE"}), 400, "validation_error")

    assert "coupon" in body["errors"]
    assert snapshot() == before


def test_coupon_per_customer_limit(two_shop_cart, buyer, mug):
    make_coupon(code="ONCE", kind="fixed", value="1.00", max_uses_per_customer=1)
    assert two_shop_cart.post(CHECKOUT, {"coupon": "ONCE"}).status_code == 201
    buyer.post(ITEMS, {"variant": mug.pk, "quantity": 1})
    before = snapshot()

    assert_problem(buyer.post(CHECKOUT, {"coupon": "ONCE"}), 400, "validation_error")

    assert snapshot() == before


# --- Direct orders ------------------------------------------------------------------------------


def test_direct_order(buyer, customer, shop, product, mug, jug):
    buyer.post(ITEMS, {"variant": jug.pk, "quantity": 1})  # the cart is not touched

    response = buyer.post(
        ORDERS,
        {
            "shop": shop.pk,
            "items": [{"product": product.pk, "quantity": 2}, {"variant": jug.pk, "quantity": 3}],
        },
    )

    assert response.status_code == 201
    order = response.json()
    assert order["shop"] == {"id": shop.pk, "name": shop.name}
    assert order["checkout"] is None
    assert [(i["variant"], i["quantity"], i["line_total"]) for i in order["items"]] == sorted(
        [(mug.pk, 2, "40.00"), (jug.pk, 3, "45.00")]
    )
    assert (order["subtotal"], order["discount"], order["total"]) == ("85.00", "0.00", "85.00")
    assert order["status"] == "pending_payment"
    assert order["shipping_address"]["line1"] == ensure_address(customer).line1
    assert_order_sums(order)
    assert stock(mug, jug) == [3, 0]
    assert ledger_mismatches() == []
    assert cart_lines(customer) == {jug.pk: 1}
    assert Order.objects.get().customer == customer


def test_direct_order_adds_up_repeated_lines(buyer, shop, mug):
    response = buyer.post(
        ORDERS,
        {
            "shop": shop.pk,
            "items": [{"variant": mug.pk, "quantity": 2}, {"variant": mug.pk, "quantity": 2}],
        },
    )

    assert response.status_code == 201
    assert [(i["variant"], i["quantity"]) for i in response.json()["items"]] == [(mug.pk, 4)]
    assert stock(mug) == [1]


def test_direct_order_ignores_prices_and_status_in_the_request(buyer, shop, mug):
    response = buyer.post(
        ORDERS,
        {
            "shop": shop.pk,
            "items": [
                {"variant": mug.pk, "quantity": 2, "unit_price": "0.01", "line_total": "0.02"}
            ],
            "total": "0.02",
            "subtotal": "0.02",
            "status": "paid",
            "payment_status": "paid",
        },
    )

    assert response.status_code == 201
    order = response.json()
    assert (order["items"][0]["unit_price"], order["total"]) == ("20.00", "40.00")
    assert (order["status"], order["payment_status"]) == ("pending_payment", "unpaid")


def test_direct_order_with_a_shop_coupon(buyer, shop, mug):
    make_coupon(code="MUGS25", kind="percent", value="25", shop=shop)

    order = buyer.post(
        ORDERS, {"shop": shop.pk, "items": [{"variant": mug.pk, "quantity": 2}], "coupon": "MUGS25"}
    ).json()

    assert (order["subtotal"], order["discount"], order["total"]) == ("40.00", "10.00", "30.00")
    assert order["coupon"] == "MUGS25"
    redemption = CouponRedemption.objects.get()
    assert (redemption.order_id, redemption.checkout_id) == (order["id"], None)


def test_direct_order_with_items_of_another_shop_is_400(buyer, shop, mug, bowl):
    before = snapshot()

    body = assert_problem(
        buyer.post(
            ORDERS,
            {
                "shop": shop.pk,
                "items": [{"variant": mug.pk, "quantity": 1}, {"variant": bowl.pk, "quantity": 1}],
            },
        ),
        400,
        "validation_error",
    )

    assert "items" in body["errors"]
    assert snapshot() == before


def test_direct_order_short_of_stock_is_409_listing_every_line(buyer, shop, mug, jug):
    before = snapshot()

    body = assert_problem(
        buyer.post(
            ORDERS,
            {
                "shop": shop.pk,
                "items": [{"variant": mug.pk, "quantity": 6}, {"variant": jug.pk, "quantity": 4}],
            },
        ),
        409,
        "insufficient_stock",
    )

    assert body["errors"]["items"] == sorted(
        [
            {"variant": mug.pk, "requested": 6, "available": 5},
            {"variant": jug.pk, "requested": 4, "available": 3},
        ],
        key=lambda line: line["variant"],
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    "items",
    [
        pytest.param([], id="no-items"),
        pytest.param([{"variant": "abc", "quantity": 1}], id="variant-not-an-id"),
        pytest.param([{"variant": 99999999, "quantity": 1}], id="unknown-variant"),
        pytest.param([{"product": "JUG", "quantity": 1}], id="multi-variant-product"),
        pytest.param([{"variant": "MUG", "quantity": 0}], id="zero"),
        pytest.param([{"variant": "MUG", "quantity": -1}], id="negative"),
        pytest.param([{"variant": "MUG", "quantity": "1x"}], id="not-a-number"),
        pytest.param([{"variant": "MUG", "quantity": 10**9}], id="huge"),
        pytest.param([{"variant": "MUG"}], id="missing-quantity"),
        pytest.param([{"quantity": 1}], id="missing-variant"),
        pytest.param("MUG", id="not-a-list"),
    ],
)
def test_bad_direct_order_items_are_400_and_change_nothing(buyer, shop, mug, jug, items):
    def resolve(value):
        return {"MUG": mug.pk, "JUG": jug.product_id}.get(value, value)

    if isinstance(items, list):
        payload_items = [{key: resolve(value) for key, value in line.items()} for line in items]
    else:
        payload_items = items
    before = snapshot()

    body = assert_problem(
        buyer.post(ORDERS, {"shop": shop.pk, "items": payload_items}), 400, "validation_error"
    )

    assert "items" in body["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "shop_value", [None, 99999999, "deleted"], ids=["missing", "unknown", "deleted"]
)
def test_direct_order_needs_a_live_shop(buyer, shop, mug, shop_value):
    payload = {"items": [{"variant": mug.pk, "quantity": 1}]}
    if shop_value == "deleted":
        Shop.objects.filter(pk=shop.pk).update(deleted_at=timezone.now())
        payload["shop"] = shop.pk
    elif shop_value is not None:
        payload["shop"] = shop_value
    before = snapshot()

    body = assert_problem(buyer.post(ORDERS, payload), 400, "validation_error")

    assert "shop" in body["errors"]
    assert snapshot() == before


def test_direct_order_with_another_users_address_is_400(buyer, shop, mug, other_customer):
    foreign = ensure_address(other_customer)
    before = snapshot()

    body = assert_problem(
        buyer.post(
            ORDERS,
            {
                "shop": shop.pk,
                "items": [{"variant": mug.pk, "quantity": 1}],
                "shipping_address": foreign.pk,
            },
        ),
        400,
        "validation_error",
    )

    assert "shipping_address" in body["errors"]
    assert snapshot() == before


# --- Idempotency-Key ----------------------------------------------------------------------------


def order_body(shop, variant, quantity=2):
    return {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": quantity}]}


def test_replayed_order_returns_the_first_response_and_creates_nothing(buyer, shop, mug):
    first = buyer.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == 201
    after_first = snapshot()

    again = buyer.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY="order-1")

    assert again.status_code == 201
    assert again.content == first.content  # byte for byte, keys in the same order
    assert again["Idempotent-Replayed"] == "true"
    assert snapshot() == after_first
    assert Order.objects.count() == 1
    assert stock(mug) == [3]


def test_replayed_checkout_returns_the_first_response_after_the_cart_was_emptied(
    two_shop_cart, mug, bowl
):
    first = two_shop_cart.post(CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="co-1")
    assert first.status_code == 201
    after_first = snapshot()

    again = two_shop_cart.post(CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="co-1")

    assert again.status_code == 201
    assert again.content == first.content
    assert snapshot() == after_first
    assert (Checkout.objects.count(), Order.objects.count()) == (1, 2)
    assert stock(mug, bowl) == [3, 1]


def test_same_key_with_another_body_is_422(buyer, shop, mug):
    buyer.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY="order-1")
    before = snapshot()

    assert_problem(
        buyer.post(ORDERS, order_body(shop, mug, quantity=1), HTTP_IDEMPOTENCY_KEY="order-1"),
        422,
        "idempotency_conflict",
    )
    assert snapshot() == before


def test_same_key_on_checkout_with_another_body_is_422(two_shop_cart):
    two_shop_cart.post(CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="co-1")
    before = snapshot()

    assert_problem(
        two_shop_cart.post(
            CHECKOUT, {"delivery": {"method": "pickup"}}, HTTP_IDEMPOTENCY_KEY="co-1"
        ),
        422,
        "idempotency_conflict",
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "bad\x01key", "tab\tkey", "del\x7f", "clé"],
    ids=["empty", "too-long", "control", "tab", "delete", "non-ascii"],
)
def test_bad_keys_are_400_and_create_nothing(buyer, shop, mug, key):
    before = snapshot()

    body = assert_problem(
        buyer.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY=key), 400, "validation_error"
    )

    assert "Idempotency-Key" in body["errors"]
    assert snapshot() == before
    assert IdempotencyRecord.objects.count() == 0


def test_keys_of_255_printable_characters_are_accepted(buyer, shop, mug):
    key = ("~ Az09!" * 40)[:255]

    assert buyer.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    assert buyer.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    assert Order.objects.count() == 1


def test_keys_are_scoped_to_the_caller(buyer, client_for, customer, other_customer, shop, mug):
    ensure_address(other_customer)
    other = client_for(other_customer)

    mine = buyer.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY="shared")
    theirs = other.post(ORDERS, order_body(shop, mug), HTTP_IDEMPOTENCY_KEY="shared")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["customer"]["id"] == other_customer.pk
    assert "Idempotent-Replayed" not in theirs
    assert sorted(Order.objects.values_list("customer_id", flat=True)) == sorted(
        [customer.pk, other_customer.pk]
    )
    assert stock(mug) == [1]


def test_keys_are_scoped_to_the_endpoint(two_shop_cart, shop, jug):
    order = two_shop_cart.post(ORDERS, order_body(shop, jug, 1), HTTP_IDEMPOTENCY_KEY="k")
    checkout = two_shop_cart.post(CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="k")

    assert (order.status_code, checkout.status_code) == (201, 201)
    assert Checkout.objects.count() == 1


def test_a_failed_first_response_is_replayed_too(buyer, shop, mug):
    """souk.core.idempotency stores every response below 500 (API.md: the first response is
    replayed), so a 409 stays the answer for that key even after a restock; a new key is a new
    attempt."""
    first = buyer.post(ORDERS, order_body(shop, mug, 6), HTTP_IDEMPOTENCY_KEY="short")
    assert_problem(first, 409, "insufficient_stock")
    stock_set(variant=mug, quantity=10, actor=None)
    before = snapshot()

    again = buyer.post(ORDERS, order_body(shop, mug, 6), HTTP_IDEMPOTENCY_KEY="short")

    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert snapshot() == before
    fresh = buyer.post(ORDERS, order_body(shop, mug, 6), HTTP_IDEMPOTENCY_KEY="short-2")
    assert fresh.status_code == 201
    assert stock(mug) == [4]


def test_a_failed_checkout_keeps_the_cart_and_its_key_replays_the_409(
    two_shop_cart, customer, mug, bowl
):
    stock_set(variant=bowl, quantity=1, actor=None)
    first = two_shop_cart.post(CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="co")
    assert_problem(first, 409, "insufficient_stock")
    assert cart_lines(customer) == {mug.pk: 2, bowl.pk: 3}

    again = two_shop_cart.post(CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="co")

    assert (again.status_code, again.json()) == (409, first.json())
    assert Order.objects.count() == 0
    assert cart_lines(customer) == {mug.pk: 2, bowl.pk: 3}


def test_without_a_key_every_post_is_a_new_order(buyer, shop, mug):
    assert buyer.post(ORDERS, order_body(shop, mug)).status_code == 201
    assert buyer.post(ORDERS, order_body(shop, mug)).status_code == 201

    assert Order.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


def _in_progress_copy(record, user, **extra):
    """`record`'s request, claimed by `user` and still running."""
    return IdempotencyRecord.objects.create(
        user=user,
        key=record.key,
        scope=record.scope,
        request_hash=record.request_hash,
        state=IdempotencyRecord.State.IN_PROGRESS,
        **extra,
    )


def test_a_duplicate_while_the_first_runs_is_409_and_a_stale_claim_is_taken_over(
    buyer, client_for, customer, other_customer, shop, mug, settings
):
    ensure_address(other_customer)
    client_for(other_customer).post(ORDERS, order_body(shop, mug, 1), HTTP_IDEMPOTENCY_KEY="k")
    running = _in_progress_copy(IdempotencyRecord.objects.get(), customer)
    before = snapshot()

    assert_problem(
        buyer.post(ORDERS, order_body(shop, mug, 1), HTTP_IDEMPOTENCY_KEY="k"),
        409,
        "idempotency_in_progress",
    )
    assert snapshot() == before

    stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    IdempotencyRecord.objects.filter(pk=running.pk).update(updated_at=stale)
    response = buyer.post(ORDERS, order_body(shop, mug, 1), HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 201
    assert Order.objects.filter(customer=customer).count() == 1


def test_keys_expire_after_24_hours(buyer, client_for, customer, shop, mug):
    first = buyer.post(ORDERS, order_body(shop, mug, 1), HTTP_IDEMPOTENCY_KEY="daily")
    assert first.status_code == 201

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        fresh_token = client_for(customer)  # the first access token has expired by then
        again = fresh_token.post(ORDERS, order_body(shop, mug, 2), HTTP_IDEMPOTENCY_KEY="daily")

    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    assert stock(mug) == [2]
