"""Paystack: starting a payment, verifying it, and its signed webhooks (HTTP mocked in the
shapes Paystack documents). Only a success with our amount and currency pays anything; a bad
or missing signature writes nothing; the same delivery twice changes nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
import responses

from souk.core.testing import assert_problem
from souk.orders.models import Order, OrderEvent
from souk.payments.models import Payment, PaymentTransaction
from souk.payments.tests.conftest import (
    PAYSTACK,
    PAYSTACK_CARD_VALUES,
    VERIFY,
    charge_success,
    counts,
    deliver,
    logged_text,
    paystack_initializes,
    paystack_signature,
    paystack_verifies,
    requests_to,
    start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(paystack, customer, client_for, pending_order) -> Payment:
    """A Paystack payment of `pending_order` (40.00 USD), the customer sent to Paystack."""
    paystack_initializes(paystack)
    response = start(client_for(customer), "paystack", order=pending_order.pk)
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def order_state(order: Order) -> tuple[str, str]:
    order.refresh_from_db()
    return order.status, order.payment_status


# --- Start --------------------------------------------------------------------------------------


def test_start_initializes_a_transaction_in_minor_units_and_returns_paystacks_page(
    paystack, customer, client_for, pending_order
):
    paystack_initializes(paystack)

    response = start(client_for(customer), "paystack", order=pending_order.pk)

    assert response.status_code == 201, response.json()
    body = response.json()
    payment = Payment.objects.get()
    assert body == {
        "payment": {
            "id": payment.pk,
            "status": "pending",
            "amount": "40.00",
            "currency": "USD",
            "gateway": "paystack",
            "reference": payment.reference,
        },
        "redirect_url": "https://checkout.paystack.com/abc",
    }
    [sent] = requests_to(paystack, "/transaction/initialize")
    assert sent.headers["Authorization"] == "Bearer sk_test_x"
    payload = json.loads(sent.body or b"")
    assert payload["amount"] == 4000
    assert payload["currency"] == "USD"
    assert payload["reference"] == payment.reference
    assert payload["callback_url"].endswith("/api/payments/verify/?gateway=paystack")
    assert payment.authority == f"abc{payment.reference}"
    assert payment.order_id == pending_order.pk
    assert list(payment.transactions.values_list("kind", "status", "amount")) == [
        ("request", "ok", Decimal("40.00"))
    ]
    assert "sk_test_x" not in logged_text()


def test_start_refused_by_paystack_is_402_and_the_payment_failed(
    paystack, customer, client_for, pending_order
):
    paystack.add(
        responses.POST,
        f"{PAYSTACK}/transaction/initialize",
        json={"status": False, "message": "Invalid key"},
        status=401,
    )

    response = start(client_for(customer), "paystack", order=pending_order.pk)

    assert_problem(response, 402, "payment_failed")
    payment = Payment.objects.get()
    assert payment.status == "failed"
    assert "Invalid key" in payment.failure_reason
    assert list(payment.transactions.values_list("kind", "status")) == [("request", "rejected")]
    assert order_state(pending_order) == ("pending_payment", "unpaid")


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ConnectTimeout("connect timed out")},
        {"body": requests.exceptions.ConnectionError("connection refused")},
        {"status": 500, "body": "<html>Internal Server Error</html>"},
        {"status": 502, "json": {"status": False, "message": "Bad gateway"}},
        {"status": 200, "json": ["not", "an", "object"]},
    ],
    ids=["timeout", "unreachable", "http-500", "http-502", "not-an-object"],
)
def test_start_with_paystack_down_is_503_and_the_payment_failed(
    paystack, customer, client_for, pending_order, answer
):
    paystack.add(responses.POST, f"{PAYSTACK}/transaction/initialize", **answer)

    response = start(client_for(customer), "paystack", order=pending_order.pk)

    assert_problem(response, 503, "service_unavailable")
    payment = Payment.objects.get()
    assert payment.status == "failed"
    assert payment.redirect_url == ""
    assert list(payment.transactions.values_list("kind", "status")) == [("request", "unavailable")]
    assert order_state(pending_order) == ("pending_payment", "unpaid")


# --- Verify -------------------------------------------------------------------------------------


def test_verify_success_pays_the_order_once_and_logs_no_card_data(
    paystack, started, pending_order, api_client, django_capture_on_commit_callbacks
):
    paystack_verifies(paystack, started.reference)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})

    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["status"] == "paid"
    started.refresh_from_db()
    assert started.status == "paid"
    assert started.gateway_transaction_id == "4099260516"
    assert started.paid_at is not None
    assert order_state(pending_order) == ("paid", "paid")
    kinds = list(started.transactions.values_list("kind", "status"))
    assert kinds == [("request", "ok"), ("callback", "paid"), ("capture", "paid")]
    text = logged_text()
    for secret in (*PAYSTACK_CARD_VALUES, "sk_test_x"):
        assert secret not in text

    again = api_client.get(
        VERIFY, {"gateway": "paystack", "trxref": started.reference, "reference": started.reference}
    )

    assert again.status_code == 200
    assert again.json()["payment"]["status"] == "paid"
    assert len(requests_to(paystack, "/transaction/verify/")) == 1  # paid: not asked again
    assert started.transactions.filter(kind="capture").count() == 1
    assert OrderEvent.objects.filter(order=pending_order, event="paid").count() == 1


@pytest.mark.parametrize(
    ("status", "gateway_response"),
    [("failed", "Declined"), ("reversed", "Reversed by the bank")],
)
def test_verify_failure_fails_the_payment_and_leaves_the_order_unpaid(
    paystack, started, pending_order, api_client, status, gateway_response
):
    paystack_verifies(paystack, started.reference, status=status, gateway_response=gateway_response)

    response = api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "failed"
    started.refresh_from_db()
    assert started.failure_reason == f"Paystack: {gateway_response}"
    assert order_state(pending_order) == ("pending_payment", "unpaid")
    assert not started.transactions.filter(kind="capture").exists()


def test_verify_of_an_abandoned_transaction_stays_pending(
    paystack, started, pending_order, api_client
):
    paystack_verifies(
        paystack, started.reference, status="abandoned", gateway_response="The customer left"
    )

    response = api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "pending"
    started.refresh_from_db()
    assert started.last_checked_at is not None
    assert order_state(pending_order) == ("pending_payment", "unpaid")


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ({"amount": 3999}, "Amount mismatch: the gateway collected 39.99, not 40.00."),
        ({"amount": 400}, "Amount mismatch: the gateway collected 4.00, not 40.00."),
        ({"currency": "NGN"}, "Currency mismatch: the gateway collected NGN, not USD."),
    ],
    ids=["short-by-a-cent", "a-tenth", "other-currency"],
)
def test_verify_with_another_amount_or_currency_pays_nothing(
    paystack, started, pending_order, api_client, sent, reason
):
    paystack_verifies(paystack, started.reference, **sent)

    response = api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "failed"
    started.refresh_from_db()
    assert started.failure_reason == reason
    assert started.paid_at is None
    assert order_state(pending_order) == ("pending_payment", "unpaid")
    assert list(started.transactions.filter(kind="capture").values_list("status", flat=True)) == [
        "mismatch"
    ]
    assert not OrderEvent.objects.filter(order=pending_order, event="paid").exists()


def test_verify_answered_for_another_reference_pays_nothing(
    paystack, started, pending_order, api_client
):
    paystack.add(
        responses.GET,
        f"{PAYSTACK}/transaction/verify/{started.reference}",
        json={
            "status": True,
            "message": "Verification successful",
            "data": json.loads(charge_success("SOMEONE-ELSES"))["data"],
        },
    )

    response = api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})

    assert response.json()["payment"]["status"] == "failed"
    assert order_state(pending_order) == ("pending_payment", "unpaid")


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ConnectTimeout("connect timed out")},
        {"status": 500, "json": {"status": False, "message": "Server error"}},
        {"status": 400, "json": {"status": False, "message": "Transaction reference not found"}},
        {"status": 200, "json": "maintenance"},
    ],
    ids=["timeout", "http-500", "not-known-yet", "not-an-object"],
)
def test_verify_without_an_answer_leaves_the_payment_pending(
    paystack, started, pending_order, api_client, answer
):
    paystack.add(responses.GET, f"{PAYSTACK}/transaction/verify/{started.reference}", **answer)

    response = api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "pending"
    started.refresh_from_db()
    assert started.last_checked_at is not None
    assert order_state(pending_order) == ("pending_payment", "unpaid")


# --- Webhooks -----------------------------------------------------------------------------------


def test_charge_success_webhook_pays_the_order(paystack, started, pending_order, api_client):
    body = charge_success(started.reference)

    response = deliver(api_client, body)

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "settled"}
    started.refresh_from_db()
    assert started.status == "paid"
    assert order_state(pending_order) == ("paid", "paid")
    assert list(started.transactions.values_list("kind", "status")) == [
        ("request", "ok"),
        ("webhook", "charge.success"),
        ("capture", "paid"),
    ]
    for secret in PAYSTACK_CARD_VALUES:
        assert secret not in logged_text()
    assert requests_to(paystack, "/transaction/verify/") == []


def test_the_same_webhook_delivered_again_changes_nothing(
    paystack, started, pending_order, api_client
):
    body = charge_success(started.reference)
    assert deliver(api_client, body).status_code == 200
    before = counts()
    paid_at = Payment.objects.get(pk=started.pk).paid_at

    again = deliver(api_client, body)

    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert counts() == before
    assert Payment.objects.get(pk=started.pk).paid_at == paid_at
    assert started.transactions.filter(kind="capture").count() == 1
    assert started.transactions.filter(kind="webhook").count() == 1
    assert OrderEvent.objects.filter(order=pending_order, event="paid").count() == 1


def test_a_webhook_whose_settling_failed_is_handled_again_when_paystack_retries(
    paystack, started, pending_order, api_client, monkeypatch
):
    from souk.payments.services import webhooks

    body = charge_success(started.reference)
    real_settle = webhooks.payment_settle

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(webhooks, "payment_settle", broken)
    api_client.raise_request_exception = False
    failed = deliver(api_client, body)
    assert failed.status_code == 500
    assert started.transactions.filter(kind="webhook").count() == 0  # not marked seen

    monkeypatch.setattr(webhooks, "payment_settle", real_settle)
    retried = deliver(api_client, body)

    assert retried.json() == {"status": "settled"}
    assert order_state(pending_order) == ("paid", "paid")


@pytest.mark.parametrize(
    "headers_for",
    [
        lambda body: {"x-paystack-signature": "0" * 128},
        lambda body: {"x-paystack-signature": paystack_signature(b"{}")},  # of another body
        lambda body: {"x-paystack-signature": paystack_signature(body, secret="sk_test_other")},
        lambda body: {"x-paystack-signature": paystack_signature(body)[:-2]},
        lambda body: {"x-paystack-signature": ""},
        lambda body: {},
        lambda body: {"x-paystack-signature": "é" * 128},
        lambda body: {"x-paystack-signature": paystack_signature(body)[:-1] + "\u00ff"},
        lambda body: {"x-paystack-signature": "\ud800"},
    ],
    ids=[
        "bad",
        "replayed",
        "other-key",
        "truncated",
        "empty",
        "missing",
        "non-ascii",
        "non-ascii-last",
        "lone-surrogate",
    ],
)
def test_webhook_without_a_valid_signature_is_401_and_writes_nothing(
    paystack, started, pending_order, api_client, headers_for
):
    body = charge_success(started.reference)
    before = counts()

    response = deliver(api_client, body, headers=headers_for(body))

    assert_problem(response, 401, "authentication_failed")
    assert counts() == before
    started.refresh_from_db()
    assert started.status == "pending"
    assert order_state(pending_order) == ("pending_payment", "unpaid")


def test_replaying_the_signature_of_an_earlier_delivery_is_401(
    paystack, started, pending_order, api_client
):
    earlier = json.dumps({"event": "charge.failed", "data": {"reference": "x"}}).encode()
    assert deliver(api_client, earlier).json() == {"status": "ignored"}
    before = counts()

    response = deliver(
        api_client,
        charge_success(started.reference),
        headers={"x-paystack-signature": paystack_signature(earlier)},
    )

    assert_problem(response, 401, "authentication_failed")
    assert counts() == before
    assert order_state(pending_order) == ("pending_payment", "unpaid")


def test_webhook_without_a_secret_configured_accepts_nothing(
    paystack, settings, started, api_client
):
    body = charge_success(started.reference)
    signature = paystack_signature(body)
    settings.PAYSTACK_SECRET_KEY = ""
    before = counts()

    response = deliver(api_client, body, headers={"x-paystack-signature": signature})

    assert_problem(response, 401, "authentication_failed")
    assert counts() == before


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ({"amount": 100}, "Amount mismatch: the gateway collected 1.00, not 40.00."),
        ({"currency": "GHS"}, "Currency mismatch: the gateway collected GHS, not USD."),
    ],
    ids=["amount", "currency"],
)
def test_webhook_with_another_amount_or_currency_pays_nothing(
    paystack, started, pending_order, api_client, sent, reason
):
    response = deliver(api_client, charge_success(started.reference, **sent))

    assert response.status_code == 200
    started.refresh_from_db()
    assert started.status == "failed"
    assert started.failure_reason == reason
    assert order_state(pending_order) == ("pending_payment", "unpaid")
    assert list(started.transactions.filter(kind="capture").values_list("status", flat=True)) == [
        "mismatch"
    ]


def test_other_events_are_recorded_but_change_nothing(paystack, started, pending_order, api_client):
    body = json.dumps(
        {"event": "transfer.success", "data": {"reference": started.reference, "amount": 4000}}
    ).encode()

    response = deliver(api_client, body)

    assert response.status_code == 200
    assert response.json() == {"status": "recorded"}
    started.refresh_from_db()
    assert started.status == "pending"
    assert list(started.transactions.values_list("kind", "status")) == [
        ("request", "ok"),
        ("webhook", "transfer.success"),
    ]
    assert order_state(pending_order) == ("pending_payment", "unpaid")


def test_webhook_for_a_reference_that_is_not_ours_is_ignored(paystack, api_client):
    before = counts()

    response = deliver(api_client, charge_success("NOT-OURS"))

    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert counts() == before


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000],
    ids=["not-json", "nested-arrays", "nested-objects"],
)
def test_signed_webhook_that_is_not_json_is_400_and_writes_nothing(paystack, api_client, body):
    before = counts()

    response = deliver(api_client, body)

    assert_problem(response, 400, "validation_error")
    assert counts() == before


def test_a_late_charge_success_captures_a_payment_that_had_failed(
    paystack, started, pending_order, api_client
):
    """Paystack took the money after all: a failed payment is still captured."""
    paystack_verifies(paystack, started.reference, status="failed", gateway_response="Timeout")
    api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})
    assert Payment.objects.get(pk=started.pk).status == "failed"

    deliver(api_client, charge_success(started.reference))

    started.refresh_from_db()
    assert started.status == "paid"
    assert started.failure_reason == ""
    assert order_state(pending_order) == ("paid", "paid")
    assert PaymentTransaction.objects.filter(kind="capture", status="paid").count() == 1
