"""Every model registered in the admin: its list, search and change pages render for an
administrator, with real rows behind them (a paid, then cancelled and refunded order)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from souk.accounts.services.tokens import tokens_issue
from souk.inventory.services.purchases import purchase_create
from souk.orders.models import Order
from souk.orders.services.lifecycle import order_cancel, order_mark_paid, order_transition
from souk.orders.tests.factories import make_coupon
from souk.payments.models import Payment, Refund

pytestmark = pytest.mark.django_db

MODELS = sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def history(
    customer, client_for, pending_order, api_client, staff, admin_user, product, checkout_for
):
    """An order paid through the sandbox, then cancelled and refunded; a delivered and
    reviewed checkout with a coupon; a restock; a cart; a one-time code; a signed-out token;
    a group."""
    client = client_for(customer)
    started = client.post(
        "/api/payments/start/",
        {"order": pending_order.pk, "gateway": "sandbox"},
        headers={"Idempotency-Key": "admin-pages"},
    )
    reference = started.json()["payment"]["reference"]
    api_client.post(f"/api/payments/sandbox/{reference}/", {"result": "pay"}, format="multipart")
    api_client.get(f"/api/payments/verify/?gateway=sandbox&reference={reference}")
    order_cancel(order_id=pending_order.pk, actor=admin_user)
    assert Payment.objects.get().status == "paid"
    assert Refund.objects.count() == 1

    variant = product.variants.get()
    make_coupon(code="ADMIN5", kind="fixed", value="5")
    client.post("/api/cart/items/", {"variant": variant.pk, "quantity": 1})
    preferences = {"review_received": {"email": False}}
    assert client.put("/api/notifications/preferences/", preferences).status_code == 200
    assert client.post("/api/cart/coupon/", {"code": "ADMIN5"}).status_code == 200
    checkout = checkout_for(customer, [])
    order = Order.objects.get(checkout_id=checkout["id"])
    order_mark_paid(order_id=order.pk)
    for step in ("processing", "shipped", "delivered"):
        order_transition(order_id=order.pk, status=step, actor=staff)
    assert client.post(f"/api/products/{product.pk}/reviews/", {"rating": 5}).status_code == 201
    purchase_create(
        actor=staff,
        shop=product.shop,
        supplier="Clay Co",
        purchased_at=timezone.localdate(),
        items=[{"variant": variant.pk, "quantity": 3, "unit_cost": "4.00"}],
    )
    client.post("/api/cart/items/", {"variant": variant.pk, "quantity": 1})
    preferences = {"review_received": {"email": False}}
    assert client.put("/api/notifications/preferences/", preferences).status_code == 200
    api_client.post("/api/accounts/otp/request/", {"target": customer.email, "purpose": "login"})
    refresh = tokens_issue(user=customer).refresh
    assert client.post("/api/accounts/logout/", {"refresh": refresh}).status_code in (200, 204)
    Group.objects.create(name="Support")
    return pending_order


@pytest.mark.parametrize(("app_label", "model_name"), MODELS)
def test_the_admin_pages_of_every_model_render(admin_client, history, app_label, model_name):
    changelist = reverse(f"admin:{app_label}_{model_name}_changelist")

    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "x"}).status_code == 200

    model = next(
        model
        for model in admin.site._registry
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name)
    )
    manager = getattr(model, "all_objects", model._default_manager)
    row = manager.order_by("pk").first()
    assert row is not None, "the history should put a row behind every admin page"
    change = reverse(f"admin:{app_label}_{model_name}_change", args=[row.pk])
    assert admin_client.get(change).status_code == 200
