"""Delivery schedules: the buyer chooses the method and window before shipping; shop members
record the carrier and tracking number. A field sent back unchanged is not a change, so a
client may PUT what it read."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from souk.core.exceptions import InvalidTransition, NotFound, PermissionDeniedError
from souk.core.services import model_update
from souk.orders.locks import delivery_schedule_lock, order_lock
from souk.orders.models import DeliverySchedule, Order

BUYER_FIELDS = frozenset({"method", "window_start", "window_end", "notes"})
MEMBER_FIELDS = frozenset({"carrier", "tracking_number", "notes"})
BEFORE_SHIPPING = (Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.PROCESSING)
CLOSED = (Order.Status.CANCELLED, Order.Status.EXPIRED)


def delivery_update(
    *, order_id: int, data: dict[str, Any], as_buyer: bool, as_member: bool
) -> DeliverySchedule:
    with transaction.atomic():
        order = order_lock(order_id)
        if order is None or order.deleted_at is not None:
            raise NotFound("No such order.")
        schedule = delivery_schedule_lock(order)
        changes = _changes(schedule, data)
        _check_may_change(changes, as_buyer=as_buyer, as_member=as_member)
        if not changes:
            return schedule
        _check_order_allows(order, changes)
        _check_values(order, schedule, changes)
        model_update(instance=schedule, fields=changes, data=changes)
    return schedule


def _changes(schedule: DeliverySchedule, data: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value differs from the schedule's; a text field sent as null is blank."""
    return {
        key: ("" if value is None and key not in ("window_start", "window_end") else value)
        for key, value in data.items()
        if getattr(schedule, key) != value
    }


def _check_may_change(changes: dict[str, Any], *, as_buyer: bool, as_member: bool) -> None:
    allowed = (BUYER_FIELDS if as_buyer else frozenset()) | (
        MEMBER_FIELDS if as_member else frozenset()
    )
    refused = sorted(set(changes) - allowed)
    if refused:
        raise PermissionDeniedError(f"You may not change: {', '.join(refused)}.")


def _check_order_allows(order: Order, changes: dict[str, Any]) -> None:
    if order.status in CLOSED:
        raise InvalidTransition(f"The order is {order.status}.")
    if set(changes) & (BUYER_FIELDS - MEMBER_FIELDS) and order.status not in BEFORE_SHIPPING:
        raise InvalidTransition("The delivery method and window can change only before shipping.")


def _check_values(order: Order, schedule: DeliverySchedule, changes: dict[str, Any]) -> None:
    if changes.get("method") == DeliverySchedule.Method.DELIVERY and not order.shipping_address:
        raise ValidationError(
            {"method": ["This order has no address to deliver to; it can only be picked up."]}
        )
    start = changes.get("window_start", schedule.window_start)
    end = changes.get("window_end", schedule.window_end)
    if start and end and end <= start:
        raise ValidationError({"window_end": ["The window must end after it starts."]})
    if "window_start" in changes and start and start < timezone.now():
        raise ValidationError({"window_start": ["The window must be in the future."]})
