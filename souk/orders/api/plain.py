"""Plain checks of the commonest bodies of the purchase routes, so that they skip building a
serializer. Each function accepts only a body that its serializer surely accepts, and returns
what that serializer's `validated_data` would hold; anything else (an inline address, a
delivery request, a value of an unusual type, an unknown key, any mistake) returns None and
goes through the serializer, which owns every rule and every error message.
`souk/orders/tests/test_plain_bodies.py` checks that for any body these functions accept, the
serializer accepts it too and validates it to the same data."""

from __future__ import annotations

from typing import Any

from souk.core.parsers import unstorable_text_message
from souk.core.serializers import BIGINT_MAX
from souk.orders.api.serializers import MAX_ORDER_LINES
from souk.orders.services.cart import MAX_LINE_QUANTITY

COUPON_MAX = 40


def _id(value: Any) -> bool:
    return type(value) is int and 0 < value <= BIGINT_MAX


def _quantity(value: Any) -> bool:
    return type(value) is int and 0 < value <= MAX_LINE_QUANTITY


def _coupon(value: Any) -> bool:
    return (
        type(value) is str
        and len(value) <= COUPON_MAX
        and value == value.strip()
        and unstorable_text_message(value) is None
    )


def _line(value: Any) -> dict[str, int] | None:
    if type(value) is not dict or len(value) != 2 or not _quantity(value.get("quantity")):
        return None
    for key in ("variant", "product"):
        if key in value and _id(value[key]):
            return {key: value[key], "quantity": value["quantity"]}
    return None


def order_body(data: Any) -> dict[str, Any] | None:
    """A direct order's `shop`, `items` and, if given, `shipping_address` and `coupon`."""
    if type(data) is not dict or not set(data) <= {"shop", "items", *_PLACEMENT}:
        return None
    items = data.get("items")
    if not _id(data.get("shop")) or type(items) is not list:
        return None
    if not 0 < len(items) <= MAX_ORDER_LINES:
        return None
    lines = [_line(item) for item in items]
    if any(line is None for line in lines):
        return None
    return _placement(data, {"shop": data["shop"], "items": lines})


def checkout_body(data: Any) -> dict[str, Any] | None:
    """A checkout's `shipping_address` and `coupon`, each if given."""
    if type(data) is not dict or not set(data) <= set(_PLACEMENT):
        return None
    return _placement(data, {})


# What a direct order and a checkout may both name, and how each is checked.
_PLACEMENT: dict[str, Any] = {"shipping_address": _id, "coupon": _coupon}


def _placement(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any] | None:
    """`values` with the body's `shipping_address` and `coupon` added, or None if either is not
    plainly valid."""
    for key, valid in _PLACEMENT.items():
        if key in data:
            if not valid(data[key]):
                return None
            values[key] = data[key]
    return values


def cart_line_body(data: Any) -> dict[str, int] | None:
    """A cart line's `variant` or `product` and `quantity` (1 when not given)."""
    if type(data) is not dict:
        return None
    line = _line({"quantity": 1, **data})
    return line if line is not None and len(data) <= 2 else None
