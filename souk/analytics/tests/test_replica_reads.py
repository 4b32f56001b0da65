"""The shop dashboard with a read replica (souk.core.db_router): computed on the replica,
except just after a sale renewed it, when the replica may not have replayed the sale yet.
The `replica` alias of the test settings is a second connection to the test database."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connections

from souk.analytics.services.cache import dashboards_renew_on_commit
from souk.core.db_router import replica_health_reset
from souk.core.testing import QueriesByAlias
from souk.orders.services.lifecycle import order_mark_paid
from souk.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def replica(settings: Any):
    settings.DATABASE_REPLICA_ALIAS = "replica"
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5.0
    settings.DATABASE_REPLICA_CHECK_SECONDS = 1.0
    replica_health_reset()
    yield
    replica_health_reset()
    connections["replica"].close()


def dashboard(client: Any, shop: Any) -> tuple[dict[str, Any], QueriesByAlias]:
    with QueriesByAlias() as captured:
        response = client.get(f"/api/shops/{shop.pk}/dashboard/")
    assert response.status_code == 200, response.content
    return response.json(), captured


def test_the_dashboard_is_computed_on_the_replica(client_for, artisan, shop):
    _, captured = dashboard(client_for(artisan), shop)

    assert captured.on_replica("orders_order")
    assert captured.on_default("orders_order") == []


def test_right_after_a_sale_the_dashboard_is_computed_on_the_primary(
    client_for, artisan, customer, shop, product
):
    order = place_order(user=customer, lines=[(product.variants.get(), 2)])
    assert order_mark_paid(order_id=order.pk) is True  # renews the shop's dashboard

    body, captured = dashboard(client_for(artisan), shop)

    assert body["kpis"]["orders"] == 1
    assert captured.on_default("orders_order")
    assert captured.on_replica("orders_order") == []


def test_once_the_replica_has_had_time_it_computes_the_renewed_dashboard(
    client_for, artisan, shop, settings
):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 0.2
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0.0
    dashboards_renew_on_commit([shop.pk])
    time.sleep(0.3)

    _, captured = dashboard(client_for(artisan), shop)

    assert captured.on_replica("orders_order")
    assert captured.on_default("orders_order") == []


def test_who_may_read_the_dashboard_is_decided_on_the_primary(client_for, artisan, shop):
    _, captured = dashboard(client_for(artisan), shop)

    assert captured.on_default("shops_shopmember")
    assert captured.on_replica("shops_shopmember") == []
    assert captured.on_replica("orders_order")  # the figures themselves: the replica
