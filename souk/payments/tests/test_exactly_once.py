"""A payment moves its orders to paid at most once (DESIGN.md invariant 5), under real
concurrency: duplicate callbacks, webhooks and reconciliation runs in threads of their own
(each on its own database connection), released together by a barrier. No gateway is called
inside a transaction, and a late payment takes its locks in the global order."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import responses
from django.db import connection
from django.utils import timezone
from requests import PreparedRequest
from rest_framework.test import APIClient

from souk.catalog.models import Variant
from souk.core.tests.threads import run_together
from souk.inventory.models import StockMovement
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import Order, OrderEvent
from souk.orders.services.lifecycle import orders_expire
from souk.orders.tests.factories import make_coupon, place_order
from souk.payments.models import Payment, PaymentTransaction, Refund
from souk.payments.services.capture import payment_settle_paid, payment_verify
from souk.payments.services.reconcile import payments_reconcile
from souk.payments.tests.conftest import (
    PAYSTACK,
    VERIFY,
    charge_success,
    deliver,
    paystack_initializes,
    paystack_transaction,
    paystack_verifies,
    start,
)

# Many threads, one connection each: these files share one xdist worker (`--dist loadgroup`)
# so that two of them never hold their connections at once.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]


def verify_call(reference: str) -> Callable[[], Any]:
    return lambda: APIClient().get(VERIFY, {"gateway": "paystack", "reference": reference})


def webhook_call(body: bytes) -> Callable[[], Any]:
    return lambda: deliver(APIClient(), body)


def assert_paid_once(payment: Payment, orders: list[Order]) -> None:
    payment.refresh_from_db()
    assert payment.status == "paid"
    captures = PaymentTransaction.objects.filter(payment=payment, kind="capture")
    assert list(captures.values_list("status", flat=True)) == ["paid"]
    for order in orders:
        order.refresh_from_db()
        assert (order.status, order.payment_status) == ("paid", "paid")
        assert OrderEvent.objects.filter(order=order, event="paid").count() == 1
    assert Refund.objects.count() == 0
    assert ledger_mismatches() == []


@pytest.fixture
def checkout_payment(
    paystack, customer, client_for, checkout_for, product, product_factory, shop_factory, category
) -> tuple[Payment, list[Order]]:
    """A Paystack payment of a checkout of two orders (20.00 + 2 x 55.50 = 131.00 USD)."""
    paystack_initializes(paystack)
    rug = product_factory(shop=shop_factory(), category=category, name="Rug", price="55.50")
    checkout = checkout_for(customer, [(product.variants.get(), 1), (rug.variants.get(), 2)])
    response = start(client_for(customer), "paystack", checkout=checkout["id"])
    assert response.status_code == 201, response.json()
    payment = Payment.objects.get(pk=response.json()["payment"]["id"])
    assert payment.amount == Decimal("131.00")
    return payment, list(Order.objects.filter(checkout_id=checkout["id"]).order_by("pk"))


def test_ten_simultaneous_callbacks_capture_once(paystack, checkout_payment):
    payment, orders = checkout_payment
    paystack_verifies(paystack, payment.reference, amount=13100)
    stock_before = list(Variant.objects.order_by("pk").values_list("quantity", flat=True))

    results = run_together([verify_call(payment.reference) for _ in range(10)])

    assert [response.status_code for response in results] == [200] * 10
    assert {response.json()["payment"]["status"] for response in results} == {"paid"}
    assert_paid_once(payment, orders)
    assert list(Variant.objects.order_by("pk").values_list("quantity", flat=True)) == (stock_before)
    callbacks = PaymentTransaction.objects.filter(payment=payment, kind="callback")
    assert set(callbacks.values_list("status", flat=True)) == {"paid"}


def test_webhooks_callbacks_and_reconciliation_at_once_capture_once(paystack, checkout_payment):
    payment, orders = checkout_payment
    paystack_verifies(paystack, payment.reference, amount=13100)
    body = charge_success(payment.reference, amount=13100)
    later = timezone.now() + timedelta(minutes=6)

    results = run_together(
        [webhook_call(body) for _ in range(4)]
        + [verify_call(payment.reference) for _ in range(4)]
        + [lambda: payments_reconcile(now=later) for _ in range(2)]
    )

    webhooks = sorted(response.json()["status"] for response in results[:4])
    assert webhooks == ["duplicate", "duplicate", "duplicate", "settled"]
    assert [response.status_code for response in results[:8]] == [200] * 8
    assert_paid_once(payment, orders)
    assert PaymentTransaction.objects.filter(payment=payment, kind="webhook").count() == 1


def test_simultaneous_late_callbacks_take_the_stock_again_once(
    paystack, customer, client_for, product
):
    variant = product.variants.get()
    order = place_order(user=customer, lines=[(variant, 2)])
    paystack_initializes(paystack)
    payment = Payment.objects.get(
        pk=start(client_for(customer), "paystack", order=order.pk).json()["payment"]["id"]
    )
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1
    paystack_verifies(paystack, payment.reference)

    run_together([verify_call(payment.reference) for _ in range(6)])

    assert_paid_once(payment, [order])
    assert Variant.objects.get(pk=variant.pk).quantity == 3
    sales = StockMovement.objects.filter(reason="sale", reference=f"order:{order.number}")
    assert list(sales.values_list("delta", flat=True)) == [-2, -2]


# --- No gateway call inside a transaction -------------------------------------------------------


def outside_transactions(
    answer: Callable[[PreparedRequest], tuple[int, dict[str, str], str]],
    seen: list[bool],
) -> Callable[[PreparedRequest], tuple[int, dict[str, str], str]]:
    """Wrap a responses callback to record whether the HTTP call came inside a transaction."""

    def wrapped(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        seen.append(connection.in_atomic_block)
        return answer(request)

    return wrapped


def test_no_gateway_call_is_made_inside_a_transaction(
    paystack, customer, client_for, product, api_client
):
    """Start, callback, reconciliation and refund all call Paystack with no transaction open
    (so no row lock held)."""
    order = place_order(user=customer, lines=[(product.variants.get(), 2)])
    seen: list[bool] = []

    def initialized(request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        reference = json.loads(request.body or b"")["reference"]
        data = {
            "authorization_url": "https://checkout.paystack.com/abc",
            "access_code": "abc",
            "reference": reference,
        }
        return 200, {}, json.dumps({"status": True, "message": "ok", "data": data})

    paystack.add_callback(
        responses.POST,
        f"{PAYSTACK}/transaction/initialize",
        callback=outside_transactions(initialized, seen),
    )
    client = client_for(customer)
    payment = Payment.objects.get(
        pk=client.post(
            "/api/payments/start/",
            {"order": order.pk, "gateway": "paystack"},
            format="json",
            headers={"Idempotency-Key": "no-locks"},
        ).json()["payment"]["id"]
    )
    verify_answer = {
        "status": True,
        "message": "ok",
        "data": paystack_transaction(
            payment.reference, status="ongoing", gateway_response="ongoing"
        ),
    }
    paystack.add_callback(
        responses.GET,
        f"{PAYSTACK}/transaction/verify/{payment.reference}",
        callback=outside_transactions(lambda request: (200, {}, json.dumps(verify_answer)), seen),
    )
    back = api_client.get(VERIFY, {"gateway": "paystack", "reference": payment.reference})
    assert back.json()["payment"]["status"] == "pending"
    verify_answer["data"] = paystack_transaction(payment.reference)
    assert payments_reconcile(now=timezone.now() + timedelta(minutes=6)).paid == 1
    refunded = {"status": True, "message": "queued", "data": {"id": 3018284, "status": "pending"}}
    paystack.add_callback(
        responses.POST,
        f"{PAYSTACK}/refund",
        callback=outside_transactions(lambda request: (200, {}, json.dumps(refunded)), seen),
    )

    cancelled = client.post(f"/api/orders/{order.pk}/cancel/")

    assert cancelled.status_code == 200, cancelled.json()
    assert Refund.objects.get().status == "succeeded"
    assert [call.request.method for call in paystack.calls] == ["POST", "GET", "GET", "POST"]
    assert seen == [False, False, False, False]
    order.refresh_from_db()
    assert order.payment_status == "refunded"


# --- Lock order ---------------------------------------------------------------------------------


ROW_LOCK = re.compile(r"\bFOR (NO KEY )?UPDATE\b")
FIRST_TABLE = re.compile(r'\sFROM\s+"?(\w+)"?')


def locked_tables(call: Callable[[], Any]) -> list[str]:
    """The tables of every row-locking SELECT (FOR [NO KEY] UPDATE) `call` runs, in order."""
    tables: list[str] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if ROW_LOCK.search(sql):
            found = FIRST_TABLE.search(sql)
            assert found is not None, sql
            tables.append(found.group(1))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        call()
    return tables


@pytest.mark.django_db
def test_a_late_payment_locks_order_coupon_variants_then_payment(
    paystack, customer, client_for, product
):
    """The global lock order (orders, coupon, variants, payment), as placement and
    cancellation take it, so a late payment cannot deadlock with a checkout using the same
    coupon."""
    make_coupon(code="ONCE", kind="percent", value="10", max_uses=5)
    order = place_order(user=customer, lines=[(product.variants.get(), 2)], coupon_code="ONCE")
    paystack_initializes(paystack)
    payment = Payment.objects.get(
        pk=start(client_for(customer), "paystack", order=order.pk).json()["payment"]["id"]
    )
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert orders_expire() == 1
    paystack_verifies(paystack, payment.reference, amount=3600)

    tables = locked_tables(lambda: payment_verify(payment_id=payment.pk))

    order.refresh_from_db()
    assert order.status == "paid"
    first_locks = list(dict.fromkeys(tables))  # later ones re-lock rows already held
    assert first_locks == ["orders_order", "orders_coupon", "catalog_variant", "payments_payment"]


def selects(call: Callable[[], Any]) -> list[tuple[str, bool]]:
    """(table, locking?) of every SELECT `call` runs, in order."""
    seen: list[tuple[str, bool]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().startswith("SELECT") and " FROM " in sql:
            table = sql.split(" FROM ", 1)[1].split()[0].strip('"')
            seen.append((table, ROW_LOCK.search(sql) is not None))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        call()
    return seen


@pytest.mark.django_db
def test_capturing_locks_each_order_once_and_reads_the_payment_once(paystack, checkout_payment):
    payment, orders = checkout_payment

    seen = selects(
        lambda: payment_settle_paid(payment_id=payment.pk, amount=payment.amount, currency="USD")
    )

    assert_paid_once(payment, orders)
    assert [row for row in seen if row[0] == "orders_order" and row[1]] == [("orders_order", True)]
    assert [row for row in seen if row[0] == "payments_payment"] == [("payments_payment", True)]
