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


def gateway_unavailable_reason(name: str) -> str | None:
    """Why customers cannot start a payment with `name` now, or None when they can: it must
    be listed in PAYMENT_GATEWAYS and have its credentials set."""
    adapter = GATEWAYS.get(name)
    if adapter is None:
        return f'"{name}" is not a payment gateway.'
    if not gateway_enabled(name):
        return f"{adapter.label} is not enabled."
    if not adapter.configured():
        return f"{adapter.label} is not configured."
    return None


def gateways_offered() -> list[str]:
    """The gateways customers may start payments with now, in a stable order."""
    return [name for name in GATEWAYS if gateway_unavailable_reason(name) is None]


def gateway_for(name: str) -> PaymentGateway:
    """The adapter for `name` (enabled or not: payments already made through a gateway that
    was since switched off are still verified and refunded through it)."""
    return GATEWAYS[name]
