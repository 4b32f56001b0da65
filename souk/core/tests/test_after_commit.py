"""A request whose effect was committed answers its 2xx even when work queued after the
commit cannot be sent (the broker is down). Notifications wait in the outbox, written in the
request's transaction, for the beat sweep to deliver them."""

from __future__ import annotations

import logging
import re
import socket
import time

import pytest
from django.core import mail

from config.celery import app as celery_app
from souk.accounts.models import OtpCode
from souk.inventory.models import InventoryAlert
from souk.notifications.models import OutboxMessage
from souk.notifications.services.dispatch import KICK_INTERVAL_SECONDS, outbox_dispatch
from souk.orders.models import Order, OrderEvent
from souk.orders.tests.factories import ensure_address, place_order
from souk.payments.models import Payment

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def broker_down():
    """Tasks are published to a broker nobody listens on (as in production, not eagerly)."""
    conf = celery_app.conf
    saved = {
        "task_always_eager": conf.task_always_eager,
        "broker_url": conf.broker_url,
        "task_publish_retry_policy": conf.task_publish_retry_policy,
    }
    conf.task_always_eager = False
    conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.pool.force_close_all()
        for key, value in saved.items():
            setattr(conf, key, value)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


KICK_FAILED = "could not kick the outbox dispatcher; the sweep will deliver"


def _queue_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "souk.tasks"]


def _kick_failures(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage())
        for r in caplog.records
        if r.name == "souk.notifications.services.dispatch"
    ]


def _await_kick_failures(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """The kick failures, once the process's kicker thread has published (it does so off the
    request, at most once per KICK_INTERVAL_SECONDS)."""
    deadline = time.monotonic() + 10
    while not _kick_failures(caplog) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(KICK_INTERVAL_SECONDS + 0.1)  # and nothing more comes
    return _kick_failures(caplog)


def _outbox() -> list[tuple[str, str, str, int]]:
    """(kind, recipient's email, status, attempts) of every outbox message, sorted."""
    return sorted(
        OutboxMessage.objects.values_list("kind", "recipient__email", "status", "attempts")
    )


def test_a_direct_order_answers_201_while_the_broker_is_down(
    broker_down, customer, artisan, client_for, shop, product, caplog
):
    caplog.set_level(logging.WARNING)
    ensure_address(customer)
    variant = product.variants.get()
    stock_before = variant.quantity

    response = client_for(customer).post(
        "/api/orders/", {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 2}]}
    )

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert response.json()["id"] == order.pk
    assert order.items.get().quantity == 2
    variant.refresh_from_db()
    assert variant.quantity == stock_before - 2
    assert list(OrderEvent.objects.filter(order=order).values_list("event", flat=True)) == [
        "placed"
    ]
    assert InventoryAlert.objects.filter(variant=variant).count() == 1  # fell to the threshold
    # The messages committed with the order and wait for the sweep.
    assert _outbox() == sorted(
        [
            ("low_stock", artisan.email, "pending", 0),
            ("order_placed", artisan.email, "pending", 0),
            ("order_placed", customer.email, "pending", 0),
        ]
    )
    # One kick per transaction, however many of its writes (order events, alerts) asked.
    assert _await_kick_failures(caplog) == [("WARNING", KICK_FAILED)]
    assert _queue_failures(caplog) == []
    assert mail.outbox == []

    # The sweep delivers them.
    assert outbox_dispatch().sent == 3
    assert sorted(m.to for m in mail.outbox) == sorted(
        [[artisan.email], [artisan.email], [customer.email]]
    )
    assert {status for _k, _e, status, _a in _outbox()} == {"sent"}


def test_a_checkout_answers_201_while_the_broker_is_down(
    broker_down, customer, artisan, client_for, shop, product, caplog
):
    caplog.set_level(logging.WARNING)
    client = client_for(customer)
    address = ensure_address(customer)
    variant = product.variants.get()
    added = client.post("/api/cart/items/", {"variant": variant.pk, "quantity": 1})
    assert added.status_code == 201

    response = client.post("/api/checkout/", {"shipping_address": address.pk})

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert response.json()["orders"][0]["id"] == order.pk
    assert order.checkout_id == response.json()["id"]
    assert client.get("/api/cart/").json()["items"] == []
    assert _outbox() == sorted(
        [
            ("order_placed", artisan.email, "pending", 0),
            ("order_placed", customer.email, "pending", 0),
        ]
    )
    assert _await_kick_failures(caplog) == [("WARNING", KICK_FAILED)]
    assert _queue_failures(caplog) == []


@pytest.fixture
def placed_order(customer, product):
    return place_order(user=customer, lines=[(product.variants.get(), 2)])


def test_a_payment_start_answers_201_while_the_broker_is_down(
    placed_order, broker_down, customer, client_for
):
    order = placed_order

    response = client_for(customer).post(
        "/api/payments/start/", {"order": order.pk, "gateway": "sandbox"}
    )

    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    assert response.json()["payment"]["reference"] == payment.reference
    assert payment.status == "pending"


def test_an_order_with_an_idempotency_key_is_replayed_after_the_broker_was_down(
    broker_down, customer, client_for, shop, product
):
    ensure_address(customer)
    client = client_for(customer)
    body = {"shop": shop.pk, "items": [{"variant": product.variants.get().pk, "quantity": 1}]}

    first = client.post("/api/orders/", body, HTTP_IDEMPOTENCY_KEY="order-1")
    again = client.post("/api/orders/", body, HTTP_IDEMPOTENCY_KEY="order-1")

    assert first.status_code == 201, first.content
    assert (again.status_code, again.json()) == (201, first.json())
    assert Order.objects.count() == 1


def test_a_one_time_code_is_never_logged_while_the_broker_is_down(
    broker_down, api_client, user_factory, caplog
):
    caplog.set_level(logging.DEBUG)
    user = user_factory(email="otp-outage@example.com")

    response = api_client.post(
        "/api/accounts/otp/request/", {"target": user.email, "purpose": "login"}, format="json"
    )

    assert response.status_code == 202, response.content
    failures = _queue_failures(caplog)
    assert failures == ["could not queue task souk.accounts.tasks.otp_send after commit"]
    assert OtpCode.objects.count() == 1
    logged = "\n".join(r.getMessage() + str(r.args) + str(r.exc_text) for r in caplog.records)
    assert not re.search(r"\b\d{6}\b", logged), logged


def test_every_after_commit_callback_is_robust() -> None:
    """A callback that raises after the commit would turn the committed request into a 500:
    each one is registered with `robust=True` (errors logged, the rest still run), except the
    task dispatcher, which catches and logs its own failures."""
    import ast
    from pathlib import Path

    import souk

    root = Path(souk.__file__).parent
    fragile = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "on_commit"
                and not any(
                    k.arg == "robust"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is True
                    for k in node.keywords
                )
                and path != root / "core" / "tasks.py"
            ):
                fragile.append(f"{path.name}:{node.lineno}")
    assert fragile == []
