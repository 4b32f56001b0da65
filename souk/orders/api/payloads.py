"""The bodies of a placed order and checkout, built straight from the objects the placement
wrote (which carry their lines, delivery, shop, buyer and coupon), and of the cart, from its
view: the same JSON as `OrderSerializer`, `CheckoutSerializer` and `CartSerializer`, without
building a serializer per request. `souk/orders/tests/test_payloads.py` checks them against
the serializers for every shape. Values are formatted by the serializers' own field
classes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from souk.core.serializers import MoneyField
from souk.orders.models import Checkout, Order
from souk.orders.services.cart import CartView

_money = MoneyField().to_representation
_moment = serializers.DateTimeField().to_representation


def _when(value: Any) -> str | None:
    return _moment(value) if value is not None else None


def order_payload(order: Order) -> dict[str, Any]:
    """`OrderSerializer(order).data`, for an order with its relations loaded."""
    customer = order.customer
    schedule = getattr(order, "delivery", None)
    return {
        "id": order.pk,
        "number": order.number,
        "shop": {"id": order.shop_id, "name": order.shop.name},
        "customer": {
            "id": customer.pk,
            "name": customer.get_full_name() or customer.email,
            "email": customer.email,
        },
        "checkout": order.checkout_id,
        "status": str(order.status),
        "items": [
            {
                "id": item.pk,
                "product": item.product_id,
                "variant": item.variant_id,
                "sku": item.sku,
                "name": item.name,
                "unit_price": _money(item.unit_price),
                "quantity": item.quantity,
                "line_total": _money(item.line_total),
            }
            for item in order.items.all()
        ],
        "subtotal": _money(order.subtotal),
        "discount": _money(order.discount),
        "total": _money(order.total),
        "currency": order.currency,
        "coupon": order.coupon.code if order.coupon_id and order.coupon else None,
        "shipping_address": order.shipping_address,
        "delivery": (
            {
                "method": str(schedule.method),
                "window_start": _when(schedule.window_start),
                "window_end": _when(schedule.window_end),
                "carrier": schedule.carrier,
                "tracking_number": schedule.tracking_number,
                "status": str(schedule.status),
                "notes": schedule.notes,
                "updated_at": _when(schedule.updated_at),
            }
            if schedule is not None
            else None
        ),
        "payment_status": str(order.payment_status),
        "created_at": _when(order.created_at),
        "paid_at": _when(order.paid_at),
        "expires_at": _when(order.expires_at),
        "cancelled_at": _when(order.cancelled_at),
    }


def checkout_payload(checkout: Checkout) -> dict[str, Any]:
    """`CheckoutSerializer(checkout).data`, for a checkout with its orders loaded."""
    return {
        "id": checkout.pk,
        "orders": [order_payload(order) for order in checkout.orders.all()],
        "subtotal": _money(checkout.subtotal),
        "discount": _money(checkout.discount),
        "total": _money(checkout.total),
        "currency": checkout.currency,
        "shipping_address": checkout.shipping_address,
        "expires_at": _when(checkout.expires_at),
        "created_at": _when(checkout.created_at),
    }


def cart_payload(view: CartView) -> dict[str, Any]:
    """`CartSerializer` of the cart view."""
    return {
        "items": [
            {
                "id": row["id"],
                "variant": row["variant"],
                "sku": row["sku"],
                "product": {"id": row["product"]["id"], "name": row["product"]["name"]},
                "shop": {"id": row["shop"]["id"], "name": row["shop"]["name"]},
                "quantity": row["quantity"],
                "unit_price": _money(row["unit_price"]),
                "line_total": _money(row["line_total"]),
                "available": row["available"],
                "stock": row["stock"],
            }
            for row in view.items
        ],
        "subtotal": _money(view.subtotal),
        "discount": _money(view.discount),
        "total": _money(view.total),
        "currency": view.currency,
        "coupon": (
            {
                "code": view.coupon["code"],
                "valid": view.coupon["valid"],
                "reason": str(view.coupon["reason"]),
            }
            if view.coupon is not None
            else None
        ),
    }
