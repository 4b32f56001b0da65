"""Writing notifications and outbox messages in the transaction of the change they report.

The lower apps call these through their hooks (souk.orders.hooks, souk.inventory.hooks,
souk.catalog.hooks) inside the transaction that made the change, so the in-app notification
and every message to send commit with it, or not at all. Each recipient gets entries of their
own: one notification, and one message per channel they chose. After commit the unread counts
of the recipients are forgotten and a dispatcher is kicked (best effort; the beat sweep
delivers what the kick missed)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from souk.catalog.models import Review
from souk.core.arrays import id_array
from souk.core.renderers import dumps
from souk.inventory.models import InventoryAlert
from souk.notifications.models import (
    DEFAULT_CHANNELS,
    ORDER_KINDS,
    Channel,
    Kind,
)
from souk.notifications.services.dispatch import dispatch_on_commit
from souk.notifications.services.inbox import unread_forget_on_commit
from souk.notifications.texts import BUYER, MEMBER, order_title
from souk.orders.models import OrderEvent

# order event -> (kind, to the buyer?, to each of the shop's members?)
ORDER_EVENTS: dict[str, tuple[Kind, bool, bool]] = {
    "placed": (Kind.ORDER_PLACED, True, True),
    "paid": (Kind.ORDER_PAID, True, True),
    "shipped": (Kind.ORDER_SHIPPED, True, False),
    "delivered": (Kind.ORDER_DELIVERED, True, False),
    "cancelled": (Kind.ORDER_CANCELLED, True, True),
    "expired": (Kind.ORDER_EXPIRED, True, False),
    "refunded": (Kind.REFUND_ISSUED, True, True),
}

# Lines of a low-stock notification before "and N more".
LOW_STOCK_LINES = 10


@dataclass(frozen=True)
class Recipient:
    """A user as the write path needs them: where they can be reached and what they chose."""

    user_id: int
    email: str
    phone: str
    choices: dict[str, dict[str, bool]]

    def wants(self, kind: str, channel: str) -> bool:
        if channel == Channel.IN_APP and kind in ORDER_KINDS:
            return True  # cannot be switched off
        channels = self.choices.get(kind) if isinstance(self.choices, dict) else None
        chosen = channels.get(channel) if isinstance(channels, dict) else None
        if not isinstance(chosen, bool):  # not chosen (or not a choice): the default
            chosen = DEFAULT_CHANNELS[Channel(channel)]
        if not chosen:
            return False
        if channel == Channel.EMAIL:
            return bool(self.email)
        if channel == Channel.SMS:
            return bool(self.phone)
        return True


# The people to tell, with their preferences, in one statement: the given users (source -1),
# the current members of the given shops (source: the shop's id; a removed member's
# membership is soft-deleted and tells nothing) and, when asked, the platform admins
# (source 0). Inactive accounts are left out.
_PEOPLE_SQL = """
SELECT s.source, u.id, u.email, u.phone, p.choices
FROM (
    SELECT -1 AS source, id AS user_id FROM accounts_user WHERE id = ANY(%(users)s::bigint[])
    UNION ALL
    SELECT m.shop_id, m.user_id FROM shops_shopmember m
    WHERE m.shop_id = ANY(%(shops)s::bigint[]) AND m.deleted_at IS NULL
    UNION ALL
    SELECT 0, id FROM accounts_user WHERE %(admins)s AND is_staff
) s
JOIN accounts_user u ON u.id = s.user_id AND u.is_active
LEFT JOIN notifications_preference p ON p.user_id = u.id
ORDER BY s.source, u.email
"""

# The notifications and outbox messages of one change, in one statement (a data-modifying
# CTE runs whether or not the outer statement reads it).
_WRITE_SQL = """
WITH notified AS (
    INSERT INTO notifications_notification (recipient_id, kind, title, body, data, created_at)
    SELECT n.recipient, n.kind, n.title, n.body, n.data, now()
    FROM jsonb_to_recordset(%s::jsonb) AS n(recipient bigint, kind text, title text,
                                            body text, data jsonb)
)
INSERT INTO notifications_outboxmessage
    (key, channel, recipient_id, kind, data, status, attempts, available_at, created_at,
     last_error)
SELECT gen_random_uuid(), m.channel, m.recipient, m.kind, m.data, 'pending', 0, now(),
       now(), ''
FROM jsonb_to_recordset(%s::jsonb) AS m(channel text, recipient bigint, kind text, data jsonb)
"""


def _people(
    *, users: Iterable[int] = (), shops: Iterable[int] = (), admins: bool = False
) -> tuple[dict[int, Recipient], dict[int, list[Recipient]], list[Recipient]]:
    """In one query: the active `users`, the active members of `shops` (per shop, each once),
    and, with `admins`, the active platform admins; each with their preferences."""
    by_user: dict[int, Recipient] = {}
    by_shop: dict[int, list[Recipient]] = defaultdict(list)
    staff: list[Recipient] = []
    user_ids, shop_ids = sorted(set(users)), sorted(set(shops))
    if not (user_ids or shop_ids or admins):
        return by_user, by_shop, staff
    with connection.cursor() as cursor:
        cursor.execute(
            _PEOPLE_SQL,
            {"users": id_array(user_ids), "shops": id_array(shop_ids), "admins": admins},
        )
        rows = cursor.fetchall()
    for source, user_id, email, phone, choices in rows:
        if isinstance(choices, str):
            choices = json.loads(choices)
        recipient = Recipient(
            user_id=user_id, email=email or "", phone=phone or "", choices=choices or {}
        )
        if source == -1:
            by_user[user_id] = recipient
        elif source == 0:
            staff.append(recipient)
        elif all(r.user_id != user_id for r in by_shop[source]):
            by_shop[source].append(recipient)
    return by_user, by_shop, staff


@dataclass
class _Writes:
    """The notifications and messages of one change, written together (each list sent as one
    JSON parameter)."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        recipient: Recipient,
        *,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any],
        message: dict[str, Any],
    ) -> None:
        if recipient.wants(kind, Channel.IN_APP):
            self.notifications.append(
                {
                    "recipient": recipient.user_id,
                    "kind": str(kind),
                    "title": str(title),
                    "body": str(body),
                    "data": data,
                }
            )
        for channel in (Channel.EMAIL, Channel.SMS):
            if recipient.wants(kind, channel):
                self.messages.append(
                    {
                        "channel": str(channel),
                        "recipient": recipient.user_id,
                        "kind": str(kind),
                        "data": message,
                    }
                )

    def save(self) -> None:
        if not (self.notifications or self.messages):
            return
        with connection.cursor() as cursor:
            cursor.execute(
                _WRITE_SQL, [dumps(self.notifications).decode(), dumps(self.messages).decode()]
            )
        if self.notifications:
            unread_forget_on_commit({row["recipient"] for row in self.notifications})
        if self.messages:
            dispatch_on_commit()


def order_events_record(*, events: list[OrderEvent]) -> None:
    """Handler of souk.orders.hooks.order_events_recorded: the buyer and, for the kinds that
    concern them, each member of the shop get a notification and their messages."""
    wanted = [(event, ORDER_EVENTS[event.event]) for event in events if event.event in ORDER_EVENTS]
    if not wanted:
        return
    buyers = {event.order.customer_id for event, (_, to_buyer, _m) in wanted if to_buyer}
    shops = {event.order.shop_id for event, (_, _b, to_members) in wanted if to_members}
    by_user, by_shop, _staff = _people(users=buyers, shops=shops)
    writes = _Writes()
    for event, (kind, to_buyer, to_members) in wanted:
        order = event.order
        audiences: list[tuple[str, Recipient]] = []
        if to_buyer and order.customer_id in by_user:
            audiences.append((BUYER, by_user[order.customer_id]))
        if to_members:
            audiences += [(MEMBER, member) for member in by_shop.get(order.shop_id, [])]
        data = {"order": order.pk, "shop": order.shop_id}
        for audience, recipient in audiences:
            title, body = order_title(order=order, event=event.event, audience=audience)
            writes.add(
                recipient,
                kind=kind,
                title=title,
                body=body,
                data=data,
                message={"order": order.pk, "event": event.event, "audience": audience},
            )
    writes.save()


def low_stock_record(*, alert_ids: list[int]) -> None:
    """Handler of souk.inventory.hooks.low_stock_raised: per shop, one notification for each
    member and each platform admin, listing the shop's new alerts."""
    alerts = list(
        InventoryAlert.objects.filter(pk__in=alert_ids)
        .select_related("variant__product", "shop")
        .order_by("shop_id", "id")
    )
    if not alerts:
        return
    by_shop_alerts: dict[int, list[InventoryAlert]] = defaultdict(list)
    for alert in alerts:
        by_shop_alerts[alert.shop_id].append(alert)
    _users, by_shop, staff = _people(shops=by_shop_alerts, admins=True)
    writes = _Writes()
    for shop_id, shop_alerts in by_shop_alerts.items():
        shop = shop_alerts[0].shop
        lines = [
            _("%(product)s (SKU %(sku)s): %(quantity)s left")
            % {
                "product": alert.variant.product.name,
                "sku": alert.variant.sku,
                "quantity": alert.quantity,
            }
            for alert in shop_alerts[:LOW_STOCK_LINES]
        ]
        if len(shop_alerts) > LOW_STOCK_LINES:
            lines.append(_("and %(count)s more") % {"count": len(shop_alerts) - LOW_STOCK_LINES})
        data: dict[str, Any] = {"shop": shop_id}
        if len(shop_alerts) == 1:
            data |= {
                "product": shop_alerts[0].variant.product_id,
                "variant": shop_alerts[0].variant_id,
            }
        title = _("Low stock in %(shop)s") % {"shop": shop.name}
        recipients = list(by_shop.get(shop_id, []))
        recipients += [r for r in staff if all(r.user_id != m.user_id for m in recipients)]
        for recipient in recipients:
            writes.add(
                recipient,
                kind=Kind.LOW_STOCK,
                title=title,
                body="\n".join(lines),
                data=data,
                message={"shop": shop_id, "alerts": [alert.pk for alert in shop_alerts]},
            )
    writes.save()


def review_record(*, review: Review) -> None:
    """Handler of souk.catalog.hooks.review_received: each member of the product's shop."""
    product = review.product
    _users, by_shop, _staff = _people(shops=[product.shop_id])
    title = _("New %(rating)s-star review of %(product)s") % {
        "rating": review.rating,
        "product": product.name,
    }
    body = review.title or review.body[:200]
    writes = _Writes()
    for member in by_shop.get(product.shop_id, []):
        writes.add(
            member,
            kind=Kind.REVIEW_RECEIVED,
            title=title,
            body=body,
            data={"shop": product.shop_id, "product": product.pk},
            message={"review": review.pk},
        )
    writes.save()
