"""Steps of order flows owned by apps above orders, registered in their `AppConfig.ready`."""

from __future__ import annotations

from typing import Protocol

from souk.core.hooks import Hook
from souk.orders.models import Order, OrderEvent


class PaidOrderCancelled(Protocol):
    def __call__(self, *, order: Order) -> object: ...


# A paid order was cancelled: inside the cancelling transaction, under the order's lock, open
# its refund (sent to the gateway after commit). Registered by souk.payments.
paid_order_cancelled: Hook[PaidOrderCancelled] = Hook("orders.paid_order_cancelled")


class OrderEventsRecorded(Protocol):
    def __call__(self, *, events: list[OrderEvent]) -> object: ...


# Events were added to orders' history (placed, paid, shipped...): inside the same transaction,
# write the notifications and outbox messages that tell whom they concern. Registered by
# souk.notifications.
order_events_recorded: Hook[OrderEventsRecorded] = Hook("orders.order_events_recorded")


class OrderRevenueChanged(Protocol):
    def __call__(self, *, orders: list[Order], event: str) -> object: ...


# Orders became revenue ("paid") or left it ("cancelled" after payment): inside the same
# transaction, keep the figures derived from revenue current. Registered by souk.analytics.
order_revenue_changed: Hook[OrderRevenueChanged] = Hook("orders.order_revenue_changed")
