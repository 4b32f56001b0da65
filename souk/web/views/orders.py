"""The shopper's orders and payments: pages over the order selectors, the lifecycle service
and the payment services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from souk.core.exceptions import DomainError
from souk.orders import policy
from souk.orders import selectors as order_selectors
from souk.orders.models import Order
from souk.orders.services.lifecycle import CANCELLABLE, order_cancel
from souk.payments import selectors as payment_selectors
from souk.payments.api.serializers import PaymentStartSerializer, VerifyQuerySerializer
from souk.payments.gateways import gateway_for, gateways_offered
from souk.payments.models import Payment, PaymentTransaction
from souk.payments.services.capture import payment_verify
from souk.payments.services.common import payment_order_ids
from souk.payments.services.start import payment_start
from souk.web.views.access import shopper_required
from souk.web.views.errors import error_text

# What each order event reads as on the timeline.
EVENT_LABELS = {
    "placed": _lazy("Order placed"),
    "paid": _lazy("Payment received"),
    "processing": _lazy("Being prepared"),
    "shipped": _lazy("Shipped"),
    "delivered": _lazy("Delivered"),
    "cancelled": _lazy("Cancelled"),
    "expired": _lazy("Expired (not paid in time)"),
    "refunded": _lazy("Refunded"),
}
# The steps still ahead of an order on the usual path.
FLOW = ("placed", "paid", "processing", "shipped", "delivered")
PICKUP_FLOW = ("placed", "paid", "processing", "delivered")


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    order = order_selectors.order_get(user=request.user, order_id=pk)  # type: ignore[arg-type]
    if order is None:
        raise Http404(_("No such order."))
    return order


@require_GET
@shopper_required
def orders(request: HttpRequest) -> HttpResponse:
    listed = order_selectors.order_list(user=request.user)  # type: ignore[arg-type]
    page = Paginator(listed, 20).get_page(request.GET.get("page"))
    return render(request, "web/shop/orders/list.html", {"page": page, "orders": page.object_list})


def _timeline(order: Order) -> list[dict[str, Any]]:
    events = list(order.events.order_by("id"))
    steps: list[dict[str, Any]] = [
        {"label": EVENT_LABELS.get(e.event, e.event.title()), "at": e.created_at, "done": True}
        for e in events
    ]
    if order.status in (Order.Status.CANCELLED, Order.Status.EXPIRED):
        return steps
    method = getattr(getattr(order, "delivery", None), "method", "delivery")
    flow = PICKUP_FLOW if method == "pickup" else FLOW
    seen = {e.event for e in events}
    ahead = [step for step in flow if step not in seen]
    steps += [{"label": EVENT_LABELS[step], "at": None, "done": False} for step in ahead]
    return steps


@require_GET
@shopper_required
def order(request: HttpRequest, pk: int) -> HttpResponse:
    found = _order_or_404(request, pk)
    user: Any = request.user
    payments = payment_selectors.payments_visible(user=user).filter(
        Q(order=found) | Q(checkout_id=found.checkout_id, checkout__isnull=False)
    )
    context = {
        "order": found,
        "timeline": _timeline(found),
        "delivery": order_selectors.delivery_of(found),
        "payments": payments,
        "can_cancel": found.status in CANCELLABLE and policy.can_cancel_order(user, found),
        "can_pay": found.status == Order.Status.PENDING_PAYMENT and policy.is_buyer(user, found),
        "delivered": found.status == Order.Status.DELIVERED,
    }
    return render(request, "web/shop/orders/detail.html", context)


@require_POST
@shopper_required
def order_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel after a confirmation (`confirm=yes`); without it, ask first."""
    found = _order_or_404(request, pk)
    if request.POST.get("confirm") != "yes":
        return render(request, "web/shop/orders/cancel_confirm.html", {"order": found})
    try:
        order_cancel(order_id=found.pk, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Order %(number)s was cancelled.") % {"number": found.number})
    return redirect("shop:order", pk=found.pk)


def _payable_orders(request: HttpRequest, source: dict[str, Any]) -> tuple[dict[str, int], list]:
    """The checkout or order named by `checkout` / `order`, with the caller's orders in it."""
    user: Any = request.user
    for key in ("checkout", "order"):
        raw = str(source.get(key) or "")
        if raw.isdigit() and 0 < int(raw) < 2**63:
            target = {key: int(raw)}
            if key == "checkout":
                found = order_selectors.checkout_get(user=user, checkout_id=int(raw))
                listed = list(found.orders.all()) if found is not None else []
            else:
                one = order_selectors.order_get(user=user, order_id=int(raw))
                listed = [one] if one is not None and policy.is_buyer(user, one) else []
            if listed:
                return target, listed
    raise Http404(_("Nothing to pay here."))


@require_http_methods(["GET", "POST"])
@shopper_required
def pay(request: HttpRequest) -> HttpResponse:
    """GET: what is to be paid and how; POST: start the payment and go to the gateway."""
    source = request.POST if request.method == "POST" else request.GET
    target, listed = _payable_orders(request, source)
    offered = [(name, gateway_for(name).label) for name in gateways_offered()]
    if request.method == "POST":
        answer = _start(request, target, offered)
        if answer is not None:
            return answer
    context = {
        "target": target,
        "orders": listed,
        "total": sum((o.total for o in listed), 0),
        "currency": listed[0].currency,
        "expires_at": min(o.expires_at for o in listed),
        "awaiting": all(o.status == Order.Status.PENDING_PAYMENT for o in listed),
        "gateways": offered,
    }
    return render(request, "web/shop/orders/pay.html", context)


def _start(
    request: HttpRequest, target: dict[str, int], offered: list[tuple[str, str]]
) -> HttpResponse | None:
    gateway = request.POST.get("gateway") or (offered[0][0] if offered else "")
    data = PaymentStartSerializer(data={**target, "gateway": gateway})
    try:
        data.is_valid(raise_exception=True)
        payment = payment_start(
            user=request.user,  # type: ignore[arg-type]
            gateway=gateway,
            checkout_id=target.get("checkout"),
            order_id=target.get("order"),
            return_url=request.build_absolute_uri(reverse("shop:payment-return")),
        )
    except (DRFValidationError, DomainError) as exc:
        messages.error(request, error_text(exc))
        return None
    if payment.status == Payment.Status.PAID or not payment.redirect_url:
        return redirect(f"{reverse('shop:payment-return')}?payment={payment.pk}")
    return HttpResponseRedirect(payment.redirect_url)


def _returned_payment(request: HttpRequest) -> Payment:
    """The caller's payment the gateway sent them back about (or `?payment=` of theirs)."""
    user: Any = request.user
    raw = request.GET.get("payment", "")
    if raw.isdigit() and 0 < int(raw) < 2**63:
        found = payment_selectors.payment_get(user=user, payment_id=int(raw))
        if found is None:
            raise Http404(_("No such payment."))
        return found
    query = VerifyQuerySerializer(data=request.GET)
    if not query.is_valid():
        raise Http404(_("No such payment."))
    params = query.validated_data
    found = payment_selectors.payment_by_callback(
        gateway=params["gateway"],
        reference=params.get("reference") or params.get("trxref") or "",
        authority=params.get("Authority", ""),
    )
    if found is None or found.user_id != user.pk:
        raise Http404(_("No such payment."))
    callback = {key: str(value) for key, value in params.items()}
    return payment_verify(
        payment_id=found.pk, params=callback, kind=PaymentTransaction.Kind.CALLBACK
    )


@require_GET
@shopper_required
def payment_return(request: HttpRequest) -> HttpResponse:
    payment = _returned_payment(request)
    listed = list(
        order_selectors.order_list(user=request.user).filter(  # type: ignore[arg-type]
            pk__in=payment_order_ids(payment)
        )
    )
    target = (
        {"checkout": payment.checkout_id} if payment.checkout_id else {"order": payment.order_id}
    )
    context = {
        "payment": payment,
        "orders": listed,
        "target": target,
        "retry": payment.status == Payment.Status.FAILED
        and all(o.status == Order.Status.PENDING_PAYMENT for o in listed),
    }
    return render(request, "web/shop/orders/payment_return.html", context)
