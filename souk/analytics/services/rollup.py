"""Keeping the rollups current, and checking them: each shop's days (`ShopDay`: revenue, orders,
units, refunds) and each product's months (`ProductMonth`: revenue and units).

Every change is applied as a delta with `INSERT ... ON CONFLICT DO UPDATE SET x = x + delta`,
in the transaction of the payment or cancellation that causes it: concurrent transactions
that touch the same row wait for each other on it and add up, whatever the order. The rows a
transaction touches are taken at the end of the transaction (after the orders' own locks), in
one statement: its shop-days in (shop, day) order, then its product-months in (shop, month,
product) order (the product-months are written by the main statement, which reads the
shop-days' CTE first). Every writer takes them in that order, so two such transactions cannot
deadlock.

The nightly check recomputes recent days (and their months) from the orders and applies the
difference, again as a delta computed and applied in one statement per rollup, each in its own
transaction: a payment that commits meanwhile is in neither the recomputed figures nor the row
the statement read, and its own delta lands on top of the correction, so the check never undoes
a concurrent change."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from souk.analytics.services.cache import dashboards_renew_on_commit
from souk.core.arrays import int_array
from souk.orders.models import Order

logger = logging.getLogger(__name__)

# The statuses paid, processing, shipped and delivered count as revenue; cancelled (with a
# paid_at) counts as refunded (souk.analytics.selectors).

_APPLY_SQL = """
WITH days AS (
    INSERT INTO analytics_shopday
        (shop_id, day, revenue, orders, units, refunded, refunded_orders)
    SELECT o.shop_id, (o.paid_at AT TIME ZONE 'UTC')::date AS day,
           sum(o.total) * %(revenue)s, count(*) * %(revenue)s,
           sum(u.units) * %(revenue)s,
           sum(o.total) * %(refunded)s, count(*) * %(refunded)s
    FROM orders_order o
    CROSS JOIN LATERAL (
        SELECT COALESCE(sum(i.quantity), 0) AS units
        FROM orders_orderitem i WHERE i.order_id = o.id
    ) u
    WHERE o.id = ANY(%(orders)s::bigint[]) AND o.paid_at IS NOT NULL
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (shop_id, day) DO UPDATE SET
        revenue = analytics_shopday.revenue + EXCLUDED.revenue,
        orders = analytics_shopday.orders + EXCLUDED.orders,
        units = analytics_shopday.units + EXCLUDED.units,
        refunded = analytics_shopday.refunded + EXCLUDED.refunded,
        refunded_orders = analytics_shopday.refunded_orders + EXCLUDED.refunded_orders
    RETURNING 1
)
INSERT INTO analytics_productmonth (shop_id, month, product_id, revenue, units)
SELECT o.shop_id, date_trunc('month', o.paid_at AT TIME ZONE 'UTC')::date AS month,
       i.product_id, sum(i.net_total) * %(sign)s, sum(i.quantity) * %(sign)s
FROM orders_order o
JOIN orders_orderitem i ON i.order_id = o.id
-- Reading the CTE's count first makes its shop-days locked before any product-month.
WHERE (SELECT count(*) FROM days) >= 0
  AND o.id = ANY(%(orders)s::bigint[]) AND o.paid_at IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
ON CONFLICT (shop_id, month, product_id) DO UPDATE SET
    revenue = analytics_productmonth.revenue + EXCLUDED.revenue,
    units = analytics_productmonth.units + EXCLUDED.units
"""

# What the shop x day rollup should hold for the days from %(since)s on, from the orders
# themselves (`truth`), less what it holds (`kept`): the corrections, applied as deltas.
_RECONCILE_DAYS_SQL = """
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

# The same for the product x month rollup, over the months from %(since)s's on.
_RECONCILE_MONTHS_SQL = """
WITH truth AS (
    SELECT o.shop_id, date_trunc('month', o.paid_at AT TIME ZONE 'UTC')::date AS month,
           i.product_id, sum(i.net_total) AS revenue, sum(i.quantity) AS units
    FROM orders_order o
    JOIN orders_orderitem i ON i.order_id = o.id
    WHERE o.paid_at >= %(since)s
      AND o.status IN ('paid', 'processing', 'shipped', 'delivered')
    GROUP BY 1, 2, 3
),
kept AS (SELECT * FROM analytics_productmonth WHERE month >= %(since)s),
drift AS (
    SELECT * FROM (
        SELECT COALESCE(t.shop_id, k.shop_id) AS shop_id, COALESCE(t.month, k.month) AS month,
               COALESCE(t.product_id, k.product_id) AS product_id,
               COALESCE(t.revenue, 0) - COALESCE(k.revenue, 0) AS revenue,
               COALESCE(t.units, 0) - COALESCE(k.units, 0) AS units
        FROM truth t
        FULL JOIN kept k
            ON k.shop_id = t.shop_id AND k.month = t.month AND k.product_id = t.product_id
    ) d
    WHERE revenue <> 0 OR units <> 0
),
applied AS (
    INSERT INTO analytics_productmonth (shop_id, month, product_id, revenue, units)
    SELECT * FROM drift
    ORDER BY shop_id, month, product_id
    ON CONFLICT (shop_id, month, product_id) DO UPDATE SET
        revenue = analytics_productmonth.revenue + EXCLUDED.revenue,
        units = analytics_productmonth.units + EXCLUDED.units
)
SELECT shop_id, month, product_id, revenue, units FROM drift ORDER BY shop_id, month, product_id
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
    signs["sign"] = signs["revenue"]
    with connection.cursor() as cursor:
        cursor.execute(_APPLY_SQL, {**signs, "orders": int_array(ids)})


DRIFT_LOGGED = 20  # corrected rows logged one by one, per rollup; then a count


@dataclass(frozen=True)
class Reconciled:
    """What a check found: the shop-days and the product-months it corrected (0 when the
    rollups were right)."""

    since: date
    corrected: int
    corrected_months: int = 0


def rollup_reconcile(*, days: int | None = 7) -> Reconciled:
    """Recompute the last `days` days (and today) from the orders, and the product months they
    fall in (None: the whole history); correct and report any drift."""
    since = date.min if days is None else timezone.now().date() - timedelta(days=days)
    month = since.replace(day=1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        cursor.execute(_RECONCILE_DAYS_SQL, {"since": since, "since_day": since})
        drift = cursor.fetchall()
    for shop_id, day, revenue, refunded in drift[:DRIFT_LOGGED]:
        logger.warning(
            "analytics rollup drift corrected: shop %s on %s, revenue %+.2f, refunded %+.2f",
            shop_id,
            day,
            revenue,
            refunded,
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        cursor.execute(_RECONCILE_MONTHS_SQL, {"since": month})
        months = cursor.fetchall()
    for shop_id, first, product_id, revenue, units in months[:DRIFT_LOGGED]:
        logger.warning(
            "analytics rollup drift corrected: shop %s, product %s in %s, revenue %+.2f, units %+d",
            shop_id,
            product_id,
            f"{first:%Y-%m}",
            revenue,
            units,
        )
    if len(drift) > DRIFT_LOGGED or len(months) > DRIFT_LOGGED:
        logger.warning(
            "analytics rollup drift corrected: %d shop-days and %d product-months in all "
            "(the first %d of each logged)",
            len(drift),
            len(months),
            DRIFT_LOGGED,
        )
    return Reconciled(since=since, corrected=len(drift), corrected_months=len(months))
