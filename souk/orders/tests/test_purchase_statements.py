"""The purchase path's round trips to PostgreSQL, counted as a production request makes them
(autocommit, real transactions): a direct order is at most 6 statements, BEGIN and COMMIT
included, its stock taken by the order's own statement (8 with a coupon: its lock, and its
use with its redemption), and an Idempotency-Key adds at most 2. The cart and checkout are
counted in test_cart_statements.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from souk.orders.tests.factories import ensure_address, make_coupon

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("threads")]
ORDERS = "/api/orders/"


@contextmanager
def round_trips() -> Iterator[dict[str, Any]]:
    """Count what the default connection sends: statements (execute), and each transaction's
    BEGIN (psycopg sends it implicitly before its first statement) and COMMIT or ROLLBACK."""
    counts: dict[str, Any] = {"statements": [], "transactions": 0}

    def spy(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        counts["statements"].append(" ".join(sql.split())[:80])
        return execute(sql, *args)

    ends = {}
    for name in ("commit", "rollback"):
        original = getattr(connection, name)

        def ended(original: Callable[[], None] = original) -> None:
            counts["transactions"] += 1
            original()

        ends[name] = original
        setattr(connection, name, ended)
    try:
        with connection.execute_wrapper(spy):
            yield counts
    finally:
        for name, original in ends.items():
            setattr(connection, name, original)


def total(counts: dict[str, Any]) -> int:
    return len(counts["statements"]) + 2 * counts["transactions"]


@pytest.fixture(autouse=True)
def _dispatcher_elsewhere(monkeypatch):
    """The outbox dispatcher runs in a worker, not in the request (tasks run eagerly in
    tests): the request only asks for it."""
    from souk.notifications.services import dispatch

    monkeypatch.setattr(dispatch._kicks, "ask", lambda: None)


@pytest.fixture
def buyer(client_for, customer, shop, product_factory, category):
    ensure_address(customer)
    client = client_for(customer)
    variant = product_factory(shop=shop, category=category, quantity=50).variants.get()
    body = {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 1}]}
    assert client.post(ORDERS, body, format="json").status_code == 201  # the auth state cached
    return client, body


def lock_settings(settings: Any) -> int:
    """The statement a locking transaction spends on its lock_timeout where connections do not
    open with it (behind a transaction pooler, souk.core.locks): 1 there, else 0."""
    return int(settings.DB_LOCK_TIMEOUT_MS != settings.DB_SESSION_LOCK_TIMEOUT_MS)


def test_a_direct_order_is_at_most_six_round_trips(buyer, settings):
    client, body = buyer

    with round_trips() as counts:
        response = client.post(ORDERS, body, format="json")

    assert response.status_code == 201, response.content
    assert total(counts) <= 6 + lock_settings(settings), counts["statements"]
    assert counts["transactions"] == 1, counts


def test_a_coupon_adds_at_most_two_to_a_direct_order(buyer, settings):
    """The coupon found and locked in one statement, and its use counted with its
    redemption in another."""
    client, body = buyer
    make_coupon(code="TENOFF")

    with round_trips() as counts:
        response = client.post(ORDERS, {**body, "coupon": "TENOFF"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["discount"] != "0.00"
    assert total(counts) <= 8 + lock_settings(settings), counts["statements"]


def test_an_idempotency_key_adds_at_most_two(buyer):
    client, body = buyer

    with round_trips() as plain:
        assert client.post(ORDERS, body, format="json").status_code == 201
    with round_trips() as keyed:
        response = client.post(ORDERS, body, format="json", headers={"Idempotency-Key": "k-1"})

    assert response.status_code == 201, response.content
    assert total(keyed) - total(plain) <= 2, (plain, keyed)


@pytest.mark.parametrize("route", ["orders", "checkout"])
def test_an_address_id_beyond_64_bits_is_a_400_not_a_500(buyer, route):
    client, body = buyer
    path, sent = (ORDERS, body) if route == "orders" else ("/api/checkout/", {})
    if route == "checkout":
        client.post("/api/cart/items/", {"variant": body["items"][0]["variant"]}, format="json")

    response = client.post(path, {**sent, "shipping_address": 2**63}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert "shipping_address" in response.json()["errors"]
