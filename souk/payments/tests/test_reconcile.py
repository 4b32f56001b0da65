"""The reconciliation job: payments left pending (the gateway timed out, or the customer never
came back) are verified again once PAYMENT_RECONCILE_AFTER_MINUTES have passed, and given up
after PAYMENT_PENDING_MAX_HOURS."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
import responses
import time_machine
from django.utils import timezone

from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import Order, OrderEvent
from souk.orders.tests.factories import place_order
from souk.payments import tasks
from souk.payments.models import Payment
from souk.payments.services.reconcile import payments_reconcile
from souk.payments.tests.conftest import (
    PAYSTACK,
    VERIFY,
    ZARINPAL,
    paystack_initializes,
    paystack_transaction,
    paystack_verifies,
    requests_to,
    start,
    zarinpal_accepts,
    zarinpal_error,
    zarinpal_verified,
    zarinpal_verifies,
)

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=6)  # past PAYMENT_RECONCILE_AFTER_MINUTES (5)


@pytest.fixture
def started(paystack, customer, client_for, pending_order) -> Payment:
    paystack_initializes(paystack)
    response = start(client_for(customer), "paystack", order=pending_order.pk)
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def verify_url(payment: Payment) -> str:
    return f"{PAYSTACK}/transaction/verify/{payment.reference}"


def order_state(order: Order) -> tuple[str, str]:
    order.refresh_from_db()
    return order.status, order.payment_status


@pytest.mark.parametrize(
    "outage",
    [
        {"body": requests.exceptions.ConnectTimeout("connect timed out")},
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"status": 500, "json": {"status": False, "message": "Internal error"}},
    ],
    ids=["connect-timeout", "read-timeout", "http-500"],
)
def test_a_payment_left_pending_by_an_outage_is_paid_by_the_next_run(
    paystack, started, pending_order, api_client, django_capture_on_commit_callbacks, outage
):
    paystack.add(responses.GET, verify_url(started), **outage)
    back = api_client.get(VERIFY, {"gateway": "paystack", "reference": started.reference})
    assert back.json()["payment"]["status"] == "pending"
    assert order_state(pending_order) == ("pending_payment", "unpaid")

    early = payments_reconcile()  # not quiet long enough: left alone
    assert early.verified == 0
    assert len(requests_to(paystack, "/transaction/verify/")) == 1

    paystack.replace(
        responses.GET,
        verify_url(started),
        json={
            "status": True,
            "message": "Verification successful",
            "data": paystack_transaction(started.reference),
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = payments_reconcile(now=timezone.now() + LATER)

    assert (result.verified, result.paid, result.abandoned) == (1, 1, 0)
    started.refresh_from_db()
    assert started.status == "paid"
    assert order_state(pending_order) == ("paid", "paid")
    assert list(started.transactions.values_list("kind", "status")) == [
        ("request", "ok"),
        ("callback", "unavailable"),
        ("verify", "paid"),
        ("capture", "paid"),
    ]
    assert ledger_mismatches() == []

    again = payments_reconcile(now=timezone.now() + 2 * LATER)

    assert again.verified == 0
    assert started.transactions.filter(kind="capture").count() == 1


def test_the_celery_task_reconciles_pending_payments(
    paystack, started, pending_order, django_capture_on_commit_callbacks
):
    paystack_verifies(paystack, started.reference)

    with (
        time_machine.travel(timezone.now() + LATER, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = tasks.payments_reconcile_task.delay().get()

    assert result == {
        "verified": 1,
        "paid": 1,
        "abandoned": 0,
        "refunds_sent": 0,
        "refunds_interrupted": 0,
    }
    assert order_state(pending_order) == ("paid", "paid")
    assert OrderEvent.objects.filter(order=pending_order, event="paid").count() == 1


def test_a_payment_still_unfinished_is_kept_until_the_deadline_then_given_up(
    paystack, started, pending_order
):
    paystack_verifies(
        paystack, started.reference, status="abandoned", gateway_response="The customer left"
    )

    kept = payments_reconcile(now=timezone.now() + timedelta(hours=23))

    assert (kept.verified, kept.abandoned) == (1, 0)
    started.refresh_from_db()
    assert started.status == "pending"
    assert started.last_checked_at is not None

    given_up = payments_reconcile(now=timezone.now() + timedelta(hours=24, minutes=1))

    assert (given_up.verified, given_up.paid, given_up.abandoned) == (1, 0, 1)
    started.refresh_from_db()
    assert started.status == "failed"
    assert started.failure_reason == "Not completed within 24 hours."
    assert order_state(pending_order) == ("pending_payment", "unpaid")
    assert started.transactions.filter(kind="verify", status="abandoned").count() == 1


def test_a_payment_paid_at_the_last_moment_is_captured_not_given_up(
    paystack, started, pending_order
):
    paystack_verifies(paystack, started.reference)

    result = payments_reconcile(now=timezone.now() + timedelta(hours=30))

    assert (result.verified, result.paid, result.abandoned) == (1, 1, 0)
    assert Payment.objects.get(pk=started.pk).status == "paid"
    assert order_state(pending_order) == ("paid", "paid")


def test_the_deadline_follows_the_setting(settings, paystack, started):
    settings.PAYMENT_PENDING_MAX_HOURS = 2
    paystack.add(
        responses.GET, verify_url(started), body=requests.exceptions.ConnectTimeout("down")
    )

    result = payments_reconcile(now=timezone.now() + timedelta(hours=2, minutes=1))

    assert (result.verified, result.abandoned) == (1, 1)
    started.refresh_from_db()
    assert (started.status, started.failure_reason) == ("failed", "Not completed within 2 hours.")


def test_one_unreadable_answer_does_not_stop_the_run(
    paystack, customer, client_for, pending_order, product
):
    """A gateway answering with JSON that is not an object leaves that payment pending (it is
    an outage, not a crash) and the others are still reconciled."""
    paystack_initializes(paystack)
    client = client_for(customer)
    odd = Payment.objects.get(
        pk=start(client, "paystack", order=pending_order.pk).json()["payment"]["id"]
    )
    second_order = place_order(user=customer, lines=[(product.variants.get(), 1)])
    fine = Payment.objects.get(
        pk=start(client, "paystack", order=second_order.pk).json()["payment"]["id"]
    )
    paystack.add(responses.GET, verify_url(odd), json=["unexpected"])
    paystack_verifies(paystack, fine.reference, amount=2000)

    result = payments_reconcile(now=timezone.now() + LATER)

    assert (result.verified, result.paid) == (2, 1)
    assert Payment.objects.get(pk=odd.pk).status == "pending"
    assert Payment.objects.get(pk=fine.pk).status == "paid"
    assert odd.transactions.get(kind="verify").status == "unavailable"


def test_a_zarinpal_customer_who_never_came_back_is_verified_with_our_amount(
    zarinpal, irr_order, customer, client_for
):
    zarinpal_accepts(zarinpal)
    payment = Payment.objects.get(
        pk=start(client_for(customer), "zarinpal", order=irr_order.pk).json()["payment"]["id"]
    )
    zarinpal_verifies(zarinpal, zarinpal_verified(101))

    result = payments_reconcile(now=timezone.now() + LATER)

    assert (result.verified, result.paid) == (1, 1)
    [sent] = requests_to(zarinpal, "/pg/v4/payment/verify.json")
    assert json.loads(sent.body or b"")["amount"] == 250000
    assert json.loads(sent.body or b"")["authority"] == payment.authority
    assert order_state(irr_order) == ("paid", "paid")


def test_a_zarinpal_payment_that_was_not_paid_fails_on_reconciliation(
    zarinpal, irr_order, customer, client_for
):
    zarinpal_accepts(zarinpal)
    start(client_for(customer), "zarinpal", order=irr_order.pk)
    zarinpal_verifies(
        zarinpal, zarinpal_error(-51, "Session is not valid, session is not active paid try.")
    )

    result = payments_reconcile(now=timezone.now() + LATER)

    assert (result.verified, result.paid) == (1, 0)
    payment = Payment.objects.get()
    assert payment.status == "failed"
    assert payment.failure_reason.startswith("Zarinpal code -51")
    assert order_state(irr_order) == ("pending_payment", "unpaid")


def test_a_zarinpal_payment_that_never_reached_zarinpal_is_not_asked_about(
    zarinpal, irr_order, customer
):
    """No authority: there is nothing Zarinpal could tell us (it is given up at the deadline)."""
    Payment.objects.create(
        user=customer,
        order=irr_order,
        gateway="zarinpal",
        reference="SK-NO-AUTHORITY",
        amount=irr_order.total,
        currency="IRR",
    )

    result = payments_reconcile(now=timezone.now() + timedelta(hours=25))

    assert (result.verified, result.abandoned) == (0, 1)
    assert len(zarinpal.calls) == 0
    assert requests_to(zarinpal, ZARINPAL) == []
