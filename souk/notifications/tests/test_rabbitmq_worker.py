"""The outbox on RabbitMQ: a real Celery worker process consuming from the local RabbitMQ (a
virtual host of each test's own), orders placed over HTTP in this process, their dispatcher
kicked through RabbitMQ, and mail written to files by the worker.

1. a worker started without -Q consumes all four queues; payments and notifications are
   quorum queues, default and slow classic ones; an order's emails are delivered once each;
2. a worker killed with SIGKILL in the middle of the dispatch task: RabbitMQ puts the
   unacknowledged message back, the next worker runs it again, and every email reaches the
   sink exactly once (the first, accepted before the kill, is not sent again).

No beat runs here: the only dispatcher is the task the order's commit queued."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models.functions import Now

from config.celery import app as celery_app
from souk.core.tests.rabbitmq import VirtualHost, virtual_host
from souk.notifications.models import OutboxMessage
from souk.notifications.tests.test_outbox_worker import (
    Workers,
    delivered,
    keys,
    statuses,
    wait_until,
)
from souk.orders.tests.factories import ensure_address

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("outbox_worker"),
    pytest.mark.slow,
]

ORDERS = "/api/orders/"
ROOT = Path(__file__).resolve().parents[3]
SENT = OutboxMessage.Status.SENT
PENDING = OutboxMessage.Status.PENDING
RECEIVED = re.compile(r"Task souk\.notifications\.tasks\.outbox_dispatch\[([0-9a-f-]+)\] received")
QUEUE_TYPES = {
    "default": "classic",
    "slow": "classic",
    "payments": "quorum",
    "notifications": "quorum",
}


@pytest.fixture
def vhost(settings) -> Iterator[VirtualHost]:
    """A virtual host of this test's own; this process kicks dispatchers through it."""
    with virtual_host() as created:
        saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = created.url
        celery_app.conf.update(task_always_eager=False, broker_url=created.url)
        try:
            yield created
        finally:
            celery_app.conf.update(task_always_eager=saved[0], broker_url=saved[1])


@pytest.fixture
def workers(vhost, tmp_path, transactional_db) -> Iterator[Workers]:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    # no beat: the only dispatcher is the task the order's commit queued; what the assertions
    # read from the log ("Task ... received", the quorum-queue notice) is logged at INFO
    started = Workers(
        broker_url=vhost.url,
        base=tmp_path,
        mail_dir=mail_dir,
        prefix="rabbitmq-test",
        beat=False,
        env={"LOG_LEVEL": "INFO"},
    )
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def place(client_for, user_factory, product_factory, shop, category) -> Callable[[], Any]:
    """place() -> the response to one order of one unit, by a new buyer, over HTTP."""
    variant = product_factory(shop=shop, category=category, quantity=100).variants.get()
    body = {"shop": shop.pk, "items": [{"variant": variant.pk, "quantity": 1}]}

    def order() -> Any:
        buyer = user_factory(role="customer")
        ensure_address(buyer)
        return client_for(buyer).post(ORDERS, body, format="json")

    return order


def test_a_worker_on_rabbitmq_consumes_every_queue_and_delivers_an_order_once(
    vhost, workers, place
):
    workers.start()

    response = place()
    wait_until(statuses_all_sent, seconds=30, what="delivery of the order", log=workers.log)
    types = vhost.queue_types()
    consumers = {name: vhost.queue_state(name)[1] for name in QUEUE_TYPES}

    assert response.status_code == 201
    assert {name: types[name] for name in QUEUE_TYPES} == QUEUE_TYPES
    assert consumers == dict.fromkeys(QUEUE_TYPES, 1)
    assert statuses() == {SENT: 2}
    assert delivered(workers.mail_dir) == Counter(dict.fromkeys(keys(), 1))
    assert "Global QoS is disabled" in workers.log.read_text()


def statuses_all_sent() -> bool:
    return not OutboxMessage.objects.exclude(status=SENT).exists()


def test_a_worker_killed_mid_task_on_rabbitmq_gets_its_message_redelivered_and_sends_once(
    vhost, workers, place, tmp_path, record_property
):
    marker = tmp_path / "stalled"
    stalling = {
        "SOUK_WORKER_TEST_EMAIL_BACKEND": (
            "souk.notifications.tests.backends.StallOnSecondEmailBackend"
        ),
        "SOUK_WORKER_TEST_STALL_MARKER": str(marker),
        "OUTBOX_LEASE_SECONDS": "3",
    }
    first = workers.start(**stalling)

    assert place().status_code == 201
    wait_until(marker.exists, seconds=20, what="stalled second send", log=workers.log)
    in_flight = vhost.queue_state("notifications")
    workers.kill(first)
    killed_at = time.monotonic()
    wait_until(
        lambda: vhost.queue_state("notifications") == (1, 0),
        seconds=20,
        what="the dispatch message back in its queue",
        log=workers.log,
    )
    requeued_after = time.monotonic() - killed_at

    # the worker had taken the dispatcher's task (none ready, the worker consuming) and not
    # acknowledged it when it was killed: the message is back; the email the provider accepted
    # before the kill is marked sent
    assert first.returncode == -signal.SIGKILL
    assert in_flight == (0, 1)
    assert statuses() == {SENT: 1, PENDING: 1}
    accepted = {str(OutboxMessage.objects.get(status=SENT).key)}
    assert delivered(workers.mail_dir) == Counter(dict.fromkeys(accepted, 1))

    # the lease of the message the killed worker was sending runs out; then the redelivered
    # task (the only dispatcher: no beat, no new order) sends it
    wait_until(
        lambda: OutboxMessage.objects.filter(status=PENDING, available_at__lte=Now()).exists(),
        seconds=20,
        what="the end of the killed dispatcher's lease",
        log=workers.log,
    )
    workers.start(**stalling)
    wait_until(
        statuses_all_sent, seconds=30, what="delivery by the redelivered task", log=workers.log
    )
    wait_until(
        lambda: vhost.queue_state("notifications") == (0, 1),
        seconds=20,
        what="the redelivered message acknowledged",
        log=workers.log,
    )

    # both workers received the one dispatch task the order queued
    received = RECEIVED.findall(workers.log.read_text())
    assert len(received) == 2
    assert len(set(received)) == 1
    assert statuses() == {SENT: 2}
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1, 2]
    assert OutboxMessage.objects.get(key__in=accepted).attempts == 1
    assert delivered(workers.mail_dir) == Counter(dict.fromkeys(keys(), 1))
    record_property("requeued_seconds_after_kill", round(requeued_after, 2))
