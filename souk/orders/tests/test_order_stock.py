"""An order takes its stock in its own statement: the quantities and their ledger rows are
written with the order (`souk.inventory.services.stock.StockWrite`), under the number the
order was written with, and the low-stock alerts and caches follow as for any stock change."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Variant
from souk.inventory.locks import variants_lock
from souk.inventory.models import InventoryAlert, StockMovement
from souk.inventory.services.stock import InsufficientStock, StockChange, StockWrite
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import Order
from souk.orders.services import placement
from souk.orders.services.lifecycle import order_cancel
from souk.orders.tests.factories import ensure_address, place_order
from souk.shops.models import Shop

pytestmark = pytest.mark.django_db(transaction=True)
CART_ITEMS, CHECKOUT = "/api/cart/items/", "/api/checkout/"


def _stock_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "UPDATE catalog_variant" in q["sql"]]


def _sales(variant: Variant) -> list[tuple[int, str, int]]:
    return list(
        StockMovement.objects.filter(variant=variant, reason=StockMovement.Reason.SALE)
        .order_by("id")
        .values_list("delta", "reference", "quantity_after")
    )


@pytest.fixture
def mug(shop, category, product_factory) -> Variant:
    return product_factory(shop=shop, category=category, price="20.00", quantity=10).variants.get()


@pytest.fixture
def bowl(other_artisan, category, product_factory) -> Variant:
    other = Shop.objects.get(owner=other_artisan)
    return product_factory(shop=other, category=category, price="10.00", quantity=8).variants.get()


def test_the_order_statement_takes_the_stock_and_writes_the_ledger(customer, mug):
    ensure_address(customer)

    with CaptureQueriesContext(connection) as queries:
        order = place_order(user=customer, lines=[(mug, 3)])

    (statement,) = _stock_statements(queries)
    assert "INSERT INTO orders_order" in statement  # no statement of its own
    mug.refresh_from_db()
    assert mug.quantity == 7
    assert _sales(mug) == [(-3, f"order:{order.number}", 7)]
    movement = StockMovement.objects.get(variant=mug, reason=StockMovement.Reason.SALE)
    assert (movement.actor_id, movement.shop_id) == (customer.pk, mug.shop_id)
    assert ledger_mismatches() == []


def test_a_taken_number_takes_the_stock_once_under_the_number_written(monkeypatch, customer, mug):
    """The first try draws a number an order has: it writes nothing, the stock included, and
    the ledger names the number of the try that wrote the order."""
    existing = place_order(user=customer, lines=[(mug, 1)]).number
    drawn = iter([existing, "SK-000000-AAAAAA"])
    monkeypatch.setattr(placement, "_order_number", lambda: next(drawn))

    order = place_order(user=customer, lines=[(mug, 2)])

    assert order.number == "SK-000000-AAAAAA"
    mug.refresh_from_db()
    assert mug.quantity == 7
    assert _sales(mug) == [(-1, f"order:{existing}", 9), (-2, "order:SK-000000-AAAAAA", 7)]
    assert ledger_mismatches() == []


def test_an_order_crossing_the_threshold_raises_the_alert_and_its_cancel_resolves_it(
    settings, customer, mug
):
    settings.LOW_STOCK_THRESHOLD = 3
    place_order(user=customer, lines=[(mug, 2)])  # 8: above the threshold
    assert not InventoryAlert.objects.filter(variant=mug).exists()

    order = place_order(user=customer, lines=[(mug, 5)])  # 3: at the threshold

    alert = InventoryAlert.objects.get(variant=mug)
    assert (alert.quantity, alert.threshold, alert.resolved_at) == (3, 3, None)
    place_order(user=customer, lines=[(mug, 1)])  # 2: still low, the same alert
    assert InventoryAlert.objects.filter(variant=mug, resolved_at__isnull=True).count() == 1

    order_cancel(order_id=order.pk, actor=customer)  # 7: back above it

    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert ledger_mismatches() == []


def _add(client: Any, variant: Variant, quantity: int) -> None:
    body = {"variant": variant.pk, "quantity": quantity}
    assert client.post(CART_ITEMS, body, format="json").status_code in (200, 201)


def test_a_checkout_of_two_shops_takes_each_shops_stock_with_its_order(
    client_for, customer, mug, bowl
):
    ensure_address(customer)
    buyer = client_for(customer)
    _add(buyer, mug, 2)
    _add(buyer, bowl, 3)

    with CaptureQueriesContext(connection) as queries:
        response = buyer.post(CHECKOUT, {}, format="json")

    assert response.status_code == 201, response.content
    statements = _stock_statements(queries)
    assert len(statements) == 2
    assert all("INSERT INTO orders_order" in sql for sql in statements)
    orders = {order.shop_id: order for order in Order.objects.filter(customer=customer)}
    mug.refresh_from_db()
    bowl.refresh_from_db()
    assert (mug.quantity, bowl.quantity) == (8, 5)
    assert _sales(mug) == [(-2, f"order:{orders[mug.shop_id].number}", 8)]
    assert _sales(bowl) == [(-3, f"order:{orders[bowl.shop_id].number}", 5)]
    assert ledger_mismatches() == []


def test_a_short_checkout_writes_nothing(client_for, customer, mug, bowl):
    ensure_address(customer)
    buyer = client_for(customer)
    _add(buyer, mug, 2)
    _add(buyer, bowl, 3)
    Variant.objects.filter(pk=bowl.pk).update(quantity=2)

    response = buyer.post(CHECKOUT, {}, format="json")

    assert response.status_code == 409
    assert response.json()["errors"] == {
        "items": [{"variant": bowl.pk, "requested": 3, "available": 2}]
    }
    assert Order.objects.count() == 0
    assert _sales(mug) == _sales(bowl) == []
    mug.refresh_from_db()
    assert mug.quantity == 10


def test_a_stock_write_refuses_a_shortage_or_a_variant_not_locked(customer, mug, bowl):
    from django.db import transaction

    with transaction.atomic():
        locked = variants_lock([mug.pk])
        with pytest.raises(InsufficientStock) as short:
            StockWrite(
                changes=[StockChange(mug.pk, -11)],
                reason=StockMovement.Reason.SALE,
                locked=locked,
                only_if="o",
            )
        assert short.value.shortages == [{"variant": mug.pk, "requested": 11, "available": 10}]
        with pytest.raises(InsufficientStock):
            StockWrite(
                changes=[StockChange(bowl.pk, -1)],
                reason=StockMovement.Reason.SALE,
                locked=locked,
                only_if="o",
            )
