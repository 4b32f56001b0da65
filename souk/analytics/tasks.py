"""Analytics background jobs: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="souk.analytics.tasks.rollup_reconcile")
def rollup_reconcile_task() -> int:
    """Check the last week of the shop x day rollup against the orders (nightly); how many
    shop-days it corrected."""
    from souk.analytics.services.rollup import rollup_reconcile

    return rollup_reconcile().corrected
