"""Orders placed, counted for Prometheus (souk.orders.metrics) once their transaction commits."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from souk.orders.models import Order
from souk.orders.tests.factories import ensure_address

pytestmark = pytest.mark.django_db


def placed(flow: str) -> float:
    return REGISTRY.get_sample_value("souk_orders_placed_total", {"flow": flow}) or 0.0


def test_a_direct_order_is_counted_after_its_commit(
    client_for, customer, shop, product, django_capture_on_commit_callbacks
):
    ensure_address(customer)
    body = {"shop": shop.pk, "items": [{"variant": product.variants.get().pk, "quantity": 1}]}
    before = placed("direct")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(customer).post("/api/orders/", body, format="json")
        assert placed("direct") == before  # not before the commit
    assert response.status_code == 201, response.content
    for callback in callbacks:
        callback()

    assert placed("direct") == before + 1


def test_a_refused_order_is_not_counted(
    client_for, customer, shop, product, django_capture_on_commit_callbacks
):
    ensure_address(customer)
    body = {"shop": shop.pk, "items": [{"variant": product.variants.get().pk, "quantity": 999}]}
    before = placed("direct")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(customer).post("/api/orders/", body, format="json")

    assert response.status_code == 409
    assert Order.objects.count() == 0
    assert placed("direct") == before


def test_a_checkout_counts_each_of_its_orders(
    client_for, customer, product, product_factory, shop_factory, category,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    other = product_factory(shop=shop_factory(), category=category)
    client = client_for(customer)
    address = ensure_address(customer)
    for variant in (product.variants.get(), other.variants.get()):
        assert client.post("/api/cart/items/", {"variant": variant.pk}).status_code == 201
    before = placed("checkout")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/checkout/", {"shipping_address": address.pk})

    assert response.status_code == 201, response.content
    assert len(response.json()["orders"]) == 2
    assert placed("checkout") == before + 2
