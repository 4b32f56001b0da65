"""Order background jobs: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def orders_notify(event_ids: list[int]) -> int:
    from souk.orders.services.notify import events_notify

    return events_notify(event_ids=event_ids)


@shared_task
def orders_expire() -> int:
    """Expire unpaid orders past their deadline; safe to run twice at once."""
    from souk.orders.services.lifecycle import orders_expire as expire

    return expire()
