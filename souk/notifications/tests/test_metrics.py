"""The outbox's lag at /metrics, read at scrape time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from souk.notifications.models import OutboxMessage
from souk.orders.tests.factories import place_order

pytestmark = pytest.mark.django_db
TOKEN = "outbox-metrics-token"  # noqa: S105


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if sample.name.startswith("souk_outbox_")
    }


def test_pending_and_dead_messages_and_the_oldest_ones_age(
    client, settings, monkeypatch, customer, product
):
    from souk.notifications.services import dispatch

    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setattr(dispatch._kicks, "ask", lambda: None)  # no worker sends them
    assert scrape(client) == {
        "souk_outbox_pending_messages": 0,
        "souk_outbox_oldest_pending_age_seconds": 0,
        "souk_outbox_dead_messages": 0,
    }
    place_order(user=customer, lines=[(product.variants.get(), 1)])
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    count = pending.count()
    assert count >= 1
    oldest = pending.order_by("id").first()
    OutboxMessage.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - timedelta(seconds=90)
    )
    OutboxMessage.objects.filter(pk=pending.order_by("-id").first().pk).update(
        status=OutboxMessage.Status.DEAD
    )

    figures = scrape(client)

    assert figures["souk_outbox_pending_messages"] == count - 1
    assert 90 <= figures["souk_outbox_oldest_pending_age_seconds"] < 120
    assert figures["souk_outbox_dead_messages"] == 1
