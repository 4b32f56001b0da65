"""The studio's dashboard: a shop's figures over a period (the same figures, cache and period
rules as GET /api/shops/{id}/dashboard/), as charts with tables beside them, and as CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from souk.analytics import selectors
from souk.analytics.api import serializers as s
from souk.analytics.api.renderers import DashboardCsvRenderer
from souk.analytics.services import dashboards
from souk.shops.models import Shop
from souk.shops.policy import can_manage_shop
from souk.web.studio import studio_view

TOP = 10
PRESETS = [
    ("month", gettext_lazy("This month")),
    ("30d", gettext_lazy("Last 30 days")),
    ("year", gettext_lazy("This year")),
    ("12m", gettext_lazy("Last 12 months")),
]


def preset_periods(today: date) -> list[dict[str, Any]]:
    """The period shortcuts offered beside the date inputs, each ending today."""
    starts = {
        "month": today.replace(day=1),
        "30d": today - timedelta(days=29),
        "year": today.replace(month=1, day=1),
        "12m": selectors.default_period(today).start,
    }
    return [
        {"key": key, "label": label, "from": starts[key].isoformat(), "to": today.isoformat()}
        for key, label in PRESETS
    ]


def _shop(request: HttpRequest) -> Shop:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    if not can_manage_shop(request.user, shop):  # the API's rule (analytics.policy)
        raise PermissionDenied
    return shop


def _period(request: HttpRequest) -> tuple[selectors.Period, dict[str, list[str]]]:
    """The period asked for (the API's query rules), or the default one and the errors."""
    query = s.PeriodQuerySerializer(
        data={key: request.GET[key] for key in ("from", "to") if request.GET.get(key)}
    )
    if query.is_valid():
        return query.validated_data["period"], {}
    errors = {key: [str(m) for m in msgs] for key, msgs in query.errors.items()}
    return selectors.default_period(timezone.now().date()), errors


def _figures(shop: Shop, period: selectors.Period) -> dict[str, Any]:
    figures = dashboards.shop_figures(shop=shop, period=period, top=TOP)
    return dict(s.DashboardSerializer(figures).data)


def _context(request: HttpRequest, shop: Shop) -> dict[str, Any]:
    period, errors = _period(request)
    data = _figures(shop, period)
    return {
        "shop": shop,
        "data": data,
        "errors": errors,
        "query": urlencode({"from": data["period"]["from"], "to": data["period"]["to"]}),
        "asked": {key: request.GET.get(key, "") for key in ("from", "to")},
        "presets": preset_periods(timezone.now().date()),
        "has_sales": bool(data["top_products"]) or data["kpis"]["orders"] > 0,
        "charts": {
            "currency": data["currency"],
            "monthly": data["monthly_revenue"],
            "categories": data["category_breakdown"],
            "products": data["top_products"],
            "labels": {
                "revenue": _("Revenue"),
                "orders": _("Orders"),
                "uncategorised": _("Uncategorised"),
            },
        },
    }


@studio_view
def dashboard(request: HttpRequest) -> HttpResponse:
    context = _context(request, _shop(request))  # a bad period: its errors, by its inputs
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    template = "web/studio/dashboard_body.html" if htmx else "web/studio/dashboard.html"
    return render(request, template, context)


@studio_view
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    """The monthly and product tables as the API's `?format=csv` gives them; a bad period goes
    back to the dashboard, which says what is wrong with it."""
    shop = _shop(request)
    period, errors = _period(request)
    if errors:
        query = urlencode({key: request.GET.get(key, "") for key in ("from", "to")})
        return redirect(f"{reverse('studio:dashboard')}?{query}")
    body = DashboardCsvRenderer().render(_figures(shop, period))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"shop-{shop.pk}-dashboard-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
