"""The studio's orders: the shop's orders to fulfil, each one click from its next status, and
an order's detail. The moves and who may make them are the order lifecycle's
(souk.orders.services.lifecycle, souk.orders.policy), as for POST /api/orders/{id}/status/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from souk.core.exceptions import DomainError
from souk.orders import policy, selectors
from souk.orders.api.serializers import OrderListQuerySerializer, StatusSerializer
from souk.orders.models import DeliverySchedule, Order
from souk.orders.services import lifecycle
from souk.shops.models import Shop
from souk.web.studio import SESSION_KEY, studio_view

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 20
TO_FULFIL = "to_fulfil"
# The statuses an order can still be moved on from, by any delivery method.
OPEN = sorted({status for moves in lifecycle.FORWARD.values() for status in moves})
STATUS_LABELS: dict[str, StrOrPromise] = {
    Order.Status.PENDING_PAYMENT: gettext_lazy("Pending payment"),
    Order.Status.PAID: gettext_lazy("Paid"),
    Order.Status.PROCESSING: gettext_lazy("Processing"),
    Order.Status.SHIPPED: gettext_lazy("Shipped"),
    Order.Status.DELIVERED: gettext_lazy("Delivered"),
    Order.Status.CANCELLED: gettext_lazy("Cancelled"),
    Order.Status.EXPIRED: gettext_lazy("Expired"),
}
EVENTS = {
    "placed": gettext_lazy("Order placed"),
    "paid": gettext_lazy("Payment received"),
    "processing": gettext_lazy("Being prepared"),
    "shipped": gettext_lazy("Shipped"),
    "delivered": gettext_lazy("Delivered"),
    "cancelled": gettext_lazy("Cancelled"),
    "expired": gettext_lazy("Expired unpaid"),
    "refunded": gettext_lazy("Refunded"),
}


def next_step(order: Order) -> dict[str, Any] | None:
    """The order's next status (the lifecycle's forward move) and the button's words."""
    schedule = getattr(order, "delivery", None)
    method = DeliverySchedule.Method(
        schedule.method if schedule else DeliverySchedule.Method.DELIVERY
    )
    status = lifecycle.FORWARD[method].get(Order.Status(order.status))
    if status is None:
        return None
    if status == Order.Status.PROCESSING:
        label = _("Start preparing")
    elif status == Order.Status.SHIPPED:
        label = _("Mark as shipped")
    elif method == DeliverySchedule.Method.PICKUP:
        label = _("Mark as collected")
    else:
        label = _("Mark as delivered")
    return {"status": status, "label": label, "name": STATUS_LABELS[status]}


def _with_steps(orders: list[Order]) -> list[Order]:
    for order in orders:
        order.next_step = next_step(order)  # type: ignore[attr-defined]
        label = STATUS_LABELS.get(order.status, order.status)
        order.status_label = label  # type: ignore[attr-defined]
    return orders


def _shop(request: HttpRequest) -> Shop:
    shop: Shop = request.studio_shop  # type: ignore[attr-defined]
    if not policy.can_list_shop_orders(request.user, shop):
        raise Http404
    return shop


def _tabs(request: HttpRequest, shop: Shop, current: str) -> list[dict[str, Any]]:
    counts: dict[str, int] = dict(
        selectors.order_list(user=request.user, shop=shop)  # type: ignore[arg-type]
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    tabs = [
        {"key": TO_FULFIL, "label": _("To fulfil"), "count": sum(counts.get(s, 0) for s in OPEN)}
    ]
    tabs += [
        {"key": value, "label": label, "count": counts.get(value, 0)}
        for value, label in STATUS_LABELS.items()
    ]
    tabs.append({"key": "all", "label": _("All"), "count": sum(counts.values())})
    for tab in tabs:
        tab["current"] = tab["key"] == current
    return tabs


@studio_view
def order_list(request: HttpRequest) -> HttpResponse:
    shop = _shop(request)
    wanted = request.GET.get("status") or TO_FULFIL
    current = wanted
    status = None
    if wanted not in (TO_FULFIL, "all"):
        query = OrderListQuerySerializer(data={"status": wanted})
        if query.is_valid():
            status = query.validated_data["status"]
        else:
            messages.error(
                request, _("There is no such order status: showing the orders to fulfil.")
            )
            current = TO_FULFIL
    orders = selectors.order_list(user=request.user, shop=shop, status=status)  # type: ignore[arg-type]
    if current == TO_FULFIL:
        orders = orders.filter(status__in=OPEN)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_steps(list(page.object_list))
    return render(
        request,
        "web/studio/orders.html",
        {"shop": shop, "page": page, "tabs": _tabs(request, shop, current), "current": current},
    )


def _member_order(request: HttpRequest, pk: int) -> Order:
    """An order of one of the caller's shops (404 for anyone else, buyers included)."""
    order = selectors.order_get(user=request.user, order_id=pk)  # type: ignore[arg-type]
    if order is None or not policy.is_order_member(request.user, order):
        raise Http404
    return order


@studio_view
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _member_order(request, pk)
    if order.shop_id != request.studio_shop.pk:  # type: ignore[attr-defined]
        # An order of another of the member's shops: the studio acts for that shop now.
        request.session[SESSION_KEY] = order.shop_id
        request.studio_shop = order.shop  # type: ignore[attr-defined]
    events = [
        {
            "label": EVENTS.get(event.event, event.event),
            "at": event.created_at,
            "actor": event.actor,
        }
        for event in order.events.select_related("actor").order_by("id")
    ]
    context = {
        "order": _with_steps([order])[0],
        "shop": order.shop,
        "schedule": getattr(order, "delivery", None),
        "events": events,
        "address": order.shipping_address or {},
    }
    return render(request, "web/studio/order.html", context)


def _back(request: HttpRequest, order: Order) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("studio:order", args=[order.pk])


@require_POST
@studio_view
def order_advance(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the order to the status the button named (the lifecycle refuses any other move,
    and a second click on a stale page, with nothing changed)."""
    order = _member_order(request, pk)
    policy.require_order_status_change(user=request.user, order=order)
    data = StatusSerializer(data=request.POST)
    ok = False
    if not data.is_valid():
        messages.error(request, _("Choose the status to move the order to."))
    else:
        try:
            lifecycle.order_transition(
                order_id=order.pk,
                status=data.validated_data["status"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            messages.error(
                request,
                _("Order %(number)s was not changed: %(reason)s")
                % {"number": order.number, "reason": error.detail},
            )
        else:
            ok = True
            label = STATUS_LABELS[data.validated_data["status"]]
            messages.success(
                request,
                _("Order %(number)s is now %(status)s.")
                % {"number": order.number, "status": label},
            )
    if request.htmx:  # type: ignore[attr-defined]
        fresh = _member_order(request, pk)
        return render(
            request,
            "web/studio/order_row.html",
            {"order": _with_steps([fresh])[0], "swapped": True, "ok": ok},
        )
    return redirect(_back(request, order))
