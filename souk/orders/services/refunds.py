"""Refunds of cancelled paid orders: the order shows `refund_pending` until the app that took
the money (souk.payments, through `souk.orders.hooks.paid_order_cancelled`) has sent it back."""

from __future__ import annotations

from souk.orders.hooks import paid_order_cancelled
from souk.orders.models import Order


def refund_requested(*, order: Order) -> None:
    """Called inside the cancelling transaction, under the order's lock; the refund is opened
    in that transaction and sent to the gateway after it commits."""
    paid_order_cancelled.handler(order=order)
