"""Order background jobs: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="souk.orders.tasks.orders_expire")
def orders_expire_task() -> int:
    """Expire unpaid orders past their deadline; safe to run twice at once."""
    from souk.orders.services.lifecycle import orders_expire

    return orders_expire()
