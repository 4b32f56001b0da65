"""The orders benchmark's ceiling: the plan as raw SQL, one transaction per order, driven by
pgbench on the working tree's database."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import connect, summarize
from orders_checks import deadlocks, last_order_id, stock_check
from orders_plan import SQL_PREFIX, Catalog, PlannedOrder, Prepared, restock

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


def pgbench_phase(prepared: Prepared, args: argparse.Namespace) -> dict[str, Any]:
    """Restock, load the plan, run pgbench and check its orders like the HTTP ones."""
    restock(prepared)
    load_plan(prepared.url, prepared.plan)
    after_id = last_order_id(prepared.url)
    deadlocks_before = deadlocks(prepared.url)
    bench = run_pgbench(
        prepared.url, prepared.plan, prepared.catalog, args.clients, args.pgbench_jobs
    )
    time.sleep(0.5)
    stock = stock_check(prepared.url, SQL_PREFIX, prepared.start, after_id)
    duration = bench["transactions"] / bench["tps"]
    return {
        "tps": round(bench["tps"], 1),
        "orders_per_s": round(stock["orders"] / duration, 1),
        "transactions": bench["transactions"],
        "failed": bench["failed"],
        "committed": stock["orders"],
        "rolled_back": bench["transactions"] - stock["orders"],
        "seconds": round(duration, 2),
        "deadlocks": deadlocks(prepared.url) - deadlocks_before,
        "stock": stock,
        "latency": summarize(bench["latencies"]),
    }
