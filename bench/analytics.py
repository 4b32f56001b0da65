"""Analytics benchmark: the shop and marketplace dashboards at a million order lines, over HTTP
(gunicorn) and as raw SQL.

    .venv/bin/python bench/analytics.py                     # seed, SQL timings, HTTP
    .venv/bin/python bench/analytics.py --keep              # reuse the seeded database
    .venv/bin/python bench/analytics.py --lines 200000 --shops 500 --months 12

The run creates its own database (`<name>_bench_analytics`, from the test template), migrates
it and seeds it with set-based SQL (bench/analytics_seed.sql): 10 categories, `--customers`
buyers, `--shops` shops with an owner each, their products (one variant each), and about
`--lines` order lines over the last `--months` months. Shop 1 takes `--top-share` of the lines,
the others follow a power law (the median shop has a few hundred lines). Orders come in every
status (paid or later, pending, expired, cancelled before and after payment), a fifth of them
discounted, the discount split over the lines to the cent so that the lines' net totals add up
to the order total; 1% of the orders and 2% of the products are soft-deleted. `--keep` reuses
a database that is already seeded.

Measured:

- SQL, straight on the database (`--sql-runs` runs each, p50/p95, JIT off unless `--jit`),
  over the last 12 months: the biggest and the median shop's dashboard as one live statement
  over orders and lines (KPIs, months, categories, top products ranked with RANK()) and as one
  statement over rollups; the whole marketplace computed live from the order lines; and the
  marketplace from the rollups built from the seed (`bench_shop_day`, shop x day;
  `bench_shop_month`; `bench_shop_product_month`), with the parts the rollups cannot give
  (distinct customers, live; categories and top products, from shop x product x month). First
  with the indexes the migrations create, then with the indexes of bench/ANALYTICS_SQL.md
  (`bench_*`, dropped afterwards unless `--keep-indexes`).
- HTTP: `--requests` GETs each of /api/shops/{biggest}/dashboard/ and of the median shop's (as
  the shop's owner) and of /api/dashboard/ (as staff), one client at a time. Uncached: the
  server's cache keys (`souk:*` in its Redis database, REDIS_URL below) are deleted before
  every request, outside the timed part, so that every request computes its figures (a
  different `?from=` per request would not do: every period is a different amount of work);
  cached: the same requests without deleting. Endpoints that answer 404 (the analytics app
  is not there yet) are reported as not available.

Results: bench/results/analytics.json and bench/results/analytics.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import redis
import requests
from common import (
    DEFAULT_URL,
    RESULTS,
    ROOT,
    connect,
    create_database,
    database_url,
    django_snippet,
    manage,
    server,
    summarize,
)

# Redis database of the server under test. Test processes use databases 1-15 with their own key
# prefixes, so the benchmark deletes only the application's keys (`souk:*`), never the database.
REDIS_URL = "redis://127.0.0.1:6379/14"
JWT_MINUTES = "240"
SEED_SQL = ROOT / "bench" / "analytics_seed.sql"
PAID = ("paid", "processing", "shipped", "delivered")

DJANGO_SNIPPET = r"""
import json, os
from souk.accounts.models import User
from souk.accounts.services.tokens import tokens_issue

params = json.loads(os.environ["BENCH_PARAMS"])
out = {}
for shop, user_id in params["owners"].items():
    out[shop] = tokens_issue(user=User.objects.get(pk=user_id)).access
admin, _ = User.objects.get_or_create(
    email="admin@bench.souk.test",
    defaults={"first_name": "Bench", "last_name": "Admin", "role": "admin", "is_staff": True,
              "is_email_verified": True, "password": "!bench"},
)
out["admin"] = tokens_issue(user=admin).access
with open(os.environ["BENCH_OUT"], "w") as handle:
    json.dump(out, handle)
"""

# --- The SQL under study (see bench/ANALYTICS_SQL.md) ----------------------------------------

# One statement for a shop's dashboard: the period's paid-or-cancelled orders of the shop read
# once (index-only with bench_order_shop_paid), their lines once (index-only with
# bench_item_order_cover), every figure derived from those two CTEs.
SHOP_DASHBOARD = """
WITH o AS MATERIALIZED (
    SELECT id, customer_id, total, status, paid_at
    FROM orders_order
    WHERE shop_id = %(shop)s AND paid_at >= %(start)s AND paid_at < %(end)s
      AND status IN ('paid', 'processing', 'shipped', 'delivered', 'cancelled')
),
rev AS (SELECT * FROM o WHERE status <> 'cancelled'),
li AS MATERIALIZED (
    SELECT i.product_id, i.quantity, i.net_total
    FROM rev JOIN orders_orderitem i ON i.order_id = rev.id
),
prod AS (
    SELECT li.product_id, sum(li.net_total) AS revenue, sum(li.quantity) AS units
    FROM li GROUP BY li.product_id
),
ranked AS (
    SELECT prod.*, p.name, p.category_id,
           rank() OVER (ORDER BY prod.revenue DESC) AS rank,
           rank() OVER (PARTITION BY p.category_id ORDER BY prod.revenue DESC) AS category_rank
    FROM prod JOIN catalog_product p ON p.id = prod.product_id
)
SELECT
  (SELECT json_build_object(
       'revenue', coalesce(sum(total) FILTER (WHERE status <> 'cancelled'), 0),
       'orders', count(*) FILTER (WHERE status <> 'cancelled'),
       'refunded', coalesce(sum(total) FILTER (WHERE status = 'cancelled'), 0))
   FROM o) AS kpis,
  (SELECT coalesce(sum(quantity), 0) FROM li) AS items_sold,
  (SELECT json_build_object('customers', count(*),
                            'repeat_customers', count(*) FILTER (WHERE n >= 2))
   FROM (SELECT customer_id, count(*) AS n FROM rev GROUP BY customer_id) c) AS customers,
  (SELECT json_agg(json_build_object('month', m.month::date, 'revenue', coalesce(r.revenue, 0),
                                     'orders', coalesce(r.orders, 0)) ORDER BY m.month)
   FROM generate_series(date_trunc('month', %(start)s::timestamptz),
                        %(end)s::timestamptz - interval '1 microsecond',
                        interval '1 month') m (month)
   LEFT JOIN (SELECT date_trunc('month', paid_at) AS month, sum(total) AS revenue,
                     count(*) AS orders
              FROM rev GROUP BY 1) r USING (month)) AS monthly,
  (SELECT json_agg(json_build_object('category', c.id, 'name', c.name, 'revenue', x.revenue)
                   ORDER BY x.revenue DESC, c.id)
   FROM (SELECT category_id, sum(revenue) AS revenue FROM ranked GROUP BY category_id) x
   JOIN catalog_category c ON c.id = x.category_id) AS categories,
  (SELECT json_agg(json_build_object('product', product_id, 'name', name, 'category', category_id,
                                     'revenue', revenue, 'units', units, 'rank', rank,
                                     'category_rank', category_rank) ORDER BY rank, product_id)
   FROM ranked WHERE rank <= 10) AS top_products
"""

# The same figures for the whole marketplace, live, plus the top shops.
MARKET_LIVE = (
    SHOP_DASHBOARD.replace("WHERE shop_id = %(shop)s AND paid_at", "WHERE paid_at")  # noqa: S608
    .replace(
        "SELECT id, customer_id, total, status, paid_at\n",
        "SELECT id, shop_id, customer_id, total, status, paid_at\n",
    )
    .rstrip()
    + """,
  (SELECT json_agg(json_build_object('shop', s.shop_id, 'name', sh.name, 'revenue', s.revenue,
                                     'orders', s.orders, 'rank', s.rank) ORDER BY s.rank, s.shop_id)
   FROM (SELECT shop_id, sum(total) AS revenue, count(*) AS orders,
                rank() OVER (ORDER BY sum(total) DESC) AS rank
         FROM rev GROUP BY shop_id) s
   JOIN shops_shop sh ON sh.id = s.shop_id WHERE s.rank <= 10) AS top_shops
"""
)

# Rollups built from the seed, as the analytics app would keep them (money in cents):
# shop x day (what the marketplace dashboard reads), its shop x month sums, and shop x product
# x month (what a shop's categories and top products can read instead of its lines).
ROLLUP_BUILD = """
DROP TABLE IF EXISTS bench_shop_day, bench_shop_month, bench_shop_product_month;
CREATE TABLE bench_shop_day AS
SELECT o.shop_id, (o.paid_at AT TIME ZONE 'UTC')::date AS day,
       coalesce(sum(o.total * 100) FILTER (WHERE o.status <> 'cancelled'), 0)::bigint AS revenue,
       count(*) FILTER (WHERE o.status <> 'cancelled')::int AS orders,
       coalesce(sum(u.units) FILTER (WHERE o.status <> 'cancelled'), 0)::int AS units,
       coalesce(sum(o.total * 100) FILTER (WHERE o.status = 'cancelled'), 0)::bigint AS refunded
FROM orders_order o
JOIN (SELECT order_id, sum(quantity) AS units FROM orders_orderitem GROUP BY order_id) u
  ON u.order_id = o.id
WHERE o.paid_at IS NOT NULL
  AND o.status IN ('paid', 'processing', 'shipped', 'delivered', 'cancelled')
GROUP BY 1, 2;
ALTER TABLE bench_shop_day ADD PRIMARY KEY (shop_id, day);
CREATE INDEX bench_shop_day_day ON bench_shop_day (day)
    INCLUDE (shop_id, revenue, orders, units, refunded);
CREATE TABLE bench_shop_month AS
SELECT shop_id, date_trunc('month', day)::date AS month, sum(revenue)::bigint AS revenue,
       sum(orders)::int AS orders, sum(units)::int AS units, sum(refunded)::bigint AS refunded
FROM bench_shop_day GROUP BY 1, 2;
ALTER TABLE bench_shop_month ADD PRIMARY KEY (month, shop_id);
CREATE TABLE bench_shop_product_month AS
SELECT o.shop_id, i.product_id, date_trunc('month', o.paid_at AT TIME ZONE 'UTC')::date AS month,
       sum(i.net_total * 100)::bigint AS revenue, sum(i.quantity)::int AS units
FROM orders_order o JOIN orders_orderitem i ON i.order_id = o.id
WHERE o.paid_at IS NOT NULL AND o.status IN ('paid', 'processing', 'shipped', 'delivered')
GROUP BY 1, 2, 3;
ALTER TABLE bench_shop_product_month ADD PRIMARY KEY (shop_id, month, product_id);
CREATE INDEX bench_spm_shop ON bench_shop_product_month (shop_id, month)
    INCLUDE (product_id, revenue, units);
CREATE INDEX bench_spm_month ON bench_shop_product_month (month)
    INCLUDE (product_id, revenue, units);
VACUUM ANALYZE bench_shop_day;
VACUUM ANALYZE bench_shop_month;
VACUUM ANALYZE bench_shop_product_month
"""

# The marketplace's KPIs (but customers), months and top shops from the shop x day rollup, in
# one pass (grouped by shop and month once). With `bench_shop_month` instead of the grouped
# days (MARKET_MONTHS) it reads 12 rows a shop instead of up to 365.
_MARKET_FROM = """
WITH sm AS MATERIALIZED (
    SELECT shop_id, date_trunc('month', day)::date AS month, sum(revenue) AS revenue,
           sum(orders) AS orders, sum(units) AS units, sum(refunded) AS refunded
    FROM bench_shop_day
    WHERE day >= %(start)s::date AND day < %(end)s::date
    GROUP BY 1, 2
)"""
_MARKET_BODY = """
SELECT
  (SELECT json_build_object('revenue', sum(revenue) / 100.0, 'orders', sum(orders),
                            'items_sold', sum(units), 'refunded', sum(refunded) / 100.0)
   FROM sm) AS kpis,
  (SELECT json_agg(json_build_object('month', m.month::date,
                                     'revenue', coalesce(r.revenue, 0) / 100.0,
                                     'orders', coalesce(r.orders, 0)) ORDER BY m.month)
   FROM generate_series(%(start)s::date, %(end)s::date - 1, interval '1 month') m (month)
   LEFT JOIN (SELECT month, sum(revenue) AS revenue, sum(orders) AS orders
              FROM sm GROUP BY 1) r USING (month)) AS monthly,
  (SELECT json_agg(json_build_object('shop', s.shop_id, 'name', sh.name,
                                     'revenue', s.revenue / 100.0, 'orders', s.orders,
                                     'rank', s.rank) ORDER BY s.rank, s.shop_id)
   FROM (SELECT shop_id, sum(revenue) AS revenue, sum(orders) AS orders,
                rank() OVER (ORDER BY sum(revenue) DESC) AS rank
         FROM sm GROUP BY shop_id) s
   JOIN shops_shop sh ON sh.id = s.shop_id WHERE s.rank <= 10) AS top_shops
"""
MARKET_ROLLUP = _MARKET_FROM + _MARKET_BODY
_MONTHS_FROM = """
WITH sm AS MATERIALIZED (
    SELECT shop_id, month, revenue, orders, units, refunded FROM bench_shop_month
    WHERE month >= %(start)s::date AND month < %(end)s::date
)"""
MARKET_MONTHS = _MONTHS_FROM + _MARKET_BODY

# What the rollups do not hold: distinct and repeat customers of the whole marketplace (live,
# from the orders), and its categories and top products (from shop x product x month).
MARKET_CUSTOMERS = """
SELECT count(*), count(*) FILTER (WHERE n >= 2)
FROM (SELECT customer_id, count(*) AS n FROM orders_order
      WHERE paid_at >= %(start)s AND paid_at < %(end)s
        AND status IN ('paid', 'processing', 'shipped', 'delivered')
      GROUP BY customer_id) c
"""
MARKET_PRODUCTS = """
WITH prod AS MATERIALIZED (
    SELECT product_id, sum(revenue) AS revenue, sum(units) AS units
    FROM bench_shop_product_month
    WHERE month >= %(start)s::date AND month < %(end)s::date
    GROUP BY product_id
), ranked AS MATERIALIZED (
    SELECT prod.*, p.name, p.category_id,
           rank() OVER (ORDER BY prod.revenue DESC) AS rank,
           rank() OVER (PARTITION BY p.category_id ORDER BY prod.revenue DESC) AS category_rank
    FROM prod JOIN catalog_product p ON p.id = prod.product_id
)
SELECT (SELECT json_agg(x) FROM (SELECT category_id, sum(revenue) AS revenue
                                 FROM ranked GROUP BY 1) x) AS categories,
       (SELECT json_agg(x) FROM (SELECT * FROM ranked WHERE rank <= 10) x) AS top_products
"""

# A shop's dashboard from the rollups: KPIs and months from shop x day, categories and top
# products from shop x product x month (whole months: the default period), distinct and
# repeat customers live from the orders (index-only with bench_order_shop_paid).
SHOP_ROLLUP = """
WITH d AS MATERIALIZED (
    SELECT date_trunc('month', day)::date AS month, revenue, orders, units, refunded
    FROM bench_shop_day
    WHERE shop_id = %(shop)s AND day >= %(start)s::date AND day < %(end)s::date
),
prod AS MATERIALIZED (
    SELECT product_id, sum(revenue) AS revenue, sum(units) AS units
    FROM bench_shop_product_month
    WHERE shop_id = %(shop)s AND month >= %(start)s::date AND month < %(end)s::date
    GROUP BY product_id
),
ranked AS (
    SELECT prod.*, p.name, p.category_id,
           rank() OVER (ORDER BY prod.revenue DESC) AS rank,
           rank() OVER (PARTITION BY p.category_id ORDER BY prod.revenue DESC) AS category_rank
    FROM prod CROSS JOIN LATERAL (
        SELECT name, category_id FROM catalog_product WHERE id = prod.product_id OFFSET 0) p
)
SELECT
  (SELECT json_build_object('revenue', coalesce(sum(revenue), 0) / 100.0,
                            'orders', coalesce(sum(orders), 0),
                            'items_sold', coalesce(sum(units), 0),
                            'refunded', coalesce(sum(refunded), 0) / 100.0)
   FROM d) AS kpis,
  (SELECT json_build_object('customers', count(*),
                            'repeat_customers', count(*) FILTER (WHERE n >= 2))
   FROM (SELECT customer_id, count(*) AS n FROM orders_order
         WHERE shop_id = %(shop)s AND paid_at >= %(start)s AND paid_at < %(end)s
           AND status IN ('paid', 'processing', 'shipped', 'delivered')
         GROUP BY customer_id) c) AS customers,
  (SELECT json_agg(json_build_object('month', m.month::date,
                                     'revenue', coalesce(r.revenue, 0) / 100.0,
                                     'orders', coalesce(r.orders, 0)) ORDER BY m.month)
   FROM generate_series(%(start)s::date, %(end)s::date - 1, interval '1 month') m (month)
   LEFT JOIN (SELECT month, sum(revenue) AS revenue, sum(orders) AS orders
              FROM d GROUP BY 1) r USING (month)) AS monthly,
  (SELECT json_agg(json_build_object('category', c.id, 'name', c.name,
                                     'revenue', x.revenue / 100.0) ORDER BY x.revenue DESC, c.id)
   FROM (SELECT category_id, sum(revenue) AS revenue FROM ranked GROUP BY category_id) x
   JOIN catalog_category c ON c.id = x.category_id) AS categories,
  (SELECT json_agg(json_build_object('product', product_id, 'name', name, 'category', category_id,
                                     'revenue', revenue / 100.0, 'units', units, 'rank', rank,
                                     'category_rank', category_rank) ORDER BY rank, product_id)
   FROM ranked WHERE rank <= 10) AS top_products
"""

# The indexes the note recommends (names prefixed bench_ so that they never clash with the
# application's own).
INDEXES = {
    "bench_order_shop_paid": (
        "CREATE INDEX IF NOT EXISTS bench_order_shop_paid ON orders_order "
        "(shop_id, paid_at) INCLUDE (status, total, customer_id, id) WHERE paid_at IS NOT NULL"
    ),
    "bench_order_paid": (
        "CREATE INDEX IF NOT EXISTS bench_order_paid ON orders_order "
        "(paid_at) INCLUDE (status, total, customer_id, shop_id, id) WHERE paid_at IS NOT NULL"
    ),
    "bench_item_order_cover": (
        "CREATE INDEX IF NOT EXISTS bench_item_order_cover ON orders_orderitem "
        "(order_id) INCLUDE (product_id, quantity, net_total)"
    ),
}


# --- Database ----------------------------------------------------------------------------------


def database_name(base_url: str) -> str:
    return f"{urlsplit(base_url).path.lstrip('/')}_bench_analytics"


def seed(url: str, args: argparse.Namespace) -> float:
    parts = urlsplit(url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    started = time.monotonic()
    subprocess.run(
        [
            "psql", "-X", "-q", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "", "-d", parts.path.lstrip("/"), "-v", "ON_ERROR_STOP=1",
            "--single-transaction", "-v", f"shops={args.shops}", "-v", f"lines={args.lines}",
            "-v", f"months={args.months}", "-v", f"customers={args.customers}",
            "-v", f"top_share={args.top_share}", "-v", f"currency={args.currency}",
            "-f", str(SEED_SQL),
        ],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with connect(url) as conn:
        for table in ("accounts_user", "shops_shop", "catalog_product", "catalog_variant",
                      "orders_order", "orders_orderitem"):  # fmt: skip
            conn.execute(f"VACUUM ANALYZE {table}")
    return time.monotonic() - started


def facts(url: str) -> dict[str, Any]:
    with connect(url) as conn:
        one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
        per_shop = """
            SELECT o.shop_id, count(*) AS n FROM orders_orderitem i
            JOIN orders_order o ON o.id = i.order_id GROUP BY o.shop_id
        """
        biggest = one(f"SELECT shop_id, n FROM ({per_shop}) s ORDER BY n DESC, shop_id LIMIT 1")  # noqa: S608
        median = one(
            f"SELECT shop_id, n FROM ({per_shop}) s ORDER BY n, shop_id "  # noqa: S608
            f"OFFSET (SELECT count(DISTINCT shop_id) / 2 FROM orders_order) LIMIT 1"
        )
        statuses = dict(conn.execute(
            "SELECT status || CASE WHEN status = 'cancelled' AND paid_at IS NOT NULL "
            "THEN ' (after payment)' WHEN status = 'cancelled' THEN ' (before payment)' "
            "ELSE '' END,"
            " count(*) FROM orders_order GROUP BY 1 ORDER BY 1"
        ).fetchall())  # fmt: skip
        unbalanced = one(
            "SELECT count(*) FROM orders_order o JOIN (SELECT order_id, sum(net_total) AS net "
            "FROM orders_orderitem GROUP BY order_id) s ON s.order_id = o.id WHERE s.net <> o.total"
        )
        owners = dict(conn.execute(
            "SELECT shop_id, user_id FROM shops_shopmember "
            "WHERE role = 'owner' AND shop_id = ANY(%s)",
            [[biggest[0], median[0]]],
        ).fetchall())  # fmt: skip
        return {
            "shops": one("SELECT count(*) FROM shops_shop")[0],
            "customers": one("SELECT count(*) FROM accounts_user WHERE role = 'customer'")[0],
            "products": one("SELECT count(*) FROM catalog_product")[0],
            "orders": one("SELECT count(*) FROM orders_order")[0],
            "lines": one("SELECT count(*) FROM orders_orderitem")[0],
            "discounted_orders": one("SELECT count(*) FROM orders_order WHERE discount > 0")[0],
            "orders_by_status": statuses,
            "orders_whose_lines_do_not_add_up": unbalanced[0],
            "biggest_shop": {"id": biggest[0], "lines": biggest[1]},
            "median_shop": {"id": median[0], "lines": median[1]},
            "owners": {str(k): v for k, v in owners.items()},
            "table_mb": {
                t: round(one(f"SELECT pg_total_relation_size('{t}')")[0] / 2**20, 1)
                for t in ("orders_order", "orders_orderitem")
            },
        }


# --- SQL timings -------------------------------------------------------------------------------


def period(months: int = 12) -> dict[str, Any]:
    """The default dashboard period: the last `months` calendar months including the current
    one (UTC), as [start, end) timestamps: the first of the month `months - 1` months ago to
    the end of today."""
    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - (months - 1)
    start = date(index // 12, index % 12 + 1, 1)
    return {
        "start": datetime(start.year, start.month, 1, tzinfo=UTC),
        "end": datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1),
    }


def time_sql(url: str, sql: str, params: dict[str, Any], runs: int, jit: bool) -> dict[str, float]:
    with connect(url) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        if not jit:
            conn.execute("SET jit = off")
        conn.execute(sql, params).fetchall()  # warm: plan and pages
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(sql, params).fetchall()
            samples.append(time.perf_counter() - started)
    return summarize(samples)


def sql_phase(url: str, info: dict[str, Any], runs: int, jit: bool) -> dict[str, Any]:
    params = period()
    big = {**params, "shop": info["biggest_shop"]["id"]}
    med = {**params, "shop": info["median_shop"]["id"]}
    few = max(3, runs // 4)
    return {
        "shop_biggest_live": time_sql(url, SHOP_DASHBOARD, big, runs, jit),
        "shop_median_live": time_sql(url, SHOP_DASHBOARD, med, runs, jit),
        "shop_biggest_rollups": time_sql(url, SHOP_ROLLUP, big, runs, jit),
        "shop_median_rollups": time_sql(url, SHOP_ROLLUP, med, runs, jit),
        "marketplace_live": time_sql(url, MARKET_LIVE, params, few, jit),
        "marketplace_shop_day": time_sql(url, MARKET_ROLLUP, params, runs, jit),
        "marketplace_shop_month": time_sql(url, MARKET_MONTHS, params, runs, jit),
        "marketplace_customers_live": time_sql(url, MARKET_CUSTOMERS, params, runs, jit),
        "marketplace_products_rollup": time_sql(url, MARKET_PRODUCTS, params, few, jit),
    }


# --- HTTP --------------------------------------------------------------------------------------


def tokens(url: str, owners: dict[str, int]) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "JWT_ACCESS_MINUTES": JWT_MINUTES,
    }
    result: dict[str, str] = django_snippet(DJANGO_SNIPPET, env, {"owners": owners})
    return result


def cache_forget(client: redis.Redis) -> None:
    """Delete the server's cache and rate-limit keys (prefix `souk:`), and nothing else."""
    keys = list(client.scan_iter(match="souk:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def http_phase(url: str, info: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    access = tokens(url, info["owners"])
    cache = redis.Redis.from_url(REDIS_URL)
    cache_forget(cache)
    targets = {
        "shop_biggest": (f"/api/shops/{info['biggest_shop']['id']}/dashboard/",
                         access[str(info["biggest_shop"]["id"])]),
        "shop_median": (f"/api/shops/{info['median_shop']['id']}/dashboard/",
                        access[str(info["median_shop"]["id"])]),
        "marketplace": ("/api/dashboard/", access["admin"]),
    }  # fmt: skip
    out: dict[str, Any] = {}
    extra = {"JWT_ACCESS_MINUTES": JWT_MINUTES}
    with server(url, args.workers, args.threads, REDIS_URL, extra) as base:
        session = requests.Session()
        for name, (path, token) in targets.items():
            headers = {"Authorization": f"Bearer {token}"}
            first = session.get(base + path, headers=headers, timeout=120)
            if first.status_code != 200:
                out[name] = {"available": False, "status": first.status_code}
                print(f"   {name}: {path} answers {first.status_code}: not available", flush=True)
                continue
            result: dict[str, Any] = {"available": True, "path": path}
            for mode in ("uncached", "cached"):
                samples, statuses = [], {}
                for _ in range(args.requests):
                    if mode == "uncached":
                        cache_forget(cache)
                    started = time.perf_counter()
                    response = session.get(base + path, headers=headers, timeout=120)
                    samples.append(time.perf_counter() - started)
                    statuses[str(response.status_code)] = (
                        statuses.get(str(response.status_code), 0) + 1
                    )
                result[mode] = {**summarize(samples), "status": statuses}
            out[name] = result
            print(f"   {name}: uncached {result['uncached']} cached {result['cached']}", flush=True)
    cache_forget(cache)
    return out


# --- Main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to seed (about)")
    parser.add_argument("--shops", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24, help="months of history")
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--top-share", type=float, default=0.065, help="the biggest shop's share")
    parser.add_argument("--currency", default=os.environ.get("CURRENCY", "USD").upper())
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    parser.add_argument("--keep-indexes", action="store_true", help="leave the bench_* indexes")
    parser.add_argument("--sql-runs", type=int, default=20, help="runs of each SQL statement")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint and mode")
    parser.add_argument("--no-http", action="store_true", help="SQL timings only")
    parser.add_argument(
        "--jit", action="store_true", help="leave JIT on in the SQL timings (off by default)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    url = database_url(args.database_url, database_name(args.database_url))
    seed_seconds = None
    if args.keep:
        print(f"== reusing {database_name(args.database_url)}", flush=True)
    else:
        print("== database and seed", flush=True)
        url = create_database(args.database_url, "bench_analytics")
        started = time.monotonic()
        manage(url, "migrate", "--noinput", "--verbosity", "0")
        migrate_seconds = time.monotonic() - started
        seed_seconds = seed(url, args)
        print(f"   migrate {migrate_seconds:.1f} s, seed {seed_seconds:.1f} s", flush=True)
    manage(url, "migrate", "--noinput", "--verbosity", "0")  # a kept database may lag
    info = facts(url)
    print(f"   {json.dumps({k: v for k, v in info.items() if k != 'owners'})}", flush=True)

    # The seed writes orders straight into the tables: the app's rollups (shop x day, product x
    # month) are built from them as an operator would after a bulk import.
    print("== the app's rollups (manage.py rollup_reconcile --all)", flush=True)
    started = time.monotonic()
    manage(url, "rollup_reconcile", "--all")
    app_rollup_seconds = time.monotonic() - started
    with connect(url) as conn:
        app_rollup_rows = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("analytics_shopday", "analytics_productmonth")
        }
    print(f"   {app_rollup_rows} in {app_rollup_seconds:.1f} s", flush=True)

    print("== rollup (shop x day)", flush=True)
    started = time.monotonic()
    with connect(url) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for statement in ROLLUP_BUILD.split(";"):
            if statement.strip():
                conn.execute(statement)
        rollup_rows = conn.execute("SELECT count(*) FROM bench_shop_day").fetchone()[0]
    rollup_seconds = time.monotonic() - started
    print(f"   {rollup_rows} rows in {rollup_seconds:.1f} s", flush=True)

    print("== SQL, indexes as migrated", flush=True)
    with connect(url) as conn:
        for name in INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
    sql_migrated = sql_phase(url, info, args.sql_runs, args.jit)
    print(f"   {json.dumps(sql_migrated)}", flush=True)
    print("== SQL, with the bench_* indexes", flush=True)
    started = time.monotonic()
    with connect(url) as conn:
        for statement in INDEXES.values():
            conn.execute(statement)
        conn.execute("VACUUM ANALYZE orders_order")
        conn.execute("VACUUM ANALYZE orders_orderitem")
    index_seconds = time.monotonic() - started
    sql_indexed = sql_phase(url, info, args.sql_runs, args.jit)
    print(f"   {json.dumps(sql_indexed)}", flush=True)
    if not args.keep_indexes:
        with connect(url) as conn:
            for name in INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")

    http: dict[str, Any] = {}
    if not args.no_http:
        print("== HTTP (gunicorn)", flush=True)
        http = http_phase(url, info, args)

    data = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgres": server_version(url),
            "load_average": round(os.getloadavg()[0], 2),
        },
        "settings": {
            k: getattr(args, k)
            for k in (
                "lines",
                "shops",
                "months",
                "customers",
                "top_share",
                "sql_runs",
                "requests",
                "workers",
                "threads",
                "keep",
                "jit",
            )
        },  # fmt: skip
        "database": urlsplit(url).path.lstrip("/"),
        "seed_seconds": round(seed_seconds, 1) if seed_seconds is not None else None,
        "data": {k: v for k, v in info.items() if k != "owners"},
        "period": {k: v.isoformat() for k, v in period().items()},
        "rollup": {"rows": rollup_rows, "build_seconds": round(rollup_seconds, 1)},
        "app_rollups": {"rows": app_rollup_rows, "build_seconds": round(app_rollup_seconds, 1)},
        "index_build_seconds": round(index_seconds, 1),
        "sql": {"migrated_indexes": sql_migrated, "bench_indexes": sql_indexed},
        "indexes": INDEXES,
        "http": http,
    }
    write(data)
    return 1 if info["orders_whose_lines_do_not_add_up"] else 0


def server_version(url: str) -> str:
    with connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""


def write(data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "analytics.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (RESULTS / "analytics.md").write_text(markdown(data))
    print(f"wrote {RESULTS / 'analytics.json'} and {RESULTS / 'analytics.md'}")


def markdown(data: dict[str, Any]) -> str:
    d, s = data["data"], data["settings"]
    seeded = f"seeded in {data['seed_seconds']} s" if data["seed_seconds"] else "reused"
    lines = [
        "# Analytics benchmark",
        "",
        f"Run {data['when']} on {data['machine']['cpus']} CPUs (PostgreSQL "
        f"{data['machine']['postgres']}, load {data['machine']['load_average']}). Database "
        f"`{data['database']}` ({seeded}): {d['shops']} shops, {d['customers']} customers, "
        f"{d['products']} products, {d['orders']} orders ({d['discounted_orders']} discounted), "
        f"{d['lines']} lines over {s['months']} months; biggest shop {d['biggest_shop']['id']} "
        f"({d['biggest_shop']['lines']} lines), median shop {d['median_shop']['id']} "
        f"({d['median_shop']['lines']} lines). Orders whose lines' net totals do not add up to "
        f"the total: {d['orders_whose_lines_do_not_add_up']}.",
        "",
        f"Period: {data['period']['start']} to {data['period']['end']} (the last 12 months). "
        f"Rollup `bench_shop_day`: {data['rollup']['rows']} rows, built in "
        f"{data['rollup']['build_seconds']} s. The app's rollups (`manage.py rollup_reconcile "
        f"--all` over the seeded history): {data['app_rollups']['rows']} rows in "
        f"{data['app_rollups']['build_seconds']} s.",
        "",
        "## SQL (one statement per dashboard, client-side time, ms)",
        "",
        "| statement | migrated indexes p50 / p95 | with bench_* indexes p50 / p95 |",
        "|---|---|---|",
    ]
    for key in data["sql"]["migrated_indexes"]:
        a, b = data["sql"]["migrated_indexes"][key], data["sql"]["bench_indexes"][key]
        lines.append(f"| {key} | {a['p50_ms']} / {a['p95_ms']} | {b['p50_ms']} / {b['p95_ms']} |")
    lines += [
        "",
        "## HTTP (one client, ms)",
        "",
        "Uncached: every request computes its figures (a shop's next read after a sale of the "
        "shop; the marketplace refresh job's work). Cached: what readers get between a shop's "
        "sales, and always for the marketplace's default period, which the refresh job "
        "replaces before it expires.",
        "",
    ]
    if not data["http"]:
        lines.append("Not run (`--no-http`).")
    else:
        lines += ["| endpoint | uncached p50 / p95 | cached p50 / p95 |", "|---|---|---|"]
        for key, value in data["http"].items():
            if not value.get("available"):
                lines.append(f"| {key} | not available (HTTP {value['status']}) | |")
            else:
                u, c = value["uncached"], value["cached"]
                lines.append(
                    f"| {key} | {u['p50_ms']} / {u['p95_ms']} | {c['p50_ms']} / {c['p95_ms']} |"
                )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
