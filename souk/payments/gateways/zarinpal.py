"""Zarinpal, REST API v4 (https://www.zarinpal.com/docs/paymentGateway/): a payment request
returns an `authority`; the customer pays at StartPay/{authority} and comes back with
`Authority` and `Status`; on `Status=OK` the payment is verified with the amount from our
database. Codes 100 (verified) and 101 (already verified) both mean paid; anything else
(-50 amount differs, -51 not paid, -54 invalid authority, ...) leaves it unpaid, with the
code and message logged.

Zarinpal charges rials (IRR) or tomans (IRT), whole amounts only. Its v4 REST API has no
refund call, so refunds become records for an administrator to settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings

from souk.payments.gateways.base import (
    Charge,
    Exchange,
    GatewayRejected,
    Refunded,
    Started,
    Verdict,
    call,
)

CURRENCIES = frozenset({"IRR", "IRT"})
PAID_CODES = frozenset({100, 101})


def _url(path: str) -> str:
    return f"{settings.ZARINPAL_BASE_URL.rstrip('/')}{path}"


def _start_pay_url(authority: str) -> str:
    base = settings.ZARINPAL_STARTPAY_URL or _url("/pg/StartPay")
    return f"{base.rstrip('/')}/{authority}"


def _error(body: Any) -> tuple[int | None, str]:
    """(code, message) of a v4 answer's `errors` (or of a `data` without success)."""
    if isinstance(body, dict):
        for part in (body.get("errors"), body.get("data")):
            if isinstance(part, dict) and "code" in part:
                try:
                    code = int(part["code"])
                except (TypeError, ValueError):
                    code = None
                return code, str(part.get("message", ""))[:150]
    return None, "unreadable answer"


class ZarinpalGateway:
    name = "zarinpal"
    label = "Zarinpal"
    can_refund = False

    def configured(self) -> bool:
        return bool(settings.ZARINPAL_MERCHANT_ID)

    def currency_problem(self, amount: Decimal, currency: str) -> str | None:
        if currency.upper() not in CURRENCIES:
            return f"Zarinpal charges IRR or IRT only, not {currency}."
        if amount != amount.to_integral_value() or amount <= 0:
            return "Zarinpal charges whole, positive amounts only."
        return None

    def start(self, charge: Charge) -> Started:
        payload = {
            "merchant_id": settings.ZARINPAL_MERCHANT_ID,
            "amount": int(charge.amount),
            "currency": charge.currency,
            "callback_url": charge.callback_url,
            "description": charge.description[:255],
            "metadata": {"email": charge.email, "order_id": charge.reference},
        }
        _, body, exchange = call(
            "POST",
            _url("/pg/v4/payment/request.json"),
            json=payload,
            headers={"Accept": "application/json"},
            logged_request={"body": payload},
        )
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and data.get("code") == 100 and data.get("authority"):
            authority = str(data["authority"])
            return Started(
                redirect_url=_start_pay_url(authority), authority=authority, exchange=exchange
            )
        code, message = _error(body)
        exchange.detail = f"code {code}: {message}"
        raise GatewayRejected(f"Zarinpal refused the payment (code {code}: {message}).", exchange)

    def verify(self, charge: Charge, params: Mapping[str, str]) -> Verdict:
        if params.get("Status", "OK") != "OK":
            exchange = Exchange(request={"callback": dict(params)}, detail="Status NOK")
            return Verdict(
                "failed", exchange, reason="Zarinpal: the customer cancelled or the bank declined."
            )
        payload = {
            "merchant_id": settings.ZARINPAL_MERCHANT_ID,
            "amount": int(charge.amount),
            "authority": charge.authority,
        }
        _, body, exchange = call(
            "POST",
            _url("/pg/v4/payment/verify.json"),
            json=payload,
            headers={"Accept": "application/json"},
            logged_request={"body": payload},
        )
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and data.get("code") in PAID_CODES:
            # Verified against the amount we sent, in our currency.
            return Verdict(
                "paid",
                exchange,
                amount=charge.amount,
                currency=charge.currency,
                transaction_id=str(data.get("ref_id", "")),
            )
        code, message = _error(body)
        exchange.detail = f"code {code}: {message}"
        return Verdict("failed", exchange, reason=f"Zarinpal code {code}: {message}"[:200])

    def refund(self, charge: Charge, amount: Decimal) -> Refunded:
        raise GatewayRejected(
            "Zarinpal refunds are settled by an administrator.", Exchange(detail="manual")
        )
