"""Refunds of cancelled paid orders: the order shows `refund_pending` until the payments app
(souk.payments) has the money sent back through the gateway that took it."""

from __future__ import annotations

from souk.orders.models import Order


def refund_requested(*, order: Order) -> None:
    """Called inside the cancelling transaction, under the order's lock; the refund is opened
    in that transaction and sent to the gateway after it commits."""
    from souk.payments.services.refunds import refund_for_cancelled

    refund_for_cancelled(order=order)
