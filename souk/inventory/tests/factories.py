"""Test helpers for stock and its ledger."""

from __future__ import annotations

from django.db import connection


def ledger_mismatches() -> list[tuple[int, int, int]]:
    """(variant id, quantity, ledger sum) of every variant whose stock is negative or differs
    from the sum of its movements; [] when the ledger holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT v.id, v.quantity, COALESCE(SUM(m.delta), 0) AS ledger
            FROM catalog_variant v
            LEFT JOIN inventory_stockmovement m ON m.variant_id = v.id
            GROUP BY v.id, v.quantity
            HAVING v.quantity < 0 OR v.quantity <> COALESCE(SUM(m.delta), 0)
            ORDER BY v.id
            """
        )
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]
