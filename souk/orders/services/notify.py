"""The order history: one event row per placement and status change, handed in the same
transaction to the notifications app, which writes whom to tell, and, for changes of revenue,
to the analytics app (souk.orders.hooks)."""

from __future__ import annotations

from collections.abc import Iterable

from souk.accounts.models import User
from souk.orders.hooks import order_events_recorded, order_revenue_changed
from souk.orders.models import Order, OrderEvent

# Events that move an order into revenue or out of it (when it had been paid).
REVENUE_EVENTS = frozenset({"paid", "cancelled"})


def order_events(*, orders: Iterable[Order], event: str, actor: User | None = None) -> None:
    """Record `event` on these orders and have whom it concerns told."""
    orders = list(orders)
    rows = OrderEvent.objects.bulk_create(
        [OrderEvent(order=order, event=event, actor=actor) for order in orders]
    )
    order_events_announce(orders=orders, events=rows, event=event)


def order_events_announce(*, orders: list[Order], events: list[OrderEvent], event: str) -> None:
    """Hand event rows written in this transaction (by `order_events`, or with the orders
    themselves at placement) to whom they concern."""
    if events:
        order_events_recorded.handler(events=events)
    changed = [order for order in orders if order.paid_at is not None]
    if event in REVENUE_EVENTS and changed:
        order_revenue_changed.handler(orders=changed, event=event)
