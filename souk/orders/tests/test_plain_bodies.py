"""The plain checks of the purchase bodies never accept what their serializer refuses, and
give exactly the serializer's validated data for what they accept."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.orders.api import plain
from souk.orders.api.serializers import (
    CartItemAddSerializer,
    CheckoutCreateSerializer,
    OrderCreateSerializer,
)

pytestmark = pytest.mark.django_db

ids: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-2, max_value=3),
    st.integers(min_value=2**63 - 2, max_value=2**63 + 1),
    st.sampled_from([True, False, 1.0, "1", None, [], {}]),
)
quantities: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=-1, max_value=1002), st.sampled_from([True, "2", 2.0])
)
coupons = st.one_of(
    st.text(max_size=45), st.sampled_from(["SAVE10", " SAVE10", "SAVE10 ", "", "x" * 40, "x" * 41])
)
keys = st.sampled_from(["variant", "product", "quantity", "note"])
lines = st.dictionaries(keys, st.one_of(ids, quantities), max_size=3) | st.fixed_dictionaries(
    {"variant": ids, "quantity": quantities}
)
order_bodies = st.fixed_dictionaries(
    {"shop": ids, "items": st.lists(lines, max_size=4)},
    optional={"shipping_address": ids, "coupon": coupons, "delivery": st.just({}), "x": ids},
)
checkout_bodies = st.fixed_dictionaries(
    {}, optional={"shipping_address": ids, "coupon": coupons, "address": st.just({})}
)
cart_bodies = st.dictionaries(keys, st.one_of(ids, quantities), max_size=3)


def as_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_plain(item) for item in value]
    return value


def check(fast: Any, serializer: Any) -> None:
    if fast is None:
        return
    assert serializer.is_valid(), serializer.errors
    assert fast == as_plain(dict(serializer.validated_data))


@settings(max_examples=400, deadline=None)
@given(body=order_bodies)
def test_an_order_body_accepted_plainly_validates_to_the_same_data(body):
    check(plain.order_body(body), OrderCreateSerializer(data=body))


@settings(max_examples=200, deadline=None)
@given(body=checkout_bodies)
def test_a_checkout_body_accepted_plainly_validates_to_the_same_data(body):
    check(plain.checkout_body(body), CheckoutCreateSerializer(data=body))


@settings(max_examples=300, deadline=None)
@given(body=cart_bodies)
def test_a_cart_line_accepted_plainly_validates_to_the_same_data(body):
    check(plain.cart_line_body(body), CartItemAddSerializer(data=body))


@pytest.mark.parametrize(
    ("check_body", "body"),
    [
        (plain.order_body, {"shop": 1, "items": [{"variant": 2, "quantity": 3}]}),
        (plain.order_body, {"shop": 1, "items": [{"product": 2, "quantity": 1}], "coupon": "A"}),
        (plain.checkout_body, {}),
        (plain.checkout_body, {"shipping_address": 4}),
        (plain.cart_line_body, {"variant": 9}),
        (plain.cart_line_body, {"product": 9, "quantity": 2}),
    ],
    ids=[
        "order",
        "order-product-coupon",
        "checkout-empty",
        "checkout-address",
        "cart-default",
        "cart-product",
    ],  # fmt: skip
)
def test_the_usual_bodies_take_the_plain_path(check_body, body):
    assert check_body(body) is not None
