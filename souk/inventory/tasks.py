"""Inventory background jobs: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="souk.inventory.tasks.alerts_notify",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def alerts_notify_task(alert_ids: list[int]) -> int:
    from souk.inventory.services.notify import alerts_notify

    return alerts_notify(alert_ids=alert_ids)


@shared_task(name="souk.inventory.tasks.alerts_rescan")
def alerts_rescan_task() -> tuple[int, int]:
    """(raised, resolved): a Rescan, sent as a plain pair."""
    from souk.inventory.services.alerts import alerts_rescan

    return alerts_rescan()
