"""Refunds of cancelled paid orders. Payments (souk.payments) settle them with the gateway;
until then the order shows `refund_pending`."""

from __future__ import annotations

from souk.orders.models import Order


def refund_requested(*, order: Order) -> None:
    """Called inside the cancelling transaction; the refund itself starts after commit."""
    return
