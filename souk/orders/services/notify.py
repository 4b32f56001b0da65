"""The order history: one event row per placement and status change, handed in the same
transaction to the notifications app, which writes whom to tell (souk.orders.hooks)."""

from __future__ import annotations

from collections.abc import Iterable

from souk.accounts.models import User
from souk.orders.hooks import order_events_recorded
from souk.orders.models import Order, OrderEvent


def order_events(*, orders: Iterable[Order], event: str, actor: User | None = None) -> None:
    """Record `event` on these orders and have whom it concerns told."""
    rows = OrderEvent.objects.bulk_create(
        [OrderEvent(order=order, event=event, actor=actor) for order in orders]
    )
    if rows:
        order_events_recorded.handler(events=rows)
