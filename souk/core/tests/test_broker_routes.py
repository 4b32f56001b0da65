"""Every task goes to the queue chosen for it, on RabbitMQ (quorum queues for payments and
notifications) and on Redis alike."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator

import pytest
import redis
from celery import Celery
from django.conf import settings
from kombu import Connection

from config.celery import app
from souk.core.tests.rabbitmq import VirtualHost, virtual_host

ROUTES = {
    "payments": {"souk.payments.tasks.refund_send"},
    "notifications": {
        "souk.notifications.tasks.outbox_dispatch",
        "souk.accounts.tasks.otp_send",
    },
    "default": {
        "souk.orders.tasks.orders_expire",
        "souk.analytics.tasks.marketplace_refresh",
    },
    "slow": {
        "souk.payments.tasks.payments_reconcile",
        "souk.analytics.tasks.rollup_reconcile",
        "souk.catalog.tasks.discovery_maps_rebuild",
        "souk.catalog.tasks.category_products_reindex",
        "souk.inventory.tasks.alerts_rescan",
        "souk.accounts.tasks.otp_codes_prune",
        "souk.core.tasks.idempotency_prune",
        "souk.notifications.tasks.outbox_prune",
    },
}
QUORUM = {"payments", "notifications"}


def project_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if name.startswith("souk.")}


def probe_app(broker_url: str, **transport_options: object) -> Celery:
    """An app with the project's Celery settings and another broker (the project app keeps a
    producer pool bound to the broker it first used)."""
    probe = Celery("routes-probe", set_as_current=False)
    probe.config_from_object("django.conf:settings", namespace="CELERY")
    probe.conf.update(
        broker_url=broker_url,
        task_always_eager=False,
        broker_transport_options={**settings.CELERY_BROKER_TRANSPORT_OPTIONS, **transport_options},
    )
    return probe


def test_every_task_has_a_route_of_its_own_and_every_queue_is_declared():
    declared = {queue.name: queue for queue in settings.CELERY_TASK_QUEUES}

    routed = {name: route["queue"] for name, route in settings.CELERY_TASK_ROUTES.items()}

    assert set(routed) == project_tasks()
    assert {name: queue for queue, names in ROUTES.items() for name in names} == routed
    assert set(declared) == set(ROUTES)
    assert {name for name, queue in declared.items() if queue.queue_arguments} == QUORUM
    for name in QUORUM:
        assert declared[name].queue_arguments == {"x-queue-type": "quorum"}
        assert declared[name].durable
    # native delayed delivery (retries with a countdown on quorum queues) needs topic exchanges
    assert {queue.exchange.type for queue in declared.values()} == {"topic"}
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"


@pytest.fixture
def vhost() -> Iterator[VirtualHost]:
    with virtual_host() as created:
        yield created


def test_on_rabbitmq_each_task_lands_on_its_queue_and_payments_and_notifications_are_quorum(
    vhost,
):
    probe = probe_app(vhost.url)

    for name in sorted(project_tasks()):
        probe.send_task(name)
    landed: dict[str, set[str]] = defaultdict(set)
    with Connection(vhost.url) as connection:
        for queue in settings.CELERY_TASK_QUEUES:
            bound = queue(connection.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                landed[queue.name].add(message.headers["task"])
    probe.close()
    types = vhost.queue_types()

    assert landed == ROUTES
    assert {name: types[name] for name in ROUTES} == {
        "payments": "quorum",
        "notifications": "quorum",
        "default": "classic",
        "slow": "classic",
    }


def test_on_redis_each_task_lands_on_its_queue():
    prefix = f"souk-test-routes-{uuid.uuid4().hex[:8]}:"
    probe = probe_app(settings.TEST_REDIS_URL, global_keyprefix=prefix)
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    try:
        for name in sorted(project_tasks()):
            probe.send_task(name)
        landed: dict[str, set[str]] = defaultdict(set)
        for queue in ROUTES:
            for body in client.lrange(f"{prefix}{queue}", 0, -1):
                landed[queue].add(_task_name(body))
    finally:
        probe.close()
        stale = list(client.scan_iter(f"{prefix}*"))
        if stale:
            client.delete(*stale)

    assert landed == ROUTES


def _task_name(body: bytes) -> str:
    return str(json.loads(body)["headers"]["task"])
