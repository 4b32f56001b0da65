"""Payment figures for Prometheus (souk.core.metrics serves them at /metrics)."""

from __future__ import annotations

from django.db import transaction
from prometheus_client import Counter

# captured: a payment marked paid; failed: a payment that ended failed (refused, mismatched,
# abandoned); refunded: money given back (by the gateway or settled by hand); refund_failed: a
# refund the gateway refused or one interrupted mid-call.
OUTCOMES = ("captured", "failed", "refunded", "refund_failed")

PAYMENTS = Counter(
    "souk_payments",
    "Payment outcomes, counted once their transaction committed.",
    ["outcome"],
)
for _outcome in OUTCOMES:
    PAYMENTS.labels(_outcome)  # every outcome is exported from the start, at 0


def payment_outcome_count(outcome: str, count: int = 1) -> None:
    """Count `count` payments reaching `outcome` once the current transaction commits (at once
    outside one)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown payment outcome {outcome!r}")
    if count > 0:
        transaction.on_commit(lambda: PAYMENTS.labels(outcome).inc(count), robust=True)
