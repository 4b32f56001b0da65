"""Keeping the shop x day rollup (`ShopDay`) current, and checking it.

Every change is applied as a delta with `INSERT ... ON CONFLICT DO UPDATE SET x = x + delta`,
in the transaction of the payment or cancellation that causes it: concurrent transactions
that touch the same shop's day wait for each other on that row and add up, whatever the
order. The rows a transaction touches are taken in (shop, day) order, in one statement, at the
end of the transaction (after the orders' own locks), so two such transactions cannot
deadlock.

The nightly check recomputes recent days from the orders and applies the difference, again as
a delta computed and applied in one statement: a payment that commits meanwhile is in
neither the recomputed figures nor the row the statement read, and its own delta lands on top
of the correction, so the check never undoes a concurrent change."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from souk.analytics.services.cache import dashboards_renew_on_commit
from souk.orders.models import Order

logger = logging.getLogger(__name__)

# The statuses paid, processing, shipped and delivered count as revenue; cancelled (with a
# paid_at) counts as refunded (souk.analytics.selectors).

_APPLY_SQL = """
INSERT INTO analytics_shopday
    (shop_id, day, revenue, orders, units, refunded, refunded_orders)
SELECT o.shop_id, (o.paid_at AT TIME ZONE 'UTC')::date AS day,
       sum(o.total) * %(revenue)s, count(*) * %(revenue)s,
       sum(u.units) * %(revenue)s,
       sum(o.total) * %(refunded)s, count(*) * %(refunded)s
FROM orders_order o
CROSS JOIN LATERAL (
    SELECT COALESCE(sum(i.quantity), 0) AS units FROM orders_orderitem i WHERE i.order_id = o.id
) u
WHERE o.id = ANY(%(orders)s) AND o.paid_at IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
ON CONFLICT (shop_id, day) DO UPDATE SET
    revenue = analytics_shopday.revenue + EXCLUDED.revenue,
    orders = analytics_shopday.orders + EXCLUDED.orders,
    units = analytics_shopday.units + EXCLUDED.units,
    refunded = analytics_shopday.refunded + EXCLUDED.refunded,
    refunded_orders = analytics_shopday.refunded_orders + EXCLUDED.refunded_orders
"""

# What the rollup should hold for the days from %(since)s on, from the orders themselves
# (`truth`), less what it holds (`kept`): the corrections, applied as deltas.
_RECONCILE_SQL = """
WITH truth AS (
    SELECT o.shop_id, (o.paid_at AT TIME ZONE 'UTC')::date AS day,
           COALESCE(sum(o.total) FILTER (WHERE o.status <> 'cancelled'), 0) AS revenue,
           count(*) FILTER (WHERE o.status <> 'cancelled') AS orders,
           COALESCE(sum(u.units) FILTER (WHERE o.status <> 'cancelled'), 0) AS units,
           COALESCE(sum(o.total) FILTER (WHERE o.status = 'cancelled'), 0) AS refunded,
           count(*) FILTER (WHERE o.status = 'cancelled') AS refunded_orders
    FROM orders_order o
    CROSS JOIN LATERAL (
        SELECT COALESCE(sum(i.quantity), 0) AS units
        FROM orders_orderitem i WHERE i.order_id = o.id
    ) u
    WHERE o.paid_at >= %(since)s
      AND o.status IN ('paid', 'processing', 'shipped', 'delivered', 'cancelled')
    GROUP BY 1, 2
),
kept AS (SELECT * FROM analytics_shopday WHERE day >= %(since_day)s),
drift AS (
    SELECT * FROM (
        SELECT COALESCE(t.shop_id, k.shop_id) AS shop_id, COALESCE(t.day, k.day) AS day,
               COALESCE(t.revenue, 0) - COALESCE(k.revenue, 0) AS revenue,
               COALESCE(t.orders, 0) - COALESCE(k.orders, 0) AS orders,
               COALESCE(t.units, 0) - COALESCE(k.units, 0) AS units,
               COALESCE(t.refunded, 0) - COALESCE(k.refunded, 0) AS refunded,
               COALESCE(t.refunded_orders, 0) - COALESCE(k.refunded_orders, 0) AS refunded_orders
        FROM truth t FULL JOIN kept k ON k.shop_id = t.shop_id AND k.day = t.day
    ) d
    WHERE revenue <> 0 OR orders <> 0 OR units <> 0 OR refunded <> 0 OR refunded_orders <> 0
),
applied AS (
    INSERT INTO analytics_shopday
        (shop_id, day, revenue, orders, units, refunded, refunded_orders)
    SELECT * FROM drift
    ORDER BY shop_id, day
    ON CONFLICT (shop_id, day) DO UPDATE SET
        revenue = analytics_shopday.revenue + EXCLUDED.revenue,
        orders = analytics_shopday.orders + EXCLUDED.orders,
        units = analytics_shopday.units + EXCLUDED.units,
        refunded = analytics_shopday.refunded + EXCLUDED.refunded,
        refunded_orders = analytics_shopday.refunded_orders + EXCLUDED.refunded_orders
)
SELECT shop_id, day, revenue, refunded FROM drift ORDER BY shop_id, day
"""


def revenue_changed(*, orders: list[Order], event: str) -> None:
    """Handler of souk.orders.hooks.order_revenue_changed: the rollup moves with the orders in
    the same transaction, and after its commit the shops' dashboards are computed afresh."""
    rollup_apply(orders=orders, event=event)
    dashboards_renew_on_commit(sorted({order.shop_id for order in orders}))


def rollup_apply(*, orders: list[Order], event: str) -> None:
    """Move these orders into revenue ("paid") or from revenue to refunded ("cancelled"),
    inside the caller's transaction. Orders never paid change nothing."""
    ids = sorted(order.pk for order in orders if order.paid_at is not None)
    if not ids or event not in ("paid", "cancelled"):
        return
    signs = {"revenue": 1, "refunded": 0} if event == "paid" else {"revenue": -1, "refunded": 1}
    with connection.cursor() as cursor:
        cursor.execute(_APPLY_SQL, {**signs, "orders": ids})


@dataclass(frozen=True)
class Reconciled:
    """What a check found: the shop-days it corrected (0 when the rollup was right)."""

    since: date
    corrected: int


def rollup_reconcile(*, days: int = 7) -> Reconciled:
    """Recompute the last `days` days (and today) from the orders; correct and report any
    drift."""
    since = timezone.now().date() - timedelta(days=days)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        cursor.execute(_RECONCILE_SQL, {"since": since, "since_day": since})
        drift = cursor.fetchall()
    for shop_id, day, revenue, refunded in drift:
        logger.warning(
            "analytics rollup drift corrected: shop %s on %s, revenue %+.2f, refunded %+.2f",
            shop_id,
            day,
            revenue,
            refunded,
        )
    return Reconciled(since=since, corrected=len(drift))
