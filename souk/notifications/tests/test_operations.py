"""What an operator sees and does: the outbox lag in /readyz, and dead letters sent again
from the admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from souk.notifications.models import Kind, OutboxMessage
from souk.notifications.services.dispatch import outbox_dispatch

pytestmark = pytest.mark.django_db


def _message(user, order, **fields):
    return OutboxMessage.objects.create(
        channel="email",
        recipient=user,
        kind=Kind.ORDER_PLACED,
        data={"order": order.pk, "event": "placed", "audience": "buyer"},
        **fields,
    )


@pytest.fixture
def order(customer, shop, category, product_factory):
    from souk.orders.services.placement import order_place
    from souk.orders.tests.factories import ensure_address

    variant = product_factory(
        shop=shop, category=category, price="10.00", quantity=5
    ).variants.get()
    ensure_address(customer)
    placed = order_place(user=customer, shop=shop, items=[(variant.pk, 1)])
    OutboxMessage.objects.all().delete()  # the placement's own messages are not under test
    return placed


def test_readyz_reports_how_far_behind_the_outbox_is(client, customer, order):
    oldest = _message(customer, order, created_at=timezone.now() - timedelta(seconds=90))
    _message(customer, order)
    _message(customer, order, status=OutboxMessage.Status.DEAD)
    _message(customer, order, status=OutboxMessage.Status.SENT)

    body = client.get("/readyz").json()

    outbox = body["details"]["outbox"]
    assert (outbox["pending"], outbox["dead"]) == (2, 1)
    assert 90 <= outbox["oldest_pending_seconds"] < 120
    oldest.delete()
    assert client.get("/readyz").json()["details"]["outbox"]["oldest_pending_seconds"] < 30


def test_an_admin_sends_a_dead_message_again(client, admin_user, customer, order):
    dead = _message(
        customer,
        order,
        status=OutboxMessage.Status.DEAD,
        attempts=8,
        last_error="SMTPServerDisconnected: gone",
    )
    sent = _message(customer, order, status=OutboxMessage.Status.SENT, attempts=1)
    client.force_login(admin_user)

    response = client.post(
        "/admin/notifications/outboxmessage/",
        {"action": "send_again", "_selected_action": [dead.pk, sent.pk]},
    )

    assert response.status_code == 302
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.last_error) == ("pending", 0, "")
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("sent", 1)  # a sent message is never sent again
    mail.outbox.clear()
    assert outbox_dispatch().sent == 1
    assert [m.to for m in mail.outbox] == [[customer.email]]
    dead.refresh_from_db()
    assert dead.status == "sent"


def test_the_outbox_admin_pages_render(client, admin_user, customer, order):
    message = _message(customer, order)
    client.force_login(admin_user)

    assert (
        client.get("/admin/notifications/outboxmessage/?status__exact=pending").status_code == 200
    )
    assert client.get(f"/admin/notifications/outboxmessage/{message.pk}/change/").status_code == 200
    assert client.get("/admin/notifications/notification/").status_code == 200


def test_a_count_read_before_a_new_notification_and_stored_after_it_is_never_served(customer):
    """A slow reader counts 0 from the database, a notification commits and forgets the
    count, then the reader stores its 0: the next read must still see the new one. With one
    cache key per user, the stale 0 was served until it expired."""
    from django.core.cache import cache

    from souk.notifications.models import Notification
    from souk.notifications.services import inbox

    assert inbox.unread_count(user=customer) == 0
    generation = cache.get(inbox._generation_key(customer.pk), 0)
    stale_key = f"notifications:unread:{customer.pk}:{generation}"  # where the reader stores

    Notification.objects.create(recipient=customer, kind=Kind.ORDER_PAID, title="Paid")
    inbox.unread_forget([customer.pk])  # after that commit
    cache.set(stale_key, 0)  # the slow reader's store lands last

    assert inbox.unread_count(user=customer) == 1


def test_kicks_reuse_their_thread_s_broker_connection(settings):
    """Opening a broker connection (and declaring the queue) for every kick cost as much as
    the rest of the outbox write; a thread's kicks share one connection."""
    from unittest import mock

    from config.celery import app as celery_app
    from souk.notifications.services import dispatch

    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    dispatch._kick()  # Celery sets up its (disabled) event dispatcher once per process
    dispatch._kick_producer_drop()
    opened = mock.Mock(wraps=celery_app.connection_for_write)
    try:
        with mock.patch.object(celery_app, "connection_for_write", opened):
            for _ in range(3):
                dispatch._kick()
            opened_for_kicks = opened.call_count
    finally:
        celery_app.conf.task_always_eager = True
        dispatch._kick_producer_drop()
        celery_app.control.purge()

    assert opened_for_kicks == 1


def test_old_sent_and_skipped_messages_are_pruned_dead_and_recent_ones_stay(
    settings, monkeypatch, customer, order
):
    from souk.notifications.services import prune

    settings.OUTBOX_KEEP_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    recent = timezone.now() - timedelta(days=29)
    gone = [
        _message(customer, order, status=OutboxMessage.Status.SENT, created_at=old),
        _message(customer, order, status=OutboxMessage.Status.SKIPPED, created_at=old),
    ]
    kept = [
        _message(customer, order, status=OutboxMessage.Status.DEAD, created_at=old),
        _message(customer, order, created_at=old),  # still pending
        _message(customer, order, status=OutboxMessage.Status.SENT, created_at=recent),
    ]
    monkeypatch.setattr(prune, "PRUNE_BATCH", 1)  # several statements

    assert prune.outbox_prune() == 2

    assert not OutboxMessage.objects.filter(pk__in=[m.pk for m in gone]).exists()
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {m.pk for m in kept}


def test_the_kick_connection_bounds_its_socket_wait():
    """A broker that accepts the connection and then stops answering holds a kick (and the
    request that committed before it) at most KICK_CONNECT_TIMEOUT."""
    from souk.notifications.services import dispatch

    dispatch._kick_producer_drop()
    try:
        options = dispatch._kick_producer().connection.transport_options
    finally:
        dispatch._kick_producer_drop()

    assert options["socket_timeout"] == dispatch.KICK_CONNECT_TIMEOUT == 1.0
    assert options["max_retries"] == 0


def test_kicks_are_published_by_a_thread_merging_asks_and_following_each_one(monkeypatch, settings):
    """A request only asks for a kick after its commit; a thread of the process publishes.
    Asks made while a kick is being published are merged into the next kick, and each ask is
    followed by a publish that starts after it."""
    import threading
    import time

    from config.celery import app as celery_app
    from souk.notifications.services import dispatch

    started: list[float] = []
    releases = threading.Semaphore(0)

    def slow_kick() -> None:
        started.append(time.monotonic())
        releases.acquire(timeout=5)  # a publish that takes as long as the test wants

    kicker = dispatch._Kicker()
    monkeypatch.setattr(dispatch, "_kick", slow_kick)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    try:
        published = burst(kicker, started, releases)
    finally:
        celery_app.conf.task_always_eager = True
        releases.release()
    assert published[0] == 2  # 21 asks, 2 publishes
    assert published[1] > published[2]  # the burst is followed by a publish begun after it
    assert kicker.published == 1  # the merged one is still being published


def burst(kicker: Any, started: list[float], releases: Any) -> tuple[int, float, float]:
    """Ask once, then 20 times while that first publish is held: (publishes started, when
    the last one started, when the last ask was made)."""
    import time

    kicker.ask()  # starts the thread; its first publish is now held
    deadline = time.monotonic() + 5
    while not started and time.monotonic() < deadline:
        time.sleep(0.01)
    for _ in range(20):  # a burst while the first publish is under way
        kicker.ask()
    last_ask = time.monotonic()
    releases.release()  # the first publish ends
    while len(started) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # nothing else starts
    return len(started), started[-1], last_ask
