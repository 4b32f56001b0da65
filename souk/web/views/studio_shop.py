"""The studio's shop pages: the shop's settings (location picked on a map), opening a first
shop, and its staff, over the shops services and policy the API uses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from souk.accounts.models import User
from souk.core.exceptions import DomainError
from souk.shops import selectors, services
from souk.shops.api.serializers import ShopWriteSerializer
from souk.shops.models import Shop
from souk.shops.policy import can_manage_staff, can_update_shop
from souk.web.studio import SESSION_KEY, studio_view
from souk.web.views.studio_forms import errors_of

FIELDS = ("name", "description", "address", "phone", "email")


def _values_of(shop: Shop | None) -> dict[str, Any]:
    if shop is None:
        return dict.fromkeys((*FIELDS, "lat", "lng"), "")
    values = {field: getattr(shop, field) for field in FIELDS}
    values.update(lat=f"{shop.location.y:.6f}", lng=f"{shop.location.x:.6f}")
    return values


def _values_from_post(request: HttpRequest) -> dict[str, Any]:
    return {field: request.POST.get(field, "").strip() for field in (*FIELDS, "lat", "lng")}


def _validate(values: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    raw = {field: values[field] for field in FIELDS}
    raw["location"] = {"lat": values["lat"] or None, "lng": values["lng"] or None}
    data = ShopWriteSerializer(data=raw)
    if data.is_valid():
        return dict(data.validated_data), {}
    errors = errors_of(data.errors)
    location = errors.pop("location", None)
    if isinstance(location, dict):
        errors.update({key: value for key, value in location.items() if key in ("lat", "lng")})
    elif location:
        errors["lat"] = location
    return None, errors


def _form(
    request: HttpRequest,
    template: str,
    values: dict[str, Any],
    errors: dict[str, Any],
    **extra: Any,
) -> HttpResponse:
    status = 400 if errors else 200
    context = {"values": values, "errors": errors, **extra}
    return render(request, template, context, status=status)


@studio_view
def shop_settings(request: HttpRequest) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    may_edit = can_update_shop(request.user, shop)
    template = "web/studio/catalog/shop.html"
    if request.method != "POST":
        return _form(request, template, _values_of(shop), {}, may_edit=may_edit, shop=shop)
    values = _values_from_post(request)
    if not may_edit:
        messages.error(request, _("Only the shop's owner changes its settings."))
        return _form(request, template, _values_of(shop), {}, may_edit=False, shop=shop)
    data, errors = _validate(values)
    if data is not None:
        try:
            services.shop_update(shop=shop, data=data)
        except (ValidationError, DomainError) as exc:
            errors = errors_of(exc)
        else:
            messages.success(request, _("Shop settings saved."))
            return redirect("studio:shop")
    return _form(request, template, values, errors, may_edit=True, shop=shop)


@login_required
def shop_new(request: HttpRequest) -> HttpResponse:
    template = "web/studio/catalog/shop_new.html"
    user = request.user
    is_artisan = getattr(user, "role", None) == User.Role.ARTISAN
    if request.method != "POST" or not is_artisan:
        return _form(request, template, _values_of(None), {}, is_artisan=is_artisan)
    values = _values_from_post(request)
    data, errors = _validate(values)
    if data is not None:
        try:
            shop = services.shop_create(owner=user, data=data)  # type: ignore[arg-type]
        except (ValidationError, DomainError) as exc:
            errors = errors_of(exc)
        else:
            request.session[SESSION_KEY] = shop.pk
            messages.success(request, _("Your shop is open. Add your first product."))
            return redirect("studio:products")
    return _form(request, template, values, errors, is_artisan=True)


def _staff_page(
    request: HttpRequest, shop: Shop, errors: dict[str, Any], email: str = ""
) -> HttpResponse:
    return render(
        request,
        "web/studio/catalog/staff.html",
        {"members": list(selectors.shop_members(shop=shop)), "errors": errors, "email": email},
        status=400 if errors else 200,
    )


@studio_view
def staff(request: HttpRequest) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    if not can_manage_staff(request.user, shop):
        return render(request, "web/studio/catalog/staff_denied.html", status=403)
    if request.method != "POST":
        return _staff_page(request, shop, {})
    email = request.POST.get("email", "").strip()
    if not email:
        return _staff_page(request, shop, {"email": [_("Enter the person's email address.")]})
    try:
        member = services.staff_add(shop=shop, email=email)
    except (ValidationError, DomainError) as exc:
        return _staff_page(request, shop, errors_of(exc), email)
    messages.success(request, _("%(name)s joined the shop as staff.") % {"name": member.user.email})
    return redirect("studio:staff")


@studio_view
@require_POST
def staff_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    if not can_manage_staff(request.user, shop):
        return render(request, "web/studio/catalog/staff_denied.html", status=403)
    try:
        services.staff_remove(shop=shop, user_id=user_id)
    except DomainError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("Staff member removed."))
    return redirect("studio:staff")
