"""Where an order goes: the given or default address, or a pickup for a buyer with no address
at all; and how a pickup order moves (processing -> delivered when collected, never shipped)."""

from __future__ import annotations

import pytest

from souk.catalog.models import Variant
from souk.inventory.models import StockMovement
from souk.orders.models import (
    CartItem,
    Checkout,
    CouponRedemption,
    DeliverySchedule,
    Order,
    OrderEvent,
    OrderItem,
)
from souk.orders.services.lifecycle import order_mark_paid
from souk.orders.services.placement import order_place
from souk.orders.tests.factories import ensure_address

CHECKOUT = "/api/checkout/"
ORDERS = "/api/orders/"
ITEMS = "/api/cart/items/"
PROBLEM = "application/problem+json"
pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "orders": list(
            Order.all_objects.order_by("pk").values_list("pk", "status", "shipping_address")
        ),
        "items": OrderItem.objects.count(),
        "checkouts": Checkout.objects.count(),
        "deliveries": list(
            DeliverySchedule.objects.order_by("pk").values_list("pk", "method", "status")
        ),
        "redemptions": CouponRedemption.objects.count(),
        "movements": StockMovement.objects.count(),
        "stock": sorted(Variant.all_objects.values_list("pk", "quantity")),
        "cart": sorted(CartItem.objects.values_list("cart__user_id", "variant_id", "quantity")),
        "events": OrderEvent.objects.count(),
    }


@pytest.fixture
def mug(product):
    """The `product` fixture's one variant: 20.00, 5 in stock, in `shop`."""
    return product.variants.get()


def direct(shop, mug, **extra):
    return {"shop": shop.pk, "items": [{"variant": mug.pk, "quantity": 1}], **extra}


def test_direct_order_without_an_address_uses_the_default_one(
    client_for, customer, address_factory, shop, mug
):
    default = address_factory(user=customer, is_default=True, line1="1 Default Lane")
    address_factory(user=customer, line1="2 Newer Road")  # newer, not the default

    response = client_for(customer).post(ORDERS, direct(shop, mug), format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert order["shipping_address"]["line1"] == default.line1
    assert order["delivery"]["method"] == "delivery"


def test_direct_order_by_a_buyer_with_no_address_is_a_pickup(client_for, customer, shop, mug):
    response = client_for(customer).post(ORDERS, direct(shop, mug), format="json")

    assert response.status_code == 201, response.content
    order = response.json()
    assert order["shipping_address"] is None
    assert order["delivery"]["method"] == "pickup"
    assert order["total"] == "20.00"
    assert Variant.objects.get(pk=mug.pk).quantity == 4
    stored = Order.objects.get()
    assert (stored.shipping_address, stored.delivery.method) == (None, "pickup")


def test_delivery_details_without_a_method_and_no_address_are_a_pickup(
    client_for, customer, shop, mug
):
    response = client_for(customer).post(
        ORDERS, direct(shop, mug, delivery={"notes": "After five"}), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["delivery"]["method"] == "pickup"
    assert response.json()["delivery"]["notes"] == "After five"


def test_asking_for_delivery_with_no_address_is_400_and_writes_nothing(
    client_for, customer, shop, mug
):
    before = snapshot()

    response = client_for(customer).post(
        ORDERS, direct(shop, mug, delivery={"method": "delivery"}), format="json"
    )

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["address"]
    assert snapshot() == before


def test_a_pickup_asked_for_keeps_the_default_address_on_the_order(client_for, customer, shop, mug):
    address = ensure_address(customer)

    response = client_for(customer).post(
        ORDERS, direct(shop, mug, delivery={"method": "pickup"}), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["delivery"]["method"] == "pickup"
    assert response.json()["shipping_address"]["line1"] == address.line1


def test_checkout_by_a_buyer_with_no_address_is_a_pickup(client_for, customer, mug):
    client = client_for(customer)
    assert client.post(ITEMS, {"variant": mug.pk, "quantity": 2}, format="json").status_code == 201

    response = client.post(CHECKOUT, {}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["shipping_address"] is None
    assert [order["delivery"]["method"] for order in body["orders"]] == ["pickup"]
    assert [order["shipping_address"] for order in body["orders"]] == [None]
    assert CartItem.objects.count() == 0


def test_checkout_asking_for_delivery_with_no_address_is_400_and_changes_nothing(
    client_for, customer, mug
):
    client = client_for(customer)
    client.post(ITEMS, {"variant": mug.pk, "quantity": 2}, format="json")
    before = snapshot()

    response = client.post(CHECKOUT, {"delivery": {"method": "delivery"}}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == ["address"]
    assert snapshot() == before


def test_checkout_without_an_address_uses_the_default_one(client_for, customer, mug):
    address = ensure_address(customer)
    client = client_for(customer)
    client.post(ITEMS, {"variant": mug.pk, "quantity": 1}, format="json")

    response = client.post(CHECKOUT, {}, format="json")

    assert response.status_code == 201, response.content
    order = response.json()["orders"][0]
    assert order["shipping_address"]["line1"] == address.line1
    assert order["delivery"]["method"] == "delivery"


# --- Moving a pickup order ------------------------------------------------------------------


@pytest.fixture
def paid_pickup(customer, shop, mug):
    order = order_place(user=customer, shop=shop, items=[(mug.pk, 1)])  # no address: pickup
    order_mark_paid(order_id=order.pk)
    return order


@pytest.fixture
def paid_delivery(customer, shop, mug):
    ensure_address(customer)
    order = order_place(user=customer, shop=shop, items=[(mug.pk, 1)])
    order_mark_paid(order_id=order.pk)
    return order


def move(client, order, status):
    return client.post(f"{ORDERS}{order.pk}/status/", {"status": status}, format="json")


def test_a_pickup_order_is_delivered_when_collected(client_for, artisan, paid_pickup):
    client = client_for(artisan)

    assert move(client, paid_pickup, "processing").status_code == 200
    response = move(client, paid_pickup, "delivered")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"
    assert response.json()["delivery"]["status"] == "delivered"
    assert list(OrderEvent.objects.filter(order=paid_pickup).values_list("event", flat=True)) == [
        "placed",
        "paid",
        "processing",
        "delivered",
    ]


def test_a_pickup_order_is_never_shipped(client_for, artisan, paid_pickup):
    client = client_for(artisan)
    move(client, paid_pickup, "processing")
    before = snapshot()

    response = move(client, paid_pickup, "shipped")

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_transition"
    assert snapshot() == before


def test_a_pickup_order_is_not_delivered_before_processing(client_for, artisan, paid_pickup):
    before = snapshot()

    response = move(client_for(artisan), paid_pickup, "delivered")

    assert response.status_code == 409, response.content
    assert snapshot() == before


def test_a_delivery_order_is_shipped_before_it_is_delivered(client_for, artisan, paid_delivery):
    client = client_for(artisan)
    move(client, paid_delivery, "processing")
    before = snapshot()

    refused = move(client, paid_delivery, "delivered")

    assert refused.status_code == 409, refused.content
    assert refused.json()["code"] == "invalid_transition"
    assert snapshot() == before
    assert move(client, paid_delivery, "shipped").status_code == 200
    assert move(client, paid_delivery, "delivered").status_code == 200


def test_a_buyer_switching_to_pickup_lets_the_shop_hand_it_over(
    client_for, customer, artisan, paid_delivery
):
    put = client_for(customer).put(
        f"{ORDERS}{paid_delivery.pk}/delivery/", {"method": "pickup"}, format="json"
    )
    assert put.status_code == 200, put.content
    client = client_for(artisan)
    move(client, paid_delivery, "processing")

    response = move(client, paid_delivery, "delivered")

    assert response.status_code == 200, response.content


def test_an_addressless_pickup_cannot_be_switched_to_delivery(client_for, customer, paid_pickup):
    before = snapshot()

    response = client_for(customer).put(
        f"{ORDERS}{paid_pickup.pk}/delivery/", {"method": "delivery"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["errors"]) == ["method"]
    assert snapshot() == before
