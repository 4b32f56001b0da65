"""The offline sandbox gateway end to end: cart -> checkout -> start -> pay page -> verify."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from souk.inventory.tests.factories import ledger_mismatches
from souk.notifications.models import OutboxMessage
from souk.orders.models import Order
from souk.payments.models import Payment, PaymentTransaction, SandboxCharge

pytestmark = pytest.mark.django_db


def test_checkout_paid_through_the_sandbox_pays_every_order(
    customer,
    client_for,
    checkout_for,
    product,
    product_factory,
    shop_factory,
    category,
    api_client,
    django_capture_on_commit_callbacks,
):
    other = product_factory(shop=shop_factory(), category=category, name="Rug", price="55.50")
    checkout = checkout_for(customer, [(product.variants.get(), 1), (other.variants.get(), 2)])
    client = client_for(customer)

    started = client.post(
        "/api/payments/start/", {"checkout": checkout["id"], "gateway": "sandbox"}
    )

    assert started.status_code == 201, started.json()
    body = started.json()
    payment = body["payment"]
    assert payment["status"] == "pending"
    assert payment["amount"] == "131.00"
    assert payment["gateway"] == "sandbox"
    assert body["redirect_url"].endswith(f"/api/payments/sandbox/{payment['reference']}/")

    page = api_client.get(f"/api/payments/sandbox/{payment['reference']}/")
    assert page.status_code == 200
    assert b"131.00" in page.content

    paid_page = api_client.post(
        f"/api/payments/sandbox/{payment['reference']}/", {"result": "pay"}, format="multipart"
    )
    assert paid_page.status_code == 303
    location = paid_page["Location"]
    assert "/api/payments/verify/?gateway=sandbox&reference=" in location

    with django_capture_on_commit_callbacks(execute=True):
        verified = api_client.get(location.split("127.0.0.1:8000", 1)[-1])
    assert verified.status_code == 200, verified.json()
    assert verified.json()["payment"]["status"] == "paid"

    orders = Order.objects.filter(checkout_id=checkout["id"])
    assert {order.status for order in orders} == {"paid"}
    assert all(order.paid_at is not None for order in orders)
    assert {order.payment_status for order in orders} == {"paid"}
    # The buyer is told of each paid order, through the outbox, kicked after the commit.
    assert sorted(
        m.subject for m in mail.outbox if "is paid" in m.subject and m.to == [customer.email]
    ) == sorted(f"Order {order.number} is paid" for order in orders)
    assert set(OutboxMessage.objects.filter(kind="order_paid").values_list("status")) == {("sent",)}
    assert SandboxCharge.objects.get(reference=payment["reference"]).status == "paid"
    assert ledger_mismatches() == []

    again = api_client.get(location.split("127.0.0.1:8000", 1)[-1])
    assert again.status_code == 200
    captures = PaymentTransaction.objects.filter(
        payment_id=payment["id"], kind="capture", status="paid"
    )
    assert captures.count() == 1

    detail = client.get(f"/api/payments/{payment['id']}/")
    assert detail.status_code == 200
    kinds = [row["kind"] for row in detail.json()["transactions"]]
    assert kinds[0] == "request"
    assert "capture" in kinds


def test_failing_on_the_sandbox_page_leaves_the_orders_unpaid(
    customer, client_for, pending_order, api_client
):
    client = client_for(customer)
    started = client.post("/api/payments/start/", {"order": pending_order.pk, "gateway": "sandbox"})
    reference = started.json()["payment"]["reference"]

    api_client.post(f"/api/payments/sandbox/{reference}/", {"result": "fail"}, format="multipart")
    verified = api_client.get(f"/api/payments/verify/?gateway=sandbox&reference={reference}")

    assert verified.status_code == 200
    assert verified.json()["payment"]["status"] == "failed"
    pending_order.refresh_from_db()
    assert pending_order.status == "pending_payment"
    assert Payment.objects.get(reference=reference).amount == Decimal("40.00")
