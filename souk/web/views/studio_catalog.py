"""The studio's stock pages: inventory with low-stock alerts, purchases (restocks) and manual
adjustments, over the inventory services and selectors the API uses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from souk.catalog.models import Variant
from souk.core.exceptions import DomainError, NotFound
from souk.inventory import selectors
from souk.inventory.api.serializers import AdjustmentSerializer, PurchaseCreateSerializer
from souk.inventory.services.alerts import alert_dismiss as alert_dismiss_service
from souk.inventory.services.purchases import purchase_create, stock_adjust
from souk.shops.models import Shop
from souk.web.studio import studio_view
from souk.web.views.studio_forms import errors_of, per_item

INVENTORY_PAGE = 100
RECENT_MOVEMENTS = 30
RECENT_PURCHASES = 10
VARIANT_CHOICES = 1000


def _alerts(shop: Shop) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = selectors.active_alerts(shop=shop, offset=0, limit=100)["rows"]
    return rows


# Deeper pages are not offered (a page number beyond it shows the last one it allows).
MAX_INVENTORY_PAGE = 1_000


@studio_view
def inventory(request: HttpRequest) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), MAX_INVENTORY_PAGE)
    except ValueError:
        page = 1
    found = selectors.shop_inventory(
        shop=shop, offset=(page - 1) * INVENTORY_PAGE, limit=INVENTORY_PAGE
    )
    return render(
        request,
        "web/studio/catalog/inventory.html",
        {
            "rows": found["rows"],
            "count": found["count"],
            "page": page,
            "has_next": page * INVENTORY_PAGE < found["count"],
            "alerts": _alerts(shop),
        },
    )


@studio_view
@require_POST
def alert_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    try:
        alert_dismiss_service(actor=request.user, alert_id=pk)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    notice = _("Alert dismissed. A new one is raised if the stock falls again.")
    if getattr(request, "htmx", False):
        return render(
            request,
            "web/studio/catalog/_alerts.html",
            {"alerts": _alerts(shop), "notice": notice},
        )
    messages.success(request, notice)
    return redirect("studio:inventory")


def _variant_choices(shop: Shop) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = selectors.shop_inventory(
        shop=shop, offset=0, limit=VARIANT_CHOICES
    )["rows"]
    return rows


def _purchases_page(
    request: HttpRequest, *, purchase: dict[str, Any], adjust: dict[str, Any], status: int = 200
) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    moves = selectors.movements(shop=shop).select_related("variant__product")[:RECENT_MOVEMENTS]
    return render(
        request,
        "web/studio/catalog/purchases.html",
        {
            "variants": _variant_choices(shop),
            "movements": list(moves),
            "purchases": list(selectors.purchases(shop_ids=[shop.pk])[:RECENT_PURCHASES]),
            "purchase": purchase,
            "adjust": adjust,
            "today": timezone.localdate().isoformat(),
        },
        status=status,
    )


def _blank_purchase() -> dict[str, Any]:
    return {"values": {}, "lines": [{}], "errors": {}}


@studio_view
def purchases(request: HttpRequest) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    if request.method != "POST":
        return _purchases_page(request, purchase=_blank_purchase(), adjust={})
    post = request.POST
    lines: list[dict[str, Any]] = [
        {"variant": variant, "quantity": quantity, "unit_cost": cost}
        for variant, quantity, cost in zip(
            post.getlist("item-variant"),
            post.getlist("item-quantity"),
            post.getlist("item-cost"),
            strict=False,
        )
        if variant or quantity or cost
    ]
    values = {
        "supplier": post.get("supplier", ""),
        "reference": post.get("reference", ""),
        "purchased_at": post.get("purchased_at", ""),
    }
    data = PurchaseCreateSerializer(data={"shop": shop.pk, **values, "items": lines})
    errors: dict[str, Any] = {}
    if data.is_valid():
        valid = data.validated_data
        try:
            purchase_create(
                actor=request.user,  # type: ignore[arg-type]
                shop=shop,
                supplier=valid["supplier"],
                purchased_at=valid["purchased_at"],
                items=valid["items"],
                reference=valid["reference"],
            )
        except (ValidationError, DomainError) as exc:
            errors = errors_of(exc)
        else:
            messages.success(request, _("Purchase recorded; the stock went up."))
            return redirect("studio:purchases")
    else:
        errors = errors_of(data.errors)
    items = errors.pop("items", None)
    by_line = per_item(items, len(lines))
    if by_line is not None:
        lines = [{**line, "errors": e} for line, e in zip(lines, by_line, strict=True)]
    elif items:
        errors["lines"] = items
    purchase = {"values": values, "lines": lines or [{}], "errors": errors}
    return _purchases_page(request, purchase=purchase, adjust={}, status=400)


@studio_view
@require_POST
def adjust(request: HttpRequest) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    values = {
        "variant": request.POST.get("variant", ""),
        "delta": request.POST.get("delta", ""),
        "note": request.POST.get("note", ""),
    }
    data = AdjustmentSerializer(data=values)
    errors: dict[str, Any]
    if data.is_valid():
        valid = data.validated_data
        owned = Variant.objects.filter(pk=valid["variant"], shop=shop).exists()
        if not owned:
            errors = {"variant": [_("Choose a variant of this shop.")]}
        else:
            try:
                stock_adjust(
                    actor=request.user,  # type: ignore[arg-type]
                    variant_id=valid["variant"],
                    delta=valid["delta"],
                    note=valid["note"],
                )
            except (ValidationError, DomainError) as exc:
                errors = errors_of(exc)
            else:
                messages.success(request, _("Stock adjusted."))
                return redirect("studio:purchases")
    else:
        errors = errors_of(data.errors)
    return _purchases_page(
        request,
        purchase=_blank_purchase(),
        adjust={"values": values, "errors": errors},
        status=400,
    )
