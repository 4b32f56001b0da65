"""What the notifications say: the in-app title and body of each kind, and the context the
email and SMS templates (templates/notifications/) render. Every string is translatable.

A message goes to one person: the buyer never reads who works at the shop, and a shop member
never reads another member's address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from souk.orders.models import DeliverySchedule, Order, OrderItem

BUYER = "buyer"
MEMBER = "member"


# Translated when used (gettext_lazy): a notification reads only its own two strings.
_SUBJECTS = {
    ("placed", BUYER): gettext_lazy("We received your order %(number)s"),
    ("placed", MEMBER): gettext_lazy("New order %(number)s"),
    ("paid", BUYER): gettext_lazy("Order %(number)s is paid"),
    ("paid", MEMBER): gettext_lazy("Order %(number)s is paid"),
    ("shipped", BUYER): gettext_lazy("Order %(number)s is on its way"),
    ("delivered", BUYER): gettext_lazy("Order %(number)s was delivered"),
    ("cancelled", BUYER): gettext_lazy("Order %(number)s was cancelled"),
    ("cancelled", MEMBER): gettext_lazy("Order %(number)s was cancelled"),
    ("expired", BUYER): gettext_lazy("Order %(number)s expired unpaid"),
    ("refunded", BUYER): gettext_lazy("Order %(number)s was refunded"),
    ("refunded", MEMBER): gettext_lazy("Order %(number)s was refunded"),
}

_INTROS = {
    ("placed", BUYER): gettext_lazy(
        "Thank you for your order. It is reserved until you pay for it."
    ),
    ("placed", MEMBER): gettext_lazy("A new order came in. It is waiting for payment."),
    ("paid", BUYER): gettext_lazy("Your payment arrived. The shop will prepare your order."),
    ("paid", MEMBER): gettext_lazy("This order is paid. Please prepare it."),
    ("shipped", BUYER): gettext_lazy("Your order has been shipped."),
    ("delivered", BUYER): gettext_lazy("Your order was delivered. Enjoy it!"),
    ("collected", BUYER): gettext_lazy("You collected your order. Enjoy it!"),
    ("cancelled", BUYER): gettext_lazy("Your order was cancelled."),
    ("cancelled", MEMBER): gettext_lazy(
        "This order was cancelled; its stock is back on the shelf."
    ),
    ("expired", BUYER): gettext_lazy("Your order expired because it was not paid in time."),
    ("refunded", BUYER): gettext_lazy("The money for your order went back to you."),
    ("refunded", MEMBER): gettext_lazy("The buyer's payment for this order was refunded."),
}


def order_subject(*, event: str, audience: str, number: str) -> str:
    return str(_SUBJECTS[(event, audience)]) % {"number": number}


def _intro(event: str, audience: str, pickup: bool) -> str:
    if event == "delivered" and pickup:
        event = "collected"
    return str(_INTROS[(event, audience)])


def _pickup(order: Order) -> bool:
    schedule = getattr(order, "delivery", None)
    return schedule is not None and schedule.method == DeliverySchedule.Method.PICKUP


def _money(amount: Any, order: Order) -> str:
    return f"{amount} {order.currency}"


def order_title(*, order: Order, event: str, audience: str) -> tuple[str, str]:
    """The in-app notification of `event` on `order` for one audience: (title, body). Reads
    only the order row (and its delivery for "delivered")."""
    pickup = event == "delivered" and _pickup(order)
    body = " ".join(
        [
            _intro(event, audience, pickup),
            _("Total: %(amount)s") % {"amount": _money(order.total, order)},
        ]
    )
    return order_subject(event=event, audience=audience, number=order.number), body


def order_link(order: Order, audience: str) -> str:
    """Where the recipient follows the order: the buyer's order page, or the studio's."""
    if audience == MEMBER:
        return f"{settings.PUBLIC_URL}/studio/orders/{order.pk}/"
    return f"{settings.PUBLIC_URL}/orders/{order.pk}/"


def _lines(order: Order, items: list[OrderItem]) -> list[dict[str, Any]]:
    return [
        {
            "text": _("%(quantity)s x %(name)s (%(sku)s) at %(unit)s = %(total)s")
            % {
                "quantity": item.quantity,
                "name": item.name,
                "sku": item.sku,
                "unit": _money(item.unit_price, order),
                "total": _money(item.line_total, order),
            },
            "quantity": item.quantity,
            "name": item.name,
            "sku": item.sku,
            "unit": _money(item.unit_price, order),
            "total": _money(item.line_total, order),
        }
        for item in items
    ]


def _figures(order: Order) -> list[dict[str, str]]:
    if order.coupon_id and order.coupon is not None:
        discount = _("Discount (coupon %(code)s)") % {"code": order.coupon.code}
    else:
        discount = _("Discount")
    return [
        {"label": _("Subtotal"), "value": _money(order.subtotal, order)},
        {"label": discount, "value": f"-{_money(order.discount, order)}"},
        {"label": _("Total"), "value": _money(order.total, order)},
        {"label": _("Currency"), "value": order.currency},
    ]


def _address(snapshot: dict[str, Any] | None) -> list[str]:
    if not snapshot:
        return []
    place = " ".join(
        part
        for part in (snapshot.get("postal_code"), snapshot.get("city"), snapshot.get("region"))
        if part
    )
    parts = [
        snapshot.get("recipient"),
        snapshot.get("phone"),
        snapshot.get("line1"),
        snapshot.get("line2"),
        place,
        snapshot.get("country"),
    ]
    return [str(part) for part in parts if part]


def _delivery(order: Order, audience: str) -> dict[str, Any]:
    if _pickup(order):
        if audience == BUYER:
            text = _("Pickup: collect it at %(shop)s, %(address)s.") % {
                "shop": order.shop.name,
                "address": order.shop.address,
            }
        else:
            text = _("Pickup: the buyer collects it at the shop.")
        return {"heading": text, "address": []}
    heading = _("Delivery to:") if audience == BUYER else _("Ship to:")
    return {"heading": heading, "address": _address(order.shipping_address)}


def order_context(*, order: Order, event: str, audience: str, name: str) -> dict[str, Any]:
    """What the order email templates render for one recipient (`audience` BUYER or
    MEMBER); `order` comes with its shop, customer, coupon, delivery and items loaded."""
    return {
        "subject": order_subject(event=event, audience=audience, number=order.number),
        "greeting": _("Hello %(name)s,") % {"name": name},
        "intro": _intro(event, audience, _pickup(order)),
        "heading": _("Order %(number)s from %(shop)s")
        % {"number": order.number, "shop": order.shop.name},
        "status": _("Status: %(status)s") % {"status": order.get_status_display()},
        "customer": (
            _("Customer: %(name)s") % {"name": order.customer.full_name}
            if audience == MEMBER
            else ""
        ),
        "lines": _lines(order, list(order.items.all())),
        "figures": _figures(order),
        "delivery": _delivery(order, audience),
        "link": order_link(order, audience),
        "link_label": _("See the order"),
    }
