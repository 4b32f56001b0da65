"""The order history, and telling buyers and shop members about it: one event row per change,
emails sent by a task after commit, each event announced once, in a message of its own to each
recipient."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from souk.accounts.models import User
from souk.core.tasks import enqueue_on_commit
from souk.orders.models import Order, OrderEvent
from souk.orders.services.emails import BUYER, MEMBER, Email, order_email
from souk.shops.models import ShopMember

# event -> (to the buyer?, to each of the shop's members?)
EVENTS = {
    "placed": (True, True),
    "paid": (True, True),
    "processing": (False, False),
    "shipped": (True, False),
    "delivered": (True, False),
    "cancelled": (True, True),
    "expired": (True, False),
    "refunded": (True, False),
}


def order_events(*, orders: Iterable[Order], event: str, actor: User | None = None) -> None:
    """Record `event` on these orders and, after commit, tell whom it concerns."""
    rows = OrderEvent.objects.bulk_create(
        [OrderEvent(order=order, event=event, actor=actor) for order in orders]
    )
    to_buyer, to_members = EVENTS[event]
    if rows and (to_buyer or to_members):
        from souk.orders.tasks import orders_notify_task

        enqueue_on_commit(orders_notify_task, [row.pk for row in rows])


def _members(order: Order) -> list[User]:
    """The shop's active members (owner and staff), each once."""
    memberships = (
        ShopMember.objects.filter(shop_id=order.shop_id, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )
    return [membership.user for membership in memberships]


def _emails(order: Order, event: str) -> list[Email]:
    to_buyer, to_members = EVENTS[event]
    emails = []
    if to_buyer and order.customer.is_active:
        buyer = order.customer
        emails.append(
            order_email(
                order=order, event=event, audience=BUYER, to=buyer.email, name=buyer.full_name
            )
        )
    if to_members:
        emails += [
            order_email(
                order=order, event=event, audience=MEMBER, to=member.email, name=member.full_name
            )
            for member in _members(order)
        ]
    return emails


def events_notify(*, event_ids: list[int]) -> int:
    """Send the emails of each event not yet announced, one message per recipient; returns how
    many messages went out. Each event is claimed before sending and released if sending
    fails, so retries never skip one."""
    sent = 0
    events = OrderEvent.objects.filter(pk__in=event_ids, notified_at__isnull=True).select_related(
        "order__customer", "order__shop", "order__coupon", "order__delivery"
    )
    for event in events:
        claimed = OrderEvent.objects.filter(pk=event.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            messages = [
                EmailMessage(email.subject, email.body, None, [email.to])
                for email in _emails(event.order, event.event)
            ]
            if messages:
                sent += get_connection().send_messages(messages) or 0
        except Exception:
            OrderEvent.objects.filter(pk=event.pk).update(notified_at=None)
            raise
    return sent
