"""Orders benchmark: concurrent clients placing direct orders through the real HTTP API
(gunicorn) on a mix of hot and cold variants, and the same transaction in raw SQL driven by
pgbench on the same database as the ceiling.

    .venv/bin/python bench/orders.py                        # 2,000 orders from 16 clients
    .venv/bin/python bench/orders.py --orders 4000 --clients 32

Each run recreates its own database (`<name>_bench_orders`, from the test template), migrates
it, seeds a small catalog with `manage.py seed_data`, and adds buyers (each with a default
address and an access token). A few "hot" variants of one shop get a small stock that the
clients fight over; "cold" variants of the other shops have enough stock for every order the
plan sends them. A seeded plan of direct orders (POST /api/orders/, one or two lines) runs
from `--clients` threads, then the stock is put back and pgbench runs the same plan as one
SQL transaction per order (lock the variants in id order, check, write the order, its lines,
delivery schedule, event and ledger movements, or roll back).

Fails (exit 1) on any 5xx or transport error, deadlock, oversell, stock that disagrees with
the orders or the ledger, or a refused cold order. Results: bench/results/orders.json and
bench/results/orders.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
import requests
from common import (
    DEFAULT_URL,
    RESULTS,
    connect,
    create_database,
    django_snippet,
    manage,
    server,
    summarize,
)

# Redis database of the server under test. Test processes use databases 1-15 with their own
# key prefixes, so the benchmark deletes only its own keys instead of flushing the database.
REDIS_URL = "redis://127.0.0.1:6379/12"
JWT_MINUTES = "240"  # access tokens outlive the run
HTTP_PREFIX = "SK-"  # order numbers drawn by the application
SQL_PREFIX = "PG-"  # order numbers written by the pgbench script

# Run inside `manage.py shell` against the benchmark database. Mode "prepare": buyers with a
# default address and an access token, the hot variants' stock set to `hot_stock`, and the
# cold candidates. Mode "restock": stock of the given variants put back (an adjustment each,
# through the stock service, so the ledger stays whole).
DJANGO_SNIPPET = r"""
import json, os
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from souk.accounts.models import Address, User
from souk.accounts.services.tokens import tokens_issue
from souk.catalog.models import Variant
from souk.inventory.models import StockMovement
from souk.inventory.services.stock import StockChange, stock_apply, stock_set

params = json.loads(os.environ["BENCH_PARAMS"])
out = {}
if params["mode"] == "prepare":
    password = make_password(None)
    with transaction.atomic():
        users = User.objects.bulk_create([
            User(email=f"buyer{i}@bench.souk.test", first_name="Bench", last_name=f"Buyer {i}",
                 password=password, is_email_verified=True)
            for i in range(params["customers"])
        ])
        Address.objects.bulk_create([
            Address(user=user, label="Home", recipient=user.full_name, phone="+212600000000",
                    line1=f"{i + 1} Market Street", city="Fes", postal_code="30000",
                    country="MA", is_default=True)
            for i, user in enumerate(users)
        ])
    out["tokens"] = {str(user.pk): tokens_issue(user=user).access for user in users}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.shop_id FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id"
            " WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL"
            " GROUP BY v.shop_id HAVING count(*) >= %s ORDER BY v.shop_id LIMIT 1",
            [params["hot_variants"]],
        )
        hot_shop = cursor.fetchone()[0]
        cursor.execute(
            "SELECT v.id, v.shop_id, v.quantity FROM catalog_variant v"
            " JOIN catalog_product p ON p.id = v.product_id"
            " WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL AND v.shop_id <> %s"
            " AND v.quantity >= %s ORDER BY v.id",
            [hot_shop, params["cold_min"]],
        )
        out["cold"] = cursor.fetchall()
    hot = list(Variant.objects.filter(shop_id=hot_shop, product__deleted_at__isnull=True)
               .order_by("id")[: params["hot_variants"]])
    for variant in hot:
        stock_set(variant=variant, quantity=params["hot_stock"], actor=None, note="bench: hot")
    out["hot_shop"] = hot_shop
    out["hot"] = [variant.pk for variant in hot]
    out["currency"] = settings.CURRENCY
    out["payment_minutes"] = settings.ORDER_PAYMENT_TIMEOUT_MINUTES
    out["threshold"] = settings.LOW_STOCK_THRESHOLD
else:
    target = {int(k): v for k, v in params["stock"].items()}
    current = dict(Variant.all_objects.filter(pk__in=target).values_list("pk", "quantity"))
    moves = stock_apply(
        changes=[StockChange(vid, target[vid] - current[vid]) for vid in sorted(target)],
        reason=StockMovement.Reason.ADJUSTMENT, note="bench: restock",
    )
    out["restocked"] = len(moves)
with open(os.environ["BENCH_OUT"], "w") as handle:
    json.dump(out, handle)
"""

# One order per transaction, as order_place writes it: the plan row (by a shared sequence, so
# clients take the next order like the HTTP clients do), the variants locked in id order and
# checked (live, of this shop, enough stock), then the order with the buyer's default address,
# its lines, delivery schedule, stock update and ledger movements, low-stock alerts and the
# "placed" event; or a rollback when any line is short.
PGBENCH_SCRIPT = r"""
BEGIN;
SELECT id AS plan_id, customer_id, shop_id, v1, q1, v2, q2, lines
  FROM bench_plan WHERE id = (SELECT nextval('bench_plan_seq')) \gset
SELECT COALESCE(count(*) = :lines::int AND bool_and(live AND quantity >= wanted), false)::int
       AS ok
  FROM (SELECT v.quantity, v.deleted_at IS NULL AND p.deleted_at IS NULL
                 AND v.shop_id = :shop_id::bigint AS live,
               CASE WHEN v.id = :v1::bigint THEN :q1::int ELSE :q2::int END AS wanted
          FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id
         WHERE v.id IN (:v1::bigint, :v2::bigint)
         ORDER BY v.id FOR UPDATE OF v) locked \gset
\if :ok
INSERT INTO orders_order (created_at, updated_at, number, shop_id, customer_id, status,
                          payment_status, subtotal, discount, total, currency,
                          shipping_address, expires_at)
SELECT now(), now(), 'PG-' || to_char(now(), 'YYMMDD') || '-' || lpad(:plan_id::text, 6, '0'),
       :shop_id::bigint, :customer_id::bigint, 'pending_payment', 'unpaid', s.subtotal, 0,
       s.subtotal, :currency::text,
       (SELECT jsonb_build_object('label', label, 'recipient', recipient, 'phone', phone,
                                  'line1', line1, 'line2', line2, 'city', city,
                                  'region', region, 'postal_code', postal_code,
                                  'country', country, 'location', NULL)
          FROM accounts_address WHERE user_id = :customer_id::bigint AND is_default),
       now() + make_interval(mins => :payment_minutes::int)
  FROM (SELECT sum(price * CASE WHEN id = :v1::bigint THEN :q1::int ELSE :q2::int END)
               AS subtotal
          FROM catalog_variant WHERE id IN (:v1::bigint, :v2::bigint)) s
RETURNING id AS order_id, number AS order_number \gset
INSERT INTO orders_orderitem (order_id, variant_id, product_id, sku, name, unit_price,
                              quantity, line_total, net_total)
SELECT :order_id::bigint, v.id, v.product_id, v.sku,
       left(p.name || COALESCE(' (' || (SELECT string_agg(value, ', ')
                                          FROM jsonb_each_text(v.attributes)) || ')', ''), 300),
       v.price, l.q, v.price * l.q, v.price * l.q
  FROM (VALUES (:v1::bigint, :q1::int), (:v2::bigint, :q2::int)) l (id, q)
  JOIN catalog_variant v ON v.id = l.id JOIN catalog_product p ON p.id = v.product_id
 ORDER BY v.id;
INSERT INTO orders_deliveryschedule (created_at, updated_at, order_id, method, carrier,
                                     tracking_number, status, notes)
VALUES (now(), now(), :order_id::bigint, 'delivery', '', '', 'scheduled', '');
WITH taken AS (
  UPDATE catalog_variant v SET quantity = v.quantity - l.q
    FROM (VALUES (:v1::bigint, :q1::int), (:v2::bigint, :q2::int)) l (id, q)
   WHERE v.id = l.id
  RETURNING v.id, v.shop_id, v.quantity, l.q)
INSERT INTO inventory_stockmovement (variant_id, shop_id, delta, reason, reference,
                                     quantity_after, actor_id, note, created_at)
SELECT id, shop_id, -q, 'sale', 'order:' || :order_number::text, quantity,
       :customer_id::bigint, '', now()
  FROM taken ORDER BY id;
INSERT INTO inventory_inventoryalert (shop_id, variant_id, quantity, threshold, created_at)
SELECT shop_id, id, quantity, :threshold::int, now() FROM catalog_variant
 WHERE id IN (:v1::bigint, :v2::bigint) AND quantity <= :threshold::int AND deleted_at IS NULL
ON CONFLICT (variant_id) WHERE resolved_at IS NULL DO NOTHING;
UPDATE inventory_inventoryalert SET resolved_at = now()
 WHERE resolved_at IS NULL AND variant_id IN (
   SELECT id FROM catalog_variant
    WHERE id IN (:v1::bigint, :v2::bigint) AND quantity > :threshold::int);
INSERT INTO orders_orderevent (order_id, event, actor_id, created_at)
VALUES (:order_id::bigint, 'placed', :customer_id::bigint, now());
COMMIT;
\else
ROLLBACK;
\endif
"""

LEDGER_SQL = """
SELECT v.id, v.quantity, COALESCE(SUM(m.delta), 0) AS ledger
FROM catalog_variant v
LEFT JOIN inventory_stockmovement m ON m.variant_id = v.id
GROUP BY v.id, v.quantity
HAVING v.quantity < 0 OR v.quantity <> COALESCE(SUM(m.delta), 0)
ORDER BY v.id
"""


@dataclass(frozen=True)
class PlannedOrder:
    id: int  # 1-based, as in bench_plan
    customer: int
    shop: int
    hot: bool
    lines: tuple[tuple[int, int], ...]  # (variant id, quantity), by variant id


@dataclass
class Sample:
    hot: bool
    seconds: float
    status: int  # 0: no response (transport error)
    code: str


@dataclass
class Catalog:
    tokens: dict[int, str]
    hot_shop: int
    hot: list[int]
    cold: list[tuple[int, int, int]]  # (variant, shop, quantity)
    currency: str
    payment_minutes: int
    threshold: int


# --- Database and catalog --------------------------------------------------------------------


def run_snippet(url: str, params: dict[str, Any]) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "JWT_ACCESS_MINUTES": JWT_MINUTES,
    }
    result: dict[str, Any] = django_snippet(DJANGO_SNIPPET, env, params)
    return result


def prepare(url: str, args: argparse.Namespace) -> Catalog:
    data = run_snippet(
        url,
        {
            "mode": "prepare",
            "customers": args.customers,
            "hot_variants": args.hot_variants,
            "hot_stock": args.hot_stock,
            "cold_min": max(10, args.max_quantity),
        },
    )
    return Catalog(
        tokens={int(k): v for k, v in data["tokens"].items()},
        hot_shop=data["hot_shop"],
        hot=data["hot"],
        cold=[(row[0], row[1], row[2]) for row in data["cold"]],
        currency=data["currency"],
        payment_minutes=data["payment_minutes"],
        threshold=data["threshold"],
    )


def redis_forget(url: str) -> None:
    """Delete what the server under test left in its Redis database (cache keys under the
    application's prefix and the Celery queue nobody consumes here)."""
    client = redis.Redis.from_url(url)
    keys = [
        *client.scan_iter(match="souk:*", count=1000),
        *client.scan_iter(match="_kombu.*", count=1000),
        *client.scan_iter(match="celery", count=1000),
    ]
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def deadlocks(url: str) -> int:
    with connect(url) as conn:
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


# --- The plan --------------------------------------------------------------------------------


def order_plan(
    args: argparse.Namespace, catalog: Catalog
) -> tuple[list[PlannedOrder], dict[int, int]]:
    """The orders to place, and the stock each planned variant starts with. Cold orders never
    ask a variant for more than it holds in total, so every one of them must succeed."""
    rng = random.Random(args.seed)
    customers = sorted(catalog.tokens)
    cold_stock = {variant: quantity for variant, _, quantity in catalog.cold}
    start: dict[int, int] = dict.fromkeys(catalog.hot, args.hot_stock)
    left: dict[int, dict[int, int]] = {}
    for variant, shop, quantity in catalog.cold:
        left.setdefault(shop, {})[variant] = quantity
    plan: list[PlannedOrder] = []
    for index in range(args.orders):
        hot = rng.random() < args.hot_share
        count = rng.choice([1, 2])
        if hot:
            shop = catalog.hot_shop
            variants = rng.sample(catalog.hot, count)
        else:
            while True:
                if not left:
                    raise SystemExit("not enough cold stock for the plan: seed more products")
                shop = rng.choice(sorted(left))
                enough = [v for v, q in left[shop].items() if q >= args.max_quantity]
                if enough:
                    break
                del left[shop]
            variants = rng.sample(enough, min(count, len(enough)))
        lines = tuple(sorted((v, rng.randint(1, args.max_quantity)) for v in variants))
        if not hot:
            for variant, quantity in lines:
                start.setdefault(variant, cold_stock[variant])
                left[shop][variant] -= quantity
        plan.append(PlannedOrder(index + 1, rng.choice(customers), shop, hot, lines))
    return plan, start


# --- HTTP ------------------------------------------------------------------------------------


def run_http(
    base: str, plan: list[PlannedOrder], tokens: dict[int, str], clients: int
) -> tuple[list[Sample], float]:
    local = threading.local()

    def one(order: PlannedOrder) -> Sample:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body = {
            "shop": order.shop,
            "items": [{"variant": v, "quantity": q} for v, q in order.lines],
        }
        headers = {"Authorization": f"Bearer {tokens[order.customer]}"}
        started = time.perf_counter()
        try:
            response = session.post(f"{base}/api/orders/", json=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            return Sample(order.hot, time.perf_counter() - started, 0, type(exc).__name__)
        elapsed = time.perf_counter() - started
        code = ""
        if response.status_code != 201:
            try:
                code = str(response.json().get("code", ""))
            except ValueError:
                code = response.text[:80]
        return Sample(order.hot, elapsed, response.status_code, code)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        samples = list(pool.map(one, plan))
    return samples, time.perf_counter() - started


def warm_up(base: str, tokens: dict[int, str], clients: int, count: int) -> None:
    """Reads only (own order list): start every worker thread and its database connection."""
    local = threading.local()
    users = sorted(tokens)

    def one(index: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        token = tokens[users[index % len(users)]]
        session.get(f"{base}/api/orders/", headers={"Authorization": f"Bearer {token}"}, timeout=60)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(count)))


# --- pgbench ---------------------------------------------------------------------------------


def pgbench_path() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    raise SystemExit("pgbench not found (install postgresql-client)")


def load_plan(url: str, plan: list[PlannedOrder]) -> None:
    with connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_plan")
        conn.execute("DROP SEQUENCE IF EXISTS bench_plan_seq")
        conn.execute(
            "CREATE TABLE bench_plan (id integer PRIMARY KEY, customer_id bigint NOT NULL, "
            "shop_id bigint NOT NULL, hot boolean NOT NULL, v1 bigint NOT NULL, "
            "q1 integer NOT NULL, v2 bigint NOT NULL, q2 integer NOT NULL, lines integer NOT NULL)"
        )
        conn.execute("CREATE SEQUENCE bench_plan_seq")
        with conn.cursor().copy(
            "COPY bench_plan (id, customer_id, shop_id, hot, v1, q1, v2, q2, lines) FROM STDIN"
        ) as copy:
            for order in plan:
                (v1, q1), (v2, q2) = (*order.lines, (0, 0))[:2]
                copy.write_row(
                    (
                        order.id,
                        order.customer,
                        order.shop,
                        order.hot,
                        v1,
                        q1,
                        v2,
                        q2,
                        len(order.lines),
                    )
                )
        conn.execute("VACUUM ANALYZE")


def run_pgbench(
    url: str, plan: list[PlannedOrder], catalog: Catalog, clients: int, jobs: int
) -> dict[str, Any]:
    parts = urlsplit(url)
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "",
        "PGPASSWORD": parts.password or "",
    }
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "order.sql"
        script.write_text(PGBENCH_SCRIPT)
        command = [
            pgbench_path(),
            "--no-vacuum",
            "--protocol=prepared",
            f"--client={clients}",
            f"--jobs={min(jobs, clients)}",
            f"--transactions={len(plan) // clients}",
            f"--file={script}",
            "--log",
            f"--log-prefix={tmp}/log",
            f"--define=currency={catalog.currency}",
            f"--define=payment_minutes={catalog.payment_minutes}",
            f"--define=threshold={catalog.threshold}",
            parts.path.lstrip("/"),
        ]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit(f"pgbench failed with exit code {done.returncode}")
        latencies = []
        for log in Path(tmp).glob("log.*"):
            for line in log.read_text().splitlines():
                latencies.append(int(line.split()[2]) / 1_000_000)
    output = done.stdout
    tps = re.search(r"tps = ([\d.]+) \(without initial", output)
    if tps is None:
        raise SystemExit(f"cannot read pgbench's output:\n{output}")
    processed = re.search(r"actually processed: (\d+)/(\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    return {
        "tps": float(tps.group(1)),
        "transactions": int(processed.group(1)) if processed else len(latencies),
        "failed": int(failed.group(1)) if failed else 0,
        "latencies": latencies,
        "wall_s": wall,
        "output": output,
    }


# --- Checks ----------------------------------------------------------------------------------


def stock_check(url: str, prefix: str, start: dict[int, int]) -> dict[str, Any]:
    """Units sold by the orders numbered `prefix...` against the stock each variant started
    with: oversold units, variants whose stock is not start - sold, negative stock."""
    with connect(url) as conn:
        rows = conn.execute(
            """
            SELECT v.id, v.quantity,
                   COALESCE(SUM(i.quantity) FILTER (WHERE o.number LIKE %s), 0) AS sold
            FROM catalog_variant v
            LEFT JOIN orders_orderitem i ON i.variant_id = v.id
            LEFT JOIN orders_order o ON o.id = i.order_id
            WHERE v.id = ANY(%s)
            GROUP BY v.id, v.quantity
            """,
            [prefix + "%", list(start)],
        ).fetchall()
        orders = conn.execute(
            "SELECT count(*) FROM orders_order WHERE number LIKE %s", [prefix + "%"]
        ).fetchone()
    oversold = sum(max(0, int(sold) - start[vid]) for vid, _, sold in rows)
    wrong = [
        (vid, qty, start[vid], int(sold)) for vid, qty, sold in rows if qty != start[vid] - sold
    ]
    return {
        "orders": int(orders[0]) if orders else 0,
        "units_sold": sum(int(sold) for _, _, sold in rows),
        "oversold_units": oversold,
        "stock_mismatches": len(wrong),
        "stock_mismatch_examples": wrong[:5],
        "negative_stock": sum(1 for _, qty, _ in rows if qty < 0),
    }


def ledger_mismatches(url: str) -> list[tuple[int, int, int]]:
    with connect(url) as conn:
        return [(row[0], row[1], int(row[2])) for row in conn.execute(LEDGER_SQL)]


# --- Main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders in the plan")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--hot-share", type=float, default=0.3, help="share of hot orders")
    parser.add_argument("--hot-variants", type=int, default=5)
    parser.add_argument("--hot-stock", type=int, default=40, help="stock of each hot variant")
    parser.add_argument("--max-quantity", type=int, default=2, help="largest quantity per line")
    parser.add_argument("--customers", type=int, default=64)
    parser.add_argument("--products", type=int, default=5000, help="seeded catalog size")
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up reads (not measured)")
    parser.add_argument("--pgbench-jobs", type=int, default=2, help="pgbench threads")
    parser.add_argument("--seed", type=int, default=42, help="plan seed")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    if args.orders % args.clients:
        args.orders = math.ceil(args.orders / args.clients) * args.clients
        print(f"orders rounded up to {args.orders} (a multiple of --clients for pgbench)")

    started = time.monotonic()
    print("== database and catalog", flush=True)
    url = create_database(args.database_url, "bench_orders")
    manage(url, "migrate", "--noinput", "--verbosity", "0")
    manage(url, "seed_data", "--shops", str(args.shops), "--products", str(args.products))
    redis_forget(REDIS_URL)
    catalog = prepare(url, args)
    with connect(url) as conn:
        conn.execute("VACUUM ANALYZE")
    plan, start = order_plan(args, catalog)
    setup_seconds = time.monotonic() - started
    hot_orders = sum(order.hot for order in plan)
    print(
        f"   {setup_seconds:.1f} s; {len(plan)} orders ({hot_orders} hot), "
        f"{len(catalog.hot)} hot variants x {args.hot_stock}, {len(start) - len(catalog.hot)} "
        "cold variants",
        flush=True,
    )

    print("== HTTP (gunicorn)", flush=True)
    deadlocks_before = deadlocks(url)
    extra = {"JWT_ACCESS_MINUTES": JWT_MINUTES}
    load_before = os.getloadavg()[0]
    with server(url, args.workers, args.threads, REDIS_URL, extra) as base:
        warm_up(base, catalog.tokens, args.clients, args.warmup)
        samples, wall = run_http(base, plan, catalog.tokens, args.clients)
        load_after = os.getloadavg()[0]
    time.sleep(0.5)  # the server's backends have exited and flushed their statistics
    http_deadlocks = deadlocks(url) - deadlocks_before
    http_stock = stock_check(url, HTTP_PREFIX, start)
    http = http_summary(samples, wall, http_deadlocks, http_stock)
    print(f"   {json.dumps({k: v for k, v in http.items() if k != 'latency'})}", flush=True)
    print(f"   latency {http['latency']['all']}", flush=True)

    print("== pgbench (raw SQL)", flush=True)
    run_snippet(url, {"mode": "restock", "stock": {str(k): v for k, v in start.items()}})
    load_plan(url, plan)
    deadlocks_before = deadlocks(url)
    bench = run_pgbench(url, plan, catalog, args.clients, args.pgbench_jobs)
    time.sleep(0.5)
    sql_deadlocks = deadlocks(url) - deadlocks_before
    sql_stock = stock_check(url, SQL_PREFIX, start)
    duration = bench["transactions"] / bench["tps"]
    sql = {
        "tps": round(bench["tps"], 1),
        "orders_per_s": round(sql_stock["orders"] / duration, 1),
        "transactions": bench["transactions"],
        "failed": bench["failed"],
        "committed": sql_stock["orders"],
        "rolled_back": bench["transactions"] - sql_stock["orders"],
        "seconds": round(duration, 2),
        "deadlocks": sql_deadlocks,
        "stock": sql_stock,
        "latency": summarize(bench["latencies"]),
    }
    print(f"   {json.dumps({k: v for k, v in sql.items() if k != 'latency'})}", flush=True)
    print(f"   latency {sql['latency']}", flush=True)
    ledger = ledger_mismatches(url)
    redis_forget(REDIS_URL)

    failures = {
        "http_5xx": http["server_errors"],
        "http_transport_errors": http["transport_errors"],
        "deadlocks": http_deadlocks + sql_deadlocks,
        "oversold_units": http_stock["oversold_units"] + sql_stock["oversold_units"],
        "negative_stock": http_stock["negative_stock"] + sql_stock["negative_stock"],
        "stock_mismatches": http_stock["stock_mismatches"] + sql_stock["stock_mismatches"],
        "orders_not_matching_201s": abs(http_stock["orders"] - http["status"].get("201", 0)),
        "cold_orders_refused": http["refused_cold"],
        "ledger_mismatches": len(ledger),
        "pgbench_failed": bench["failed"],
    }
    data = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "postgres": server_version(url),
            # 1-minute load average before the HTTP phase (other work on the machine) and at
            # its end (including the benchmark's own clients and server).
            "load_average": [round(load_before, 2), round(load_after, 2)],
        },
        "settings": {
            "orders": len(plan),
            "hot_orders": hot_orders,
            "clients": args.clients,
            "hot_variants": len(catalog.hot),
            "hot_stock": args.hot_stock,
            "cold_variants": len(start) - len(catalog.hot),
            "max_quantity": args.max_quantity,
            "customers": args.customers,
            "products": args.products,
            "shops": args.shops,
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.threads,
            "pgbench_jobs": args.pgbench_jobs,
            "seed": args.seed,
        },
        "database": urlsplit(url).path.lstrip("/"),
        "setup_seconds": round(setup_seconds, 1),
        "http": http,
        "pgbench": sql,
        "ratio": {
            "orders_per_s": round(http["orders_per_s"] / sql["orders_per_s"], 4),
            "requests_per_s_to_tps": round(http["requests_per_s"] / sql["tps"], 4),
            "ceiling_factor": round(sql["orders_per_s"] / http["orders_per_s"], 1),
        },
        "ledger_mismatches": ledger[:10],
        "failures": failures,
        "passed": not any(failures.values()),
    }
    write(data)
    if not data["passed"]:
        print(f"FAILED: {json.dumps({k: v for k, v in failures.items() if v})}", file=sys.stderr)
        return 1
    return 0


def server_version(url: str) -> str:
    with connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""


def http_summary(
    samples: list[Sample], wall: float, deadlock_count: int, stock: dict[str, Any]
) -> dict[str, Any]:
    status: dict[str, int] = {}
    codes: dict[str, int] = {}
    for sample in samples:
        status[str(sample.status)] = status.get(str(sample.status), 0) + 1
        if sample.code:
            codes[f"{sample.status} {sample.code}"] = (
                codes.get(f"{sample.status} {sample.code}", 0) + 1
            )
    created = [s for s in samples if s.status == 201]
    return {
        "orders_per_s": round(len(created) / wall, 1),
        "requests_per_s": round(len(samples) / wall, 1),
        "seconds": round(wall, 2),
        "requests": len(samples),
        "status": dict(sorted(status.items())),
        "problem_codes": dict(sorted(codes.items())),
        "created": len(created),
        "conflicts_409": sum(1 for s in samples if s.status == 409),
        "other_4xx": sum(1 for s in samples if 400 <= s.status < 500 and s.status != 409),
        "server_errors": sum(1 for s in samples if s.status >= 500),
        "transport_errors": sum(1 for s in samples if s.status == 0),
        "refused_cold": sum(1 for s in samples if not s.hot and s.status != 201),
        "created_hot": sum(1 for s in created if s.hot),
        "deadlocks": deadlock_count,
        "stock": stock,
        "latency": {
            "all": summarize([s.seconds for s in samples]),
            "201": summarize([s.seconds for s in created]),
            "409": summarize([s.seconds for s in samples if s.status == 409]),
            "hot": summarize([s.seconds for s in samples if s.hot]),
            "cold": summarize([s.seconds for s in samples if not s.hot]),
        },
    }


def write(data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "orders.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "orders.md").write_text(markdown(data))
    print(f"wrote {RESULTS / 'orders.json'} and {RESULTS / 'orders.md'}")


def markdown(data: dict[str, Any]) -> str:
    s, http, sql = data["settings"], data["http"], data["pgbench"]
    f = data["failures"]
    lines = [
        "# Orders benchmark",
        "",
        f"Run {data['when']} on {data['machine']['cpus']} CPUs (PostgreSQL "
        f"{data['machine']['postgres']}); {s['orders']} direct orders ({s['hot_orders']} on "
        f"{s['hot_variants']} hot variants of one shop holding {s['hot_stock']} each, the rest "
        f"on {s['cold_variants']} cold variants with enough stock), 1-2 lines of 1-"
        f"{s['max_quantity']} units, from {s['clients']} concurrent clients. HTTP: gunicorn "
        f"{s['gunicorn_workers']} workers x {s['gunicorn_threads']} threads, latency measured by "
        f"the client (full round trip). pgbench: the same plan and starting stock, "
        f"{s['clients']} clients, one SQL transaction per order. 1-minute load average before "
        f"the HTTP phase (other work on the machine): {data['machine']['load_average'][0]}; "
        f"at its end: {data['machine']['load_average'][1]}.",
        "",
        "| | orders/s | requests/s (tps) | p50 ms | p95 ms | p99 ms | created | refused |",
        "|---|---|---|---|---|---|---|---|",
        f"| HTTP (gunicorn) | {http['orders_per_s']} | {http['requests_per_s']} | "
        f"{http['latency']['all']['p50_ms']} | {http['latency']['all']['p95_ms']} | "
        f"{http['latency']['all']['p99_ms']} | {http['created']} | {http['conflicts_409']} (409) |",
        f"| pgbench (raw SQL) | {sql['orders_per_s']} | {sql['tps']} | "
        f"{sql['latency']['p50_ms']} | {sql['latency']['p95_ms']} | {sql['latency']['p99_ms']} | "
        f"{sql['committed']} | {sql['rolled_back']} (rollback) |",
        "",
        f"HTTP / pgbench: **{data['ratio']['orders_per_s']:.3f}** orders/s (the SQL ceiling is "
        f"{data['ratio']['ceiling_factor']}x the HTTP rate); requests/s against tps: "
        f"{data['ratio']['requests_per_s_to_tps']:.3f}.",
        "",
        f"HTTP latency by outcome (p50 / p95 ms): 201 {http['latency']['201']['p50_ms']} / "
        f"{http['latency']['201']['p95_ms']}, 409 {http['latency']['409']['p50_ms']} / "
        f"{http['latency']['409']['p95_ms']}; hot orders {http['latency']['hot']['p50_ms']} / "
        f"{http['latency']['hot']['p95_ms']}, cold {http['latency']['cold']['p50_ms']} / "
        f"{http['latency']['cold']['p95_ms']}.",
        "",
        "Checks (all must be 0):",
        "",
        f"- 5xx responses: {f['http_5xx']}; transport errors: {f['http_transport_errors']}; "
        f"other 4xx: {http['other_4xx']}",
        f"- deadlocks (pg_stat_database): HTTP {http['deadlocks']}, pgbench {sql['deadlocks']}",
        f"- oversold units: HTTP {http['stock']['oversold_units']}, pgbench "
        f"{sql['stock']['oversold_units']}; negative stock: {f['negative_stock']}; variants whose "
        f"stock is not start - sold: {f['stock_mismatches']}",
        f"- orders in the database not matching the 201 responses: "
        f"{f['orders_not_matching_201s']}; refused cold orders: {f['cold_orders_refused']}",
        f"- variants whose stock differs from their ledger: {f['ledger_mismatches']}",
        "",
        f"Result: **{'passed' if data['passed'] else 'FAILED'}**.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
