"""Zarinpal v4: a payment request returns an authority, the customer pays at StartPay and
comes back with Authority and Status; Status=OK is verified with the amount from our database.
Codes 100 and 101 pay; every other code leaves the payment unpaid with the code logged. The
merchant id and card data never reach our log."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
import responses

from souk.core.testing import assert_problem
from souk.orders.models import Order, OrderEvent
from souk.payments.models import Payment
from souk.payments.tests.conftest import (
    CARD_HASH,
    CARD_PAN,
    MERCHANT_ID,
    VERIFY,
    ZARINPAL,
    counts,
    logged_text,
    requests_to,
    start,
    zarinpal_accepts,
    zarinpal_error,
    zarinpal_verified,
    zarinpal_verifies,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(zarinpal, customer, client_for, irr_order) -> Payment:
    """A Zarinpal payment of `irr_order` (250000 IRR), the customer sent to StartPay."""
    zarinpal_accepts(zarinpal)
    response = start(client_for(customer), "zarinpal", order=irr_order.pk)
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def back_from_zarinpal(client, payment: Payment, status: str = "OK"):
    return client.get(
        VERIFY, {"gateway": "zarinpal", "Authority": payment.authority, "Status": status}
    )


def order_state(order: Order) -> tuple[str, str]:
    order.refresh_from_db()
    return order.status, order.payment_status


def assert_nothing_secret_logged() -> None:
    text = logged_text()
    for secret in (MERCHANT_ID, CARD_PAN, CARD_HASH):
        assert secret not in text


def test_start_requests_a_payment_in_rials_and_sends_the_customer_to_startpay(
    zarinpal, customer, client_for, irr_order
):
    zarinpal_accepts(zarinpal)

    response = start(client_for(customer), "zarinpal", order=irr_order.pk)

    assert response.status_code == 201, response.json()
    payment = Payment.objects.get()
    assert payment.authority.startswith("A")
    assert len(payment.authority) == 36
    assert response.json() == {
        "payment": {
            "id": payment.pk,
            "status": "pending",
            "amount": "250000.00",
            "currency": "IRR",
            "gateway": "zarinpal",
            "reference": payment.reference,
        },
        "redirect_url": f"{ZARINPAL}/pg/StartPay/{payment.authority}",
    }
    [sent] = requests_to(zarinpal, "/pg/v4/payment/request.json")
    payload = json.loads(sent.body or b"")
    assert payload["merchant_id"] == MERCHANT_ID
    assert payload["amount"] == 250000
    assert payload["currency"] == "IRR"
    assert payload["callback_url"].endswith("/api/payments/verify/?gateway=zarinpal")
    assert list(payment.transactions.values_list("kind", "status")) == [("request", "ok")]
    assert_nothing_secret_logged()


def test_start_refused_by_zarinpal_is_402(zarinpal, customer, client_for, irr_order):
    zarinpal.add(
        responses.POST,
        f"{ZARINPAL}/pg/v4/payment/request.json",
        json=zarinpal_error(-9, "The input params invalid, validation error."),
    )

    response = start(client_for(customer), "zarinpal", order=irr_order.pk)

    assert_problem(response, 402, "payment_failed")
    payment = Payment.objects.get()
    assert payment.status == "failed"
    assert payment.authority == ""
    assert payment.failure_reason == (
        "Zarinpal refused the payment (code -9: The input params invalid, validation error.)."
    )
    logged = payment.transactions.get()
    assert (logged.kind, logged.status) == ("request", "rejected")
    assert logged.response == zarinpal_error(-9, "The input params invalid, validation error.")
    assert order_state(irr_order) == ("pending_payment", "unpaid")
    assert_nothing_secret_logged()


def test_start_with_zarinpal_timing_out_is_503(zarinpal, customer, client_for, irr_order):
    zarinpal.add(
        responses.POST,
        f"{ZARINPAL}/pg/v4/payment/request.json",
        body=requests.exceptions.ConnectTimeout("timed out"),
    )

    response = start(client_for(customer), "zarinpal", order=irr_order.pk)

    assert_problem(response, 503, "service_unavailable")
    assert Payment.objects.get().status == "failed"


@pytest.mark.parametrize("code", [100, 101])
def test_verified_codes_pay_the_order_with_our_amount(
    zarinpal, started, irr_order, api_client, code, django_capture_on_commit_callbacks
):
    zarinpal_verifies(zarinpal, zarinpal_verified(code))

    with django_capture_on_commit_callbacks(execute=True):
        response = back_from_zarinpal(api_client, started)

    assert response.status_code == 200, response.json()
    assert response.json()["payment"]["status"] == "paid"
    [sent] = requests_to(zarinpal, "/pg/v4/payment/verify.json")
    assert json.loads(sent.body or b"") == {
        "merchant_id": MERCHANT_ID,
        "amount": 250000,
        "authority": started.authority,
    }
    started.refresh_from_db()
    assert started.status == "paid"
    assert started.gateway_transaction_id == "201"
    assert order_state(irr_order) == ("paid", "paid")
    assert list(started.transactions.values_list("kind", "status", "amount")) == [
        ("request", "ok", Decimal("250000.00")),
        ("callback", "paid", Decimal("250000.00")),
        ("capture", "paid", Decimal("250000.00")),
    ]
    assert_nothing_secret_logged()

    again = back_from_zarinpal(api_client, started)

    assert again.json()["payment"]["status"] == "paid"
    assert len(requests_to(zarinpal, "/pg/v4/payment/verify.json")) == 1
    assert OrderEvent.objects.filter(order=irr_order, event="paid").count() == 1


def test_verify_sends_the_amount_from_our_database(zarinpal, started, irr_order, api_client):
    """Whatever the customer's browser brings back, the amount verified is ours."""
    zarinpal_verifies(zarinpal, zarinpal_error(-50, "Session is not valid, amounts differ."))

    back_from_zarinpal(api_client, started)
    client_amount = api_client.get(
        VERIFY,
        {"gateway": "zarinpal", "Authority": started.authority, "Status": "OK", "amount": "1"},
    )

    assert client_amount.status_code == 200
    sent = requests_to(zarinpal, "/pg/v4/payment/verify.json")
    assert [json.loads(request.body or b"")["amount"] for request in sent] == [250000, 250000]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (-50, "Session is not valid, amounts values is not the same."),
        (-51, "Session is not valid, session is not active paid try."),
        (-54, "Invalid authority."),
        (-9, "The input params invalid, validation error."),
        (-11, "Terminal is not active, please contact our support team."),
        (-53, "Session is not this merchant_id session."),
    ],
)
def test_other_codes_leave_the_payment_unpaid_with_the_code_logged(
    zarinpal, started, irr_order, api_client, code, message
):
    zarinpal_verifies(zarinpal, zarinpal_error(code, message))

    response = back_from_zarinpal(api_client, started)

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "failed"
    started.refresh_from_db()
    assert started.failure_reason == f"Zarinpal code {code}: {message}"
    assert started.paid_at is None
    verify_row = started.transactions.get(kind="callback")
    assert verify_row.status == "failed"
    assert verify_row.detail == f"Zarinpal code {code}: {message}"
    assert verify_row.response == zarinpal_error(code, message)
    assert not started.transactions.filter(kind="capture").exists()
    assert order_state(irr_order) == ("pending_payment", "unpaid")
    assert_nothing_secret_logged()


def test_status_nok_fails_the_payment_without_asking_zarinpal(
    zarinpal, started, irr_order, api_client
):
    response = back_from_zarinpal(api_client, started, status="NOK")

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "failed"
    assert requests_to(zarinpal, "/pg/v4/payment/verify.json") == []
    started.refresh_from_db()
    assert started.failure_reason == "Zarinpal: the customer cancelled or the bank declined."
    assert order_state(irr_order) == ("pending_payment", "unpaid")


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ConnectTimeout("timed out")},
        {"status": 500, "body": "Internal Server Error"},
    ],
    ids=["timeout", "http-500"],
)
def test_verify_without_an_answer_leaves_the_payment_pending(
    zarinpal, started, irr_order, api_client, answer
):
    zarinpal.add(responses.POST, f"{ZARINPAL}/pg/v4/payment/verify.json", **answer)

    response = back_from_zarinpal(api_client, started)

    assert response.status_code == 200
    assert response.json()["payment"]["status"] == "pending"
    assert started.transactions.get(kind="callback").status == "unavailable"
    assert order_state(irr_order) == ("pending_payment", "unpaid")


def test_an_authority_we_never_issued_is_404_and_asks_nobody(zarinpal, started, api_client):
    before = counts()

    response = api_client.get(
        VERIFY, {"gateway": "zarinpal", "Authority": "A" + "9" * 35, "Status": "OK"}
    )

    assert_problem(response, 404, "not_found")
    assert counts() == before
    assert requests_to(zarinpal, "/pg/v4/payment/verify.json") == []


def test_zarinpal_back_without_authority_or_status_is_400(zarinpal, started, api_client):
    missing_status = api_client.get(VERIFY, {"gateway": "zarinpal", "Authority": started.authority})
    missing_authority = api_client.get(VERIFY, {"gateway": "zarinpal", "Status": "OK"})

    assert_problem(missing_status, 400, "validation_error")
    assert_problem(missing_authority, 400, "validation_error")
    assert Payment.objects.get(pk=started.pk).status == "pending"
