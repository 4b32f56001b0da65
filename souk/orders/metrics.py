"""Order figures for Prometheus (souk.core.metrics serves them at /metrics)."""

from __future__ import annotations

from django.db import transaction
from prometheus_client import Counter

ORDERS_PLACED = Counter(
    "souk_orders_placed",
    "Orders placed, counted once their transaction committed, by flow (direct or checkout).",
    ["flow"],
)


def orders_placed_count(*, flow: str, orders: int) -> None:
    """Count `orders` placed by the current transaction once it commits (never if it rolls
    back). No query."""
    transaction.on_commit(lambda: ORDERS_PLACED.labels(flow).inc(orders), robust=True)
