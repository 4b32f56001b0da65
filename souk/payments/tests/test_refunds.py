"""Refunds: a paid order cancelled, a payment arriving for an order that expired and can no
longer be filled, or a second payment of an already paid order. Refunds are opened in the
transaction that makes them owed, sent to the gateway after commit (Zarinpal's left for an
administrator), and retried by reconciliation when the gateway cannot be reached.

A payment arriving after its order expired pays the order again when its stock (and coupon
use) is still there; the stock is taken again through the ledger."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import responses
from django.test import Client
from django.utils import timezone

from souk.accounts.models import User
from souk.catalog.models import Variant
from souk.core.testing import assert_problem
from souk.inventory.models import StockMovement
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import Coupon, DeliverySchedule, Order, OrderEvent
from souk.orders.services.lifecycle import orders_expire
from souk.orders.tests.factories import make_coupon, place_order
from souk.payments import tasks
from souk.payments.models import Payment, Refund
from souk.payments.services.reconcile import payments_reconcile
from souk.payments.tests.conftest import (
    PAYSTACK,
    VERIFY,
    paystack_initializes,
    paystack_refunds,
    paystack_verifies,
    requests_to,
    start,
    zarinpal_accepts,
    zarinpal_verified,
    zarinpal_verifies,
)

pytestmark = pytest.mark.django_db


def paystack_payment(client, order: Order) -> Payment:
    response = start(client, "paystack", order=order.pk)
    assert response.status_code == 201, response.json()
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def verify(client, payment: Payment, capture) -> Payment:
    """The customer comes back from Paystack (after-commit work run)."""
    with capture(execute=True):
        response = client.get(VERIFY, {"gateway": "paystack", "reference": payment.reference})
    assert response.status_code == 200, response.json()
    payment.refresh_from_db()
    return payment


def cancel(client, order: Order, capture):
    with capture(execute=True):
        return client.post(f"/api/orders/{order.pk}/cancel/")


def stock(variant: Variant) -> int:
    return Variant.all_objects.values_list("quantity", flat=True).get(pk=variant.pk)


def expire(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1
    order.refresh_from_db()
    assert order.status == "expired"


def refund_requests(mock) -> list[dict]:
    return [json.loads(request.body or b"") for request in requests_to(mock, "/refund")]


@pytest.fixture
def paid(paystack, customer, client_for, pending_order, api_client,
         django_capture_on_commit_callbacks) -> Payment:  # fmt: skip
    """`pending_order` paid through Paystack."""
    paystack_initializes(paystack)
    payment = paystack_payment(client_for(customer), pending_order)
    paystack_verifies(paystack, payment.reference)
    payment = verify(api_client, payment, django_capture_on_commit_callbacks)
    assert payment.status == "paid"
    return payment


# --- A paid order cancelled ---------------------------------------------------------------------


def test_cancelling_a_paid_order_gives_the_stock_back_and_refunds_through_paystack(
    paystack, paid, pending_order, customer, client_for, product,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    paystack_refunds(paystack)
    variant = product.variants.get()
    assert stock(variant) == 3

    response = cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)

    assert response.status_code == 200, response.json()
    assert stock(variant) == 5
    assert ledger_mismatches() == []
    assert refund_requests(paystack) == [
        {"transaction": paid.reference, "amount": 4000, "currency": "USD"}
    ]
    [sent] = requests_to(paystack, "/refund")
    assert sent.headers["Authorization"] == "Bearer sk_test_x"
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.order_id) == (paid.pk, pending_order.pk)
    assert refund.amount == Decimal("40.00")
    assert refund.currency == "USD"
    assert refund.status == "succeeded"
    assert refund.gateway_reference == "3018284"
    assert refund.attempts == 1
    assert refund.settled_at is not None
    pending_order.refresh_from_db()
    assert (pending_order.status, pending_order.payment_status) == ("cancelled", "refunded")
    assert list(OrderEvent.objects.filter(order=pending_order).values_list("event", flat=True)) == [
        "placed",
        "paid",
        "cancelled",
        "refunded",
    ]
    assert list(paid.transactions.filter(kind="refund").values_list("status", "amount")) == [
        ("ok", Decimal("40.00"))
    ]
    detail = client_for(customer).get(f"/api/payments/{paid.pk}/").json()
    assert [(r["order"], r["status"], r["amount"]) for r in detail["refunds"]] == [
        (pending_order.pk, "succeeded", "40.00")
    ]

    again = cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)

    assert_problem(again, 409, "invalid_transition")
    assert Refund.objects.count() == 1
    assert len(requests_to(paystack, "/refund")) == 1


def test_the_refund_is_not_sent_before_the_cancellation_commits(
    paystack, paid, pending_order, customer, client_for, django_capture_on_commit_callbacks
):
    paystack_refunds(paystack)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(customer).post(f"/api/orders/{pending_order.pk}/cancel/")

    assert response.status_code == 200
    assert requests_to(paystack, "/refund") == []
    refund = Refund.objects.get()
    assert refund.status == "pending"
    pending_order.refresh_from_db()
    assert pending_order.payment_status == "refund_pending"

    for callback in callbacks:
        callback()

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert len(requests_to(paystack, "/refund")) == 1
    pending_order.refresh_from_db()
    assert pending_order.payment_status == "refunded"


def test_sending_a_refund_again_does_not_refund_twice(
    paystack, paid, pending_order, customer, client_for, django_capture_on_commit_callbacks
):
    paystack_refunds(paystack)
    cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)
    refund = Refund.objects.get()

    assert tasks.refund_send_task(refund.pk) == "succeeded"
    assert payments_reconcile(now=timezone.now() + timedelta(hours=1)).refunds_sent == 0

    assert len(requests_to(paystack, "/refund")) == 1
    refund.refresh_from_db()
    assert refund.attempts == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.exceptions.ConnectTimeout("timed out")},
        {"status": 503, "body": "Service Unavailable"},
    ],
    ids=["timeout", "http-503"],
)
def test_a_refund_that_cannot_reach_paystack_waits_and_is_retried_by_reconciliation(
    paystack, paid, pending_order, customer, client_for, django_capture_on_commit_callbacks,
    answer,
):  # fmt: skip
    paystack.add(responses.POST, f"{PAYSTACK}/refund", **answer)

    cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)

    refund = Refund.objects.get()
    assert refund.status == "pending"
    assert refund.attempts == 1
    assert refund.failure_reason != ""
    pending_order.refresh_from_db()
    assert pending_order.payment_status == "refund_pending"
    assert list(paid.transactions.filter(kind="refund").values_list("status", flat=True)) == [
        "unavailable"
    ]

    assert payments_reconcile().refunds_sent == 0  # too soon: left alone
    assert len(requests_to(paystack, "/refund")) == 1

    paystack.replace(
        responses.POST,
        f"{PAYSTACK}/refund",
        json={"status": True, "message": "Refund has been queued", "data": {"id": 3018284}},
    )
    result = payments_reconcile(now=timezone.now() + timedelta(minutes=6))

    assert result.refunds_sent == 1
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert refund.attempts == 2
    assert refund.failure_reason == ""
    assert [body["amount"] for body in refund_requests(paystack)] == [4000, 4000]
    pending_order.refresh_from_db()
    assert pending_order.payment_status == "refunded"


def test_a_refund_paystack_refuses_fails_and_an_admin_may_settle_it_by_hand(
    paystack, paid, pending_order, customer, client_for, admin_user,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    paystack.add(
        responses.POST,
        f"{PAYSTACK}/refund",
        json={"status": False, "message": "Transaction has been fully reversed"},
        status=400,
    )

    cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)

    refund = Refund.objects.get()
    assert refund.status == "failed"
    assert "fully reversed" in refund.failure_reason
    assert payments_reconcile(now=timezone.now() + timedelta(hours=1)).refunds_sent == 0
    assert len(requests_to(paystack, "/refund")) == 1

    mark_settled(admin_user, refund)

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert refund.settled_by == admin_user
    pending_order.refresh_from_db()
    assert pending_order.payment_status == "refunded"


def mark_settled(admin: User, refund: Refund) -> None:
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        "/admin/payments/refund/", {"action": "mark_settled", "_selected_action": [refund.pk]}
    )
    assert response.status_code == 302, response.content


def test_a_cancelled_zarinpal_order_is_refunded_by_hand(
    zarinpal, irr_order, customer, client_for, api_client, admin_user,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    zarinpal_accepts(zarinpal)
    response = start(client_for(customer), "zarinpal", order=irr_order.pk)
    payment = Payment.objects.get(pk=response.json()["payment"]["id"])
    zarinpal_verifies(zarinpal, zarinpal_verified(100))
    api_client.get(VERIFY, {"gateway": "zarinpal", "Authority": payment.authority, "Status": "OK"})

    cancelled = cancel(client_for(customer), irr_order, django_capture_on_commit_callbacks)

    assert cancelled.status_code == 200
    refund = Refund.objects.get()
    assert refund.status == "manual"
    assert refund.amount == Decimal("250000.00")
    assert refund.currency == "IRR"
    assert refund.failure_reason == "Zarinpal refunds are settled by hand."
    irr_order.refresh_from_db()
    assert (irr_order.status, irr_order.payment_status) == ("cancelled", "refund_pending")
    assert [call.request.url for call in zarinpal.calls] == [
        "https://zarinpal.test/pg/v4/payment/request.json",
        "https://zarinpal.test/pg/v4/payment/verify.json",
    ]

    mark_settled(admin_user, refund)

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert refund.settled_by == admin_user
    assert refund.settled_at is not None
    irr_order.refresh_from_db()
    assert irr_order.payment_status == "refunded"
    assert OrderEvent.objects.filter(order=irr_order, event="refunded").count() == 1

    mark_settled(admin_user, refund)  # settling again changes nothing

    assert OrderEvent.objects.filter(order=irr_order, event="refunded").count() == 1


def test_a_pending_refund_cannot_be_marked_settled_by_hand(
    paystack, paid, pending_order, customer, client_for, admin_user,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        client_for(customer).post(f"/api/orders/{pending_order.pk}/cancel/")
    refund = Refund.objects.get()
    assert refund.status == "pending"

    mark_settled(admin_user, refund)

    refund.refresh_from_db()
    assert refund.status == "pending"
    assert refund.settled_by is None


def test_a_second_payment_of_a_paid_order_is_refunded_and_the_order_stays_paid(
    paystack, customer, client_for, pending_order, api_client,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """Two payment attempts both completed (two tabs): the order is paid once, the second
    payment goes back."""
    paystack_initializes(paystack)
    paystack_refunds(paystack)
    client = client_for(customer)
    first = paystack_payment(client, pending_order)
    second = paystack_payment(client, pending_order)
    paystack_verifies(paystack, first.reference)
    paystack_verifies(paystack, second.reference)

    verify(api_client, first, django_capture_on_commit_callbacks)
    second = verify(api_client, second, django_capture_on_commit_callbacks)

    assert second.status == "paid"
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.status) == (second.pk, "succeeded")
    assert refund_requests(paystack) == [
        {"transaction": second.reference, "amount": 4000, "currency": "USD"}
    ]
    pending_order.refresh_from_db()
    assert (pending_order.status, pending_order.payment_status) == ("paid", "paid")
    assert OrderEvent.objects.filter(order=pending_order, event="paid").count() == 1
    assert ledger_mismatches() == []


# --- Paid after expiry --------------------------------------------------------------------------


@pytest.fixture
def unpaid(paystack, customer, client_for, pending_order) -> Payment:
    """A Paystack payment of `pending_order`, started but not yet confirmed."""
    paystack_initializes(paystack)
    paystack_refunds(paystack)
    return paystack_payment(client_for(customer), pending_order)


def sales_of(order: Order) -> list[int]:
    return list(
        StockMovement.objects.filter(
            reason=StockMovement.Reason.SALE, reference=f"order:{order.number}"
        )
        .order_by("pk")
        .values_list("delta", flat=True)
    )


def test_a_payment_after_expiry_pays_the_order_again_while_its_stock_is_there(
    paystack, unpaid, pending_order, product, api_client, django_capture_on_commit_callbacks
):
    variant = product.variants.get()
    expire(pending_order)
    assert stock(variant) == 5
    paystack_verifies(paystack, unpaid.reference)

    payment = verify(api_client, unpaid, django_capture_on_commit_callbacks)

    assert payment.status == "paid"
    pending_order.refresh_from_db()
    assert (pending_order.status, pending_order.payment_status) == ("paid", "paid")
    assert pending_order.paid_at is not None
    assert pending_order.stock_returned_at is None
    assert pending_order.cancelled_at is None
    assert stock(variant) == 3
    assert sales_of(pending_order) == [-2, -2]
    assert ledger_mismatches() == []
    assert Refund.objects.count() == 0
    assert OrderEvent.objects.filter(order=pending_order, event="paid").count() == 1
    assert payment.transactions.filter(kind="capture", status="paid").count() == 1
    assert DeliverySchedule.objects.get(order=pending_order).status == "scheduled"


def test_a_payment_after_expiry_is_refunded_when_the_stock_was_sold_meanwhile(
    paystack, unpaid, pending_order, product, other_customer, api_client,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    variant = product.variants.get()
    expire(pending_order)
    place_order(user=other_customer, lines=[(variant, 4)])  # another buyer takes it
    assert stock(variant) == 1
    paystack_verifies(paystack, unpaid.reference)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.get(VERIFY, {"gateway": "paystack", "reference": unpaid.reference})

    assert response.json()["payment"]["status"] == "paid"
    pending_order.refresh_from_db()
    assert (pending_order.status, pending_order.payment_status) == ("expired", "refund_pending")
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.order_id) == (unpaid.pk, pending_order.pk)
    assert (refund.status, refund.amount) == ("pending", Decimal("40.00"))
    assert "expired" in refund.reason
    assert requests_to(paystack, "/refund") == []
    assert stock(variant) == 1
    assert sales_of(pending_order) == [-2]

    for callback in callbacks:
        callback()

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert refund_requests(paystack) == [
        {"transaction": unpaid.reference, "amount": 4000, "currency": "USD"}
    ]
    pending_order.refresh_from_db()
    assert (pending_order.status, pending_order.payment_status) == ("expired", "refunded")
    assert stock(variant) == 1
    assert ledger_mismatches() == []
    assert not OrderEvent.objects.filter(order=pending_order, event="paid").exists()


def test_a_payment_after_expiry_of_a_checkout_pays_what_can_be_paid_and_refunds_the_rest(
    paystack, customer, other_customer, client_for, checkout_for, product, product_factory,
    shop_factory, category, api_client, django_capture_on_commit_callbacks,
):  # fmt: skip
    paystack_initializes(paystack)
    paystack_refunds(paystack, amount=5550)
    rug = product_factory(
        shop=shop_factory(), category=category, name="Rug", price="55.50", quantity=1
    ).variants.get()
    checkout = checkout_for(customer, [(product.variants.get(), 1), (rug, 1)])
    response = start(client_for(customer), "paystack", checkout=checkout["id"])
    payment = Payment.objects.get(pk=response.json()["payment"]["id"])
    assert payment.amount == Decimal("75.50")
    Order.objects.filter(checkout_id=checkout["id"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert orders_expire() == 2
    place_order(user=other_customer, lines=[(rug, 1)])
    paystack_verifies(paystack, payment.reference, amount=7550)

    payment = verify(api_client, payment, django_capture_on_commit_callbacks)

    assert payment.status == "paid"
    mug_order = Order.objects.get(checkout_id=checkout["id"], shop=product.shop)
    rug_order = Order.objects.get(checkout_id=checkout["id"], shop=rug.shop)
    assert (mug_order.status, mug_order.payment_status) == ("paid", "paid")
    assert (rug_order.status, rug_order.payment_status) == ("expired", "refunded")
    refund = Refund.objects.get()
    assert (refund.order_id, refund.amount, refund.status) == (
        rug_order.pk,
        Decimal("55.50"),
        "succeeded",
    )
    assert [body["amount"] for body in refund_requests(paystack)] == [5550]
    assert stock(rug) == 0
    assert ledger_mismatches() == []


def test_a_payment_after_expiry_takes_the_coupon_use_back(
    paystack, customer, client_for, product, api_client, django_capture_on_commit_callbacks
):
    coupon = make_coupon(code="ONCE", kind="percent", value="10", max_uses=1)
    order = place_order(user=customer, lines=[(product.variants.get(), 2)], coupon_code="ONCE")
    paystack_initializes(paystack)
    payment = paystack_payment(client_for(customer), order)
    assert payment.amount == Decimal("36.00")
    expire(order)
    assert Coupon.objects.get(pk=coupon.pk).uses == 0
    paystack_verifies(paystack, payment.reference, amount=3600)

    verify(api_client, payment, django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert Coupon.objects.get(pk=coupon.pk).uses == 1
    assert Refund.objects.count() == 0
    assert ledger_mismatches() == []


def test_a_payment_after_expiry_is_refunded_when_the_coupon_was_used_up_meanwhile(
    paystack, customer, other_customer, client_for, product, api_client,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    variant = product.variants.get()
    coupon = make_coupon(code="ONCE", kind="percent", value="10", max_uses=1)
    order = place_order(user=customer, lines=[(variant, 2)], coupon_code="ONCE")
    paystack_initializes(paystack)
    paystack_refunds(paystack, amount=3600)
    payment = paystack_payment(client_for(customer), order)
    expire(order)
    place_order(user=other_customer, lines=[(variant, 1)], coupon_code="ONCE")
    assert Coupon.objects.get(pk=coupon.pk).uses == 1
    paystack_verifies(paystack, payment.reference, amount=3600)
    stock_before = stock(variant)

    verify(api_client, payment, django_capture_on_commit_callbacks)

    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("expired", "refunded")
    assert stock(variant) == stock_before  # no stock taken for it
    assert sales_of(order) == [-2]
    assert Coupon.objects.get(pk=coupon.pk).uses == 1
    assert [body["amount"] for body in refund_requests(paystack)] == [3600]
    assert ledger_mismatches() == []


def test_a_payment_for_an_order_the_buyer_cancelled_meanwhile_is_refunded(
    paystack, unpaid, pending_order, customer, client_for, product, api_client,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    cancelled = cancel(client_for(customer), pending_order, django_capture_on_commit_callbacks)
    assert cancelled.status_code == 200
    assert Refund.objects.count() == 0  # nothing was paid yet
    paystack_verifies(paystack, unpaid.reference)

    payment = verify(api_client, unpaid, django_capture_on_commit_callbacks)

    assert payment.status == "paid"
    pending_order.refresh_from_db()
    assert (pending_order.status, pending_order.payment_status) == ("cancelled", "refunded")
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.status, refund.amount) == (
        unpaid.pk,
        "succeeded",
        Decimal("40.00"),
    )
    assert refund_requests(paystack) == [
        {"transaction": unpaid.reference, "amount": 4000, "currency": "USD"}
    ]
    assert stock(product.variants.get()) == 5
    assert ledger_mismatches() == []


def test_a_refund_cut_off_mid_call_is_handed_to_administrators_not_sent_again(paid, customer):
    """A process that died after claiming a refund may or may not have reached the gateway:
    sending it again could refund twice, so it is shown as failed for an administrator."""
    order = Order.objects.get(pk=paid.order_id)
    refund = Refund.objects.create(
        payment=paid,
        order=order,
        amount=order.total,
        currency=order.currency,
        reason="test",
        status=Refund.Status.SENDING,
    )

    soon = payments_reconcile(now=timezone.now() + timedelta(minutes=10))
    refund.refresh_from_db()
    assert (soon.refunds_interrupted, refund.status) == (0, "sending")

    later = payments_reconcile(now=timezone.now() + timedelta(minutes=31))
    refund.refresh_from_db()
    assert (later.refunds_interrupted, refund.status) == (1, "failed")
    assert refund.failure_reason.startswith("Interrupted while sending")
