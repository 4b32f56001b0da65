"""Idempotency-Key with services that own their transactions: no row lock is held while the
response is rendered, and a request whose order committed but whose response was never stored
is answered, on retry, with that same order (never a second one)."""

from __future__ import annotations

import importlib
import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from souk.catalog.models import Variant
from souk.core.models import IdempotencyRecord
from souk.inventory.tests.factories import ledger_mismatches
from souk.orders.models import CartItem, Checkout, Order
from souk.orders.services import placement
from souk.orders.services.cart import cart_item_add
from souk.orders.tests.factories import ensure_address

ORDERS = "/api/orders/"
CHECKOUT = "/api/checkout/"

# A second database connection probes the rows: these tests commit for real and share the
# threads worker (`--dist loadgroup`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]


class Crash(BaseException):
    """The process dying: not an error any handler catches."""


def stock(variant: Variant) -> int:
    return Variant.all_objects.values_list("quantity", flat=True).get(pk=variant.pk)


def locked_elsewhere(variant_ids: list[int]) -> bool:
    """Whether another connection fails to lock these variant rows at once."""
    outcome: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {Variant._meta.db_table} WHERE id = ANY(%s) "  # noqa: S608
                    "FOR UPDATE NOWAIT",
                    [variant_ids],
                )
            outcome.append(False)
        except Exception:  # noqa: BLE001 - "could not obtain lock" is the answer
            outcome.append(True)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(30)
    return outcome == [True]


def probing(target: str, variant_ids: list[int], seen: list[bool]) -> Any:
    """Patch the function that renders the answer (`module.name`) to note, each time it runs,
    whether the variants are locked."""
    module_name, name = target.rsplit(".", 1)
    module = importlib.import_module(module_name)
    real = getattr(module, name)

    def rendering(*args: Any, **kwargs: Any) -> Any:
        seen.append(locked_elsewhere(variant_ids))
        return real(*args, **kwargs)

    return mock.patch.object(module, name, rendering)


@pytest.fixture
def variant(product_factory, shop, category) -> Variant:
    return product_factory(shop=shop, category=category, quantity=10).variants.get()


@pytest.fixture
def buyer(client_for, customer) -> Any:
    ensure_address(customer)
    return client_for(customer)


def order_body(shop: Any, variant: Variant, quantity: int = 2) -> dict[str, Any]:
    return {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": quantity}]}


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "o-1"}], ids=["plain", "keyed"])
def test_no_row_lock_is_held_while_an_order_is_rendered(buyer, shop, variant, headers):
    seen: list[bool] = []

    with probing("souk.orders.api.views.orders.order_payload", [variant.pk], seen):
        response = buyer.post(ORDERS, order_body(shop, variant), format="json", headers=headers)

    assert response.status_code == 201, response.content
    assert seen == [False]
    assert stock(variant) == 8


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "c-1"}], ids=["plain", "keyed"])
def test_no_row_lock_is_held_while_a_checkout_is_rendered(buyer, customer, shop, variant, headers):
    cart_item_add(user=customer, variant=variant, quantity=3)
    seen: list[bool] = []

    with probing("souk.orders.api.views.checkout.checkout_payload", [variant.pk], seen):
        response = buyer.post(CHECKOUT, {}, format="json", headers=headers)

    assert response.status_code == 201, response.content
    assert seen == [False]
    assert stock(variant) == 7
    assert not CartItem.objects.exists()


def test_a_crash_after_the_order_committed_is_answered_with_that_order_on_retry(
    buyer, customer, shop, variant
):
    headers = {"Idempotency-Key": "crash-1"}
    body = order_body(shop, variant)

    with (
        mock.patch("souk.core.idempotency._store", side_effect=Crash),
        pytest.raises(Crash),
    ):
        buyer.post(ORDERS, body, format="json", headers=headers)

    (order,) = Order.objects.all()
    assert stock(variant) == 8
    record = IdempotencyRecord.objects.get()
    assert record.state == IdempotencyRecord.State.IN_PROGRESS
    # Until the claim goes stale the first attempt may still be answering.
    early = buyer.post(ORDERS, body, format="json", headers=headers)
    assert early.status_code == 409
    assert early.json()["code"] == "idempotency_in_progress"
    assert Order.objects.count() == 1

    stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    IdempotencyRecord.objects.filter(pk=record.pk).update(updated_at=stale)
    retried = buyer.post(ORDERS, body, format="json", headers=headers)

    assert retried.status_code == 201, retried.content
    assert retried.json()["id"] == order.pk
    assert retried.json()["customer"]["id"] == customer.pk
    assert retried["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert stock(variant) == 8
    assert ledger_mismatches() == []
    replayed = buyer.post(ORDERS, body, format="json", headers=headers)
    assert (replayed.status_code, replayed.content) == (201, retried.content)
    assert Order.objects.count() == 1


def test_a_failure_rendering_a_committed_checkout_is_retried_at_once_with_that_checkout(
    buyer, customer, shop, variant
):
    cart_item_add(user=customer, variant=variant, quantity=3)
    headers = {"Idempotency-Key": "render-1"}

    with mock.patch(
        "souk.orders.api.views.checkout.checkout_payload", side_effect=RuntimeError("bug")
    ):
        failed = buyer.post(CHECKOUT, {}, format="json", headers=headers)

    assert failed.status_code == 500
    (checkout,) = Checkout.objects.all()
    assert stock(variant) == 7

    retried = buyer.post(CHECKOUT, {}, format="json", headers=headers)

    assert retried.status_code == 201, retried.content
    assert retried.json()["id"] == checkout.pk
    assert [order["id"] for order in retried.json()["orders"]] == list(
        Order.objects.values_list("pk", flat=True)
    )
    assert (Checkout.objects.count(), Order.objects.count()) == (1, 1)
    assert stock(variant) == 7
    assert not CartItem.objects.exists()
    replayed = buyer.post(CHECKOUT, {}, format="json", headers=headers)
    assert (replayed.status_code, replayed.content) == (201, retried.content)
    assert replayed["Idempotent-Replayed"] == "true"
    assert Checkout.objects.count() == 1


def test_a_claim_taken_over_while_its_order_was_being_placed_creates_nothing(buyer, shop, variant):
    """The first attempt ran past the stale limit and a retry took its key over: the first
    attempt's order is rolled back when it comes to record itself, so the retry's is the only
    one."""
    headers = {"Idempotency-Key": "slow-1"}
    body = order_body(shop, variant)
    real_place = placement.order_place
    answers: list[Any] = []

    def slow_place(**kwargs: Any) -> Order:
        stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
        IdempotencyRecord.objects.update(updated_at=stale)
        with mock.patch("souk.orders.api.views.orders.order_place", real_place):
            answers.append(buyer.post(ORDERS, body, format="json", headers=headers))
        return real_place(**kwargs)

    with mock.patch("souk.orders.api.views.orders.order_place", slow_place):
        first = buyer.post(ORDERS, body, format="json", headers=headers)

    (retry,) = answers
    assert retry.status_code == 201, retry.content
    assert first.status_code == 409
    assert first.json()["code"] == "idempotency_in_progress"
    (order,) = Order.objects.all()
    assert retry.json()["id"] == order.pk
    assert stock(variant) == 8
    replayed = buyer.post(ORDERS, body, format="json", headers=headers)
    assert (replayed.status_code, replayed.content) == (201, retry.content)
