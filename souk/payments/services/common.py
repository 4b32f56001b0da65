"""What the payment services share: the orders a payment pays, and the charge a gateway sees."""

from __future__ import annotations

from django.conf import settings

from souk.orders.models import Order
from souk.payments.gateways.base import Charge
from souk.payments.models import Payment


def payment_order_ids(payment: Payment) -> list[int]:
    if payment.checkout_id is not None:
        return sorted(
            Order.all_objects.filter(checkout_id=payment.checkout_id).values_list("pk", flat=True)
        )
    return [payment.order_id] if payment.order_id is not None else []


def callback_url(gateway: str, base: str | None = None) -> str:
    """Where the gateway sends the customer back: `base` (a page's own return address) or the
    API's verify endpoint (PAYMENT_CALLBACK_URL), naming the gateway."""
    base = base or settings.PAYMENT_CALLBACK_URL
    return f"{base}{'&' if '?' in base else '?'}gateway={gateway}"


def charge_of(
    payment: Payment, *, numbers: list[str] | None = None, return_url: str | None = None
) -> Charge:
    what = ", ".join(numbers) if numbers else payment.reference
    return Charge(
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        email=payment.user.email,
        description=f"Souk order {what}",
        callback_url=callback_url(payment.gateway, return_url),
        authority=payment.authority,
        metadata={"payment_id": payment.pk, "orders": numbers or []},
    )
