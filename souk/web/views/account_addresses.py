"""The address book (souk.accounts' address services, validated by the API's serializer)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from souk.accounts import selectors
from souk.accounts.api.serializers import AddressSerializer
from souk.accounts.models import Address, User
from souk.accounts.services import addresses as address_services
from souk.web.forms import Errors, posted, service_errors, validate

FIELDS = Address.TEXT_FIELDS


def _address(request: HttpRequest, pk: int) -> Address:
    address = selectors.address_get(user=cast(User, request.user), address_id=pk)
    if address is None:
        raise Http404(_("No such address."))
    return address


def _form_data(request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = posted(request.POST, FIELDS)
    if request.POST.get("is_default"):
        data["is_default"] = True
    return data


def _save(request: HttpRequest, address: Address | None) -> tuple[Address | None, Errors]:
    data = _form_data(request)
    valid, errors = validate(AddressSerializer, data, partial=address is not None)
    if errors:
        return None, errors
    try:
        if address is None:
            saved = address_services.address_create(user=cast(User, request.user), data=valid)
        else:
            saved = address_services.address_update(address=address, data=valid)
    except ValidationError as exc:
        return None, service_errors(exc)
    return saved, {}


def _book(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    rows = list(selectors.address_list(user=cast(User, request.user)))
    return {"addresses": rows, "errors": {}, "values": {}, **extra}


@login_required
@require_http_methods(["GET", "POST"])
def addresses_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        saved, errors = _save(request, None)
        if saved is not None:
            messages.success(request, _("Address added."))
            return redirect(reverse("shop:addresses"))
        context = _book(request, errors=errors, values=_form_data(request), adding=True)
        return render(request, "web/shop/account/addresses.html", context)
    return render(request, "web/shop/account/addresses.html", _book(request))


@login_required
@require_http_methods(["GET", "POST"])
def address_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    address = _address(request, pk)
    if request.method == "POST":
        saved, errors = _save(request, address)
        if saved is not None:
            messages.success(request, _("Address saved."))
            return redirect(reverse("shop:addresses"))
        context = {"address": address, "errors": errors, "values": _form_data(request)}
        return render(request, "web/shop/account/address_edit.html", context)
    values = {field: getattr(address, field) for field in FIELDS}
    context = {"address": address, "errors": {}, "values": values}
    return render(request, "web/shop/account/address_edit.html", context)


@login_required
@require_POST
def address_default_view(request: HttpRequest, pk: int) -> HttpResponse:
    address = _address(request, pk)
    address_services.address_update(address=address, data={"is_default": True})
    messages.success(request, _("%(label)s is your default address now.") % {"label": address})
    return redirect(reverse("shop:addresses"))


@login_required
@require_POST
def address_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    address = _address(request, pk)
    address_services.address_delete(address=address)
    messages.success(request, _("Address deleted."))
    return redirect(reverse("shop:addresses"))
