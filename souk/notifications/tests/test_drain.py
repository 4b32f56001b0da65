"""Draining a large outbox: one batch in memory at a time, every message sent exactly once."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from souk.inventory.models import InventoryAlert
from souk.notifications.models import OutboxMessage
from souk.notifications.services.dispatch import outbox_dispatch

# Real commits (as in production, where each claim and mark is its own transaction), on a
# worker of its own when the suite runs in parallel.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("drain")]

MESSAGES = 100_000
# One batch of messages with their recipients, rendered texts and query results is well
# under 1 MB; 100,000 rows loaded at once would take hundreds.
PEAK_BYTES = 8 * 1024 * 1024
TRACED_SECONDS = 3.0


class CountingSmsBackend:
    """Counts what it is given and keeps nothing (a list of 100,000 texts would be the very
    memory this test watches)."""

    sent = 0

    def send(self, *, to: str, body: str, key: str | None = None) -> None:
        CountingSmsBackend.sent += 1


def insert_pending_sms(*, count: int, recipient_id: int, shop_id: int, alert_id: int) -> None:
    """`count` due low-stock SMS messages, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO notifications_outboxmessage (key, channel, recipient_id, kind, data,"
            " status, attempts, available_at, created_at, last_error)"
            " SELECT gen_random_uuid(), 'sms', %s, 'low_stock', %s::jsonb, 'pending', 0,"
            " now() - interval '1 second', now(), '' FROM generate_series(1, %s)",
            [recipient_id, f'{{"shop": {shop_id}, "alerts": [{alert_id}]}}', count],
        )


def test_a_100k_outbox_drains_one_batch_at_a_time_each_message_sent_once(
    settings, artisan, shop, product
):
    settings.SMS_BACKEND = f"{__name__}.CountingSmsBackend"
    CountingSmsBackend.sent = 0
    artisan.phone = "+212600000001"
    artisan.save(update_fields=["phone"])
    alert = InventoryAlert.objects.create(
        shop=shop, variant=product.variants.get(), quantity=2, threshold=3
    )
    insert_pending_sms(count=MESSAGES, recipient_id=artisan.pk, shop_id=shop.pk, alert_id=alert.pk)
    outbox_selects: list[str] = []

    def watch(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if sql.startswith("SELECT") and 'FROM "notifications_outboxmessage"' in sql:
            outbox_selects.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(watch):
        # The first run, with every message pending, traced (tracing slows Python down a few
        # times over, so the rest of the drain runs untraced).
        tracemalloc.start()
        try:
            runs = [outbox_dispatch(budget_seconds=TRACED_SECONDS)]
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        while runs[-1].more:
            runs.append(outbox_dispatch())

    assert sum(run.sent for run in runs) == MESSAGES
    assert sum(run.retried + run.dead + run.skipped for run in runs) == 0
    # Every message is marked sent, and marked only after it was handed to the provider: with
    # as many sends as messages, each was sent exactly once.
    assert CountingSmsBackend.sent == MESSAGES
    assert list(
        OutboxMessage.objects.values_list("status", "attempts").annotate(n=Count("id"))
    ) == [(OutboxMessage.Status.SENT, 1, MESSAGES)]
    # One claim per batch (and a last one that finds nothing), each reading one batch.
    batch = settings.OUTBOX_BATCH_SIZE
    assert len(outbox_selects) == MESSAGES // batch + 1
    claim_end = f'LIMIT {batch} FOR NO KEY UPDATE OF "notifications_outboxmessage" SKIP LOCKED'
    assert [sql for sql in outbox_selects if not sql.endswith(claim_end)] == []
    assert runs[0].sent > 0
    assert peak < PEAK_BYTES, peak
