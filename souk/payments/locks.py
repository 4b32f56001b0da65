"""The payment row lock. Across apps it comes last: orders, coupon, variants, then payment."""

from __future__ import annotations

from souk.payments.models import Payment


def payment_lock(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)
