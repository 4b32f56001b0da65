"""Paystack (https://paystack.com/docs/api/): initialize a transaction and send the customer
to its `authorization_url`; verify by reference; signed webhooks; refunds.

Amounts go in the currency's subunit (kobo, pesewas, cents). Only a verification (or a signed
`charge.success` webhook) saying `status: success` with our amount and currency pays anything.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings

from souk.payments.gateways.base import (
    Charge,
    Exchange,
    GatewayRejected,
    Refunded,
    Started,
    Verdict,
    call,
    from_minor,
    to_minor,
)

CURRENCIES = frozenset({"NGN", "GHS", "ZAR", "KES", "USD", "EGP", "XOF", "RWF"})
NOT_FINISHED = frozenset({"abandoned", "ongoing", "pending", "processing", "queued", "send_otp"})


def _headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {settings.PAYSTACK_SECRET_KEY}",
        "Content-Type": "application/json",
    }


def _url(path: str) -> str:
    return f"{settings.PAYSTACK_BASE_URL.rstrip('/')}{path}"


def signature_valid(body: bytes, signature: str | None) -> bool:
    """`x-paystack-signature` is the hex HMAC-SHA512 of the raw body keyed with the secret
    key; compared in constant time, as bytes (a header may carry any character)."""
    if not signature or not settings.PAYSTACK_SECRET_KEY:
        return False
    expected = hmac.new(settings.PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()
    given = signature.strip().lower().encode("utf-8", errors="replace")
    return hmac.compare_digest(expected.encode(), given)


def verdict_from(data: Mapping[str, Any], exchange: Exchange) -> Verdict:
    """Read a transaction object (from verify, or a `charge.success` webhook)."""
    status = str(data.get("status", ""))
    if status == "success":
        currency = str(data.get("currency", "")).upper()
        try:
            amount = from_minor(int(data["amount"]), currency)
        except (KeyError, TypeError, ValueError):
            return Verdict("failed", exchange, reason="Paystack sent no readable amount.")
        return Verdict(
            "paid",
            exchange,
            amount=amount,
            currency=currency,
            transaction_id=str(data.get("id", "")),
        )
    reason = str(data.get("gateway_response") or status or "unknown status")[:200]
    if status in NOT_FINISHED:
        return Verdict("pending", exchange, reason=f"Paystack: {reason}")
    return Verdict("failed", exchange, reason=f"Paystack: {reason}")


def _data(status: int, body: dict[str, Any], exchange: Exchange) -> dict[str, Any] | None:
    """The `data` object of an answer that says yes; None (its message noted) otherwise."""
    data = body.get("data")
    if status < 400 and body.get("status") and isinstance(data, dict):
        return data
    exchange.detail = str(body.get("message", ""))[:200]
    return None


class PaystackGateway:
    name = "paystack"
    label = "Paystack"
    can_refund = True

    def configured(self) -> bool:
        return bool(settings.PAYSTACK_SECRET_KEY)

    def currency_problem(self, amount: Decimal, currency: str) -> str | None:
        if currency.upper() not in CURRENCIES:
            return f"Paystack does not charge {currency}."
        if amount <= 0:
            return "Paystack cannot charge a zero amount."
        return None

    def start(self, charge: Charge) -> Started:
        payload = {
            "email": charge.email,
            "amount": to_minor(charge.amount, charge.currency),
            "currency": charge.currency,
            "reference": charge.reference,
            "callback_url": charge.callback_url,
            "metadata": charge.metadata,
        }
        status, body, exchange = call(
            "POST",
            _url("/transaction/initialize"),
            json=payload,
            headers=_headers(),
            logged_request={"body": payload},
        )
        data = _data(status, body, exchange)
        if data is None:
            raise GatewayRejected(f"Paystack refused the payment: {exchange.detail}", exchange)
        url = str(data.get("authorization_url", ""))
        if not url.startswith("https://"):
            raise GatewayRejected("Paystack sent no authorization URL.", exchange)
        return Started(
            redirect_url=url, authority=str(data.get("access_code", "")), exchange=exchange
        )

    def verify(self, charge: Charge, params: Mapping[str, str]) -> Verdict:
        status, body, exchange = call(
            "GET",
            _url(f"/transaction/verify/{quote(charge.reference, safe='')}"),
            headers=_headers(),
        )
        data = _data(status, body, exchange)
        if data is None:
            # Unknown to Paystack: the customer never reached its page (yet).
            return Verdict("pending", exchange, reason=f"Paystack: {exchange.detail}"[:200])
        if str(data.get("reference", charge.reference)) != charge.reference:
            return Verdict("failed", exchange, reason="Paystack answered for another reference.")
        return verdict_from(data, exchange)

    def refund(self, charge: Charge, amount: Decimal) -> Refunded:
        payload = {
            "transaction": charge.reference,
            "amount": to_minor(amount, charge.currency),
            "currency": charge.currency,
        }
        status, body, exchange = call(
            "POST",
            _url("/refund"),
            json=payload,
            headers=_headers(),
            logged_request={"body": payload},
        )
        data = _data(status, body, exchange)
        if data is None:
            raise GatewayRejected(f"Paystack refused the refund: {exchange.detail}", exchange)
        reference = str(data.get("id", ""))
        return Refunded(gateway_reference=reference, exchange=exchange)
