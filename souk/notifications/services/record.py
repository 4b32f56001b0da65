"""Writing notifications and outbox messages in the transaction of the change they report.

The lower apps call these through their hooks (souk.orders.hooks, souk.inventory.hooks,
souk.catalog.hooks) inside the transaction that made the change, so the in-app notification
and every message to send commit with it, or not at all. Each recipient gets entries of their
own: one notification, and one message per channel they chose. After commit the unread counts
of the recipients are forgotten and a dispatcher is kicked (best effort; the beat sweep
delivers what the kick missed)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from souk.catalog.models import Review
from souk.core.renderers import dumps
from souk.inventory.models import InventoryAlert
from souk.notifications.models import (
    DEFAULT_CHANNELS,
    ORDER_KINDS,
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


# The notifications and outbox messages of one change, in one statement. Each entry is one
# thing to tell one audience (its kind, title, body, notification data and message data), and
# names its people: `user` (for an order, its buyer), the current members of `shop` (a removed
# member's membership is soft-deleted and tells nothing) and, with `admins`, the platform
# admins who are not among those members. Inactive accounts are left out. Each person gets the
# channels they chose for the entry's kind (a choice that is not a JSON boolean is the default;
# the in-app notification of an order kind, `locked`, cannot be switched off), email only with
# an email address and SMS only with a phone number. Rows are written in entry order, then the
# user, the members and the admins, each by email; a person's email message before their SMS.
# Returned: who got an in-app notification, and whether any message was written.
_RECORD_SQL = """
WITH entry AS (
    SELECT *
    FROM ROWS FROM (
        jsonb_to_recordset(%(entries)s::jsonb)
            AS (user_id bigint, shop bigint, admins boolean, kind text, locked boolean,
                title text, body text, data jsonb, message jsonb)
    ) WITH ORDINALITY AS e(user_id, shop, admins, kind, locked, title, body, data, message, at)
),
audience AS (
    SELECT e.at, 0 AS source, e.user_id FROM entry e WHERE e.user_id IS NOT NULL
    UNION ALL
    SELECT e.at, 1, m.user_id
    FROM entry e JOIN shops_shopmember m ON m.shop_id = e.shop AND m.deleted_at IS NULL
    UNION ALL
    SELECT e.at, 2, a.id
    FROM entry e JOIN accounts_user a ON e.admins AND a.is_staff
    WHERE %(admins)s AND NOT EXISTS (
        SELECT FROM shops_shopmember m
        WHERE m.shop_id = e.shop AND m.user_id = a.id AND m.deleted_at IS NULL
    )
),
wanted AS (
    SELECT a.at, a.source, u.email, u.id AS user_id, c.channel, c.position
    FROM audience a
    JOIN entry e ON e.at = a.at
    JOIN accounts_user u ON u.id = a.user_id AND u.is_active
    LEFT JOIN notifications_preference p ON p.user_id = u.id
    JOIN (VALUES ('in_app', 0), ('email', 1), ('sms', 2)) AS c(channel, position)
      ON CASE
             WHEN c.channel = 'in_app' AND e.locked THEN true
             WHEN jsonb_typeof(p.choices -> e.kind -> c.channel) = 'boolean'
                 THEN (p.choices -> e.kind -> c.channel)::boolean
             ELSE (%(defaults)s::jsonb -> c.channel)::boolean
         END
     AND CASE c.channel
             WHEN 'email' THEN coalesce(u.email, '') <> ''
             WHEN 'sms' THEN coalesce(u.phone, '') <> ''
             ELSE true
         END
),
notified AS (
    INSERT INTO notifications_notification (recipient_id, kind, title, body, data, created_at)
    SELECT w.user_id, e.kind, e.title, e.body, e.data, now()
    FROM wanted w JOIN entry e ON e.at = w.at
    WHERE w.channel = 'in_app'
    ORDER BY w.at, w.source, w.email, w.user_id
    RETURNING recipient_id
),
messaged AS (
    INSERT INTO notifications_outboxmessage
        (key, channel, recipient_id, kind, data, status, attempts, available_at, created_at,
         last_error)
    SELECT gen_random_uuid(), w.channel, w.user_id, e.kind, e.message, 'pending', 0, now(),
           now(), ''
    FROM wanted w JOIN entry e ON e.at = w.at
    WHERE w.channel <> 'in_app'
    ORDER BY w.at, w.source, w.email, w.user_id, w.position
    RETURNING 1
)
SELECT ARRAY(SELECT DISTINCT recipient_id FROM notified ORDER BY 1),
       EXISTS (SELECT FROM messaged)
"""

_DEFAULTS = dumps({str(channel): chosen for channel, chosen in DEFAULT_CHANNELS.items()}).decode()


@dataclass
class _Writes:
    """The notifications and messages of one change, written in one statement that finds the
    people to tell (the entries are sent as one JSON parameter)."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        *,
        user: int | None = None,
        shop: int | None = None,
        admins: bool = False,
        kind: str,
        title: str,
        body: str,
        data: dict[str, Any],
        message: dict[str, Any],
    ) -> None:
        """Tell `user`, the current members of `shop` and, with `admins`, the platform admins
        who are not among those members."""
        self.entries.append(
            {
                "user_id": user,
                "shop": shop,
                "admins": admins,
                "kind": str(kind),
                "locked": kind in ORDER_KINDS,
                "title": str(title),
                "body": str(body),
                "data": data,
                "message": message,
            }
        )

    def save(self) -> None:
        if not self.entries:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                _RECORD_SQL,
                {
                    "entries": dumps(self.entries).decode(),
                    "admins": any(entry["admins"] for entry in self.entries),
                    "defaults": _DEFAULTS,
                },
            )
            notified, messaged = cursor.fetchone()
        if notified:
            unread_forget_on_commit(notified)
        if messaged:
            dispatch_on_commit()


def order_events_record(*, events: list[OrderEvent]) -> None:
    """Handler of souk.orders.hooks.order_events_recorded: the buyer and, for the kinds that
    concern them, each member of the shop get a notification and their messages."""
    wanted = [(event, ORDER_EVENTS[event.event]) for event in events if event.event in ORDER_EVENTS]
    if not wanted:
        return
    writes = _Writes()
    for event, (kind, to_buyer, to_members) in wanted:
        order = event.order
        data = {"order": order.pk, "shop": order.shop_id}
        for audience, told in ((BUYER, to_buyer), (MEMBER, to_members)):
            if not told:
                continue
            title, body = order_title(order=order, event=event.event, audience=audience)
            writes.add(
                user=order.customer_id if audience == BUYER else None,
                shop=order.shop_id if audience == MEMBER else None,
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
        writes.add(
            shop=shop_id,
            admins=True,
            kind=Kind.LOW_STOCK,
            title=_("Low stock in %(shop)s") % {"shop": shop.name},
            body="\n".join(lines),
            data=data,
            message={"shop": shop_id, "alerts": [alert.pk for alert in shop_alerts]},
        )
    writes.save()


def review_record(*, review: Review) -> None:
    """Handler of souk.catalog.hooks.review_received: each member of the product's shop."""
    product = review.product
    title = _("New %(rating)s-star review of %(product)s") % {
        "rating": review.rating,
        "product": product.name,
    }
    body = review.title or review.body[:200]
    writes = _Writes()
    writes.add(
        shop=product.shop_id,
        kind=Kind.REVIEW_RECEIVED,
        title=title,
        body=body,
        data={"shop": product.shop_id, "product": product.pk},
        message={"review": review.pk},
    )
    writes.save()
