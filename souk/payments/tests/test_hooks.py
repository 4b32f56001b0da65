from __future__ import annotations

from souk.orders.hooks import paid_order_cancelled
from souk.payments.services.refunds import refund_for_cancelled


def test_payments_refunds_a_cancelled_paid_order():
    assert paid_order_cancelled.handler is refund_for_cancelled
