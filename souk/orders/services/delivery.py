"""Delivery schedules: the buyer chooses the method and window before shipping; shop members
record the carrier and tracking number. A field sent back unchanged is not a change, so a
client may PUT what it read."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from souk.core.exceptions import InvalidTransition, NotFound, PermissionDeniedError
from souk.orders.locks import delivery_schedule_lock, order_lock
from souk.orders.models import DeliverySchedule, Order

BUYER_FIELDS = frozenset({"method", "window_start", "window_end", "notes"})
MEMBER_FIELDS = frozenset({"carrier", "tracking_number", "notes"})
BEFORE_SHIPPING = (Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.PROCESSING)
CLOSED = (Order.Status.CANCELLED, Order.Status.EXPIRED)


def delivery_update(
    *, order_id: int, data: dict[str, Any], as_buyer: bool, as_member: bool
) -> DeliverySchedule:
    allowed = (BUYER_FIELDS if as_buyer else frozenset()) | (
        MEMBER_FIELDS if as_member else frozenset()
    )
    with transaction.atomic():
        order = order_lock(order_id)
        if order is None or order.deleted_at is not None:
            raise NotFound("No such order.")
        schedule = delivery_schedule_lock(order)
        changes = {
            key: ("" if value is None and key not in ("window_start", "window_end") else value)
            for key, value in data.items()
            if getattr(schedule, key) != value
        }
        refused = sorted(set(changes) - allowed)
        if refused:
            raise PermissionDeniedError(f"You may not change: {', '.join(refused)}.")
        if not changes:
            return schedule
        if order.status in CLOSED:
            raise InvalidTransition(f"The order is {order.status}.")
        if set(changes) & (BUYER_FIELDS - MEMBER_FIELDS) and order.status not in BEFORE_SHIPPING:
            raise InvalidTransition(
                "The delivery method and window can change only before shipping."
            )
        if changes.get("method") == DeliverySchedule.Method.DELIVERY and not order.shipping_address:
            raise ValidationError(
                {"method": ["This order has no address to deliver to; it can only be picked up."]}
            )
        for key, value in changes.items():
            setattr(schedule, key, value)
        start, end = schedule.window_start, schedule.window_end
        if start and end and end <= start:
            raise ValidationError({"window_end": ["The window must end after it starts."]})
        if "window_start" in changes and start and start < timezone.now():
            raise ValidationError({"window_start": ["The window must be in the future."]})
        schedule.save()
    return schedule
