"""The order history, and telling buyers and shop members about it: one event row per change,
emails sent by a task after commit, each event announced once."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import send_mail
from django.utils import timezone

from souk.accounts.models import User
from souk.core.tasks import enqueue_on_commit
from souk.orders.models import Order, OrderEvent
from souk.shops.models import ShopMember

# event -> (to the buyer?, to the shop's members?, subject)
EVENTS = {
    "placed": (False, True, "New order {number}"),
    "paid": (True, True, "Order {number} is paid"),
    "processing": (False, False, ""),
    "shipped": (True, False, "Order {number} is on its way"),
    "delivered": (True, False, "Order {number} was delivered"),
    "cancelled": (True, True, "Order {number} was cancelled"),
    "expired": (True, False, "Order {number} expired unpaid"),
    "refunded": (True, False, "Order {number} was refunded"),
}


def order_events(*, orders: Iterable[Order], event: str, actor: User | None = None) -> None:
    """Record `event` on these orders and, after commit, tell whom it concerns."""
    rows = OrderEvent.objects.bulk_create(
        [OrderEvent(order=order, event=event, actor=actor) for order in orders]
    )
    to_buyer, to_members, _ = EVENTS[event]
    if rows and (to_buyer or to_members):
        from souk.orders.tasks import orders_notify

        enqueue_on_commit(orders_notify, [row.pk for row in rows])


def _recipients(order: Order, event: str) -> list[str]:
    to_buyer, to_members, _ = EVENTS[event]
    recipients = [order.customer.email] if to_buyer else []
    if to_members:
        recipients += list(
            ShopMember.objects.filter(shop_id=order.shop_id, user__is_active=True).values_list(
                "user__email", flat=True
            )
        )
    return sorted(set(recipients))


def events_notify(*, event_ids: list[int]) -> int:
    """Send the email of each event not yet announced. Each event is claimed before sending
    and released if sending fails, so retries neither skip nor repeat one."""
    sent = 0
    for event in OrderEvent.objects.filter(
        pk__in=event_ids, notified_at__isnull=True
    ).select_related("order__customer", "order__shop"):
        claimed = OrderEvent.objects.filter(pk=event.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if not claimed:
            continue
        order = event.order
        lines = [
            f"{item.quantity} x {item.name} ({item.sku}): {item.line_total} {order.currency}"
            for item in order.items.all()
        ]
        body = (
            f"Order {order.number} from {order.shop.name}: {order.get_status_display()}.\n\n"
            + "\n".join(lines)
            + f"\n\nTotal: {order.total} {order.currency}\n"
        )
        subject = EVENTS[event.event][2].format(number=order.number)
        try:
            recipients = _recipients(order, event.event)
            if recipients:
                send_mail(subject, body, None, recipients)
                sent += 1
        except Exception:
            OrderEvent.objects.filter(pk=event.pk).update(notified_at=None)
            raise
    return sent
