"""Order background jobs: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="souk.orders.tasks.orders_notify",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def orders_notify_task(event_ids: list[int]) -> int:
    from souk.orders.services.notify import events_notify

    return events_notify(event_ids=event_ids)


@shared_task(name="souk.orders.tasks.orders_expire")
def orders_expire_task() -> int:
    """Expire unpaid orders past their deadline; safe to run twice at once."""
    from souk.orders.services.lifecycle import orders_expire

    return orders_expire()
