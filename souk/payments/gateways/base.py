"""What every payment gateway adapter offers, and the HTTP plumbing they share.

An adapter never touches our database rows and is never called inside a transaction that
holds locks: services reserve and commit first, call the gateway, then confirm in a new
transaction. Each call returns (or raises with) an `Exchange`, the redacted record of what
was sent and received, for the payment's transaction log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol

import requests
from django.conf import settings

REDACTED = "[redacted]"
# Keys whose values never reach the log: credentials and card data.
SECRET_KEYS = frozenset(
    {
        "authorization",
        "authorization_code",
        "merchant_id",
        "secret",
        "secret_key",
        "password",
        "card",
        "card_pan",
        "card_hash",
        "pan",
        "cvv",
        "bin",
        "last4",
        "exp_month",
        "exp_year",
        "signature",
        "account_name",
        "customer_code",
    }
)
# Currencies with no minor unit (an amount is a whole number of them).
ZERO_DECIMAL = frozenset({"IRR", "IRT", "JPY", "KRW", "RWF", "UGX", "VND", "XAF", "XOF"})


def redact(value: Any) -> Any:
    """A copy of `value` with every secret or card field replaced."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if str(key).lower() in SECRET_KEYS else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def to_minor(amount: Decimal, currency: str) -> int:
    """The amount in the currency's smallest unit (kobo, cents; rials are already whole)."""
    scale = 1 if currency.upper() in ZERO_DECIMAL else 100
    return int((amount * scale).to_integral_value())


def from_minor(amount: int, currency: str) -> Decimal:
    scale = 1 if currency.upper() in ZERO_DECIMAL else 100
    return (Decimal(amount) / scale).quantize(Decimal("0.01"))


@dataclass
class Exchange:
    """One round trip with a gateway, redacted, ready for the transaction log."""

    request: dict[str, Any] | None = None
    response: Any = None
    http_status: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Charge:
    """What a gateway is asked to collect."""

    reference: str
    amount: Decimal
    currency: str
    email: str
    description: str
    callback_url: str
    authority: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Started:
    redirect_url: str
    authority: str
    exchange: Exchange


@dataclass(frozen=True)
class Verdict:
    """The gateway's word on a charge. `paid` carries the amount and currency it collected;
    `pending` means not finished yet; `failed` means it did not (and will not) happen."""

    state: Literal["paid", "failed", "pending"]
    exchange: Exchange
    amount: Decimal | None = None
    currency: str | None = None
    transaction_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Refunded:
    gateway_reference: str
    exchange: Exchange


class GatewayError(Exception):
    def __init__(self, detail: str, exchange: Exchange) -> None:
        super().__init__(detail)
        self.detail = detail
        self.exchange = exchange


class GatewayUnavailable(GatewayError):
    """Timed out, unreachable, 5xx or unreadable: the outcome is unknown; try again later."""


class GatewayRejected(GatewayError):
    """The gateway answered and said no (bad request, unknown transaction, ...)."""


class PaymentGateway(Protocol):
    name: str
    label: str
    can_refund: bool

    def configured(self) -> bool:
        """Whether the settings hold what this gateway needs to take payments."""
        ...

    def currency_problem(self, amount: Decimal, currency: str) -> str | None:
        """Why this gateway cannot charge `amount` in `currency`, or None."""
        ...

    def start(self, charge: Charge) -> Started: ...

    def verify(self, charge: Charge, params: Mapping[str, str]) -> Verdict: ...

    def refund(self, charge: Charge, amount: Decimal) -> Refunded: ...


def call(
    method: str,
    url: str,
    *,
    json: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    logged_request: dict[str, Any] | None = None,
) -> tuple[int, Any, Exchange]:
    """An HTTP call to a gateway: (status, parsed JSON body, exchange). Timeouts, connection
    errors, 5xx and bodies that are not a JSON object raise `GatewayUnavailable`."""
    exchange = Exchange(request=redact({"method": method, "url": url, **(logged_request or {})}))
    try:
        response = requests.request(
            method, url, json=json, headers=headers, timeout=settings.PAYMENT_HTTP_TIMEOUT
        )
    except requests.Timeout as exc:
        exchange.detail = "timed out"
        raise GatewayUnavailable("The payment gateway timed out.", exchange) from exc
    except requests.RequestException as exc:
        exchange.detail = f"unreachable: {type(exc).__name__}"
        raise GatewayUnavailable("The payment gateway could not be reached.", exchange) from exc
    exchange.http_status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
        exchange.response = {"text": response.text[:500]}
    else:
        exchange.response = redact(body)
    if response.status_code >= 500 or not isinstance(body, dict):
        exchange.detail = f"HTTP {response.status_code}"
        raise GatewayUnavailable(
            f"The payment gateway answered HTTP {response.status_code}.", exchange
        )
    return response.status_code, body, exchange
