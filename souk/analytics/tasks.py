"""Analytics background jobs: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="souk.analytics.tasks.rollup_reconcile")
def rollup_reconcile_task() -> int:
    """Check the last week of the rollups against the orders (nightly); how many shop-days
    and product-months it corrected."""
    from souk.analytics.services.rollup import rollup_reconcile

    result = rollup_reconcile()
    return result.corrected + result.corrected_months


@shared_task(name="souk.analytics.tasks.marketplace_refresh", ignore_result=True)
def marketplace_refresh_task() -> None:
    """Compute the marketplace dashboard of the default period ahead of its readers (every
    DASHBOARD_REFRESH_SECONDS, less than DASHBOARD_CACHE_SECONDS)."""
    from souk.analytics.services.dashboards import marketplace_refresh

    marketplace_refresh()
