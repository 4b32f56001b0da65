"""A placed order and checkout are answered from what was written, without reading them back:
the bodies are exactly what OrderSerializer and CheckoutSerializer give for the same rows read
from the database, for every shape of order."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from souk.core.renderers import dumps
from souk.orders.api.payloads import checkout_payload, order_payload
from souk.orders.api.serializers import CheckoutSerializer, OrderSerializer
from souk.orders.models import Order
from souk.orders.selectors import checkout_get, order_get
from souk.orders.services.cart import cart_item_add
from souk.orders.services.placement import DeliveryRequest, checkout_place, order_place
from souk.orders.tests.factories import ensure_address, make_coupon

pytestmark = pytest.mark.django_db


def as_json(data: Any) -> Any:
    return json.loads(dumps(data))


def read_back(order: Order) -> dict[str, Any]:
    """The order as `GET /api/orders/{id}/` reads and renders it."""
    return as_json(OrderSerializer(order_get(user=order.customer, order_id=order.pk)).data)


@pytest.mark.parametrize(
    ("shape", "extra"),
    [
        ("default-address", {}),
        ("inline-address", {"address": {"recipient": "Ama", "line1": "2 Rue", "city": "Fes",
                                         "country": "MA", "location": None}}),
        ("pickup", {"delivery": DeliveryRequest(method="pickup", notes="after 5")}),
        ("window", {"delivery": DeliveryRequest(notes="ring twice")}),
        ("coupon", {"coupon_code": "SAVE10"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)  # fmt: skip
def test_a_placed_order_renders_as_the_serializer_renders_it_read_back(
    customer, shop, category, product_factory, shape, extra
):
    ensure_address(customer)
    customer.first_name, customer.last_name = "Ama", "Mensah"
    customer.save(update_fields=["first_name", "last_name"])
    make_coupon(code="SAVE10", kind="percent", value="10")
    mug = product_factory(
        shop=shop, category=category, name="Mug", price="12.35", quantity=9
    ).variants.get()
    jug = product_factory(
        shop=shop, category=category, name="Jug", price="7.25", quantity=9
    ).variants.get()
    if shape == "window":
        start = timezone.now() + timedelta(days=2)
        extra = {
            "delivery": DeliveryRequest(window_start=start, window_end=start + timedelta(hours=2))
        }

    order = order_place(user=customer, shop=shop, items=[(mug.pk, 2), (jug.pk, 1)], **extra)

    assert as_json(order_payload(order)) == read_back(order)


def test_a_placed_checkout_renders_as_the_serializer_renders_it_read_back(
    customer, shop, category, shop_factory, user_factory, product_factory
):
    ensure_address(customer)
    other = shop_factory(owner=user_factory(role="artisan"))
    make_coupon(code="SAVE10", kind="percent", value="10")
    mug = product_factory(
        shop=shop, category=category, name="Mug", price="12.35", quantity=9
    ).variants.get()
    rug = product_factory(
        shop=other, category=category, name="Rug", price="99.99", quantity=9
    ).variants.get()
    cart_item_add(user=customer, variant=mug, quantity=2)
    cart_item_add(user=customer, variant=rug, quantity=1)

    checkout = checkout_place(user=customer, coupon_code="SAVE10")

    fresh = checkout_get(user=customer, checkout_id=checkout.pk)
    expected = as_json(CheckoutSerializer(fresh).data)
    assert len(expected["orders"]) == 2
    assert expected["discount"] != "0.00"
    assert as_json(checkout_payload(checkout)) == expected


def test_the_cart_renders_as_the_serializer_renders_it(customer, shop, category, product_factory):
    from souk.orders.api.payloads import cart_payload
    from souk.orders.api.serializers import CartSerializer
    from souk.orders.services.cart import cart_coupon_apply, cart_view

    make_coupon(code="SAVE10", kind="percent", value="10")
    mug = product_factory(shop=shop, category=category, name="Mug", price="12.35", quantity=9)
    jug = product_factory(shop=shop, category=category, name="Jug", price="7.25", quantity=1)
    cart_item_add(user=customer, variant=mug.variants.get(), quantity=2)
    cart_item_add(user=customer, variant=jug.variants.get(), quantity=1)
    jug.variants.update(quantity=0)  # a line now short of stock
    cart_coupon_apply(user=customer, code="SAVE10")
    view = cart_view(user=customer)
    fields = ("items", "subtotal", "discount", "total", "currency", "coupon")

    expected = as_json(CartSerializer({key: getattr(view, key) for key in fields}).data)

    assert [row["available"] for row in expected["items"]] == [True, False]
    assert expected["coupon"]["valid"] is True
    assert as_json(cart_payload(view)) == expected
