"""Inventory background jobs: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="souk.inventory.tasks.alerts_rescan")
def alerts_rescan_task() -> tuple[int, int]:
    """(raised, resolved): a Rescan, sent as a plain pair."""
    from souk.inventory.services.alerts import alerts_rescan

    return alerts_rescan()
