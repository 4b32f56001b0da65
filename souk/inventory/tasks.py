"""Inventory background jobs: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def alerts_notify(alert_ids: list[int]) -> int:
    from souk.inventory.services.notify import alerts_notify as notify

    return notify(alert_ids=alert_ids)


@shared_task
def alerts_rescan() -> tuple[int, int]:
    from souk.inventory.services.alerts import alerts_rescan as rescan

    return rescan()
