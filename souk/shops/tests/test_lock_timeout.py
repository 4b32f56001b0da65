"""A row held locked past DB_LOCK_TIMEOUT_MS fails the request with 503 `service_unavailable`
(problem details) and changes nothing; the worker never waits forever (DESIGN.md 3)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from souk.catalog.models import Product
from souk.shops.locks import shop_lock
from souk.shops.models import Shop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]


def test_a_shop_locked_elsewhere_past_the_lock_timeout_is_503_and_nothing_changes(
    settings, client_for, artisan, shop, product
):
    settings.DB_LOCK_TIMEOUT_MS = 100
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                shop_lock(shop_id=shop.pk)
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(timeout=30)
        response = client_for(artisan).delete(f"/api/shops/{shop.pk}/")
    finally:
        release.set()
        holder.join(timeout=30)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert (body["status"], body["code"], body["title"]) == (
        503,
        "service_unavailable",
        "Service unavailable",
    )
    assert Shop.objects.filter(pk=shop.pk).exists()
    assert Product.objects.filter(pk=product.pk).exists()
