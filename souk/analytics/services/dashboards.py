"""The dashboards as the API serves them: computed by the selectors, kept briefly in the cache
(souk.analytics.services.cache), and, for the marketplace's default period, computed ahead by
a periodic job so that no request waits for it.

Each figure set is computed once per period with the longest lists a request may ask for
(`TOP_MOST`); a request's `top` cuts them, so every `top` shares one cached copy."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from souk.analytics import selectors
from souk.analytics.services.cache import marketplace_cached, marketplace_store, shop_cached
from souk.shops.models import Shop

TOP_MOST = 100  # the largest `top` a request may ask for


def _key(period: selectors.Period) -> str:
    # v2: the selectors' figures (earlier keys held rendered bodies)
    return f"v2:{period.start.isoformat()}:{period.end.isoformat()}"


def _cut(figures: dict[str, Any], top: int) -> dict[str, Any]:
    lists = ("top_products", "top_shops")
    return {key: value[:top] if key in lists else value for key, value in figures.items()}


def shop_figures(*, shop: Shop, period: selectors.Period, top: int) -> dict[str, Any]:
    """The shop's dashboard: from the cache until the shop's revenue changes or
    DASHBOARD_CACHE_SECONDS pass."""
    figures = shop_cached(
        shop.pk,
        _key(period),
        lambda: selectors.shop_dashboard(shop=shop, period=period, top=TOP_MOST),
    )
    return _cut(figures, top)


def marketplace_figures(*, period: selectors.Period, top: int) -> dict[str, Any]:
    """The marketplace's dashboard, from the cache (at most DASHBOARD_CACHE_SECONDS old)."""
    figures = marketplace_cached(
        _key(period), lambda: selectors.marketplace_dashboard(period=period, top=TOP_MOST)
    )
    return _cut(figures, top)


def marketplace_refresh() -> selectors.Period:
    """Compute the marketplace's dashboard for the default period (the last 12 months) and
    put it in the cache, replacing the copy requests read; the period it computed."""
    period = selectors.default_period(timezone.now().date())
    marketplace_store(_key(period), selectors.marketplace_dashboard(period=period, top=TOP_MOST))
    return period
