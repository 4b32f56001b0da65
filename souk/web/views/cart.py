"""The shopper's cart and checkout: pages over the cart and placement services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from souk.accounts.selectors import address_list
from souk.accounts.services.addresses import address_create
from souk.catalog.models import Variant
from souk.core.exceptions import DomainError
from souk.inventory.services.stock import InsufficientStock
from souk.orders.api.serializers import (
    CartItemAddSerializer,
    CartItemUpdateSerializer,
    CheckoutCreateSerializer,
    CouponCodeSerializer,
)
from souk.orders.services import cart as cart_services
from souk.orders.services.cart import CartView
from souk.orders.services.placement import DeliveryRequest, checkout_place
from souk.web.views.access import shopper_required
from souk.web.views.errors import error_text, field_errors, shortage_text

INPUT_ERRORS = (DRFValidationError, DjangoValidationError, DomainError)
# The inline address form: (field, label, required, autocomplete).
ADDRESS_FIELDS = (
    ("recipient", _lazy("Recipient"), True, "name"),
    ("phone", _lazy("Phone"), False, "tel"),
    ("line1", _lazy("Street address"), True, "address-line1"),
    ("line2", _lazy("Apartment, suite (optional)"), False, "address-line2"),
    ("city", _lazy("City"), True, "address-level2"),
    ("region", _lazy("Region"), False, "address-level1"),
    ("postal_code", _lazy("Postal code"), False, "postal-code"),
    ("country", _lazy("Country code (2 letters, e.g. MA)"), True, "country"),
)


def _by_shop(view: CartView) -> list[dict[str, Any]]:
    """The cart's lines grouped by shop, in the order the shops first appear."""
    groups: dict[int, dict[str, Any]] = {}
    # The chosen options of each line's variant ("Large, Blue"), as the order's line names them.
    attributes = dict(
        Variant.objects.filter(pk__in=[row["variant"] for row in view.items]).values_list(
            "pk", "attributes"
        )
    )
    for row in view.items:
        values = (attributes.get(row["variant"]) or {}).values()
        row = {**row, "options": ", ".join(str(value) for value in values)}
        group = groups.setdefault(
            row["shop"]["id"], {"shop": row["shop"], "items": [], "subtotal": 0}
        )
        group["items"].append(row)
        if row["available"]:
            group["subtotal"] += row["line_total"]
    return list(groups.values())


def _names(view: CartView) -> dict[int, str]:
    return {row["variant"]: f"{row['product']['name']} ({row['sku']})" for row in view.items}


def _cart_context(request: HttpRequest) -> dict[str, Any]:
    view = cart_services.cart_view(user=request.user)  # type: ignore[arg-type]
    return {"cart": view, "groups": _by_shop(view)}


def _back(request: HttpRequest) -> str:
    """Where a form posted from another page returns: `next` or the referring page, if ours."""
    for candidate in (request.POST.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return reverse("shop:cart")


@shopper_required
def cart(request: HttpRequest) -> HttpResponse:
    return render(request, "web/shop/cart/cart.html", _cart_context(request))


def _cart_partial(request: HttpRequest, *, error: str = "", notice: str = "") -> HttpResponse:
    context = {**_cart_context(request), "error": error, "notice": notice, "oob": True}
    return render(request, "web/shop/cart/_cart_body.html", context)


@require_POST
@shopper_required
def cart_add(request: HttpRequest) -> HttpResponse:
    data = CartItemAddSerializer(data=request.POST)
    try:
        data.is_valid(raise_exception=True)
        values = data.validated_data
        cart_services.cart_line_add(
            user=request.user,  # type: ignore[arg-type]
            quantity=values["quantity"],
            variant_id=values.get("variant"),
            product_id=values.get("product"),
        )
    except InsufficientStock as exc:
        message = _("Not enough stock for that quantity: %(available)s available.") % {
            "available": exc.shortages[0]["available"]
        }
        return _add_answer(request, ok=False, message=message)
    except INPUT_ERRORS as exc:
        return _add_answer(request, ok=False, message=error_text(exc))
    return _add_answer(request, ok=True, message=_("Added to your cart."))


def _add_answer(request: HttpRequest, *, ok: bool, message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        context = {"ok": ok, "message": message, "oob": True}
        return render(request, "web/shop/cart/_added.html", context)
    (messages.success if ok else messages.error)(request, message)
    return HttpResponseRedirect(_back(request))


@require_POST
@shopper_required
def cart_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a line's quantity (`action=update`, `quantity`) or remove it (`action=remove`)."""
    user: Any = request.user
    error, notice = "", ""
    try:
        if request.POST.get("action") == "remove":
            cart_services.cart_item_remove(user=user, item_id=pk)
            notice = _("The item was removed.")
        else:
            data = CartItemUpdateSerializer(data=request.POST)
            data.is_valid(raise_exception=True)
            cart_services.cart_item_set(
                user=user, item_id=pk, quantity=data.validated_data["quantity"]
            )
            notice = _("Quantity updated.")
    except InsufficientStock as exc:
        line = cart_services.cart_item_get(user=user, item_id=pk)
        error = _("Not enough stock of %(name)s: only %(available)s available.") % {
            "name": line.variant.product.name if line is not None else _("this item"),
            "available": exc.shortages[0]["available"],
        }
    except INPUT_ERRORS as exc:
        error = error_text(exc)
    return _cart_answer(request, error=error, notice=notice)


def _cart_answer(request: HttpRequest, *, error: str, notice: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _cart_partial(request, error=error, notice=notice)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("shop:cart")


@require_POST
@shopper_required
def cart_coupon(request: HttpRequest) -> HttpResponse:
    """Apply a coupon code (`code`) or take it off (`action=remove`)."""
    user: Any = request.user
    error, notice = "", ""
    try:
        if request.POST.get("action") == "remove":
            cart_services.cart_coupon_remove(user=user)
            notice = _("The coupon was removed.")
        else:
            data = CouponCodeSerializer(data=request.POST)
            data.is_valid(raise_exception=True)
            coupon = cart_services.cart_coupon_apply(user=user, code=data.validated_data["code"])
            notice = _("Coupon %(code)s applied.") % {"code": coupon.code}
    except INPUT_ERRORS as exc:
        error = error_text(exc)
    return _cart_answer(request, error=error, notice=notice)


def _checkout_body(post: Any) -> dict[str, Any]:
    """The checkout form as the API's checkout body (validated by the API's serializer)."""
    method = post.get("method") or "delivery"
    body: dict[str, Any] = {"delivery": {"method": method, "notes": post.get("notes", "")}}
    choice = post.get("address_choice", "")
    if method == "delivery" and choice == "new":
        body["address"] = {key: post.get(key, "").strip() for key, *_rest in ADDRESS_FIELDS}
    elif method == "delivery" and choice:
        body["shipping_address"] = choice
    return body


def _place(request: HttpRequest, values: dict[str, Any]) -> Any:
    """Place the checkout; an address typed in is saved to the address book in the same
    transaction (a refused checkout saves nothing)."""
    user: Any = request.user
    delivery = DeliveryRequest(**values["delivery"])
    with transaction.atomic():
        address_id = values.get("shipping_address")
        if values.get("address") is not None:
            address_id = address_create(user=user, data=dict(values["address"])).pk
        return checkout_place(user=user, address_id=address_id, delivery=delivery)


@require_http_methods(["GET", "POST"])
@shopper_required
def checkout(request: HttpRequest) -> HttpResponse:
    context = _cart_context(request)
    view: CartView = context["cart"]
    addresses = list(address_list(user=request.user))  # type: ignore[arg-type]
    errors: dict[str, list[str]] = {}
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        data = CheckoutCreateSerializer(data=_checkout_body(request.POST))
        try:
            data.is_valid(raise_exception=True)
            placed = _place(request, dict(data.validated_data))
        except InsufficientStock as exc:
            errors = {"__all__": [shortage_text(exc, _names(view))]}
        except (DRFValidationError, DjangoValidationError) as exc:
            errors = field_errors(exc)
        except DomainError as exc:
            errors = {"__all__": [error_text(exc)]}
        else:
            messages.success(request, _("Order placed. Pay now to confirm it."))
            return redirect(f"{reverse('shop:pay')}?checkout={placed.pk}")
    chosen = form.get("address_choice") or (str(addresses[0].pk) if addresses else "new")
    context.update(
        addresses=addresses,
        errors=errors,
        general_errors=errors.get("__all__", [])
        + errors.get("cart", [])
        + errors.get("address", [])
        + errors.get("shipping_address", []),
        method_errors=errors.get("delivery.method", []) + errors.get("delivery", []),
        form=form,
        chosen=chosen,
        method=form.get("method") or "delivery",
        address_fields=[
            {
                "name": key,
                "label": label,
                "required": required,
                "autocomplete": autocomplete,
                "value": form.get(key, ""),
                "errors": errors.get(f"address.{key}", []) + errors.get(key, []),
            }
            for key, label, required, autocomplete in ADDRESS_FIELDS
        ],
    )
    # A refused form is shown again with its errors (200, as Django's form views answer).
    return render(request, "web/shop/cart/checkout.html", context)
