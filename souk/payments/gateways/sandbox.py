"""The offline sandbox gateway: a page of our own (`/api/payments/sandbox/{reference}/`) with
pay and fail buttons stands in for a gateway's checkout page, and `SandboxCharge` rows for its
records. For running Souk by hand; no money moves."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from django.urls import reverse

from souk.payments.gateways.base import Charge, Exchange, Refunded, Started, Verdict
from souk.payments.models import SandboxCharge


def sandbox_page_url(reference: str) -> str:
    """The sandbox payment page of a charge, as the customer's browser reaches it."""
    return settings.PUBLIC_URL + reverse("payments:sandbox", args=[reference])


class SandboxGateway:
    name = "sandbox"
    label = "The sandbox"
    can_refund = True

    def configured(self) -> bool:
        return True  # it needs no credentials

    def currency_problem(self, amount: Decimal, currency: str) -> str | None:
        return None

    def start(self, charge: Charge) -> Started:
        SandboxCharge.objects.get_or_create(
            reference=charge.reference,
            defaults={
                "amount": charge.amount,
                "currency": charge.currency,
                "description": charge.description[:255],
                "callback_url": charge.callback_url,
            },
        )
        url = sandbox_page_url(charge.reference)
        exchange = Exchange(
            request={"reference": charge.reference, "amount": str(charge.amount)},
            response={"redirect_url": url},
            http_status=200,
        )
        return Started(redirect_url=url, authority="", exchange=exchange)

    def verify(self, charge: Charge, params: Mapping[str, str]) -> Verdict:
        record = SandboxCharge.objects.filter(reference=charge.reference).first()
        exchange = Exchange(request={"reference": charge.reference}, http_status=200)
        if record is None:
            exchange.response = {"status": "unknown"}
            return Verdict("failed", exchange, reason="The sandbox has no such charge.")
        exchange.response = {
            "status": record.status,
            "amount": str(record.amount),
            "currency": record.currency,
        }
        if record.status == SandboxCharge.Status.PAID:
            return Verdict(
                "paid",
                exchange,
                amount=record.amount,
                currency=record.currency,
                transaction_id=f"sandbox-{record.pk}",
            )
        if record.status == SandboxCharge.Status.FAILED:
            return Verdict("failed", exchange, reason="Declined on the sandbox page.")
        return Verdict("pending", exchange, reason="Not paid yet.")

    def refund(self, charge: Charge, amount: Decimal) -> Refunded:
        SandboxCharge.objects.filter(reference=charge.reference).update(
            refunded=F("refunded") + amount
        )
        exchange = Exchange(
            request={"reference": charge.reference, "amount": str(amount)},
            response={"status": "refunded"},
            http_status=200,
        )
        return Refunded(gateway_reference=f"sandbox-refund-{charge.reference}", exchange=exchange)
