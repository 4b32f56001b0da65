"""Fixtures for payments: a buyer with pending orders, ready to pay, and the gateways' HTTP
APIs mocked with `responses` in the shapes their documentation gives.

The helpers below (not fixtures) are imported by the test modules of this package."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from requests import PreparedRequest

from souk.orders.models import Order
from souk.orders.tests.factories import ensure_address, place_order
from souk.payments.models import Payment, PaymentTransaction, Refund

PAYSTACK = "https://paystack.test"
PAYSTACK_SECRET = "sk_test_x"
ZARINPAL = "https://zarinpal.test"
MERCHANT_ID = "1344b5d4-0048-11e8-94db-005056a205be"
CARD_PAN = "502229******5995"
CARD_HASH = "1EBE3EBEBE35C7EC0F8D6EE4F2F859107A87822CA179BC9528767EA7B5489B69"
# Values from a Paystack `authorization` object that must never reach our log.
PAYSTACK_CARD_VALUES = ("AUTH_x", "408408", "4081", "SIG_x")

START = "/api/payments/start/"
VERIFY = "/api/payments/verify/"
WEBHOOK = "/api/payments/webhooks/paystack/"

_authorities = itertools.count(217885159)


@pytest.fixture
def pending_order(customer, product) -> Order:
    """`customer`'s order of 2 units of `product` (20.00 each): total 40.00, awaiting payment."""
    return place_order(user=customer, lines=[(product.variants.get(), 2)])


@pytest.fixture
def checkout_for(client_for) -> Callable[..., dict[str, Any]]:
    """checkout_for(user, [(variant, quantity), ...]) -> the checkout response body."""

    def make(user, lines) -> dict[str, Any]:
        client = client_for(user)
        address = ensure_address(user)
        for variant, quantity in lines:
            added = client.post("/api/cart/items/", {"variant": variant.pk, "quantity": quantity})
            assert added.status_code == 201, added.json()
        response = client.post("/api/checkout/", {"shipping_address": address.pk})
        assert response.status_code == 201, response.json()
        return response.json()

    return make


@pytest.fixture
def gateway_http() -> Iterator[responses.RequestsMock]:
    """Every outgoing HTTP call is answered by this mock (an unmocked URL is an error)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def paystack(settings, gateway_http) -> responses.RequestsMock:
    settings.PAYSTACK_SECRET_KEY = PAYSTACK_SECRET
    settings.PAYSTACK_BASE_URL = PAYSTACK
    return gateway_http


@pytest.fixture
def zarinpal(settings, gateway_http) -> responses.RequestsMock:
    """Zarinpal configured, and the platform currency IRR (before any order is placed)."""
    settings.CURRENCY = "IRR"
    settings.ZARINPAL_MERCHANT_ID = MERCHANT_ID
    settings.ZARINPAL_BASE_URL = ZARINPAL
    return gateway_http


@pytest.fixture
def irr_order(zarinpal, customer, product_factory, shop, category) -> Order:
    """`customer`'s order of 2 units at 125000 IRR: total 250000 IRR, awaiting payment."""
    variant = product_factory(
        shop=shop, category=category, name="Kilim", price="125000.00", quantity=5
    ).variants.get()
    return place_order(user=customer, lines=[(variant, 2)])


# --- Paystack -----------------------------------------------------------------------------------


def paystack_transaction(
    reference: str,
    *,
    amount: int = 4000,
    currency: str = "USD",
    status: str = "success",
    gateway_response: str = "Successful",
) -> dict[str, Any]:
    """A Paystack transaction object, as verify returns it and `charge.success` carries it."""
    return {
        "id": 4099260516,
        "domain": "test",
        "status": status,
        "reference": reference,
        "amount": amount,
        "currency": currency,
        "gateway_response": gateway_response,
        "paid_at": "2024-08-22T09:15:02.000Z",
        "created_at": "2024-08-22T09:14:24.000Z",
        "channel": "card",
        "fees": 10283,
        "authorization": {
            "authorization_code": "AUTH_x",
            "bin": "408408",
            "last4": "4081",
            "exp_month": "12",
            "exp_year": "2030",
            "channel": "card",
            "card_type": "visa ",
            "bank": "TEST BANK",
            "country_code": "NG",
            "brand": "visa",
            "reusable": True,
            "signature": "SIG_x",
            "account_name": None,
        },
        "customer": {"id": 181873746, "email": "buyer@example.com", "customer_code": "CUS_x"},
    }


def paystack_initializes(mock: responses.RequestsMock) -> None:
    """POST /transaction/initialize answers with a checkout page for the reference sent."""

    def answer(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        sent = json.loads(request.body or b"{}")
        data = {
            "authorization_url": "https://checkout.paystack.com/abc",
            "access_code": f"abc{sent['reference']}",
            "reference": sent["reference"],
        }
        body = {"status": True, "message": "Authorization URL created", "data": data}
        return 200, {}, json.dumps(body)

    mock.add_callback(
        responses.POST,
        f"{PAYSTACK}/transaction/initialize",
        callback=answer,
        content_type="application/json",
    )


def paystack_verifies(mock: responses.RequestsMock, reference: str, **transaction: Any) -> None:
    """GET /transaction/verify/{reference} answers with this transaction."""
    mock.add(
        responses.GET,
        f"{PAYSTACK}/transaction/verify/{reference}",
        json={
            "status": True,
            "message": "Verification successful",
            "data": paystack_transaction(reference, **transaction),
        },
    )


def paystack_refunds(mock: responses.RequestsMock, *, amount: int = 4000) -> None:
    mock.add(
        responses.POST,
        f"{PAYSTACK}/refund",
        json={
            "status": True,
            "message": "Refund has been queued for processing",
            "data": {
                "id": 3018284,
                "status": "pending",
                "amount": amount,
                "currency": "USD",
                "transaction": {"id": 4099260516, "reference": "ref"},
                "merchant_note": "Refund for transaction",
            },
        },
    )


def paystack_signature(body: bytes, secret: str = PAYSTACK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def charge_success(reference: str, **transaction: Any) -> bytes:
    """The raw body of a `charge.success` webhook."""
    event = {"event": "charge.success", "data": paystack_transaction(reference, **transaction)}
    return json.dumps(event).encode()


def deliver(client: Any, body: bytes, headers: dict[str, str] | None = None) -> Any:
    """POST a webhook with the raw body, correctly signed unless `headers` say otherwise."""
    if headers is None:
        headers = {"x-paystack-signature": paystack_signature(body)}
    return client.post(WEBHOOK, data=body, content_type="application/json", headers=headers)


def requests_to(mock: responses.RequestsMock, url_part: str) -> list[PreparedRequest]:
    return [call.request for call in mock.calls if url_part in (call.request.url or "")]


# --- Zarinpal -----------------------------------------------------------------------------------


def zarinpal_accepts(mock: responses.RequestsMock) -> None:
    """POST /pg/v4/payment/request.json answers with a new authority each time."""

    def answer(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        authority = f"A{next(_authorities):035d}"
        data = {
            "code": 100,
            "message": "Success",
            "authority": authority,
            "fee_type": "Merchant",
            "fee": 100,
        }
        return 200, {}, json.dumps({"data": data, "errors": []})

    mock.add_callback(
        responses.POST,
        f"{ZARINPAL}/pg/v4/payment/request.json",
        callback=answer,
        content_type="application/json",
    )


def zarinpal_verified(code: int = 100) -> dict[str, Any]:
    data = {
        "code": code,
        "message": "Verified",
        "card_hash": CARD_HASH,
        "card_pan": CARD_PAN,
        "ref_id": 201,
        "fee_type": "Merchant",
        "fee": 0,
    }
    return {"data": data, "errors": []}


def zarinpal_error(code: int, message: str) -> dict[str, Any]:
    return {"data": [], "errors": {"code": code, "message": message, "validations": []}}


def zarinpal_verifies(mock: responses.RequestsMock, body: dict[str, Any]) -> None:
    mock.add(responses.POST, f"{ZARINPAL}/pg/v4/payment/verify.json", json=body)


# --- Shared -------------------------------------------------------------------------------------


def start(client: Any, gateway: str, **target: int) -> Any:
    return client.post(START, {"gateway": gateway, **target}, format="json")


def logged_text() -> str:
    """Everything our transaction log holds, as one string."""
    rows = PaymentTransaction.objects.values("request", "response", "detail")
    return json.dumps(list(rows))


def counts() -> tuple[int, int, int]:
    return (
        Payment.objects.count(),
        PaymentTransaction.objects.count(),
        Refund.objects.count(),
    )
