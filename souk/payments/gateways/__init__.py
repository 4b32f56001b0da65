"""Payment gateway adapters behind one interface (see `base.PaymentGateway`)."""

from __future__ import annotations

from django.conf import settings

from souk.payments.gateways.base import PaymentGateway
from souk.payments.gateways.paystack import PaystackGateway
from souk.payments.gateways.sandbox import SandboxGateway
from souk.payments.gateways.zarinpal import ZarinpalGateway

GATEWAYS: dict[str, PaymentGateway] = {
    "sandbox": SandboxGateway(),
    "paystack": PaystackGateway(),
    "zarinpal": ZarinpalGateway(),
}


def gateway_enabled(name: str) -> bool:
    return name in GATEWAYS and name in settings.PAYMENT_GATEWAYS


def gateway_for(name: str) -> PaymentGateway:
    """The adapter for `name` (enabled or not: payments already made through a gateway that
    was since switched off are still verified and refunded through it)."""
    return GATEWAYS[name]
