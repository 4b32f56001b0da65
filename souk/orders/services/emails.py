"""The plain-text emails about an order. Each recipient gets a message of their own: the buyer
never sees who works at the shop, and a shop member never sees another member's address. Every
message lists every figure: the lines, subtotal, discount (with its coupon code), total and
currency, and how the order reaches the buyer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from souk.orders.models import DeliverySchedule, Order, OrderItem

BUYER = "buyer"
MEMBER = "member"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


def _subject(event: str, audience: str, number: str) -> str:
    subjects = {
        ("placed", BUYER): _("We received your order %(number)s"),
        ("placed", MEMBER): _("New order %(number)s"),
        ("paid", BUYER): _("Order %(number)s is paid"),
        ("paid", MEMBER): _("Order %(number)s is paid"),
        ("shipped", BUYER): _("Order %(number)s is on its way"),
        ("delivered", BUYER): _("Order %(number)s was delivered"),
        ("cancelled", BUYER): _("Order %(number)s was cancelled"),
        ("cancelled", MEMBER): _("Order %(number)s was cancelled"),
        ("expired", BUYER): _("Order %(number)s expired unpaid"),
        ("refunded", BUYER): _("Order %(number)s was refunded"),
    }
    return subjects[(event, audience)] % {"number": number}


def _intro(event: str, audience: str, order: Order) -> str:
    pickup = _method(order) == DeliverySchedule.Method.PICKUP
    intros = {
        ("placed", BUYER): _("Thank you for your order. It is reserved until you pay for it."),
        ("placed", MEMBER): _("A new order came in. It is waiting for payment."),
        ("paid", BUYER): _("Your payment arrived. The shop will prepare your order."),
        ("paid", MEMBER): _("This order is paid. Please prepare it."),
        ("shipped", BUYER): _("Your order has been shipped."),
        ("delivered", BUYER): (
            _("You collected your order. Enjoy it!")
            if pickup
            else _("Your order was delivered. Enjoy it!")
        ),
        ("cancelled", BUYER): _("Your order was cancelled."),
        ("cancelled", MEMBER): _("This order was cancelled; its stock is back on the shelf."),
        ("expired", BUYER): _("Your order expired because it was not paid in time."),
        ("refunded", BUYER): _("The money for your order went back to you."),
    }
    return intros[(event, audience)]


def _method(order: Order) -> str:
    schedule = getattr(order, "delivery", None)
    return schedule.method if schedule is not None else DeliverySchedule.Method.DELIVERY


def _money(amount: Any, order: Order) -> str:
    return f"{amount} {order.currency}"


def _lines(order: Order, items: list[OrderItem]) -> list[str]:
    return [
        _("%(quantity)s x %(name)s (%(sku)s) at %(unit)s = %(total)s")
        % {
            "quantity": item.quantity,
            "name": item.name,
            "sku": item.sku,
            "unit": _money(item.unit_price, order),
            "total": _money(item.line_total, order),
        }
        for item in items
    ]


def _figures(order: Order) -> list[str]:
    if order.coupon_id and order.coupon is not None:
        discount = _("Discount (coupon %(code)s): -%(amount)s") % {
            "code": order.coupon.code,
            "amount": _money(order.discount, order),
        }
    else:
        discount = _("Discount: -%(amount)s") % {"amount": _money(order.discount, order)}
    return [
        _("Subtotal: %(amount)s") % {"amount": _money(order.subtotal, order)},
        discount,
        _("Total: %(amount)s") % {"amount": _money(order.total, order)},
        _("Currency: %(currency)s") % {"currency": order.currency},
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
    return [f"  {part}" for part in parts if part]


def _delivery(order: Order, audience: str) -> list[str]:
    if _method(order) == DeliverySchedule.Method.PICKUP:
        if audience == BUYER:
            return [
                _("Pickup: collect it at %(shop)s, %(address)s.")
                % {"shop": order.shop.name, "address": order.shop.address}
            ]
        return [_("Pickup: the buyer collects it at the shop.")]
    heading = _("Delivery to:") if audience == BUYER else _("Ship to:")
    return [heading, *_address(order.shipping_address)]


def order_email(*, order: Order, event: str, audience: str, to: str, name: str) -> Email:
    """The message about `event` on `order` for one recipient (`audience` BUYER or MEMBER)."""
    header = [
        _("Hello %(name)s,") % {"name": name},
        "",
        _intro(event, audience, order),
        "",
        _("Order %(number)s from %(shop)s") % {"number": order.number, "shop": order.shop.name},
        _("Status: %(status)s") % {"status": order.get_status_display()},
    ]
    if audience == MEMBER:
        header.append(_("Customer: %(name)s") % {"name": order.customer.full_name})
    body = [
        *header,
        "",
        *_lines(order, list(order.items.all())),
        "",
        *_figures(order),
        "",
        *_delivery(order, audience),
    ]
    return Email(
        to=to, subject=_subject(event, audience, order.number), body="\n".join(body) + "\n"
    )
