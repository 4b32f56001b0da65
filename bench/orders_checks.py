"""The orders benchmark's checks, read from the database after each phase: deadlocks,
oversold units and stock against the orders placed, the stock ledger, carts left behind."""

from __future__ import annotations

from typing import Any

from common import connect

LEDGER_SQL = """
SELECT v.id, v.quantity, COALESCE(SUM(m.delta), 0) AS ledger
FROM catalog_variant v
LEFT JOIN inventory_stockmovement m ON m.variant_id = v.id
GROUP BY v.id, v.quantity
HAVING v.quantity < 0 OR v.quantity <> COALESCE(SUM(m.delta), 0)
ORDER BY v.id
"""


def deadlocks(url: str) -> int:
    with connect(url) as conn:
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def last_order_id(url: str) -> int:
    """The highest order id so far: a phase's orders are the ones above it."""
    with connect(url) as conn:
        row = conn.execute("SELECT COALESCE(max(id), 0) FROM orders_order").fetchone()
    return int(row[0]) if row else 0


def stock_check(url: str, prefix: str, start: dict[int, int], after_id: int) -> dict[str, Any]:
    """Units sold by the orders numbered `prefix...` with an id above `after_id` (this phase's)
    against the stock each variant started the phase with: oversold units, variants whose stock
    is not start - sold, negative stock."""
    with connect(url) as conn:
        rows = conn.execute(
            """
            SELECT v.id, v.quantity,
                   COALESCE(SUM(i.quantity) FILTER (WHERE o.number LIKE %s AND o.id > %s), 0)
                     AS sold
            FROM catalog_variant v
            LEFT JOIN orders_orderitem i ON i.variant_id = v.id
            LEFT JOIN orders_order o ON o.id = i.order_id
            WHERE v.id = ANY(%s)
            GROUP BY v.id, v.quantity
            """,
            [prefix + "%", after_id, list(start)],
        ).fetchall()
        orders = conn.execute(
            "SELECT count(*) FROM orders_order WHERE number LIKE %s AND id > %s",
            [prefix + "%", after_id],
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


def carts_left(url: str) -> int:
    """Cart lines still in carts: the cart flow empties every cart it filled (checkout does,
    or the client after a refusal)."""
    with connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM orders_cartitem").fetchone()
    return int(row[0]) if row else 0


def server_version(url: str) -> str:
    with connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""
